from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Statutory and mandatory reviews"

    def ready(self) -> None:
        # Demo reviews, through the registry the demo command reads.
        from organisations.demo import demo_populator_register
        from reviews import demo

        demo_populator_register(demo.populate)
