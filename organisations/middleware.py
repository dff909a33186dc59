"""MFA enforcement. allauth offers TOTP to everyone but never requires it, so
this middleware does: a signed-in ICB approver, regional lead or national
admin without an authenticator is sent to set one up before anything else,
because these roles sign off returns, judge them, and manage users."""

from allauth.mfa.models import Authenticator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from organisations.permissions import requires_mfa

# Paths a user must still reach while they have no authenticator yet.
_ALLOWED_PREFIXES = ("/accounts/", "/static/")
# The API's documentation pages are pages: they send the user to set it up too.
_API_PAGES = ("/api/v1/docs/", "/api/v1/redoc/")


class RequireMultiFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and requires_mfa(user)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            if request.path.startswith("/api/") and not request.path.startswith(_API_PAGES):
                # A program cannot follow a redirect to set up an authenticator.
                return JsonResponse(
                    {
                        "type": "/api/v1/problems/forbidden",
                        "title": "You are not allowed to do this",
                        "status": 403,
                        "detail": "Your role requires two-factor authentication: set it up "
                        "on the Security page first.",
                    },
                    status=403,
                    content_type="application/problem+json",
                )
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)
