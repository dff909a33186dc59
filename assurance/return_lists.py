"""Lists of returns: a region's for one period (every expected ICB, with or
without a return), England's grouped by region, and one ICB's across the
periods. Each row says where the return stands, whether it was late, when it
was last submitted and accepted, and which version is current.

Where the list's figures come from: the region totals are
`assurance.completeness.period_completeness` (the one selector for them), so
a list and its totals count the same way. A row's state:

- missing: no return, and the due date has passed;
- not started: no return yet, and it is not yet due;
- draft: started, never submitted;
- submitted (awaiting the regional review), under review, accepted, or
  returned for changes (a draft again, until resubmitted): the return's status.

`late` is the return's mark (its first submission came after the due date);
`overdue` marks a return not submitted once the due date has passed. A
dissolved ICB's outstanding return stays in its own region under its own
code, with the successor that completes it named.

Each list is read in a fixed number of queries, whatever the number of ICBs
or returns, and starts from the user's scope.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import CharField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Cast

from assurance.completeness import Completeness, period_completeness
from assurance.exports import Table, Typed
from assurance.models import QuarterlyReturn, ReportingPeriod, ReturnStatus, Submission
from assurance.selectors import expected_icbs
from organisations.models import AuditAction, AuditEvent, Organisation, Succession
from saaf import dates


class ReturnState(models.TextChoices):
    MISSING = "missing", "Missing"
    NOT_STARTED = "not_started", "Not started"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned for changes"


_STATE_OF_STATUS = {
    ReturnStatus.SUBMITTED: ReturnState.SUBMITTED,
    ReturnStatus.UNDER_REVIEW: ReturnState.UNDER_REVIEW,
    ReturnStatus.ACCEPTED: ReturnState.ACCEPTED,
    ReturnStatus.RETURNED: ReturnState.RETURNED,
}


@dataclass(frozen=True)
class ReturnRow:
    """One expected return in a list: the ICB and period it belongs to, and
    where it stands on `today`."""

    icb: Organisation
    period: ReportingPeriod
    state: ReturnState
    today: datetime.date
    late: bool = False
    version: int | None = None
    first_submitted_at: datetime.datetime | None = None
    submitted_at: datetime.datetime | None = None
    accepted_at: datetime.datetime | None = None
    returned_on: datetime.date | None = None
    completed_by: Organisation | None = None

    @property
    def submitted(self) -> bool:
        return self.version is not None

    @property
    def overdue(self) -> bool:
        """Not submitted, and the due date has passed."""
        return not self.submitted and self.today > self.period.due_on

    @property
    def submitted_on(self) -> datetime.date | None:
        """The day (Europe/London) of the latest submission."""
        return dates.today(self.submitted_at) if self.submitted_at else None

    @property
    def accepted_on(self) -> datetime.date | None:
        return dates.today(self.accepted_at) if self.accepted_at else None

    @property
    def days_since_submission(self) -> int | None:
        """Days since the latest version was submitted (how long it has waited
        for the region, while it is submitted or under review)."""
        submitted_on = self.submitted_on
        return (self.today - submitted_on).days if submitted_on else None

    @property
    def timeliness(self) -> str:
        if self.late:
            return "Late"
        if self.submitted:
            return "On time"
        return "Overdue" if self.overdue else ""


def _accepted_at():
    """When the region last accepted the return (its audit event): a subquery."""
    # The content type by name, in the same SQL: no lookup of its own.
    return (
        AuditEvent.objects.filter(
            target_type__app_label=QuarterlyReturn._meta.app_label,
            target_type__model=QuarterlyReturn._meta.model_name,
            target_id=Cast(OuterRef("pk"), CharField()),
            action=AuditAction.RETURN_ACCEPTED,
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def _returns(queryset):
    """Returns with their submission figures, each read in the same query."""
    first_late = Submission.objects.filter(quarterly_return=OuterRef("pk"), version=1).values(
        "late"
    )[:1]
    return queryset.select_related("completed_by").annotate(
        version=Max("submissions__version"),
        first_submitted_at=Min("submissions__submitted_at"),
        submitted_at=Max("submissions__submitted_at"),
        first_late=Subquery(first_late),
        accepted_at=Subquery(_accepted_at()),
    )


def _row(
    icb: Organisation,
    period: ReportingPeriod,
    ret: QuarterlyReturn | None,
    today: datetime.date,
) -> ReturnRow:
    if ret is None:
        state = ReturnState.MISSING if today > period.due_on else ReturnState.NOT_STARTED
        return ReturnRow(icb, period, state, today)
    state = _STATE_OF_STATUS.get(ret.status, ReturnState.DRAFT)
    return ReturnRow(
        icb,
        period,
        state,
        today,
        late=bool(ret.first_late),
        version=ret.version,
        first_submitted_at=ret.first_submitted_at,
        submitted_at=ret.submitted_at,
        accepted_at=ret.accepted_at if ret.status == ReturnStatus.ACCEPTED else None,
        returned_on=ret.returned_on if ret.status == ReturnStatus.RETURNED else None,
        completed_by=ret.completed_by,
    )


def period_return_rows(
    *, user, period: ReportingPeriod, region: Organisation | None = None, today=None
) -> list[ReturnRow]:
    """Every ICB expected to return for `period` that `user` may read (in
    `region`, if given), by region then name, with its return's state: two
    queries."""
    today = today or dates.today()
    icbs = expected_icbs(period).visible_to(user).order_by("parent__name", "name")
    if region is not None:
        icbs = icbs.filter(parent=region)
    icbs = list(icbs)
    found = {
        ret.icb_id: ret
        for ret in _returns(
            QuarterlyReturn.objects.filter(period=period, icb__in=[icb.pk for icb in icbs])
        )
    }
    return [_row(icb, period, found.get(icb.pk), today) for icb in icbs]


def latest_period(today=None) -> ReportingPeriod | None:
    """The period the lists open on: the latest whose quarter has ended (its
    returns are being submitted or reviewed), else the latest that has opened."""
    today = today or dates.today()
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today).order_by("-financial_year", "-quarter")
    )
    return next((p for p in periods if p.ends_on < today), periods[0] if periods else None)


@dataclass(frozen=True)
class RegionReturns:
    """A region's returns for a period, with its totals."""

    totals: Completeness
    rows: list[ReturnRow]


def national_return_rows(*, user, period: ReportingPeriod, today=None):
    """England's returns for `period` grouped by region, each with its totals,
    and England's totals: three queries."""
    rows = period_return_rows(user=user, period=period, today=today)
    totals = period_completeness(period)
    by_region: dict[str, list[ReturnRow]] = {}
    for row in rows:
        by_region.setdefault(row.icb.parent.code, []).append(row)
    regions = [
        RegionReturns(total, by_region.get(total.region_code, []))
        for total in totals
        if not total.is_england
    ]
    return regions, totals[-1]


def region_totals(period: ReportingPeriod, region: Organisation) -> Completeness:
    """The region's figures for `period` from the one selector."""
    return next(
        (row for row in period_completeness(period) if row.region_code == region.code),
        Completeness(region.code, region.name, 0, 0, 0, 0),
    )


@dataclass(frozen=True)
class IcbReturns:
    """An ICB's returns across the periods, and those it completes for the
    ICBs it succeeded."""

    rows: list[ReturnRow]
    completed_for: list[ReturnRow]
    predecessors: list[Organisation]


def icb_return_rows(*, icb: Organisation, today=None) -> IcbReturns:
    """Each period that has opened and for which `icb` owes a return (it
    existed on the quarter's last day), newest first; and the outstanding
    returns of the ICBs it succeeded that its team completes (one successor,
    or named for a split). The caller has checked that the user may read
    `icb`; its predecessors' history is readable by the same rule. Four
    queries."""
    today = today or dates.today()
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today)
        .select_related("toolkit_version")
        .order_by("-financial_year", "-quarter")
    )
    links = list(Succession.objects.filter(successor=icb).select_related("predecessor__parent"))
    predecessors = sorted({link.predecessor for link in links}, key=lambda o: o.name)
    sole_successor = set(
        Succession.objects.filter(predecessor__in=predecessors)
        .values("predecessor")
        .annotate(n=models.Count("successor"))
        .filter(n=1)
        .values_list("predecessor", flat=True)
    )
    own: dict[int, QuarterlyReturn] = {}
    theirs: dict[tuple[int, int], QuarterlyReturn] = {}
    for ret in _returns(
        QuarterlyReturn.objects.filter(
            models.Q(icb=icb) | models.Q(icb__in=predecessors), period__in=periods
        )
    ):
        if ret.icb_id == icb.pk:
            own[ret.period_id] = ret
        else:
            theirs[ret.icb_id, ret.period_id] = ret
    rows = [
        _row(icb, period, own.get(period.pk), today)
        for period in periods
        if icb.existed_on(period.ends_on)
    ]
    completed_for = []
    for predecessor in predecessors:
        for period in periods:
            # Outstanding when it dissolved: the quarter ended, the return had not closed.
            outstanding = (
                predecessor.closed is not None
                and period.ends_on <= predecessor.closed < period.closes_on
                and predecessor.existed_on(period.ends_on)
            )
            ret = theirs.get((predecessor.pk, period.pk))
            ours = (ret is not None and ret.completed_by_id == icb.pk) or (
                ret is None and predecessor.pk in sole_successor
            )
            if outstanding and ours:
                completed_for.append(_row(predecessor, period, ret, today))
    return IcbReturns(rows, completed_for, predecessors)


# --- Exports ------------------------------------------------------------------------

LIST_HEADER = [
    "Region",
    "ODS code",
    "ICB",
    "State",
    "Timeliness",
    "Version",
    "Last submitted",
    "Days since submission",
    "Accepted",
    "Completed by",
]
LIST_WIDTHS = [26, 10, 50, 22, 12, 9, 18, 12, 18, 40]


def _day(day: datetime.date | None) -> Typed | None:
    return Typed(dates.nhs_date(day), day) if day else None


def list_table(title: str, rows: list[ReturnRow]) -> Table:
    """A list of returns as a table for CSV and .xlsx (the shared escaping)."""
    return Table(
        title,
        LIST_HEADER,
        [
            [
                row.icb.parent.name if row.icb.parent_id else "",
                row.icb.code,
                row.icb.name,
                row.state.label,
                row.timeliness,
                row.version,
                _day(row.submitted_on),
                row.days_since_submission,
                _day(row.accepted_on),
                row.completed_by.name if row.completed_by else "",
            ]
            for row in rows
        ],
        widths=LIST_WIDTHS,
    )
