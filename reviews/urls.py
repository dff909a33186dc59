from django.urls import path

from reviews import import_views, views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.reviews_start, name="start"),
    path("reviews/overview/", views.overview, name="overview"),
    path(
        "reviews/overview/<slug:table>.<str:fmt>",
        views.overview_export,
        name="overview_export",
    ),
    path("reviews/icbs/<str:code>/", views.tracker, name="tracker"),
    path(
        "reviews/icbs/<str:code>/<slug:table>.<str:fmt>",
        views.tracker_export,
        name="tracker_export",
    ),
    path("reviews/icbs/<str:code>/new/", views.review_new, name="review_new"),
    path("reviews/icbs/<str:code>/import/", import_views.reviews_import_page, name="import"),
    path(
        "reviews/icbs/<str:code>/import/template.xlsx",
        import_views.import_template_download,
        name="import_template",
    ),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review_edit"),
    path(
        "reviews/<int:pk>/recommendations/new/",
        views.recommendation_new,
        name="recommendation_new",
    ),
    path(
        "reviews/recommendations/<int:pk>/edit/",
        views.recommendation_edit,
        name="recommendation_edit",
    ),
    path("reviews/recommendations/<int:pk>/actions/new/", views.action_new, name="action_new"),
    path("reviews/actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("reviews/actions/<int:pk>/complete/", views.action_complete, name="action_complete"),
    path(
        "reviews/actions/<int:pk>/evidence/new/",
        views.action_evidence_new,
        name="action_evidence_new",
    ),
    path(
        "reviews/evidence/<int:pk>/remove/",
        views.action_evidence_remove,
        name="action_evidence_remove",
    ),
    path(
        "reviews/evidence/<int:pk>/",
        views.action_evidence_download,
        name="action_evidence_download",
    ),
]
