from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Annual assurance reporting"

    def ready(self) -> None:
        # The benchmark lives below this app: register the rollup's entry.
        from reporting import benchmark  # noqa: F401
