from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from organisations.admin_access import (
    admin_has_permission,
    admin_login,
    admin_logout,
    admin_password_change,
)
from organisations.views import account_email_off

# The Django admin signs in and out through allauth (its rate limits and MFA
# stage), and opens only for a staff user whose session completed a TOTP step.
admin.site.has_permission = admin_has_permission
admin.site.login = secure_admin_login(admin_login)
admin.site.logout = admin_logout
admin.site.password_change = admin_password_change
admin.site.site_header = "SAAF portal administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The e-mail address is the user's identity here: only the national admin
    # changes it (organisations.services.user_email_change), so allauth's
    # e-mail management page is switched off.
    path("accounts/email/", account_email_off),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("saaf.api_urls")),
    path("", include("assurance.urls")),
    path("", include("reviews.urls")),
    path("", include("reporting.urls")),
    path("", include("organisations.urls")),
]
