"""Every write to organisations, memberships and users: one transaction each,
with its audit event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from organisations.audit import audit_record, field_changes, model_reference
from organisations.models import (
    AuditAction,
    Commissioning,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from organisations.permissions import (
    can_manage_organisations,
    can_manage_users,
    is_system,
    permission_require,
)
from organisations.reference_data import reference_data_load  # noqa: F401  (a service too)
from organisations.scoping import scope_forget

_USERS_REFUSAL = "Only the national admin can manage users and their roles."
_ORGANISATIONS_REFUSAL = "Only the national admin can add or change providers and places."


def user_create(
    *, actor: User, email: str, full_name: str = "", password: str | None = None
) -> User:
    """Create a person who can sign in. Without a password they set their own
    from an emailed link."""
    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError({"email": f"There is already a user with the email {email}."})
        user = User(email=email, full_name=full_name.strip())
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(
            actor=actor,
            action=AuditAction.USER_CREATED,
            target=user,
            changes={"email": [None, email], "full_name": [None, user.full_name]},
        )
    return user


def membership_grant(
    *, actor: User, user: User, organisation: Organisation, role: str
) -> Membership:
    """Give `user` a role in `organisation`; the admin's staff flags follow."""
    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    with transaction.atomic():
        membership = Membership(user=user, organisation=organisation, role=role)
        membership.full_clean()
        membership.save()
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_GRANTED,
            target=membership,
            organisation=organisation,
            changes={"user": [None, model_reference(user)], "role": [None, role]},
        )
        _admin_access_sync(user)
    scope_forget(user)
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_REVOKED,
            target=membership,
            organisation=membership.organisation,
            changes={
                "user": [model_reference(membership.user), None],
                "role": [membership.role, None],
            },
        )
        membership.delete()
        _admin_access_sync(membership.user)
    scope_forget(membership.user)


def _admin_access_sync(user: User) -> None:
    """The Django admin belongs to national admins, and to nobody else: the
    staff flags follow the role."""
    is_admin = user.memberships.filter(role=Role.NATIONAL_ADMIN).exists()
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])


def provider_create(
    *,
    actor: User,
    code: str,
    name: str,
    provider_kind: str,
    lead_icb: Organisation,
    other_icbs: tuple[Organisation, ...] = (),
    provides_maternity: bool = False,
    runs_unscheduled_care: bool = False,
) -> Organisation:
    """Add a provider commissioned by `lead_icb` (its lead commissioner) and
    optionally by other ICBs."""
    permission_require(can_manage_organisations(actor), _ORGANISATIONS_REFUSAL)
    with transaction.atomic():
        provider = Organisation(
            kind=OrganisationKind.PROVIDER,
            code=code.strip().upper(),
            name=name.strip(),
            provider_kind=provider_kind,
            provides_maternity=provides_maternity,
            runs_unscheduled_care=runs_unscheduled_care,
        )
        provider.full_clean()
        provider.save()
        for icb in (lead_icb, *other_icbs):
            if icb.kind != OrganisationKind.ICB:
                raise ValidationError({"icb": f"{icb.name} is not an ICB."})
            Commissioning.objects.create(icb=icb, provider=provider, is_lead=icb == lead_icb)
        audit_record(
            actor=actor,
            action=AuditAction.PROVIDER_CREATED,
            target=provider,
            organisation=provider,
            changes={
                "name": [None, provider.name],
                "kind": [None, provider_kind],
                "lead_commissioner": [None, model_reference(lead_icb)],
            },
        )
    return provider


def provider_update(*, actor: User, provider: Organisation, **values) -> Organisation:
    permission_require(can_manage_organisations(actor), _ORGANISATIONS_REFUSAL)
    allowed = {
        "name",
        "provider_kind",
        "provides_maternity",
        "runs_unscheduled_care",
        "established",
        "closed",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(f"These provider fields cannot be changed here: {sorted(unknown)}")
    with transaction.atomic():
        provider = Organisation.objects.select_for_update().get(pk=provider.pk)
        changes = field_changes(provider, values)
        if changes:
            provider.full_clean()
            provider.save()
            audit_record(
                actor=actor,
                action=AuditAction.PROVIDER_UPDATED,
                target=provider,
                organisation=provider,
                changes=changes,
            )
    return provider


def place_create(*, actor: User, code: str, name: str, icb: Organisation) -> Organisation:
    """Add a place / local authority area in an ICB's area."""
    permission_require(can_manage_organisations(actor), _ORGANISATIONS_REFUSAL)
    with transaction.atomic():
        place = Organisation(
            kind=OrganisationKind.PLACE, code=code.strip().upper(), name=name.strip(), parent=icb
        )
        place.full_clean()
        place.save()
        audit_record(
            actor=actor,
            action=AuditAction.PLACE_CREATED,
            target=place,
            organisation=place,
            changes={"name": [None, place.name], "icb": [None, model_reference(icb)]},
        )
    return place


def user_invite_send(*, actor: User, user: User, base_url: str | None = None) -> str:
    """Email `user` a link to set their own password (allauth's password reset
    from key), and return the link. Users never sign themselves up. The link
    starts with `base_url`, by default `SAAF_BASE_URL`."""
    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.core.mail import send_mail
    from django.urls import reverse

    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    if base_url is None:
        from django.conf import settings

        base_url = settings.SAAF_BASE_URL
    link = base_url.rstrip("/") + path
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.USER_INVITED, target=user)
        transaction.on_commit(
            lambda: send_mail(
                subject="Your account on the safeguarding assurance portal",
                message=(
                    f"Hello {user.get_full_name()},\n\nAn account has been created for you on "
                    f"the NHS safeguarding assurance portal.\nSet your password here:\n\n{link}\n\n"
                    "If you did not expect this email, tell the national safeguarding team."
                ),
                from_email=None,
                recipient_list=[user.email],
            )
        )
    return link


def session_expired_purge(*, actor: User) -> dict[str, int]:
    """Delete sessions past their expiry, and allauth's record of each session
    that no longer exists (the list a user sees under "Sessions"). Run daily
    by the beat schedule; safe to run twice (the second run finds nothing).
    Sessions live in the database (Django's default session engine)."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    permission_require(is_system(actor), "Only the system purges expired sessions.")
    with transaction.atomic():
        sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        user_sessions, _ = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()
        purged = {"sessions": sessions, "user_sessions": user_sessions}
        if sessions or user_sessions:
            audit_record(
                actor=actor,
                action=AuditAction.EXPIRED_SESSIONS_PURGED,
                target=actor,
                changes=purged,
            )
    return purged


def user_mfa_reset(*, actor: User, user: User, reason: str = "") -> int:
    """Remove all of `user`'s two-factor authenticators when they have lost
    their device: their sessions end, they are e-mailed, and at their next
    sign-in a role that needs MFA is sent to set it up again (the MFA
    middleware). Returns how many authenticators were removed."""
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        authenticators = Authenticator.objects.filter(user=user)
        types = sorted(authenticators.values_list("type", flat=True))
        if not types:
            raise ValidationError(f"{user} has no two-factor authentication to reset.")
        authenticators.delete()
        sessions = list(UserSession.objects.filter(user=user))
        for session in sessions:
            session.end()
        audit_record(
            actor=actor,
            action=AuditAction.MFA_RESET,
            target=user,
            changes={"authenticators": [types, []], "sessions_ended": len(sessions)},
            reason=reason,
        )
        transaction.on_commit(lambda: _mfa_reset_mail(user))
    return len(types)


def _mfa_reset_mail(user: User) -> None:
    from django.core.mail import send_mail

    from organisations.adapters import portal_url

    send_mail(
        subject="Your two-factor authentication was reset",
        message=(
            f"Hello {user.get_full_name()},\n\nThe national safeguarding team has reset the "
            "two-factor authentication on your account on the NHS safeguarding assurance "
            "portal, and signed you out everywhere.\nWhen you next sign in you will be asked "
            f"to set it up again with your authenticator app:\n\n{portal_url('/')}\n\n"
            "If you did not ask for this, tell the national safeguarding team at once."
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def user_email_change(*, actor: User, user: User, email: str) -> User:
    """Change the address `user` signs in with. Their address is their
    identity here, so only the national admin changes it; allauth's record
    of the address follows (one primary, verified address)."""
    from allauth.account.models import EmailAddress
    from django.core.validators import validate_email

    permission_require(can_manage_users(actor), _USERS_REFUSAL)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": "Enter an email address like name@example.nhs.uk."}
        ) from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = user.email
        if email == old.lower():
            return user
        if (
            User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
            or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()
        ):
            raise ValidationError({"email": f"There is already a user with the email {email}."})
        user.email = email
        user.full_clean(exclude=["password"])
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        audit_record(
            actor=actor,
            action=AuditAction.USER_EMAIL_CHANGED,
            target=user,
            changes={"email": [old, email]},
        )
        transaction.on_commit(lambda: _email_changed_mail(user, old))
    return user


def _email_changed_mail(user: User, old: str) -> None:
    from django.core.mail import send_mail

    send_mail(
        subject="The email address of your account was changed",
        message=(
            f"Hello {user.get_full_name()},\n\nThe national safeguarding team has changed the "
            f"email address you sign in with on the NHS safeguarding assurance portal from "
            f"{old} to {user.email}.\n\nIf you did not ask for this, tell the national "
            "safeguarding team at once."
        ),
        from_email=None,
        recipient_list=[old, user.email],
    )
