from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Annual assurance reporting"

    def ready(self) -> None:
        # The benchmark and the home page live below this app: register the
        # rollup's benchmark entry and the reports panel.
        from assurance.national_data import national_data_contributor_register
        from organisations.demo import demo_populator_register
        from organisations.panels import home_panel_register
        from reporting import benchmark, demo  # noqa: F401
        from reporting.national_data import national_reports_generate
        from reporting.panels import reports_panel

        home_panel_register("reports", reports_panel, order=30)
        # After the assurance app's, whose London returns' history it rolls up.
        demo_populator_register(demo.populate_england)
        demo_populator_register(demo.populate)
        # generate_national_data adds the complete years' annual reports.
        national_data_contributor_register(national_reports_generate)
