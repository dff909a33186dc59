from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/<str:code>/", views.organisation_page, name="organisation"),
    path("account/api-tokens/", views.api_tokens_page, name="api_tokens"),
    path("account/api-tokens/new/", views.api_token_create_page, name="api_token_create"),
    path(
        "account/api-tokens/<str:key>/revoke/",
        views.api_token_revoke_page,
        name="api_token_revoke",
    ),
    path("users/", views.user_list_page, name="user_list"),
    path("users/<int:pk>/", views.user_page, name="user"),
    path("users/<int:pk>/email/", views.user_email_change_page, name="user_email_change"),
    path("users/<int:pk>/mfa-reset/", views.user_mfa_reset_page, name="user_mfa_reset"),
    path("users/<int:pk>/roles/", views.user_role_grant_page, name="user_role_grant"),
    path(
        "users/<int:pk>/roles/<int:membership_pk>/remove/",
        views.user_role_revoke_page,
        name="user_role_revoke",
    ),
]
