from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = "Assurance: posts register, toolkit and returns"

    def ready(self) -> None:
        # Contributions to the apps below, which never import this one.
        from assurance import demo
        from organisations.demo import demo_populator_register

        demo_populator_register(demo.populate)
