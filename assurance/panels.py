"""What assurance puts on each role's home page (through the registry in
`organisations.panels`, filled in `AssuranceConfig.ready()`, so that
organisations never imports assurance):

- the reporting periods to act on: the next due and the one after, with
  their due dates and the days left;
- the posts register's findings for the user's scope (their ICB, their
  region's ICBs, or England), with a link to the register.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from assurance.findings import icb_registers
from assurance.models import ReportingPeriod
from assurance.permissions import can_manage_toolkit
from assurance.selectors import PeriodState, period_state
from organisations.models import ICB_ROLES, NATIONAL_ROLES, REGIONAL_ROLES, Organisation
from organisations.panels import HomePanel, home_panel_register
from organisations.permissions import has_role
from organisations.scoping import memberships_of
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
    them together in a fixed number of queries."""
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
    icbs = Organisation.objects.visible_to(user).icbs().filter(chosen).select_related("parent")
    rollups = icb_registers(icbs.order_by("name"), on=on)

    def total(selected) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rollup in selected:
            for key, value in rollup.counts().items():
                counts[key] = counts.get(key, 0) + value
        return counts

    scopes = []
    for organisation, kind in wanted:
        if kind == "national":
            selected = [r for r in rollups if r.icb.existed_on(on)]
        elif kind == "region":
            selected = [
                r for r in rollups if r.icb.parent_id == organisation.pk and r.icb.existed_on(on)
            ]
        else:
            selected = [r for r in rollups if r.icb.pk == organisation.pk]
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


def panels_register() -> None:
    home_panel_register("periods", periods_panel, order=10)
    home_panel_register("register", register_panel, order=20)
