from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Statutory and mandatory reviews"

    def ready(self) -> None:
        # Demo reviews, through the registry the demo command reads.
        from assurance.metric_providers import metric_provider_register
        from assurance.models import ComputedFrom
        from assurance.national_data import national_data_contributor_register
        from organisations.demo import demo_populator_register
        from reviews import demo
        from reviews.metrics import REVIEW_METRICS, review_metric_values
        from reviews.national_data import national_reviews_generate

        demo_populator_register(demo.populate)
        demo_populator_register(demo.populate_england)
        # The return's "computed from the reviews tracker" metrics come from here.
        metric_provider_register(
            ComputedFrom.REVIEWS_TRACKER, review_metric_values, metric_codes=REVIEW_METRICS
        )
        # generate_national_data adds reviews, recommendations and actions.
        national_data_contributor_register(national_reviews_generate)
