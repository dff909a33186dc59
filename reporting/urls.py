from django.urls import path

from reporting import views, views_published

app_name = "reporting"

_YEAR = "reports/<int:financial_year>/"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path(_YEAR + "regions/<str:code>/", views.regional_report, name="regional"),
    path(_YEAR + "regions/<str:code>/edit/", views.regional_report_edit, name="regional_edit"),
    path(
        _YEAR + "regions/<str:code>/sign-off/",
        views.regional_report_sign_off,
        name="regional_sign_off",
    ),
    path(
        _YEAR + "regions/<str:code>/withdraw-sign-off/",
        views.regional_report_unsign,
        name="regional_unsign",
    ),
    path(_YEAR + "national/", views.national_report, name="national"),
    path(_YEAR + "national/edit/", views.national_report_edit, name="national_edit"),
    path(_YEAR + "rollup/", views.rollup_start, name="rollup"),
    path(_YEAR + "rollup/<int:pk>/", views.run_progress, name="run"),
    # A figure by what it is (ReportFigure.get_absolute_url): the year's
    # totals, then a code's (an ICB's, a section's, a metric's; "-" for none),
    # then a quarter's (financial year × 10 + quarter).
    path(_YEAR + "figures/<str:area>/<slug:kind>/", views.figure_detail, name="figure"),
    path(_YEAR + "figures/<str:area>/<slug:kind>/<str:code>/", views.figure_detail, name="figure"),
    path(
        _YEAR + "figures/<str:area>/<slug:kind>/<str:code>/<int:quarter_key>/",
        views.figure_detail,
        name="figure",
    ),
    # The row's address, as the PDFs published before the address above had
    # it: sent on to the figure's address while the row lasts.
    path("reports/figures/<int:pk>/", views.figure_by_row, name="figure_by_row"),
    path(
        _YEAR + "icbs/<str:code>/metrics/<str:metric>/",
        views.icb_metric_chart,
        name="icb_metric",
    ),
]

urlpatterns += [
    path("reports/archive/", views_published.archive, name="archive"),
    path(_YEAR + "publish/<str:code>/", views_published.report_publish, name="publish"),
    path("reports/published/<int:pk>/", views_published.publication_progress, name="publication"),
    path(
        "reports/published/<int:pk>/download/",
        views_published.published_download,
        name="download",
    ),
]
