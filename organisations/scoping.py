"""The one scoping mechanism: which organisations a user may see and change.

Every list, page, export, API endpoint and report starts from these sets,
usually through `Organisation.objects.visible_to(user)` or `restrict()` below.
An object outside them is answered as missing (404), never as forbidden.

- National roles (NSSG member, national admin) see every organisation.
- Regional roles see their region, its ICBs past and present, the places
  under those ICBs and the providers those ICBs commission.
- ICB roles see their ICB and, read-only, every ICB it succeeded (a split
  predecessor's history is visible to each of its successors), with the
  places under them and the providers they commission.
- Only ICB editors and approvers change anything here: their own ICB while it
  exists and the providers it leads as lead commissioner.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from organisations.models import (
    ICB_ROLES,
    ICB_WRITE_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    Commissioning,
    Membership,
    Organisation,
    OrganisationKind,
    _walk_successions,
)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def memberships_of(user) -> list[Membership]:
    if not _active(user):
        return []
    return list(Membership.objects.filter(user=user).select_related("organisation"))


def visible_organisation_ids(user) -> QuerySet:
    """A subquery of the ids of every organisation `user` may read."""
    memberships = memberships_of(user)
    if any(m.role in NATIONAL_ROLES for m in memberships):
        return Organisation.objects.values("pk")

    region_ids = {m.organisation_id for m in memberships if m.role in REGIONAL_ROLES}
    icb_ids = {m.organisation_id for m in memberships if m.role in ICB_ROLES}
    for icb_id in list(icb_ids):
        icb_ids |= _walk_successions(icb_id, backwards=True)

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


def changeable_organisation_ids(user, *, on: datetime.date | None = None) -> QuerySet:
    """A subquery of the ids of organisations whose data `user` may change:
    the current ICBs where they are an editor or approver, and the providers
    those ICBs lead."""
    day = on or datetime.date.today()
    icb_ids = {
        m.organisation_id
        for m in memberships_of(user)
        if m.role in ICB_WRITE_ROLES and m.organisation.existed_on(day)
    }
    if not icb_ids:
        return Organisation.objects.none().values("pk")
    led = Commissioning.objects.filter(icb__in=icb_ids, is_lead=True).values("provider")
    return Organisation.objects.filter(Q(pk__in=icb_ids) | Q(pk__in=led)).values("pk")


def restrict(queryset: QuerySet, user, *, via: str = "organisation") -> QuerySet:
    """Narrow any queryset of records that belong to an organisation (through
    the field path `via`) to those `user` may read."""
    return queryset.filter(**{f"{via}__in": visible_organisation_ids(user)})


def restrict_changeable(queryset: QuerySet, user, *, via: str = "organisation") -> QuerySet:
    """Narrow to the records `user` may change."""
    return queryset.filter(**{f"{via}__in": changeable_organisation_ids(user)})
