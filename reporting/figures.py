"""The figures of a year's annual report, for a region or England (an
"area"), computed from what the portal holds (`../shared/RETURNS.md`, "What
other features read"):

- **RAG distribution** per section and quarter: the answers of the ICBs'
  current submissions (latest accepted version, else latest submitted: the
  highest version, `assurance.heatmap.current_submissions`) counted red, amber,
  green and not applicable, each answer's validated rating where recorded,
  else its self-assessment; the figure keeps how many answers were validated,
  so the report says which it counted;
- **metric trends** per rated metric over up to five years of quarters: per
  quarter the median of the area's ICBs' values for percentages and days,
  their sum for counts, over the ICBs that existed that quarter; where the
  number of ICBs changed (42 to 36 on 1 April 2026) the quarter carries a
  note, so the step shows as a note and not as a fall;
- **register findings** at the year's end (`assurance.register_counts`);
- **statutory reviews** in the year (`reviews.annual.review_figures`);
- **returns missing or late** per quarter (`assurance.completeness`).

Each figure keeps what it was computed from: the current submissions' ids
(RAG, metrics) or the ICBs' ids (findings, reviews, returns), for the page
that lists them. Counting is done in SQL; on PostgreSQL the metrics' medians,
sums and id lists too (`percentile_cont`, `array_agg`); on SQLite, which has
no median, they are taken in Python from one query's values, to the same
figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from django.db import connection
from django.db.models import F, FloatField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce

from assurance.completeness import period_completeness
from assurance.heatmap import current_submissions
from assurance.models import (
    Metric,
    MetricUnit,
    QuarterlyReturn,
    ReportingPeriod,
    Section,
    Submission,
    SubmittedMetricValue,
    SubmittedSection,
    ToolkitVersion,
)
from assurance.register_counts import icb_counts
from organisations.models import Organisation, OrganisationKind
from reporting.models import FigureKind, ReportFigure
from reviews.annual import financial_year_period, review_figures
from saaf import dates

TREND_YEARS = 5
RAG_KEYS = ("red", "amber", "green", "not_applicable")


def quarter_key(period: ReportingPeriod) -> int:
    return period.financial_year * 10 + period.quarter


def area_icbs(area: Organisation):
    """Every ICB of a region, past and present, or of England."""
    icbs = Organisation.objects.icbs()
    return icbs.filter(parent=area) if area.kind == OrganisationKind.REGION else icbs


def year_periods(financial_year: int, years: int = 1) -> list[ReportingPeriod]:
    return list(
        ReportingPeriod.objects.filter(
            financial_year__gt=financial_year - years, financial_year__lte=financial_year
        ).order_by("financial_year", "quarter")
    )


def _figure(kind: str, *, code: str = "", label: str = "", period=None, **fields) -> ReportFigure:
    return ReportFigure(
        kind=kind,
        code=code,
        label=label[:300],
        period=period,
        quarter_key=quarter_key(period) if period else 0,
        **fields,
    )


Current = dict[int, tuple[int, int]]  # submission id: (ICB id, period id)


def trend_submissions(*, financial_year: int, icbs, periods=None) -> Current:
    """The current submissions of `icbs` over the trend's years (the RAG
    figures read the year's, the metrics all): one query, shared. `periods`:
    the trend's (`year_periods(financial_year, TREND_YEARS)`), if read already."""
    if periods is None:
        periods = year_periods(financial_year, TREND_YEARS)
    return current_submissions(QuarterlyReturn.objects.filter(period__in=periods, icb__in=icbs))


def _submissions_by_period(current: Current) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for pk in sorted(current):
        found[current[pk][1]].append(pk)
    return found


# --- RAG distribution -----------------------------------------------------------------


def rag_figures(
    *, financial_year: int, icbs, current: Current | None = None, periods=None
) -> list[ReportFigure]:
    """Per quarter and section, the current submissions' answers counted
    (validated where recorded, else self-assessed): summed from the counts
    the database keeps per submitted section (`SubmittedSection`). `current`:
    `trend_submissions`, if read already; `periods`: any periods that include
    the year's (the trend's), if read already."""
    if periods is None:
        periods = year_periods(financial_year)
    by_period = {p.pk: p for p in periods if p.financial_year == financial_year}
    if current is None:
        current = trend_submissions(financial_year=financial_year, icbs=icbs)
    current = {pk: where for pk, where in current.items() if where[1] in by_period}
    rows = list(
        SubmittedSection.objects.filter(submission_id__in=list(current))
        .values(
            period_id=F("submission__quarterly_return__period_id"),
            code=F("section__code"),
        )
        .annotate(
            **{key: Sum(f"validated_{key}") for key in RAG_KEYS},
            validated=Sum("validated"),
            answers=Sum("answers"),
        )
        .order_by()
    )
    submissions = _submissions_by_period(current)
    titles = dict(
        Section.objects.filter(version__financial_year=financial_year).values_list("code", "title")
    )
    return [
        _figure(
            FigureKind.RAG,
            code=row["code"],
            label=titles.get(row["code"], row["code"]),
            period=by_period[row["period_id"]],
            counts={key: row[key] for key in (*RAG_KEYS, "validated", "answers")},
            submission_ids=submissions[row["period_id"]],
        )
        for row in rows
    ]


# --- Metric trends --------------------------------------------------------------------


def rated_metrics(financial_year: int) -> list[Metric]:
    """The metrics with thresholds in the year's toolkit (the latest before it
    if it has none), in the toolkit's order. One query: the version is a
    subquery."""
    version = (
        ToolkitVersion.objects.filter(financial_year__lte=financial_year)
        .order_by("-financial_year")
        .values("pk")[:1]
    )
    return list(
        Metric.objects.filter(version=Subquery(version), green__isnull=False).order_by(
            "section__position", "position"
        )
    )


def _expected_by_period(periods, icbs) -> dict[int, int]:
    lifetimes = list(Organisation.objects.filter(pk__in=icbs).values_list("established", "closed"))
    found = {}
    for period in periods:
        day = period.ends_on  # computed, so once per period
        found[period.pk] = sum(
            1
            for established, closed in lifetimes
            if (established is None or established <= day) and (closed is None or closed >= day)
        )
    return found


def _current_metric_values(*, financial_year: int, icbs, codes, current: Current | None = None):
    """The current submissions' values of the metrics `codes` over the
    trend's years, annotated `counted`: the computed value where the portal
    computed one, else the figure reported."""
    if current is None:
        current = trend_submissions(financial_year=financial_year, icbs=icbs)
    return (
        SubmittedMetricValue.objects.filter(submission_id__in=list(current), metric__code__in=codes)
        # As floats: psycopg2 builds a Decimal per numeric, several times
        # slower over thousands of values; the figure is rounded to 2 places.
        .annotate(counted=Cast(Coalesce("computed_value", "value"), FloatField()))
        .filter(counted__isnull=False)
    )


def metric_values(
    *, financial_year: int, icbs, codes, current: Current | None = None
) -> list[tuple]:
    """(metric code, period id, ICB id, submission id, value) of the current
    submissions over the trend's years. One query (two without `current`)."""
    return list(
        _current_metric_values(
            financial_year=financial_year, icbs=icbs, codes=codes, current=current
        )
        .values_list(
            "metric__code",
            "submission__quarterly_return__period_id",
            "submission__quarterly_return__icb_id",
            "submission_id",
            "counted",
        )
        .order_by()
    )


@dataclass(frozen=True)
class MetricGroup:
    """A metric's values in a quarter, combined: their median and sum, how
    many, and the submissions and ICBs they came from (ascending)."""

    median: float
    total: float
    values: int
    submission_ids: list[int]
    icb_ids: list[int]

    def combined(self, unit: str) -> Decimal:
        """Percentages and days take the median, counts the sum (`combine`)."""
        return two_places(self.total if unit == MetricUnit.COUNT else self.median)


def metric_groups(
    *, financial_year: int, icbs, codes, current: Current | None = None
) -> dict[tuple[str, int], MetricGroup]:
    """The metrics' values per (code, period id), combined: on PostgreSQL
    grouped in the query (`percentile_cont` and `array_agg`: 200 rows back
    rather than thousands of values); elsewhere (SQLite has no median) in
    Python, to the same figures."""
    grouped = metric_groups_in_sql if connection.vendor == "postgresql" else metric_groups_in_python
    return grouped(financial_year=financial_year, icbs=icbs, codes=codes, current=current)


# The current submissions' values of some metrics, grouped by metric and
# quarter: each value as a float (psycopg2 builds a Decimal per numeric, several
# times slower over thousands of values; the figure is rounded to 2 places),
# the computed value where the portal computed one, else the figure reported.
# The submissions come with their quarters as two arrays joined as a table, so
# neither the submissions nor their returns are joined again (the ORM's
# `submission_id IN (...)` with the returns joined for the period took a third
# longer, and Django compiling it as long again).
_METRIC_GROUPS_SQL = """
SELECT v.metric_id, c.period_id,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(v.computed_value, v.value)::float8),
       sum(COALESCE(v.computed_value, v.value)::float8),
       count(*),
       array_agg(v.submission_id)
FROM {values} v
JOIN unnest(%(submissions)s::bigint[], %(periods)s::bigint[]) AS c (submission_id, period_id)
  ON c.submission_id = v.submission_id
WHERE v.metric_id = ANY(%(metrics)s::bigint[])
  AND COALESCE(v.computed_value, v.value) IS NOT NULL
GROUP BY v.metric_id, c.period_id
"""


def metric_groups_in_sql(
    *, financial_year: int, icbs, codes, current: Current | None = None
) -> dict[tuple[str, int], MetricGroup]:
    """PostgreSQL only, in one query written out (`_METRIC_GROUPS_SQL`; two
    without `current`). Grouped by metric id, not code: a quarter's values
    are of its toolkit version's metrics, so the groups are the same, and
    sorting integers rather than text halved the query's time. The id lists
    come unordered (sorting inside each group cost a third of the query) and
    are sorted here, a few dozen ids each; the ICBs are the submissions'
    (from `current`), not aggregated again."""
    if current is None:
        current = trend_submissions(financial_year=financial_year, icbs=icbs)
    code_of = dict(Metric.objects.filter(code__in=codes).values_list("pk", "code"))
    with connection.cursor() as cursor:
        cursor.execute(
            _METRIC_GROUPS_SQL.format(values=SubmittedMetricValue._meta.db_table),
            {
                "submissions": list(current),
                "periods": [period_id for _, period_id in current.values()],
                "metrics": list(code_of),
            },
        )
        rows = cursor.fetchall()
    groups: dict[tuple[str, int], MetricGroup] = {}
    for metric_id, period_id, median_value, total, n, submission_ids in rows:
        key = (code_of[metric_id], period_id)
        if key in groups:
            # One quarter's values under two versions' metrics of a code (the
            # services never write this): Python combines them across.
            return metric_groups_in_python(
                financial_year=financial_year, icbs=icbs, codes=codes, current=current
            )
        groups[key] = MetricGroup(
            median=median_value,
            total=total,
            values=n,
            submission_ids=sorted(submission_ids),
            icb_ids=sorted(current[pk][0] for pk in submission_ids),
        )
    return groups


def metric_groups_in_python(
    *, financial_year: int, icbs, codes, current: Current | None = None
) -> dict[tuple[str, int], MetricGroup]:
    """Any database: from `metric_values`' rows."""
    found: dict[tuple[str, int], list[tuple[int, int, float]]] = defaultdict(list)
    for code, period_id, icb_id, submission_id, value in metric_values(
        financial_year=financial_year, icbs=icbs, codes=codes, current=current
    ):
        found[(code, period_id)].append((icb_id, submission_id, value))
    return {
        key: MetricGroup(
            median=median([v for _, _, v in rows]),
            total=sum(v for _, _, v in rows),
            values=len(rows),
            submission_ids=sorted(s for _, s, _ in rows),
            icb_ids=sorted(i for i, _, _ in rows),
        )
        for key, rows in found.items()
    }


def two_places(value: float) -> Decimal:
    """To 2 places (the submitted values have 2, so a median of two is exact
    in 3; rounding to 6 first drops a float's last-digit noise, which the
    two ways of adding up or interpolating may differ in)."""
    return Decimal(repr(round(value, 6))).quantize(Decimal("0.01"))


def combine(unit: str, values: list[float]) -> Decimal:
    """Percentages and days take the median, counts the sum, to 2 places."""
    return two_places(sum(values) if unit == MetricUnit.COUNT else median(values))


def metric_figures(
    *, financial_year: int, icbs, current: Current | None = None, periods=None
) -> list[ReportFigure]:
    """Each rated metric's series over the trend's years. `periods`: the
    trend's, if read already."""
    if periods is None:
        periods = year_periods(financial_year, TREND_YEARS)
    metrics = rated_metrics(financial_year)
    units = {m.code: m.unit for m in metrics}
    names = {m.code: m.name for m in metrics}
    groups = metric_groups(
        financial_year=financial_year, icbs=icbs, codes=list(units), current=current
    )
    expected = _expected_by_period(periods, icbs)
    figures = []
    for code in units:
        previous_expected = None
        for period in periods:
            found = groups.get((code, period.pk))
            note = ""
            if previous_expected and expected[period.pk] != previous_expected:
                note = (
                    f"From {period.label} the area has {expected[period.pk]} ICBs "
                    f"({previous_expected} before): the organisations changed, not the figure."
                )
            previous_expected = expected[period.pk]
            if not found:
                continue
            figures.append(
                _figure(
                    FigureKind.METRIC,
                    code=code,
                    label=names[code],
                    period=period,
                    value=found.combined(units[code]),
                    counts={"icbs": found.values, "expected": expected[period.pk]},
                    note=note,
                    submission_ids=found.submission_ids,
                    icb_ids=found.icb_ids,
                )
            )
    return figures


# --- Register findings, reviews, returns ------------------------------------------------


def year_end(financial_year: int) -> datetime.date:
    """The year's last day, or today while the year runs."""
    return min(financial_year_period(financial_year)[1], dates.today())


def findings_figures(*, financial_year: int, icbs) -> list[ReportFigure]:
    on = year_end(financial_year)
    existing = list(Organisation.objects.filter(pk__in=icbs).existing_on(on).order_by("name"))
    counts = icb_counts(existing, on=on)
    total: dict[str, int] = defaultdict(int)
    figures = []
    for icb in existing:
        row = counts.get(icb.pk, {})
        for key, value in row.items():
            total[key] += value
        figures.append(
            _figure(
                FigureKind.FINDINGS, code=icb.code, label=icb.name, counts=row, icb_ids=[icb.pk]
            )
        )
    figures.append(
        _figure(
            FigureKind.FINDINGS,
            code="",
            label=f"Register findings on {on:%-d %B %Y}",
            counts=dict(total),
            icb_ids=[icb.pk for icb in existing],
        )
    )
    return figures


def review_figures_of(*, financial_year: int, icbs) -> list[ReportFigure]:
    start, end = financial_year_period(financial_year)
    involved = list(
        Organisation.objects.filter(pk__in=icbs)
        .filter(Q(established__isnull=True) | Q(established__lte=end))
        .filter(Q(closed__isnull=True) | Q(closed__gte=start))
        .order_by("name")
    )
    by_icb = review_figures(icbs=involved, start=start, end=min(end, dates.today()))
    figures = []
    total: dict[str, int] = defaultdict(int)
    themes: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for icb in involved:
        f = by_icb[icb.pk]
        row = {
            "opened": f.opened,
            "published": f.published,
            "open_at_end": f.open_at_end,
            "overdue_actions": f.overdue_actions,
            "actions_completed": f.actions_completed,
        }
        for key, value in row.items():
            total[key] += value
        for theme in f.learning_themes:
            themes[theme.code] += theme.reviews
            labels[theme.code] = theme.label
        row["recurring_themes"] = [t.label for t in f.recurring_themes]
        figures.append(
            _figure(FigureKind.REVIEWS, code=icb.code, label=icb.name, counts=row, icb_ids=[icb.pk])
        )
    total_counts: dict = dict(total)
    total_counts["themes"] = [
        [labels[code], n] for code, n in sorted(themes.items(), key=lambda t: (-t[1], labels[t[0]]))
    ]
    figures.append(
        _figure(
            FigureKind.REVIEWS,
            code="",
            label="Statutory reviews",
            counts=total_counts,
            icb_ids=[icb.pk for icb in involved],
            note="An ICB counts the reviews it leads or takes part in, so a review shared by "
            "two ICBs counts under each; actions count once, under the ICB that answers for them.",
        )
    )
    return figures


def completeness_figures(*, financial_year: int, area: Organisation, icbs) -> list[ReportFigure]:
    figures = []
    for period in year_periods(financial_year):
        rows = period_completeness(period)
        row = next(
            (
                r
                for r in rows
                if (r.region_code == area.code)
                or (area.kind != OrganisationKind.REGION and r.is_england)
            ),
            None,
        )
        if row is None:
            continue
        first = Submission.objects.filter(
            quarterly_return__icb=OuterRef("pk"), quarterly_return__period=period, version=1
        ).values("late")[:1]
        states = (
            Organisation.objects.filter(pk__in=icbs)
            .existing_on(period.ends_on)
            .annotate(first_late=Subquery(first))
            .values_list("pk", "first_late")
        )
        late = sorted(pk for pk, first_late in states if first_late is True)
        missing = sorted(pk for pk, first_late in states if first_late is None)
        figures.append(
            _figure(
                FigureKind.COMPLETENESS,
                code="returns",
                label=f"Returns for {period.label}",
                period=period,
                counts={
                    "expected": row.expected,
                    "on_time": row.on_time,
                    "late": row.late,
                    "not_submitted": row.not_submitted,
                    "late_icbs": late,
                    "not_submitted_icbs": missing,
                },
                icb_ids=sorted(late + missing),
            )
        )
    return figures


def rated_figures(*, financial_year: int, icbs) -> list[ReportFigure]:
    """The RAG and metric figures, from one read of the trend's periods and
    of the current submissions."""
    periods = year_periods(financial_year, TREND_YEARS)
    current = trend_submissions(financial_year=financial_year, icbs=icbs, periods=periods)
    shared = {"financial_year": financial_year, "icbs": icbs, "current": current}
    return [
        *rag_figures(**shared, periods=periods),
        *metric_figures(**shared, periods=periods),
    ]


def area_figures(*, financial_year: int, area: Organisation) -> list[ReportFigure]:
    """Every figure of `area`'s report for the year, unsaved."""
    icbs = area_icbs(area).values("pk")
    figures = [
        *rated_figures(financial_year=financial_year, icbs=icbs),
        *findings_figures(financial_year=financial_year, icbs=icbs),
        *review_figures_of(financial_year=financial_year, icbs=icbs),
        *completeness_figures(financial_year=financial_year, area=area, icbs=icbs),
    ]
    for figure in figures:
        figure.financial_year = financial_year
        figure.area = area
    return figures


# --- One ICB's series, across the reorganisation ------------------------------------------


@dataclass(frozen=True)
class IcbPoint:
    period: ReportingPeriod
    value: Decimal
    submission_ids: tuple[int, ...]
    from_codes: tuple[str, ...]

    @property
    def note(self) -> str:
        if not self.from_codes:
            return ""
        return f"Before this ICB existed: {' + '.join(self.from_codes)} combined."


def icb_metric_series(*, icb: Organisation, metric: Metric, financial_year: int) -> list[IcbPoint]:
    """`icb`'s values of `metric` over the trend's years, following the
    succession rule (`../shared/RETURNS.md`): its own current submission
    while it existed; before, its predecessors' of that quarter combined —
    the median for percentages and days, the sum for counts. Three queries."""
    predecessors = {
        p.pk: p
        for p in Organisation.objects.filter(successions_out__successor=icb).order_by("code")
    }
    rows = metric_values(
        financial_year=financial_year, icbs=[icb.pk, *predecessors], codes=[metric.code]
    )
    by_period: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    for _, period_id, icb_id, submission_id, value in rows:
        by_period[period_id].append((icb_id, submission_id, value))
    points = []
    for period in year_periods(financial_year, TREND_YEARS):
        found = by_period.get(period.pk, [])
        own = [row for row in found if row[0] == icb.pk]
        theirs = [] if own else [row for row in found if row[0] in predecessors]
        used = own or theirs
        if not used:
            continue
        points.append(
            IcbPoint(
                period=period,
                value=combine(metric.unit, [v for _, _, v in used]),
                submission_ids=tuple(s for _, s, _ in used),
                from_codes=tuple(sorted(predecessors[i].code for i, _, _ in theirs)),
            )
        )
    return points
