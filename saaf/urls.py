from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The Django admin signs in through allauth, so its sign-in has the same rate
# limits and MFA step as the portal's.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "SAAF portal administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("assurance.urls")),
    path("", include("reviews.urls")),
    path("", include("organisations.urls")),
]
