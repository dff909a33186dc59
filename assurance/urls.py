from django.urls import path

from assurance import register_urls, views

app_name = "assurance"

urlpatterns = [
    path("toolkit/", views.toolkit_version_list, name="toolkit_version_list"),
    path("toolkit/new/", views.toolkit_version_copy, name="toolkit_version_copy"),
    path(
        "toolkit/<int:financial_year>/", views.toolkit_version_detail, name="toolkit_version_detail"
    ),
    path(
        "toolkit/<int:financial_year>/publish/",
        views.toolkit_version_publish,
        name="toolkit_version_publish",
    ),
    path("toolkit/<int:financial_year>/sections/new/", views.section_create, name="section_create"),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/",
        views.section_detail,
        name="section_detail",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/edit/",
        views.section_update,
        name="section_update",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/delete/",
        views.section_delete,
        name="section_delete",
    ),
    path(
        "toolkit/<int:financial_year>/sections/<str:code>/standards/new/",
        views.standard_create,
        name="standard_create",
    ),
    path(
        "toolkit/<int:financial_year>/standards/<str:code>/edit/",
        views.standard_update,
        name="standard_update",
    ),
    path(
        "toolkit/<int:financial_year>/standards/<str:code>/delete/",
        views.standard_delete,
        name="standard_delete",
    ),
    path("toolkit/<int:financial_year>/metrics/new/", views.metric_create, name="metric_create"),
    path(
        "toolkit/<int:financial_year>/metrics/<str:code>/edit/",
        views.metric_update,
        name="metric_update",
    ),
    path(
        "toolkit/<int:financial_year>/metrics/<str:code>/delete/",
        views.metric_delete,
        name="metric_delete",
    ),
    path("periods/", views.period_list, name="period_list"),
    path("periods/<int:financial_year>/q<int:quarter>/", views.period_detail, name="period_detail"),
    path(
        "periods/<int:financial_year>/q<int:quarter>/edit/",
        views.period_update,
        name="period_update",
    ),
]

# The posts register's pages.
urlpatterns += register_urls.urlpatterns
