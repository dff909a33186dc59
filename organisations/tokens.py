"""Machine tokens for the API: created by their own user (on the account page
or, for a system set up by the national team, by `manage.py api_token`),
listed and revoked there. A token acts as its user, with that user's roles,
so the rules that guard the user guard the token: a user whose role requires
two-factor authentication must have it enabled to create a token, and the API
refuses a token whose user has since lost it (`ApiTokenAuthentication`)."""

from __future__ import annotations

import datetime

from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organisations.audit import audit_record
from organisations.models import ApiToken, AuditAction, User
from organisations.permissions import has_role, is_system, permission_require, requires_mfa

TOKEN_MAX_DAYS = 365
TOKEN_NAME_MAX_LENGTH = 100
TOKEN_PREFIX = "saaf_"  # noqa: S105 (not a secret) so a leaked token is recognisable in logs and secret scanners


def has_mfa(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def api_token_refusal(user: User) -> str | None:
    """Why `user` may not hold an API token now, in words they can act on; None if they may."""
    if not user.is_active or is_system(user):
        return "This account cannot hold an API token."
    if not has_role(user):
        return "You need a role in the portal to use the API."
    if requires_mfa(user) and not has_mfa(user):
        return (
            "Your role requires two-factor authentication: set it up on the Security page "
            "before creating or using an API token."
        )
    return None


def api_tokens_of(user: User):
    """The user's tokens that have not expired, newest first."""
    return ApiToken.objects.filter(user=user).exclude(expiry__lte=timezone.now())


def api_token_create(*, actor: User, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a named token for `user`, valid for `days` (1 to 365). Returns the
    stored row and the token itself, which is never stored and must be shown
    to its holder now. A user creates their own; the system (a command run by
    the national team) may create one for any user who may hold it."""
    permission_require(
        actor.pk == user.pk or is_system(actor), "You can only create API tokens for yourself."
    )
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = "Name the token after the system that will use it."
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        errors["name"] = f"Keep the name to {TOKEN_NAME_MAX_LENGTH} characters or fewer."
    if not isinstance(days, int) or not 1 <= days <= TOKEN_MAX_DAYS:
        errors["days"] = f"A token lasts from 1 to {TOKEN_MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    refusal = api_token_refusal(user)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        token, secret = ApiToken.objects.create(
            user=user, expiry=datetime.timedelta(days=days), prefix=TOKEN_PREFIX, name=name
        )
        audit_record(
            actor=actor,
            action=AuditAction.API_TOKEN_CREATED,
            target=user,
            changes={"token": [None, str(token)], "expires": [None, token.expiry]},
        )
    return token, secret


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    """Revoke one of `actor`'s own tokens: it stops working at once."""
    permission_require(
        token.user_id == actor.pk or is_system(actor), "You can only revoke your own API tokens."
    )
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(digest=token.digest).delete()
        if deleted:
            audit_record(
                actor=actor,
                action=AuditAction.API_TOKEN_REVOKED,
                target=token.user,
                changes={"token": [str(token), None]},
            )
