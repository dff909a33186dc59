"""Reads for the organisation pages: the home page of each kind of role and
the organisation page. Each starts from what the user may see and fetches
related rows in a fixed number of queries, whatever the size of the region.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from organisations.choices import SYSTEM_ACTOR_EMAIL
from organisations.models import (
    ICB_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    Commissioning,
    Membership,
    Organisation,
    OrganisationKind,
    Succession,
    User,
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
    # Its safeguarding posts (ICBs and providers), each with `holders_now`, and the
    # ICB whose posts register shows them (itself, or a provider's lead commissioner).
    posts: list = field(default_factory=list)
    register_icb: Organisation | None = None
    posts_on: datetime.date | None = None  # today, or a closed organisation's last day


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
    posts_on = datetime.date.today()
    if organisation.closed and organisation.closed < posts_on:
        posts_on = organisation.closed
    posts, register_icb = _posts_of(organisation, commissioning, posts_on)

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
        posts=posts,
        # A provider's lead commissioner may be out of the user's sight: then no link.
        register_icb=register_icb
        if register_icb is None or register_icb.pk in visible_ids | {organisation.pk}
        else None,
        posts_on=posts_on,
    )


def _posts_of(organisation: Organisation, commissioning: list[Commissioning], day):
    """The safeguarding posts of an ICB or provider (kept by the assurance app,
    read here through the reverse relation), with who holds each today."""
    if organisation.kind == OrganisationKind.ICB:
        register_icb = organisation
    elif organisation.kind == OrganisationKind.PROVIDER:
        register_icb = next((c.icb for c in commissioning if c.is_lead), None)
    else:
        return [], None
    posts = list(
        organisation.safeguarding_posts.select_related("post_type")
        .prefetch_related("tenures")
        .order_by("post_type__display_order", "post_type__name")
    )
    for post in posts:
        post.holders_now = [t for t in post.tenures.all() if t.is_current_on(day)]
    return posts, register_icb


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


# --- Users (the national admin's pages) --------------------------------------------


@dataclass
class UserRow:
    user: User
    memberships: list[Membership]
    has_mfa: bool


def user_list(*, search: str = "", limit: int = 200) -> tuple[list[UserRow], int]:
    """People who can sign in, matching `search` in their name, e-mail or an
    organisation's name or code, with their roles and whether they use MFA:
    three queries whatever the number of users. Returns the rows (at most
    `limit`) and how many matched."""
    from allauth.mfa.models import Authenticator

    users = User.objects.exclude(email=SYSTEM_ACTOR_EMAIL)
    search = search.strip()
    if search:
        users = users.filter(
            Q(full_name__icontains=search)
            | Q(email__icontains=search)
            | Q(memberships__organisation__name__icontains=search)
            | Q(memberships__organisation__code__iexact=search)
        ).distinct()
    total = users.count()
    page = list(
        users.order_by("full_name", "email").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation").order_by(
                    "organisation__name", "role"
                ),
            )
        )[:limit]
    )
    with_mfa = set(
        Authenticator.objects.filter(
            user__in=[u.pk for u in page], type=Authenticator.Type.TOTP
        ).values_list("user_id", flat=True)
    )
    rows = [
        UserRow(user=u, memberships=list(u.memberships.all()), has_mfa=u.pk in with_mfa)
        for u in page
    ]
    return rows, total


@dataclass
class UserDetail:
    user: User
    memberships: list[Membership]
    authenticator_types: list[str]
    recent_events: list


def user_detail(*, pk: int | str) -> UserDetail:
    from allauth.mfa.models import Authenticator

    from organisations.models import AuditEvent

    user = (
        User.objects.exclude(email=SYSTEM_ACTOR_EMAIL).filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if user is None:
        raise Http404("No such user.")
    return UserDetail(
        user=user,
        memberships=list(
            user.memberships.select_related("organisation").order_by("organisation__name", "role")
        ),
        authenticator_types=sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
        recent_events=[
            (_when(event.occurred_at), event)
            for event in AuditEvent.objects.for_object(user)
            .select_related("actor")
            .order_by("-occurred_at")[:20]
        ],
    )


def _when(instant: datetime.datetime) -> str:
    """An instant as people in England read it: 27 November 2026, 14:05."""
    local = timezone.localtime(instant)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"
