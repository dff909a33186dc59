"""The one scoping mechanism: which organisations a user may see and change.

Every list, page, export, API endpoint and report starts from a model's
`objects.visible_to(user)` (a `ScopedQuerySet`, which any model gets by naming
its path to the organisation in `scope_path`). An object outside the user's
scope is answered as missing (404), never as forbidden.

- National roles (NSSG member, national admin) see every organisation.
- Regional roles see their region, its ICBs past and present, the places
  under those ICBs and the providers those ICBs commission.
- ICB roles see their ICB and, read-only, every ICB it succeeded (a split
  predecessor's history is visible to each of its successors), with the
  places under them and the providers they commission.
- Only ICB editors and approvers change anything here: their own ICB while it
  exists and the providers it leads as lead commissioner.
- Returns follow their own rule (`Scope.return_icb_ids`): a successor's
  editors also complete the outstanding returns of the ICBs it succeeded.

The user's scope is worked out once (`scope_of`) and kept on the user object,
which Django builds afresh for each request: one query for the memberships and
one for the succession links, whatever the page asks.

This module sits below the models (they inherit `ScopedQuerySet`), so it
reaches them through the app registry rather than importing them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet

from organisations.choices import (
    ICB_ROLES,
    ICB_WRITE_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    SYSTEM_ACTOR_EMAIL,
    OrganisationKind,
)
from saaf.dates import today

_CACHE_ATTRIBUTE = "_saaf_scope"


def succession_closure(
    links: Iterable[tuple[int, int]], start_ids: Iterable[int], *, backwards: bool
) -> set[int]:
    """Follow (predecessor, successor) links from `start_ids`: every organisation
    they succeeded (backwards) or that succeeded them, the starts excluded."""
    step: dict[int, set[int]] = {}
    for predecessor, successor in links:
        near, far = (successor, predecessor) if backwards else (predecessor, successor)
        step.setdefault(near, set()).add(far)
    starts = set(start_ids)
    found: set[int] = set()
    frontier = set(starts)
    while frontier:
        frontier = {n for f in frontier for n in step.get(f, ())} - found - starts
        found |= frontier
    return found


# The returns app fills this hook: for a dissolved ICB that split, which of its
# successors completes its outstanding returns. A provider takes the
# predecessor's id and returns the responsible successor's id, or None while
# the national admin has not yet named one.
SplitResponsibility = Callable[[int], "int | None"]
_split_responsibility: list[SplitResponsibility] = []


def split_responsibility_register(provider: SplitResponsibility) -> None:
    if provider not in _split_responsibility:
        _split_responsibility.append(provider)


def split_responsible_successor(predecessor_id: int) -> int | None:
    for provider in _split_responsibility:
        successor_id = provider(predecessor_id)
        if successor_id is not None:
            return successor_id
    return None


@dataclass(frozen=True)
class Scope:
    """What one user may see and change, worked out once per request."""

    user_id: int | None = None
    memberships: tuple = ()
    is_system: bool = False
    links: tuple[tuple[int, int], ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)

    # --- Who they are -------------------------------------------------------------

    @property
    def is_national(self) -> bool:
        return bool(self.roles & NATIONAL_ROLES)

    @property
    def sees_everything(self) -> bool:
        return self.is_system or self.is_national

    @property
    def region_ids(self) -> frozenset[int]:
        return frozenset(m.organisation_id for m in self.memberships if m.role in REGIONAL_ROLES)

    @property
    def icb_ids(self) -> frozenset[int]:
        """The ICBs the user holds a role in, and every ICB those succeeded."""
        own = {m.organisation_id for m in self.memberships if m.role in ICB_ROLES}
        return frozenset(own | succession_closure(self.links, own, backwards=True))

    def write_icb_ids(self, on: datetime.date | None = None) -> frozenset[int]:
        """The ICBs where the user is an editor or approver and which exist on `on`."""
        day = on or today()
        return frozenset(
            m.organisation_id
            for m in self.memberships
            if m.role in ICB_WRITE_ROLES and m.organisation.existed_on(day)
        )

    def return_icb_ids(self, on: datetime.date | None = None) -> frozenset[int]:
        """The ICBs whose returns the user may draft: their own, and each dissolved
        ICB their own succeeded — where it had several successors (a split), only
        if the national admin named theirs (`split_responsibility_register`)."""
        own = self.write_icb_ids(on)
        successors_of: dict[int, set[int]] = {}
        for predecessor, successor in self.links:
            successors_of.setdefault(predecessor, set()).add(successor)
        taken = set(own)
        for predecessor in succession_closure(self.links, own, backwards=True):
            successors = successors_of.get(predecessor, set())
            if len(successors) == 1 or split_responsible_successor(predecessor) in own:
                taken.add(predecessor)
        return frozenset(taken)

    # --- What they may read and change, as subqueries of organisation ids ---------

    def visible_ids(self) -> QuerySet:
        """A subquery of the ids of every organisation the user may read."""
        Organisation = apps.get_model("organisations", "Organisation")
        Commissioning = apps.get_model("organisations", "Commissioning")
        if self.sees_everything:
            return Organisation.objects.values("pk")
        region_ids, icb_ids = self.region_ids, self.icb_ids
        if not region_ids and not icb_ids:
            return Organisation.objects.none().values("pk")
        icb_q = Q(pk__in=icb_ids) | Q(kind=OrganisationKind.ICB, parent__in=region_ids)
        icbs_seen = Organisation.objects.filter(icb_q).values("pk")
        seen = (
            Q(pk__in=region_ids)
            | icb_q
            | Q(kind=OrganisationKind.PLACE, parent__in=icbs_seen)
            | Q(
                kind=OrganisationKind.PROVIDER,
                pk__in=Commissioning.objects.filter(icb__in=icbs_seen).values("provider"),
            )
        )
        return Organisation.objects.filter(seen).values("pk")

    def changeable_ids(self, on: datetime.date | None = None) -> QuerySet:
        """A subquery of the ids of organisations whose register the user may
        change: current ICBs where they edit or approve, and the providers
        those ICBs lead."""
        Organisation = apps.get_model("organisations", "Organisation")
        Commissioning = apps.get_model("organisations", "Commissioning")
        icb_ids = self.write_icb_ids(on)
        if not icb_ids:
            return Organisation.objects.none().values("pk")
        led = Commissioning.objects.filter(icb__in=icb_ids, is_lead=True).values("provider")
        return Organisation.objects.filter(Q(pk__in=icb_ids) | Q(pk__in=led)).values("pk")


_NOBODY = Scope()


def scope_of(user) -> Scope:
    """The user's scope, computed on first use and kept on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOBODY
    cached = user.__dict__.get(_CACHE_ATTRIBUTE)
    if cached is not None:
        return cached
    if user.email == SYSTEM_ACTOR_EMAIL:
        scope = Scope(user_id=user.pk, is_system=True)
    else:
        Membership = apps.get_model("organisations", "Membership")
        Succession = apps.get_model("organisations", "Succession")
        memberships = tuple(Membership.objects.filter(user=user).select_related("organisation"))
        links: tuple = ()
        if any(m.role in ICB_ROLES for m in memberships):
            links = tuple(Succession.objects.values_list("predecessor_id", "successor_id"))
        scope = Scope(
            user_id=user.pk,
            memberships=memberships,
            links=links,
            roles=frozenset(m.role for m in memberships),
        )
    user.__dict__[_CACHE_ATTRIBUTE] = scope
    return scope


def scope_forget(user) -> None:
    """Drop a cached scope after the user's memberships changed."""
    if user is not None:
        user.__dict__.pop(_CACHE_ATTRIBUTE, None)


def memberships_of(user) -> list:
    return list(scope_of(user).memberships)


class ScopedQuerySet(models.QuerySet):
    """A queryset that narrows itself to what a user may read or change.

    A model opts in by using (a subclass of) this queryset and naming the field
    path from itself to the organisation whose data it is, in `scope_path`
    ("pk" for the organisation itself, "organisation" for a post,
    "post__organisation" for a holder)."""

    def _scope_path(self) -> str:
        path = getattr(self.model, "scope_path", None)
        if not path:
            raise TypeError(f"{self.model.__name__} needs a scope_path to be scoped.")
        return path

    def visible_to(self, user) -> ScopedQuerySet:
        scope = scope_of(user)
        if scope.sees_everything:
            return self.all()
        if getattr(self.model, "scope_path_is_icb", False) and not scope.region_ids:
            # Data whose organisation is always an ICB (a return), read by an
            # ICB's team: of every organisation they may read, only their ICBs
            # can match, and those are known: a list, not the subquery.
            return self.filter(**{f"{self._scope_path()}__in": sorted(scope.icb_ids)})
        return self.filter(**{f"{self._scope_path()}__in": scope.visible_ids()})

    def changeable_by(self, user, *, on: datetime.date | None = None) -> ScopedQuerySet:
        return self.filter(**{f"{self._scope_path()}__in": scope_of(user).changeable_ids(on)})
