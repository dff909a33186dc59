from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations, people and audit"

    def ready(self) -> None:
        from organisations.receivers import receivers_connect

        receivers_connect()
