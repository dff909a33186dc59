from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from organisations.views import account_email_off

# The Django admin signs in through allauth, so its sign-in has the same rate
# limits and MFA step as the portal's.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "SAAF portal administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The e-mail address is the user's identity here: only the national admin
    # changes it (organisations.services.user_email_change), so allauth's
    # e-mail management page is switched off.
    path("accounts/email/", account_email_off),
    path("accounts/", include("allauth.urls")),
    path("", include("assurance.urls")),
    path("", include("organisations.urls")),
]
