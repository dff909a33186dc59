"""What assurance puts on each role's home page (through the registry in
`organisations.panels`, filled in `AssuranceConfig.ready()`, so that
organisations never imports assurance):

- for ICB teams, each open period's return: status, progress ("12 of 17
  sections complete"), due date and days left, with a link to start or open it;
- the reporting periods to act on: the next due and the one after, with
  their due dates and the days left;
- the posts register's findings for the user's scope (their ICB, their
  region's ICBs, or England), with a link to the register;
- links to the lists of returns of the user's scope (`return_list_links`);
- first, the heatmaps of the user's scope (`heatmap_links`): a regional
  lead's main page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from assurance.completeness import icb_record
from assurance.heatmap import heatmap_period
from assurance.models import QuarterlyReturn, ReportingPeriod
from assurance.permissions import can_manage_toolkit
from assurance.register_counts import icb_counts_kept
from assurance.return_lists import latest_period
from assurance.return_progress import return_progress
from assurance.selectors import PeriodState, period_state
from organisations.models import ICB_ROLES, NATIONAL_ROLES, REGIONAL_ROLES, Organisation
from organisations.panels import HomePanel, home_panel_register, organisation_panel_register
from organisations.permissions import has_role
from organisations.scoping import memberships_of, scope_of
from saaf import dates

PERIODS_SHOWN = 2


@dataclass(frozen=True)
class PeriodDue:
    period: ReportingPeriod
    state: PeriodState
    days_left: int  # to the due date; negative once overdue

    @property
    def days_text(self) -> str:
        days = self.days_left
        if days > 1:
            return f"{days} days left"
        if days == 1:
            return "1 day left"
        if days == 0:
            return "Due today"
        return f"{-days} day{'s' if days < -1 else ''} overdue"


def periods_due(*, today: datetime.date | None = None) -> list[PeriodDue]:
    """The periods still open for returns or to come, soonest due first: one query."""
    today = today or dates.today()
    periods = (
        ReportingPeriod.objects.filter(closes_on__gte=today)
        .select_related("toolkit_version")
        .order_by("due_on")[:PERIODS_SHOWN]
    )
    return [PeriodDue(p, period_state(p, today=today), (p.due_on - today).days) for p in periods]


@dataclass(frozen=True)
class ListLink:
    text: str
    href: str


def return_list_links(user, *, today: datetime.date | None = None) -> list[ListLink]:
    """The lists of returns the user reads: their ICB's across the periods;
    their region's, or England's, for the latest period whose quarter has
    ended (one query for it)."""
    links: list[ListLink] = []
    period = None
    for membership in memberships_of(user):
        org = membership.organisation
        if membership.role in ICB_ROLES:
            links.append(
                ListLink(f"{org.name}'s returns", reverse("assurance:icb_returns", args=[org.code]))
            )
            continue
        period = period or latest_period(today)
        if period is None:
            continue
        args = [period.financial_year, period.quarter]
        if membership.role in NATIONAL_ROLES:
            links.append(
                ListLink(
                    f"Returns for {period.label}: England",
                    reverse("assurance:period_returns", args=args),
                )
            )
        elif membership.role in REGIONAL_ROLES:
            links.append(
                ListLink(
                    f"Returns for {period.label}: {org.name}",
                    reverse("assurance:region_returns", args=[*args, org.code]),
                )
            )
    return list(dict.fromkeys(links))


def periods_panel(user) -> HomePanel | None:
    if not has_role(user):
        return None
    return HomePanel(
        name="periods",
        title="Reporting periods",
        template="assurance/panels/periods.jinja",
        context={
            "periods": periods_due(),
            "today": dates.today(),
            "manages_toolkit": can_manage_toolkit(user),
            "list_links": return_list_links(user),
        },
    )


@dataclass(frozen=True)
class RegisterScope:
    """The register findings of one of the user's organisations."""

    organisation: Organisation
    kind: str  # "icb", "region" or "national"
    icb_count: int
    counts: dict[str, int]

    @property
    def findings(self) -> int:
        return sum(
            self.counts.get(key, 0)
            for key in ("missing", "vacant", "supervision_overdue", "below_level")
        )


def register_scopes(*, user, on: datetime.date | None = None) -> list[RegisterScope]:
    """Findings per organisation the user holds a role in, computed for all of
    them together in a fixed number of queries: counted in the database
    (`assurance.register_counts`, as the overviews count them), since a
    national admin's home page would otherwise build every post and holder
    in England as objects (half a second at scale 1)."""
    on = on or dates.today()
    wanted: list[tuple[Organisation, str]] = []
    seen = set()
    for membership in memberships_of(user):
        if membership.organisation_id in seen:
            continue
        seen.add(membership.organisation_id)
        if membership.role in NATIONAL_ROLES:
            wanted.append((membership.organisation, "national"))
        elif membership.role in REGIONAL_ROLES:
            wanted.append((membership.organisation, "region"))
        elif membership.role in ICB_ROLES:
            wanted.append((membership.organisation, "icb"))
    if not wanted:
        return []
    region_ids = [org.pk for org, kind in wanted if kind == "region"]
    icb_ids = [org.pk for org, kind in wanted if kind == "icb"]
    current = Q(established__isnull=True) | Q(established__lte=on)
    current &= Q(closed__isnull=True) | Q(closed__gte=on)
    chosen = Q(pk__in=icb_ids) | (Q(parent__in=region_ids) & current)
    if any(kind == "national" for _, kind in wanted):
        chosen |= current
    icbs = list(Organisation.objects.visible_to(user).icbs().filter(chosen).order_by("name"))
    counts = icb_counts_kept(icbs, on=on)

    def total(selected) -> dict[str, int]:
        summed: dict[str, int] = {}
        for icb in selected:
            for key, value in counts.get(icb.pk, {}).items():
                summed[key] = summed.get(key, 0) + value
        return summed

    scopes = []
    for organisation, kind in wanted:
        if kind == "national":
            selected = [icb for icb in icbs if icb.existed_on(on)]
        elif kind == "region":
            selected = [
                icb for icb in icbs if icb.parent_id == organisation.pk and icb.existed_on(on)
            ]
        else:
            selected = [icb for icb in icbs if icb.pk == organisation.pk]
        scopes.append(RegisterScope(organisation, kind, len(selected), total(selected)))
    return scopes


def register_panel(user) -> HomePanel | None:
    scopes = register_scopes(user=user)
    if not scopes:
        return None
    return HomePanel(
        name="register",
        title="Posts register",
        template="assurance/panels/register.jinja",
        context={"scopes": scopes},
    )


@dataclass(frozen=True)
class ReturnDue:
    """One return an ICB team owes: its ICB, period, where it stands."""

    icb: Organisation
    period: ReportingPeriod
    quarterly_return: QuarterlyReturn | None
    progress: str
    days_left: int

    @property
    def status(self) -> str:
        if self.quarterly_return is None:
            return "Not started"
        return self.quarterly_return.get_status_display()

    @property
    def days_text(self) -> str:
        return PeriodDue(self.period, PeriodState.OPEN, self.days_left).days_text


def returns_due(*, user, today: datetime.date | None = None) -> list[ReturnDue]:
    """The returns of each open period for the ICBs whose returns the user
    drafts or reads (their own, and dissolved ICBs their team completes):
    a few queries, plus the task list's for each return started."""
    today = today or dates.today()
    scope = scope_of(user)
    icb_ids = set(scope.return_icb_ids(today)) | {
        m.organisation_id for m in scope.memberships if m.role in ICB_ROLES
    }
    if not icb_ids:
        return []
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today, closes_on__gte=today)
        .select_related("toolkit_version")
        .order_by("due_on")
    )
    icbs = list(Organisation.objects.filter(pk__in=icb_ids).order_by("name"))
    started = {
        (r.icb_id, r.period_id): r
        for r in QuarterlyReturn.objects.filter(
            icb_id__in=icb_ids, period__in=periods
        ).select_related("icb", "period__toolkit_version", "completed_by")
    }
    rows = []
    for period in periods:
        for icb in icbs:
            if not icb.existed_on(period.ends_on):
                continue
            found = started.get((icb.pk, period.pk))
            progress = return_progress(found).summary if found else "Not started"
            rows.append(ReturnDue(icb, period, found, progress, (period.due_on - today).days))
    return rows


def returns_panel(user) -> HomePanel | None:
    rows = returns_due(user=user)
    if not rows:
        return None
    return HomePanel(
        name="returns",
        title="Quarterly returns",
        template="assurance/panels/returns.jinja",
        context={"rows": rows},
    )


def heatmap_links(user, *, today: datetime.date | None = None) -> list[ListLink]:
    """The heatmaps a region's or the national team reads first: their
    region's, or England's, for the latest quarter that has ended with
    submitted returns (`heatmap_period`), and its
    theme heatmap (ICB teams reach their own quarters from the navigation;
    their home page starts with their returns). One query for the period."""
    links: list[ListLink] = []
    period = None
    for membership in memberships_of(user):
        org = membership.organisation
        if membership.role in ICB_ROLES:
            continue
        period = period or heatmap_period(today)
        if period is None:
            continue
        args = [period.financial_year, period.quarter]
        if membership.role in NATIONAL_ROLES:
            name, href = "England", reverse("assurance:heatmap_national", args=args)
        elif membership.role in REGIONAL_ROLES:
            name = org.name
            href = reverse("assurance:heatmap_region", args=[*args, org.code])
        else:
            continue
        links.append(ListLink(f"Heatmap for {period.label}: {name}", href))
        links.append(
            ListLink(f"Theme heatmap for {period.label}: {period.theme}", href + "?view=theme")
        )
    return list(dict.fromkeys(links))


def heatmap_panel(user) -> HomePanel | None:
    """First on a regional lead's and the national team's home page: where
    their ICBs stand."""
    links = heatmap_links(user)
    if not links:
        return None
    return HomePanel(
        name="heatmap",
        title="Heatmaps",
        template="assurance/panels/heatmap.jinja",
        context={"links": links},
    )


def icb_record_panel(user, organisation) -> HomePanel | None:
    """On an ICB's page: its submissions over the last eight quarters (on
    time, late, missing), predecessors' before it existed marked as theirs
    (`assurance.completeness.icb_record`)."""
    if organisation.kind != "icb":
        return None
    rows = icb_record(user=user, icb=organisation)
    if not rows:
        return None
    return HomePanel(
        name="returns-record",
        title="Quarterly returns: the last eight quarters",
        template="assurance/panels/icb_record.jinja",
        context={"record_rows": rows, "record_icb": organisation},
    )


def panels_register() -> None:
    home_panel_register("heatmap", heatmap_panel, order=1)
    organisation_panel_register("icb_record", icb_record_panel, order=10)
    home_panel_register("returns", returns_panel, order=5)
    home_panel_register("periods", periods_panel, order=10)
    home_panel_register("register", register_panel, order=20)
