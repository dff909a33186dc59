from django.urls import path

from assurance import register_views as views

urlpatterns = [
    path("register/", views.register_start, name="register"),
    path("register/national/", views.register_national, name="register_national"),
    path(
        "register/national/export.<str:fmt>",
        views.register_national,
        name="register_national_export",
    ),
    path("register/regions/<str:code>/", views.register_region, name="register_region"),
    path(
        "register/regions/<str:code>/export.<str:fmt>",
        views.register_region,
        name="register_region_export",
    ),
    path("register/icbs/<str:code>/", views.register_icb, name="register_icb"),
    path(
        "register/icbs/<str:code>/export.<str:fmt>", views.register_icb, name="register_icb_export"
    ),
    path("register/organisations/<str:code>/posts/new/", views.post_new, name="post_new"),
    path("register/posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("register/posts/<int:pk>/holders/new/", views.tenure_new, name="tenure_new"),
    path("register/holders/<int:pk>/edit/", views.tenure_edit, name="tenure_edit"),
]
