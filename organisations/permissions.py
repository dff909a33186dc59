"""Who may do what, as plain predicates, and fetch-and-authorise helpers that
answer "not yours" exactly as they answer "not there" (404)."""

from __future__ import annotations

from django.http import Http404

from organisations.models import (
    ICB_WRITE_ROLES,
    MFA_REQUIRED_ROLES,
    NATIONAL_ROLES,
    Organisation,
    Role,
)
from organisations.scoping import memberships_of


def roles_of(user) -> set[str]:
    return {m.role for m in memberships_of(user)}


def is_national_admin(user) -> bool:
    return Role.NATIONAL_ADMIN in roles_of(user)


def is_national(user) -> bool:
    return bool(roles_of(user) & NATIONAL_ROLES)


def requires_mfa(user) -> bool:
    """ICB approvers, regional leads and national admins must sign in with MFA."""
    return bool(roles_of(user) & MFA_REQUIRED_ROLES)


def can_change_organisation_data(user, organisation: Organisation) -> bool:
    return Organisation.objects.changeable_by(user).filter(pk=organisation.pk).exists()


def can_edit_for_icb(user, icb: Organisation) -> bool:
    """An editor or approver of this ICB (the posts register, a draft return)."""
    return any(
        m.role in ICB_WRITE_ROLES and m.organisation_id == icb.pk for m in memberships_of(user)
    )


def organisation_get_visible(user, pk: int | str) -> Organisation:
    """The organisation, if `user` may read it; 404 otherwise."""
    try:
        return Organisation.objects.visible_to(user).select_related("parent").get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organisation.") from None


def organisation_get_visible_by_code(user, code: str) -> Organisation:
    try:
        return Organisation.objects.visible_to(user).select_related("parent").get(code=code)
    except Organisation.DoesNotExist:
        raise Http404("No such organisation.") from None
