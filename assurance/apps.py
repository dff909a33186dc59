from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = "Assurance: posts register, toolkit and returns"

    def ready(self) -> None:
        # Contributions to the apps below, which never import this one.
        from assurance import demo, demo_england, demo_history, demo_returns
        from assurance.metric_providers import metric_provider_register
        from assurance.models import ComputedFrom
        from assurance.panels import panels_register
        from assurance.register_rules import REGISTER_METRICS, register_metric_values
        from assurance.selectors import return_completing_successor
        from organisations.demo import demo_populator_register
        from organisations.scoping import split_responsibility_register

        demo_populator_register(demo.populate)
        demo_populator_register(demo_returns.populate)
        demo_populator_register(demo_history.populate)
        demo_populator_register(demo_england.populate)
        # Who completes a split ICB's outstanding returns is named on its return.
        split_responsibility_register(return_completing_successor)
        # The posts register computes the metrics marked "computed from the
        # posts register"; returns ask `assurance.metric_providers` for them.
        metric_provider_register(
            ComputedFrom.POSTS_REGISTER, register_metric_values, metric_codes=REGISTER_METRICS
        )
        # Home-page panels: the reporting periods and the register's findings.
        panels_register()
        # The benchmark's entries beyond the pages: the API, the load on a server.
        from assurance import benchmark_api, benchmark_load  # noqa: F401
