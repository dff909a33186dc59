"""RAG heatmaps: where each ICB stands for a period, what changed since the
previous quarter, and the answers behind each cell.

What a heatmap reads (`../shared/RETURNS.md`, "What other features read"):

- the **current submission** of a return: its latest accepted version, else
  its latest submitted one. The region accepts only the version under review,
  which is always the latest, and an accepted return is never sent back, so
  the current submission is the return's highest version (`current_submissions`);
  its ratings are marked "awaiting review", "under review" or "returned for
  changes" until the region accepts it;
- **states instead of a rating**: no return at all for an expected ICB is
  "missing" (once the period is due; "not started" before), a return never
  submitted is "draft";
- **marks on a rated cell**: "late" (the first submission came after the
  due date), and where the return stands in the review;
- **cell rating**: the worst rating among the applicable standards, with its
  counts as text (`assurance.rating.cell_rating`), self-assessed or
  validated (validated where recorded, else self-assessed); a cell "differs"
  where any of its standards was validated differently;
- **trend**: against the previous quarter of the same ICB; a successor
  established on 1 April 2026 compares with its predecessors' Q4 2025/26
  combined by the same worst-of rule, an ICB that existed before (QRL, which
  took over part of QNQ) with its own Q4. Sections and standards are matched
  across toolkit years by code.

Every matrix is built in a fixed number of queries whatever the number of
ICBs, sections and standards: a section's answers are counted by the
database as they are written and validated (`SubmittedSection`, kept by
triggers), so a cell is one row read; the current quarter's and the
previous one's are read in one query, and only those counts reach Python.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery

from assurance.models import (
    Metric,
    MetricUnit,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnStatus,
    Section,
    Standard,
    Submission,
    SubmittedAnswer,
    SubmittedMetricValue,
    SubmittedSection,
)
from assurance.rating import (
    NOT_APPLICABLE,
    STANDARD_ORDER,
    CellRating,
    cell_rating,
    counts_text,
)
from assurance.selectors import expected_icbs
from organisations.models import Organisation, Succession
from saaf import dates


class View(models.TextChoices):
    SECTIONS = "sections", "Sections"
    STANDARDS = "standards", "Standards of one section"
    METRICS = "metrics", "Metrics"
    THEME = "theme", "Quarter's theme"


class Basis(models.TextChoices):
    SELF = "self", "Self-assessed"
    VALIDATED = "validated", "Validated"
    DIFFER = "differ", "Where they differ"


_SELF = Basis.SELF.value


class CellState(models.TextChoices):
    """A row's state: a rating, or a state shown instead of one."""

    RATED = "rated", "Rated"
    MISSING = "missing", "Missing"
    NOT_STARTED = "not_started", "Not started"
    DRAFT = "draft", "Draft"


class Trend(models.TextChoices):
    BETTER = "better", "Better"
    WORSE = "worse", "Worse"
    SAME = "same", "Same"
    NEW = "new", "New"


RATING_WORDS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    NOT_APPLICABLE: "Not applicable",
    "": "Not rated",
}
# The filters a page offers on ratings: a rating or a state.
RATING_FILTERS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    NOT_APPLICABLE: "Not applicable",
    "missing": "Missing",
    "draft": "Draft",
}
_RANK = {"red": 0, "amber": 1, "green": 2}
# A cell's ratings from worst to best, by the worst-of rule: not applicable
# only where nothing is rated, nothing at all last.
_WORST_FIRST = {"red": 0, "amber": 1, "green": 2, NOT_APPLICABLE: 3, "": 4}

# Marks on a rated row, by the return's status (accepted has none).
STATUS_MARKS = {
    ReturnStatus.SUBMITTED: "Awaiting review",
    ReturnStatus.UNDER_REVIEW: "Under review",
    ReturnStatus.RETURNED: "Returned for changes",
}
LATE_MARK = "Late"


def trend_of(previous: str | None, current: str) -> str:
    """Better, worse or same against last quarter's rating; new where there
    was no rating to compare with (no return, or nothing applicable)."""
    if not current:
        return ""
    if previous == current:
        return Trend.SAME
    if previous not in _RANK or current not in _RANK:
        return Trend.NEW
    return Trend.BETTER if _RANK[current] > _RANK[previous] else Trend.WORSE


# --- The current submission ---------------------------------------------------------


def current_submissions(returns: models.QuerySet) -> dict[int, tuple[int, int]]:
    """The current submissions of `returns` (the highest version of each) by
    id, each with its ICB's id and its period's id: a few hundred at most,
    for the answers or values to be read by. One query."""
    # Read first and given as a list, not nested: as a subquery PostgreSQL
    # misjudged it, on freshly loaded tables counting for minutes, and even
    # analysed reading every answer by standard then hash-joining them to the
    # few submissions wanted; by the ids it is an index lookup per submission.
    latest = (
        Submission.objects.filter(quarterly_return=OuterRef("quarterly_return"))
        .order_by("-version")
        .values("version")[:1]
    )
    rows = (
        Submission.objects.filter(quarterly_return__in=returns, version=Subquery(latest))
        .values_list("pk", "quarterly_return__icb_id", "quarterly_return__period_id")
        # Unsorted: the model's order (by the return's period and ICB name)
        # joins two more tables and sorts, for a dict.
        .order_by()
    )
    return {pk: (icb_id, period_id) for pk, icb_id, period_id in rows}


def previous_period(
    period: ReportingPeriod, periods: list[ReportingPeriod] | None = None
) -> ReportingPeriod | None:
    """The quarter before `period`: found in `periods` when both are there
    (the latest periods, newest first, as the heatmap page reads them to
    link), else read."""
    order = [(p.financial_year, p.quarter) for p in periods or []]
    here = (period.financial_year, period.quarter)
    if here in order and order.index(here) + 1 < len(order):
        return periods[order.index(here) + 1]
    return (
        ReportingPeriod.objects.filter(
            Q(financial_year=period.financial_year, quarter__lt=period.quarter)
            | Q(financial_year__lt=period.financial_year)
        )
        .order_by("-financial_year", "-quarter")
        .first()
    )


def heatmap_period(today: datetime.date | None = None) -> ReportingPeriod | None:
    """The period a heatmap opens on: the latest whose quarter has ended and
    which has a submitted return (a quarter of drafts rates nothing yet),
    else the latest that has opened. One query."""
    today = today or dates.today()
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today)
        .annotate(
            submitted=Exists(Submission.objects.filter(quarterly_return__period=OuterRef("pk")))
        )
        .select_related("toolkit_version")
        .order_by("-financial_year", "-quarter")
    )
    ended = [p for p in periods if p.ends_on < today]
    return next((p for p in ended if p.submitted), ended[0] if ended else next(iter(periods), None))


# --- Counting answers ------------------------------------------------------------------


_COUNTED = (*STANDARD_ORDER, NOT_APPLICABLE)  # the order of a count's four figures
_NONE = (0, 0, 0, 0)


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


_NO_CELL = CellRating("", {})
# Each count's cell, shared: a heatmap's cells repeat a few count tuples
# (sections of a handful of standards), and a CellRating is never changed.
_CELL_OF: dict[tuple[int, ...], CellRating] = {}


def _cell_of(counts: tuple[int, ...]) -> CellRating:
    """The worst-of rule on one basis's counts (as `cell_rating` on the ratings)."""
    found = _CELL_OF.get(counts)
    if found is None:
        red, amber, green, not_applicable = counts
        worst = (
            "red"
            if red
            else "amber"
            if amber
            else "green"
            if green
            else NOT_APPLICABLE
            if not_applicable
            else ""
        )
        named = {r: n for r, n in zip(_COUNTED, counts, strict=True) if n}
        found = CellRating(worst, named)
        if len(_CELL_OF) < 50_000:  # bounded: counts are small numbers
            _CELL_OF[counts] = found
    return found


@dataclass(slots=True)
class Counted:
    """The counts behind one cell: its answers' ratings on both bases (red,
    amber, green and not applicable, in that order) and how many the region
    validated differently."""

    self_counts: tuple[int, int, int, int]
    validated_counts: tuple[int, int, int, int]
    differing: int = 0

    def __add__(self, other: Counted) -> Counted:
        return Counted(
            _add(self.self_counts, other.self_counts),
            _add(self.validated_counts, other.validated_counts),
            self.differing + other.differing,
        )

    def cell(self, basis: str) -> CellRating:
        """The worst-of rule on the counts (as `cell_rating` on the ratings)."""
        return _cell_of(self.self_counts if basis == _SELF else self.validated_counts)


SECTION_KEY = "standard__section__code"
_SECTION_COUNTS = (*_COUNTED, *(f"validated_{r}" for r in _COUNTED), "differing")


def answer_counts(
    submissions: dict[int, tuple[int, int]], key: str, codes: list[str] | None = None
) -> dict[tuple[int, int, str], Counted]:
    """The answers of `submissions` (as `current_submissions` reads them)
    counted per (ICB id, period id, column key), `key` naming the column
    (`SECTION_KEY`, the section's code, or `standard__code`), of the
    columns `codes` if given: one query.

    A section's counts are read as the database keeps them
    (`SubmittedSection`: as rated, on the validated basis, and differing),
    one row per cell, not counted again from its answers on every page. A
    standard's cell is its one answer."""
    if not submissions or codes == []:
        return {}
    ids = list(submissions)
    found: dict[tuple[int, int, str], Counted] = {}
    if key == SECTION_KEY:
        sections = SubmittedSection.objects.filter(submission_id__in=ids)
        if codes is not None:
            sections = sections.filter(section__code__in=codes)
        rows = sections.values_list("submission_id", "section__code", *_SECTION_COUNTS)
        for row in rows:  # a tuple: its slices are the counts as they are
            icb_id, period_id = submissions[row[0]]
            found[icb_id, period_id, row[1]] = Counted(row[2:6], row[6:10], row[10])
        return found
    answers = SubmittedAnswer.objects.filter(submission_id__in=ids)
    if codes is not None:
        answers = answers.filter(standard__code__in=codes)
    rows = answers.values_list("submission_id", "standard__code", "rating", "validated_rating")
    for submission_id, code, rating, validated in rows.order_by():
        icb_id, period_id = submissions[submission_id]
        region_rated = validated in STANDARD_ORDER
        shown = validated if region_rated else rating
        found[icb_id, period_id, code] = Counted(
            _ONE.get(rating, _NONE),
            _ONE.get(shown, _NONE),
            int(region_rated and validated != rating),
        )
    return found


# One answer's count, by its rating.
_ONE = {r: tuple(int(r == other) for other in _COUNTED) for r in _COUNTED}


# --- The matrix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the heatmap: a section, a standard or a metric."""

    key: str
    label: str  # short: the code
    title: str  # long: the section's title, the standard's statement, the metric's name
    section_code: str
    unit: str = ""


class Cell:
    """One ICB's rating for one column. For metrics, `value` is the figure
    (as text) and the rating that of the figure. Made hundreds of times per
    heatmap: its ratings are worked out once, when it is made."""

    __slots__ = (
        "column",
        "counted",
        "basis",
        "trend",
        "previous",
        "value",
        "self_rating",
        "validated",
        "shown",
        "rating",
    )

    def __init__(
        self,
        column: Column,
        counted: Counted | None,
        basis: str,
        trend: str = "",
        previous: str | None = None,
        value: str = "",
    ) -> None:
        self.column = column
        self.counted = counted
        self.basis = basis
        self.trend = trend
        self.previous = previous
        self.value = value
        if counted is None:
            self.self_rating = self.validated = _NO_CELL
        else:
            self.self_rating = _cell_of(counted.self_counts)
            self.validated = _cell_of(counted.validated_counts)
        self.shown = self.self_rating if basis == _SELF else self.validated
        self.rating = self.shown.rating

    @property
    def word(self) -> str:
        """The rating in words; "Not answered" where the submission has no
        answer in the column (a standard added after it was submitted), "Not
        rated" for a metric's figure without thresholds."""
        if self.counted is None:
            return "Not rated" if self.value else "Not answered"
        return RATING_WORDS.get(self.rating, "Not rated")

    @property
    def differs(self) -> bool:
        return bool(self.counted and self.counted.differing)

    @property
    def differs_text(self) -> str:
        if not self.differs:
            return ""
        return f"Differs: self-assessed {self.self_rating.text or 'not rated'}"


@dataclass
class Row:
    """An expected ICB, its return's state and marks, and its cells."""

    icb: Organisation
    state: str
    cells: list[Cell] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    version: int | None = None
    compared_with: list[Organisation] = field(default_factory=list)
    completed_by: Organisation | None = None

    @property
    def rated(self) -> bool:
        return self.state == CellState.RATED

    @property
    def state_word(self) -> str:
        return CellState(self.state).label

    @property
    def compared_text(self) -> str:
        """Which returns the trend compared with."""
        if not self.compared_with:
            return "No earlier return to compare with."
        if self.compared_with == [self.icb]:
            return f"Compared with {self.icb.code}'s own previous quarter."
        codes = " and ".join(o.code for o in self.compared_with)
        return f"Compared with its predecessors {codes} combined (worst of their ratings)."


@dataclass
class RegionSummary:
    """A region's answers counted per column (validated where recorded when
    the basis is validated): red, amber, green, not applicable."""

    counts: list[dict[str, int]]


@dataclass
class RegionGroup:
    region: Organisation
    rows: list[Row]
    summary: RegionSummary


@dataclass
class Heatmap:
    period: ReportingPeriod
    previous: ReportingPeriod | None
    view: str
    basis: str
    columns: list[Column]
    groups: list[RegionGroup]
    section: Section | None = None
    rating_filter: str = ""
    shown_rows: int = 0
    total_rows: int = 0
    # Every expected ICB the user may read with its return (None for none),
    # whatever the filter: what the page's totals count.
    expected: list[tuple[Organisation, QuarterlyReturn | None]] = field(default_factory=list)

    @property
    def rows(self) -> list[Row]:
        return [row for group in self.groups for row in group.rows]

    @property
    def total(self) -> RegionSummary:
        """Every group's counts added up per column: England's, nationally."""
        counts: list[dict[str, int]] = [{} for _ in self.columns]
        for group in self.groups:
            for index, column_counts in enumerate(group.summary.counts):
                for rating, n in column_counts.items():
                    counts[index][rating] = counts[index].get(rating, 0) + n
        return RegionSummary(counts)


def _columns(
    period: ReportingPeriod,
    view: str,
    section: Section | None,
    sections: list[Section] | None = None,
) -> list[Column]:
    """The view's columns in toolkit order; `section` narrows any view to
    one section (and names the section whose standards a standards view
    shows). `sections`, the period's sections in order if the caller has
    read them already, saves reading them again."""
    version = period.toolkit_version_id
    if view == View.SECTIONS:
        if sections is None:
            sections = list(Section.objects.filter(version_id=version).order_by("position"))
        return [
            Column(s.code, s.code, s.title, s.code)
            for s in sections
            if section is None or s.pk == section.pk
        ]
    if view == View.METRICS:
        metrics = Metric.objects.filter(version_id=version).select_related("section")
        if section is not None:
            metrics = metrics.filter(section=section)
        return [
            Column(m.code, m.code, m.name, m.section.code, m.unit)
            for m in metrics.order_by("section__position", "position", "code")
        ]
    standards = Standard.objects.filter(version_id=version).select_related("section")
    if view == View.THEME:
        standards = standards.filter(theme=period.quarter)
    if section is not None:
        standards = standards.filter(section=section)
    return [
        Column(s.code, s.code, s.statement, s.section.code)
        for s in standards.order_by("section__position", "position", "code")
    ]


def _answer_column(view: str) -> str:
    """The field naming the column an answer counts in."""
    return SECTION_KEY if view == View.SECTIONS else "standard__code"


def _metric_text(value: Decimal | None, unit: str, reason: str) -> str:
    if value is None:
        return "Not available" if reason else ""
    number = f"{value.normalize():f}"
    if unit == MetricUnit.PERCENT:
        return f"{number}%"
    if unit == MetricUnit.DAYS:
        return f"{number} days"
    return number


def _metric_cells(submission_ids: list[int]) -> dict[tuple[int, str], tuple[str, str]]:
    """(rating, value text) per (ICB id, metric code) of the current submissions: one query."""
    rows = SubmittedMetricValue.objects.filter(submission_id__in=submission_ids).values(
        "metric__code",
        "metric__unit",
        "metric__computed_from",
        "value",
        "computed_value",
        "not_available_reason",
        "rating",
        icb_id=F("submission__quarterly_return__icb_id"),
    )
    found = {}
    for row in rows:
        computed = bool(row["metric__computed_from"])
        value = row["computed_value"] if computed else row["value"]
        rating = row["rating"] if row["rating"] in _RANK else ""
        text = _metric_text(value, row["metric__unit"], row["not_available_reason"])
        found[row["icb_id"], row["metric__code"]] = (rating, text)
    return found


_NO_VALUE = ("", "")


def _metric_counted(rating: str) -> Counted | None:
    return Counted(_ONE[rating], _ONE[rating]) if rating else None


def returns_with_versions(where: Q):
    """The returns `where` selects with their current version, the id of their
    current submission (`current_submission`, None for a draft never
    submitted) and whether the first submission was late: one query."""
    first_late = (
        Submission.objects.filter(quarterly_return=OuterRef("pk"), version=1)
        .order_by()  # one row: not sorted by the return's period and ICB name
        .values("late")[:1]
    )
    latest = Submission.objects.filter(quarterly_return=OuterRef("pk")).order_by("-version")
    # Each figure a subquery on the (return, version) index rather than the
    # submissions joined and grouped by every column of the return: the same
    # rows, for less work in Django and in the planner.
    return (
        QuarterlyReturn.objects.filter(where)
        .select_related("completed_by")
        .annotate(
            version=Subquery(latest.values("version")[:1]),
            first_late=Subquery(first_late),
            current_submission=Subquery(latest.values("pk")[:1]),
        )
        .order_by()  # unsorted: read into dicts by ICB and period
    )


def row_of(icb: Organisation, ret, period: ReportingPeriod, today: datetime.date) -> Row:
    """An expected ICB's row: missing (or not started before the due date)
    without a return, draft without a submission, else rated with its marks
    (`ret` as read by `returns_with_versions`)."""
    if ret is None:
        state = CellState.MISSING if today > period.due_on else CellState.NOT_STARTED
        return Row(icb, state)
    if ret.version is None:
        return Row(icb, CellState.DRAFT, completed_by=ret.completed_by)
    marks = [LATE_MARK] if ret.first_late else []
    if ret.status in STATUS_MARKS:
        marks.append(STATUS_MARKS[ret.status])
    return Row(
        icb, CellState.RATED, marks=marks, version=ret.version, completed_by=ret.completed_by
    )


def _compared_with(
    icbs: list[Organisation], previous: ReportingPeriod
) -> dict[int, list[Organisation]]:
    """Whose previous quarter each ICB's trend reads: its own where it existed
    then; else its predecessors that existed then (combined): one query."""
    # Every row's links, not only the new ICBs': the same one query whoever is new.
    links = Succession.objects.filter(successor_id__in=[icb.pk for icb in icbs])
    predecessors: dict[int, list[Organisation]] = {}
    for link in links.select_related("predecessor").order_by("predecessor__code"):
        if link.predecessor.existed_on(previous.ends_on):
            predecessors.setdefault(link.successor_id, []).append(link.predecessor)
    return {
        icb.pk: [icb] if icb.existed_on(previous.ends_on) else predecessors.get(icb.pk, [])
        for icb in icbs
    }


def _previous_ratings(
    view: str,
    basis: str,
    columns: list[Column],
    previous: ReportingPeriod,
    compared: dict[int, list[Organisation]],
    counts: dict[tuple[int, int, str], Counted],
    submissions: dict[int, tuple[int, int]],
) -> dict[tuple[int, str], str]:
    """Last quarter's rating per (ICB id, column key), combining predecessors
    by the worst-of rule: from `counts` (which hold the previous period's
    answers), or for metrics one query (two: the submissions and the values)."""
    ids = {o.pk for group in compared.values() for o in group}
    if not ids:
        return {}
    found: dict[tuple[int, str], str] = {}
    if view == View.METRICS:
        metrics = _metric_cells(
            [pk for pk, (_, period_id) in submissions.items() if period_id == previous.pk]
        )
        for icb_id, group in compared.items():
            for column in columns:
                ratings = [metrics.get((o.pk, column.key), ("", ""))[0] for o in group]
                worst = cell_rating(ratings).rating
                if any((o.pk, column.key) in metrics for o in group):
                    found[icb_id, column.key] = worst
        return found
    # The worst of the group's ratings is the rating of their counts added
    # up (red if any is red, and so on), without adding them up.
    for icb_id, group in compared.items():
        group_ids = [o.pk for o in group]
        for column in columns:
            if len(group_ids) == 1:  # its own quarter, or one predecessor's: no worst to find
                part = counts.get((group_ids[0], previous.pk, column.key))
                if part is not None:
                    found[icb_id, column.key] = part.cell(basis).rating
                continue
            ratings = [
                part.cell(basis).rating
                for group_id in group_ids
                if (part := counts.get((group_id, previous.pk, column.key))) is not None
            ]
            if ratings:
                found[icb_id, column.key] = min(ratings, key=_WORST_FIRST.__getitem__)
    return found


def heatmap_build(
    *,
    user,
    period: ReportingPeriod,
    region: Organisation | None = None,
    view: str = View.SECTIONS,
    basis: str = Basis.VALIDATED,
    section: Section | None = None,
    rating: str = "",
    today: datetime.date | None = None,
    sections: list[Section] | None = None,
    periods: list[ReportingPeriod] | None = None,
) -> Heatmap:
    """The heatmap of `period` for the ICBs expected to return that `user`
    may read (in `region`, if given), grouped by region, with each region's
    answer counts per column. A fixed number of queries: ICBs, columns,
    returns, the previous period, its links, and the answers of both periods
    counted (for metrics: this quarter's values, then last quarter's).
    `sections`: the period's sections in order, and `periods`: the latest
    periods, newest first, where the caller has them (the previous period is
    then read from them when it is there)."""
    today = today or dates.today()
    icbs = expected_icbs(period).visible_to(user).order_by("parent__name", "name")
    if region is not None:
        icbs = icbs.filter(parent=region)
    icbs = list(icbs)
    columns = _columns(period, view, section, sections)
    ids = [i.pk for i in icbs]
    previous = previous_period(period, periods)
    compared = _compared_with(icbs, previous) if previous else {}
    # This quarter's returns and those the trend compares with, in one query,
    # with the ids of their current submissions to read the answers by.
    wanted = Q(period=period, icb_id__in=ids)
    earlier = {o.pk for group in compared.values() for o in group}
    if earlier:
        wanted |= Q(period=previous, icb_id__in=earlier)
    read = list(returns_with_versions(wanted))
    returns = {ret.icb_id: ret for ret in read if ret.period_id == period.pk}
    submissions = {
        ret.current_submission: (ret.icb_id, ret.period_id)
        for ret in read
        if ret.current_submission is not None
    }
    counts: dict[tuple[int, int, str], Counted] = {}
    if view == View.METRICS:
        metric_cells = _metric_cells(
            [pk for pk, (_, period_id) in submissions.items() if period_id == period.pk]
        )
        counted = {k: _metric_counted(r) for k, (r, _) in metric_cells.items()}
    else:
        counts = answer_counts(submissions, _answer_column(view), [c.key for c in columns])
        counted = {
            (icb_id, column): n
            for (icb_id, period_id, column), n in counts.items()
            if period_id == period.pk
        }
        metric_cells = {}
    before = (
        _previous_ratings(view, basis, columns, previous, compared, counts, submissions)
        if previous
        else {}
    )

    rows = []
    for icb in icbs:
        row = row_of(icb, returns.get(icb.pk), period, today)
        row.compared_with = compared.get(icb.pk, [])
        if row.rated:
            for column in columns:
                key = (icb.pk, column.key)
                value = metric_cells.get(key, _NO_VALUE)[1]
                cell = Cell(column, counted.get(key), basis, value=value)
                cell.previous = previous_rating = before.get(key)
                cell.trend = trend_of(previous_rating, cell.rating)
                row.cells.append(cell)
        rows.append(row)
    total = len(rows)
    if rating:
        rows = [r for r in rows if _row_has(r, rating)]
    return Heatmap(
        period=period,
        previous=previous,
        view=view,
        basis=basis,
        columns=columns,
        groups=_groups(rows, columns, basis),
        section=section,
        rating_filter=rating,
        shown_rows=len(rows),
        total_rows=total,
        expected=[(icb, returns.get(icb.pk)) for icb in icbs],
    )


def _row_has(row: Row, rating: str) -> bool:
    if rating in (CellState.MISSING, CellState.DRAFT):
        return row.state == rating
    return any(cell.rating == rating for cell in row.cells)


def _groups(rows: list[Row], columns: list[Column], basis: str) -> list[RegionGroup]:
    by_region: dict[int, list[Row]] = {}
    regions: dict[int, Organisation] = {}
    for row in rows:
        by_region.setdefault(row.icb.parent_id, []).append(row)
        regions[row.icb.parent_id] = row.icb.parent
    groups = []
    for region_id, region_rows in by_region.items():
        counts = []
        for index in range(len(columns)):
            total: dict[str, int] = {}
            for row in region_rows:
                if row.rated and row.cells[index].counted:
                    for r, n in row.cells[index].shown.counts.items():
                        total[r] = total.get(r, 0) + n
            counts.append(total)
        groups.append(RegionGroup(regions[region_id], region_rows, RegionSummary(counts)))
    return groups


def summary_text(counts: dict[str, int]) -> str:
    """A region's counts for a column: "3 red, 10 amber, 40 green, 2 not applicable"."""
    return counts_text(counts) or "None rated"
