from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = "Assurance: posts register, toolkit and returns"

    def ready(self) -> None:
        from assurance.panels import panels_register

        panels_register()
