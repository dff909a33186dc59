from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = "Assurance: posts register, toolkit and returns"

    def ready(self) -> None:
        # The posts register computes the metrics marked "computed from the
        # posts register"; returns ask `assurance.metric_providers` for them.
        from assurance.metric_providers import metric_provider_register
        from assurance.models import ComputedFrom
        from assurance.register_rules import REGISTER_METRICS, register_metric_values

        metric_provider_register(
            ComputedFrom.POSTS_REGISTER, register_metric_values, metric_codes=REGISTER_METRICS
        )
