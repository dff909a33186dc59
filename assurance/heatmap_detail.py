"""What lies behind a heatmap: the answers of one cell, and one ICB's
section ratings across the last eight quarters.

Both start from the user's scope (`visible_to`): a cell of a return the user
may not read is answered as missing, and an ICB's history shows only the
predecessors the user may read. Both are read in a fixed number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from assurance.heatmap import (
    SECTION_KEY,
    Basis,
    Cell,
    Column,
    Row,
    answer_counts,
    returns_with_versions,
    row_of,
)
from assurance.models import (
    QuarterlyReturn,
    ReportingPeriod,
    Section,
    Submission,
    SubmissionEvidence,
    SubmittedAnswer,
    SubmittedMetricValue,
)
from assurance.rating import CellRating, answer_rating, cell_rating
from assurance.selectors import CommentThread, return_comment_threads
from organisations.models import Organisation, Succession
from saaf import dates

HISTORY_QUARTERS = 8


# --- A cell's answers ------------------------------------------------------------------


@dataclass
class CellDetail:
    """The answers behind one ICB's cell for one section: its current
    submission's answers (with actions, evidence names and comments) and
    metric values. `quarterly_return` is None where no return was started;
    `submission` None where it was never submitted."""

    icb: Organisation
    period: ReportingPeriod
    section: Section
    quarterly_return: QuarterlyReturn | None
    submission: Submission | None
    answers: list[SubmittedAnswer] = field(default_factory=list)
    metric_values: list[SubmittedMetricValue] = field(default_factory=list)
    threads: dict[int | None, list[CommentThread]] = field(default_factory=dict)

    @property
    def self_rating(self) -> CellRating:
        return cell_rating(a.rating for a in self.answers)

    @property
    def validated(self) -> CellRating:
        return cell_rating(answer_rating(a) for a in self.answers)

    @property
    def differing(self) -> int:
        return sum(1 for a in self.answers if a.validated_rating and a.validated_rating != a.rating)


def cell_detail_get(
    *, user, period: ReportingPeriod, icb: Organisation, section: Section
) -> CellDetail:
    """The answers behind `icb`'s cell for `section` in `period`. The caller
    has fetched `icb` within the user's scope; the return is read through
    the scope again. Five queries at most, whatever the answers' number."""
    ret = (
        QuarterlyReturn.objects.visible_to(user)
        .filter(period=period, icb=icb)
        .select_related("icb", "completed_by")
        .first()
    )
    detail = CellDetail(icb, period, section, ret, None)
    if ret is None:
        return detail
    detail.submission = ret.submissions.order_by("-version").first()
    if detail.submission is not None:
        detail.answers = list(
            detail.submission.answers.filter(standard__section=section)
            .select_related("standard", "validated_by")
            .prefetch_related(
                "actions",
                Prefetch(
                    "evidence_links",
                    queryset=SubmissionEvidence.objects.select_related("evidence"),
                ),
            )
            .order_by("standard__position", "standard__code")
        )
        detail.metric_values = list(
            detail.submission.metric_values.filter(metric__section=section)
            .select_related("metric")
            .order_by("metric__position", "metric__code")
        )
    standards = {a.standard_id for a in detail.answers}
    detail.threads = {
        key: threads
        for key, threads in return_comment_threads(ret).items()
        if key is None or key in standards
    }
    return detail


# --- An ICB's last eight quarters ------------------------------------------------------


@dataclass
class HistoryRow:
    """One quarter's return in an ICB's history: its own, or, before it was
    established, one of its predecessors' (`is_predecessor`)."""

    period: ReportingPeriod
    row: Row
    is_predecessor: bool = False


@dataclass
class IcbHistory:
    icb: Organisation
    columns: list[Column]
    rows: list[HistoryRow]
    predecessors: list[Organisation]
    basis: str


def icb_history(
    *, user, icb: Organisation, basis: str = Basis.VALIDATED, today: datetime.date | None = None
) -> IcbHistory:
    """`icb`'s section ratings for the last eight quarters that have opened,
    newest first; for quarters before it was established, the returns of
    the predecessors the user may read, each marked as theirs. Sections are
    matched across toolkit years by code, in the newest year's order. The
    caller has fetched `icb` within the user's scope. Five queries."""
    today = today or dates.today()
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today)
        .select_related("toolkit_version")
        .order_by("-financial_year", "-quarter")[:HISTORY_QUARTERS]
    )
    links = Succession.objects.filter(
        successor=icb, predecessor__in=Organisation.objects.visible_to(user)
    ).select_related("predecessor")
    predecessors = sorted({link.predecessor for link in links}, key=lambda o: o.code)
    columns = []
    if periods:
        columns = [
            Column(s.code, s.code, s.title, s.code)
            for s in Section.objects.filter(version_id=periods[0].toolkit_version_id).order_by(
                "position", "code"
            )
        ]
    wanted: list[tuple[ReportingPeriod, Organisation, bool]] = []
    for period in periods:
        if icb.existed_on(period.ends_on):
            wanted.append((period, icb, False))
        else:
            wanted.extend((period, p, True) for p in predecessors if p.existed_on(period.ends_on))
    icb_ids = {o.pk for _, o, _ in wanted}
    returns = {
        (ret.icb_id, ret.period_id): ret
        for ret in returns_with_versions(Q(period__in=periods, icb_id__in=icb_ids))
    }
    submissions = {
        ret.current_submission: (ret.icb_id, ret.period_id)
        for ret in returns.values()
        if ret.current_submission is not None
    }
    counts = answer_counts(submissions, SECTION_KEY)
    rows = []
    for period, org, is_predecessor in wanted:
        row = row_of(org, returns.get((org.pk, period.pk)), period, today)
        if row.rated:
            row.cells = [
                Cell(column, counts.get((org.pk, period.pk, column.key)), basis)
                for column in columns
            ]
        rows.append(HistoryRow(period, row, is_predecessor))
    return IcbHistory(icb, columns, rows, predecessors, basis)
