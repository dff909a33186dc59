"""Who may open the Django admin, and how they sign in to it.

The admin belongs to staff users (national admins: the staff flags follow the
role), and only in a session that completed a second factor: allauth records
each authentication step in the session, and the admin wants a TOTP step by
one of the user's own authenticators. A session that signed in by password
alone is sent to confirm with a code (allauth's MFA reauthentication), or to
set up TOTP first if the user has none.

The admin's own sign-in form is never shown: it would take a password through
Django's backend, past allauth's rate limits and MFA stage. Signing in and out
goes through allauth's pages.
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def session_completed_mfa(request) -> bool:
    """True if this session's user completed a TOTP step with one of their own
    (still existing) authenticators."""
    user = request.user
    if not user.is_authenticated:
        return False
    ids = [
        record.get("id")
        for record in get_authentication_records(request, user)
        if record.get("method") == "mfa" and record.get("type") == Authenticator.Type.TOTP
    ]
    return (
        bool(ids)
        and Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP, pk__in=ids
        ).exists()
    )


def admin_has_permission(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and session_completed_mfa(request)


def _next_url(request) -> str:
    wanted = request.GET.get(REDIRECT_FIELD_NAME, "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


@login_not_required
def admin_login(request, extra_context=None):
    """Stands in for the admin's login view (where the admin sends anyone it
    refuses), behind allauth's `secure_admin_login`, which already sends the
    signed-out to allauth's sign-in and refuses the signed-in who are not staff."""
    next_url = _next_url(request)
    query = urlencode({REDIRECT_FIELD_NAME: next_url})
    user = request.user
    if not user.is_authenticated:
        return redirect(f"{reverse('account_login')}?{query}")
    if not (user.is_active and user.is_staff):
        raise PermissionDenied("The admin is for national admins only.")
    if session_completed_mfa(request):
        return redirect(next_url)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
    return redirect(f"{reverse('mfa_reauthenticate')}?{query}")


def admin_logout(request, extra_context=None):
    """Sign out through allauth, like everywhere else in the portal."""
    return redirect("account_logout")


def admin_password_change(request, extra_context=None):
    """People change their own password on allauth's page (its audit event,
    its checks), not on the admin's."""
    return redirect("account_change_password")
