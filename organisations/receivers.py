"""Account security events in the audit trail.

Signing in and out, passwords and two-factor authentication are allauth's
flows, not our services, so the sanctioned way to audit them is to receive
allauth's (and django.contrib.auth's) signals here, each receiver writing its
one event in its own transaction. Connected in `OrganisationsConfig.ready()`.

Every event targets the user whose account it is. A failed sign-in has no
actor (nobody is signed in) and records the e-mail address tried, never the
password; ending other sessions has no allauth signal, so the usersessions
adapter (`organisations.adapters.UserSessionsAdapter`) calls
`sessions_ended_record` below.
"""

from __future__ import annotations

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.db import transaction

from organisations.audit import audit_record
from organisations.models import AuditAction, Organisation, User
from organisations.reference_data import NATIONAL_CODE


def _record(*, actor: User | None, action: AuditAction, target, **extra) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=action, target=target, **extra)


def on_signed_in(sender, request, user, **kwargs) -> None:
    _record(actor=user, action=AuditAction.SIGNED_IN, target=user)


def on_signed_out(sender, request, user, **kwargs) -> None:
    if user is None or not user.is_authenticated:
        return  # signing out a session that was not signed in changes nothing
    _record(actor=user, action=AuditAction.SIGNED_OUT, target=user)


def on_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """A wrong password (or an unknown address). Django has already masked the
    password in `credentials`; only the address is kept.

    The event's target is the account tried when it exists. For an address
    that matches nobody there is no user to point at, so the event is recorded
    against the national organisation (the national team reads it, and the
    audit trail keeps one target per event) with the address in
    `attempted_email`."""
    email = str(credentials.get("email") or credentials.get("username") or "").strip()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is not None:
        _record(actor=None, action=AuditAction.SIGN_IN_FAILED, target=user, attempted_email=email)
        return
    national = Organisation.objects.filter(code=NATIONAL_CODE).first()
    if national is None:
        return  # no reference data yet: nothing to record the attempt against
    _record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        target=national,
        organisation=national,
        attempted_email=email,
    )


def on_second_factor_failed(sender, request, user, authenticator, **kwargs) -> None:
    """A wrong code at the two-factor step: the password was right, so the
    account is known, but the person is not signed in."""
    _record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        target=user,
        attempted_email=user.email,
        reason="Wrong two-factor authentication code.",
        changes={"step": "two-factor", "reauthentication": bool(kwargs.get("reauthentication"))},
    )


def on_password_changed(sender, request, user, **kwargs) -> None:
    _record(actor=user, action=AuditAction.PASSWORD_CHANGED, target=user)


def on_password_set(sender, request, user, **kwargs) -> None:
    _record(actor=user, action=AuditAction.PASSWORD_SET, target=user)


def on_password_reset(sender, request, user, **kwargs) -> None:
    # The e-mailed link proves who they are, so the user is the actor even
    # though they are not signed in.
    _record(actor=user, action=AuditAction.PASSWORD_RESET, target=user)


def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    # Recovery codes are generated with the first authenticator: one event.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    _record(
        actor=user,
        action=AuditAction.MFA_ENABLED,
        target=user,
        changes={"type": authenticator.type},
    )


def on_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return  # removed with the last authenticator: its event says it
    _record(
        actor=user,
        action=AuditAction.MFA_DISABLED,
        target=user,
        changes={"type": authenticator.type},
    )


def on_authenticator_reset(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return
    _record(actor=user, action=AuditAction.MFA_RECOVERY_CODES_REGENERATED, target=user)


def sessions_ended_record(*, user: User, count: int) -> None:
    _record(
        actor=user,
        action=AuditAction.SESSIONS_ENDED,
        target=user,
        changes={"sessions_ended": count},
    )


def receivers_connect() -> None:
    uid = "organisations.receivers."
    account_signals.user_logged_in.connect(on_signed_in, dispatch_uid=uid + "signed_in")
    auth_signals.user_logged_out.connect(on_signed_out, dispatch_uid=uid + "signed_out")
    auth_signals.user_login_failed.connect(on_sign_in_failed, dispatch_uid=uid + "failed")
    mfa_signals.authentication_failed.connect(
        on_second_factor_failed, dispatch_uid=uid + "mfa_failed"
    )
    account_signals.password_changed.connect(on_password_changed, dispatch_uid=uid + "pw_changed")
    account_signals.password_set.connect(on_password_set, dispatch_uid=uid + "pw_set")
    account_signals.password_reset.connect(on_password_reset, dispatch_uid=uid + "pw_reset")
    mfa_signals.authenticator_added.connect(on_authenticator_added, dispatch_uid=uid + "mfa_add")
    mfa_signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid=uid + "mfa_removed"
    )
    mfa_signals.authenticator_reset.connect(on_authenticator_reset, dispatch_uid=uid + "mfa_reset")
