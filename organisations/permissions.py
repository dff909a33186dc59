"""Who may do what with organisations, people and the audit trail: named
predicates that services check themselves (so a view, task, API call or
command meets the same rule), and fetch-and-authorise helpers that answer
"not yours" exactly as they answer "not there" (404)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from organisations.choices import MFA_REQUIRED_ROLES, Role
from organisations.models import Organisation
from organisations.scoping import scope_of


class NotPermitted(PermissionDenied):
    """A service refused the acting user. Views answer 403 (or 404 where the
    object is out of the user's scope, which fetch helpers check first)."""


def permission_require(allowed: bool, message: str) -> None:
    """Raise `NotPermitted(message)` unless `allowed`: the one line every
    service starts with."""
    if not allowed:
        raise NotPermitted(message)


def roles_of(user) -> frozenset[str]:
    return scope_of(user).roles


def is_system(user) -> bool:
    return scope_of(user).is_system


def is_national_admin(user) -> bool:
    return Role.NATIONAL_ADMIN in roles_of(user)


def is_national(user) -> bool:
    return scope_of(user).is_national


def has_role(user) -> bool:
    """Anyone with a role somewhere reads the shared national content (the toolkit, periods)."""
    return bool(roles_of(user)) or is_system(user)


def requires_mfa(user) -> bool:
    """ICB approvers, regional leads and national admins must sign in with MFA."""
    return bool(roles_of(user) & MFA_REQUIRED_ROLES)


def can_manage_users(user) -> bool:
    """Create and invite users, grant and remove roles, reset a user's MFA or
    change their e-mail: the national admin (or the system, from a command)."""
    return is_national_admin(user) or is_system(user)


def can_manage_organisations(user) -> bool:
    """Add and change providers and places, load the reference organisations."""
    return is_national_admin(user) or is_system(user)


def can_read_audit(user) -> bool:
    """Audit events are read within scope by anyone with a role."""
    return has_role(user)


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
