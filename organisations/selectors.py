"""Reads for the organisation pages: the home page of each kind of role and
the organisation page. Each starts from what the user may see and fetches
related rows in a fixed number of queries, whatever the size of the region.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404

from organisations.models import (
    ICB_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    Commissioning,
    Membership,
    Organisation,
    OrganisationKind,
    Succession,
)
from organisations.scoping import memberships_of
from saaf.dates import today

# --- Home page -----------------------------------------------------------------


@dataclass
class HomeSection:
    """What one of the user's organisations shows on their home page."""

    kind: str  # "icb", "region" or "national"
    organisation: Organisation
    roles: list[str]
    members: list[Membership] = field(default_factory=list)
    providers_led: list[Commissioning] = field(default_factory=list)
    predecessors: list[Succession] = field(default_factory=list)
    icbs: list[Organisation] = field(default_factory=list)
    regions: list[Organisation] = field(default_factory=list)


def _section_kind(role: str) -> str:
    if role in ICB_ROLES:
        return "icb"
    if role in REGIONAL_ROLES:
        return "region"
    if role in NATIONAL_ROLES:
        return "national"
    raise ValueError(f"Unknown role {role!r}")


def home_sections(*, user) -> list[HomeSection]:
    """One section per organisation the user holds a role in (several roles in
    one organisation share a section), national first, then regions, then ICBs."""
    sections: dict[int, HomeSection] = {}
    for membership in memberships_of(user):
        section = sections.get(membership.organisation_id)
        if section is None:
            section = sections[membership.organisation_id] = HomeSection(
                kind=_section_kind(membership.role),
                organisation=membership.organisation,
                roles=[],
            )
        section.roles.append(membership.get_role_display())

    for section in sections.values():
        if section.kind == "icb":
            _fill_icb_section(section)
        elif section.kind == "region":
            section.icbs = region_icbs(region=section.organisation)
        else:
            section.regions = regions_with_counts()
    order = {"national": 0, "region": 1, "icb": 2}
    return sorted(sections.values(), key=lambda s: (order[s.kind], s.organisation.name))


def _fill_icb_section(section: HomeSection) -> None:
    icb = Organisation.objects.select_related("parent").get(pk=section.organisation.pk)
    section.organisation = icb
    section.members = organisation_members(organisation=icb)
    section.providers_led = list(
        Commissioning.objects.filter(icb=icb, is_lead=True).select_related("provider")
    )
    section.predecessors = list(
        Succession.objects.filter(successor=icb).select_related("predecessor")
    )


def organisation_members(*, organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__full_name", "user__email", "role")
    )


def region_icbs(*, region: Organisation) -> list[Organisation]:
    """The region's ICBs, current and past: open ones first, then by name."""
    return sorted(
        Organisation.objects.icbs().filter(parent=region),
        key=lambda icb: (not icb.is_current, icb.name),
    )


def regions_with_counts(*, on: datetime.date | None = None) -> list[Organisation]:
    """Every region with `icbs_current`, `icbs_total` and `providers` counted
    in one query (providers: those commissioned by the region's ICBs)."""
    day = on or today()
    is_icb = Q(children__kind=OrganisationKind.ICB)
    existing = (Q(children__established__isnull=True) | Q(children__established__lte=day)) & (
        Q(children__closed__isnull=True) | Q(children__closed__gte=day)
    )
    return list(
        Organisation.objects.regions()
        .annotate(
            icbs_current=Count("children", filter=is_icb & existing, distinct=True),
            icbs_total=Count("children", filter=is_icb, distinct=True),
            providers=Count("children__commissioned__provider", filter=is_icb, distinct=True),
        )
        .order_by("name")
    )


# --- Organisation page -----------------------------------------------------------


@dataclass
class OrganisationDetail:
    organisation: Organisation
    predecessors: list[Succession]
    successors: list[Succession]
    # Providers it commissions (ICB) or ICBs commissioning it (provider).
    commissioning: list[Commissioning]
    members: list[Membership]
    icbs: list[Organisation]
    # Ids of the linked organisations the user may open (others are shown unlinked).
    visible_ids: set[int]


def organisation_detail(*, user, code: str) -> OrganisationDetail:
    """The organisation page's data; 404 if `user` may not read the organisation."""
    organisation = (
        Organisation.objects.visible_to(user)
        .select_related("parent__parent")
        .filter(code=code)
        .first()
    )
    if organisation is None:
        raise Http404("No such organisation.")

    predecessors = list(
        Succession.objects.filter(successor=organisation).select_related("predecessor")
    )
    successors = list(
        Succession.objects.filter(predecessor=organisation).select_related("successor")
    )
    commissioning: list[Commissioning] = []
    members: list[Membership] = []
    icbs: list[Organisation] = []
    if organisation.kind == OrganisationKind.ICB:
        commissioning = list(
            Commissioning.objects.filter(icb=organisation)
            .select_related("provider")
            .order_by("-is_lead", "provider__name")
        )
        members = organisation_members(organisation=organisation)
    elif organisation.kind == OrganisationKind.PROVIDER:
        commissioning = list(
            Commissioning.objects.filter(provider=organisation)
            .select_related("icb")
            .order_by("-is_lead", "icb__name")
        )
    elif organisation.kind == OrganisationKind.REGION:
        icbs = region_icbs(region=organisation)

    linked = (
        {s.predecessor_id for s in predecessors}
        | {s.successor_id for s in successors}
        | {c.provider_id for c in commissioning}
        | {c.icb_id for c in commissioning}
        | {icb.pk for icb in icbs}
    )
    visible_ids = (
        set(
            Organisation.objects.visible_to(user).filter(pk__in=linked).values_list("pk", flat=True)
        )
        if linked
        else set()
    )
    return OrganisationDetail(
        organisation=organisation,
        predecessors=predecessors,
        successors=successors,
        commissioning=commissioning,
        members=members,
        icbs=icbs,
        visible_ids=visible_ids,
    )


# --- History -----------------------------------------------------------------------


def audit_history(*, user, obj, limit: int = 200) -> list:
    """The audit events of `obj` and of everything recorded under it (its
    holders, standards, answers), newest first, as far as `user` may read
    them: one query, whatever the object."""
    from organisations.models import AuditEvent

    return list(
        AuditEvent.objects.visible_to(user)
        .for_object(obj)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
