"""Completeness and timeliness of a period's returns: how many ICBs were
expected, how many submitted on time, late or not at all, and where the
submitted ones stand in the region's review, per region and for England.

The one selector for these figures: the period page, the region's and the
national lists of returns (`assurance.return_lists`), reports and the API
read it, and the heatmaps, which have read every expected ICB's return
already, count those by the same rules (`completeness_counted`, held equal
to it by a test), so they all count the same way:

- expected: the ICBs that existed on the quarter's last day
  (`assurance.selectors.expected_icbs`). A dissolved ICB's outstanding return
  is still its own (counted in its region under its own code), whichever
  successor completes it (`QuarterlyReturn.completed_by`); its successors are
  not expected for a quarter they did not exist in;
- submitted: the return has at least one submission; on time or late by its
  first submission's mark (`Submission.late`: a resubmission the region asked
  for never makes a return late);
- not submitted: expected and never submitted, split into missing (no return
  at all) and draft (started, never submitted);
- where the submitted ones stand now: awaiting review (submitted), under
  review, returned for changes (a draft again, awaiting resubmission) and
  accepted (the region accepted its latest version). These four add up to
  the submitted.

Counted in SQL, one query whatever the number of ICBs and returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, FilteredRelation, OuterRef, Q, Subquery

from assurance.models import QuarterlyReturn, ReportingPeriod, ReturnStatus, Submission
from organisations.models import Organisation


@dataclass(frozen=True)
class Completeness:
    """One row: a region's figures (`region_code` set) or England's (None).
    Stable: the lists, heatmaps, reports and API read these names."""

    region_code: str | None
    region_name: str
    expected: int
    on_time: int
    late: int
    accepted: int
    missing: int = 0
    draft: int = 0
    awaiting_review: int = 0
    under_review: int = 0
    returned: int = 0

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def not_submitted(self) -> int:
        return self.expected - self.submitted

    @property
    def is_england(self) -> bool:
        return self.region_code is None


_COUNTED = (
    "expected",
    "on_time",
    "late",
    "accepted",
    "missing",
    "draft",
    "awaiting_review",
    "under_review",
    "returned",
)


def period_completeness(
    period: ReportingPeriod, *, region: Organisation | None = None
) -> list[Completeness]:
    """Each region's figures for `period`, by region name, then England's
    total (last row): one query. With `region`, only that region's row
    (zeros if it expected no ICB) and no England row: a region's page need
    not count every other region's ICBs."""
    icbs = Organisation.objects.icbs().existing_on(period.ends_on)
    if region is not None:
        icbs = icbs.filter(parent=region)
    # Joined, not subqueries: an ICB has at most one return for a period and
    # a return one first version, so each ICB stays one row; a subquery would
    # be written out again in every count that reads it.
    submitted = Q(first_submission__isnull=False)
    status = "period_return__status"
    rows = (
        icbs.annotate(
            period_return=FilteredRelation(
                "quarterly_returns", condition=Q(quarterly_returns__period=period)
            ),
            first_submission=FilteredRelation(
                "period_return__submissions",
                condition=Q(period_return__submissions__version=1),
            ),
        )
        .values("parent__code", "parent__name")
        .annotate(
            expected=Count("pk"),
            on_time=Count("pk", filter=Q(first_submission__late=False)),
            late=Count("pk", filter=Q(first_submission__late=True)),
            accepted=Count("pk", filter=Q(**{status: ReturnStatus.ACCEPTED})),
            missing=Count("pk", filter=Q(period_return__isnull=True)),
            draft=Count("pk", filter=Q(period_return__isnull=False) & ~submitted),
            awaiting_review=Count("pk", filter=Q(**{status: ReturnStatus.SUBMITTED})),
            under_review=Count("pk", filter=Q(**{status: ReturnStatus.UNDER_REVIEW})),
            returned=Count("pk", filter=Q(**{status: ReturnStatus.RETURNED}) & submitted),
        )
        .order_by("parent__name")
    )
    regions = [
        Completeness(
            region_code=row["parent__code"],
            region_name=row["parent__name"],
            **{key: row[key] for key in _COUNTED},
        )
        for row in rows
    ]
    return _with_england(regions, region)


def _with_england(regions: list[Completeness], region: Organisation | None) -> list[Completeness]:
    """A region's page's row alone (zeros if it expected no ICB), or every
    region's followed by England's total."""
    if region is not None:
        return regions or [Completeness(region.code, region.name, 0, 0, 0, 0)]
    england = Completeness(
        region_code=None,
        region_name="England",
        **{key: sum(getattr(r, key) for r in regions) for key in _COUNTED},
    )
    return [*regions, england]


# Where a submitted return stands in the review, by its status.
_BY_STATUS = {
    ReturnStatus.SUBMITTED: "awaiting_review",
    ReturnStatus.UNDER_REVIEW: "under_review",
    ReturnStatus.RETURNED: "returned",
    ReturnStatus.ACCEPTED: "accepted",
}


def completeness_counted(
    expected: list[tuple[Organisation, QuarterlyReturn | None]],
    *,
    region: Organisation | None = None,
) -> list[Completeness]:
    """What `period_completeness` answers, counted by the same rules with no
    query from what a page has read already: the expected ICBs (every one of
    them, with their regions) each with its return for the period as
    `assurance.heatmap.returns_with_versions` reads it (`version`,
    `first_late`, `status`), or None. The heatmap's totals; held equal to
    `period_completeness` by tests/assurance/test_completeness.py."""
    counted: dict[int, dict[str, int]] = {}
    regions: dict[int, Organisation] = {}
    for icb, ret in expected:
        counts = counted.setdefault(icb.parent_id, dict.fromkeys(_COUNTED, 0))
        regions[icb.parent_id] = icb.parent
        counts["expected"] += 1
        if ret is None:
            counts["missing"] += 1
        elif ret.version is None:
            counts["draft"] += 1
        else:
            counts["late" if ret.first_late else "on_time"] += 1
            if ret.status in _BY_STATUS:
                counts[_BY_STATUS[ret.status]] += 1
    rows = sorted(
        (
            Completeness(regions[pk].code, regions[pk].name, **counts)
            for pk, counts in counted.items()
        ),
        key=lambda row: row.region_name,
    )
    return _with_england(rows, region)


# --- One ICB's record across the quarters --------------------------------------------


class RecordState:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_YET_DUE = "not_yet_due"


RECORD_LABELS = {
    RecordState.ON_TIME: "On time",
    RecordState.LATE: "Late",
    RecordState.MISSING: "Missing",
    RecordState.NOT_YET_DUE: "Not due yet",
}


@dataclass(frozen=True)
class RecordRow:
    """One quarter of an ICB's record: its own return, or — for a quarter
    before the ICB existed — one of its predecessors' (`theirs`)."""

    period: ReportingPeriod
    icb: Organisation
    theirs: bool
    state: str
    first_submitted_at: object = None
    status: str | None = None

    @property
    def label(self) -> str:
        return RECORD_LABELS[self.state]


def icb_record(*, user, icb: Organisation, quarters: int = 8, today=None) -> list[RecordRow]:
    """`icb`'s submissions over its last `quarters` reporting periods that
    have opened, newest first, by the rules of this module: submitted on time
    or late by the first submission's mark, missing once the due date passed
    with none, not due yet before. A quarter the ICB did not exist in (before
    the April 2026 reorganisation, for a successor formed then) shows each
    predecessor's return instead, marked as theirs. Only returns `user` may
    read; three queries."""
    from organisations.models import Succession
    from saaf import dates

    today = today or dates.today()
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today).order_by("-financial_year", "-quarter")[
            :quarters
        ]
    )
    predecessors = [
        link.predecessor
        for link in Succession.objects.filter(successor=icb)
        .select_related("predecessor")
        .order_by("predecessor__name")
    ]
    first = Submission.objects.filter(quarterly_return=OuterRef("pk"), version=1)
    returns = {
        (r["icb_id"], r["period_id"]): r
        for r in QuarterlyReturn.objects.visible_to(user)
        .filter(icb__in=[icb, *predecessors], period__in=periods)
        .annotate(
            first_late=Subquery(first.values("late")[:1]),
            first_at=Subquery(first.values("submitted_at")[:1]),
        )
        .values("icb_id", "period_id", "status", "first_late", "first_at")
    }
    rows = []
    for period in periods:
        if icb.existed_on(period.ends_on):
            owners = [(icb, False)]
        else:
            owners = [(p, True) for p in predecessors if p.existed_on(period.ends_on)]
        for owner, theirs in owners:
            found = returns.get((owner.pk, period.pk))
            late = found["first_late"] if found else None
            if late is not None:
                state = RecordState.LATE if late else RecordState.ON_TIME
            elif today > period.due_on:
                state = RecordState.MISSING
            else:
                state = RecordState.NOT_YET_DUE
            rows.append(
                RecordRow(
                    period=period,
                    icb=owner,
                    theirs=theirs,
                    state=state,
                    first_submitted_at=found["first_at"] if found else None,
                    status=found["status"] if found else None,
                )
            )
    return rows
