"""Reads of the annual reports: the reports a user may read, a report's
stored figures arranged for its page (RAG table, SPC charts, findings,
reviews, returns), the returns behind a figure within the reader's scope,
and the acronyms a report uses."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.http import Http404

from assurance.models import MetricUnit, QuarterlyReturn, ReportingPeriod, Submission
from assurance.models.periods import financial_year_label
from organisations.models import Organisation, OrganisationKind
from organisations.permissions import is_national_admin, is_system
from organisations.reference_data import NATIONAL_CODE
from reporting.figures import rated_metrics
from reporting.heatmaps import report_heatmaps
from reporting.models import (
    FigureKind,
    NationalReport,
    PublishedReport,
    RegionalReport,
    ReportFigure,
    ReportRun,
)
from reporting.permissions import (
    can_read_national_report,
    is_region_author,
    published_reports_downloadable,
)
from reporting.spc import ChartPoint, ChartRow, SpcChart, spc_chart

RATINGS = ("red", "amber", "green", "not_applicable")
ACRONYMS_FILE = Path(__file__).parent / "data" / "acronyms.yaml"


def report_years() -> list[int]:
    """The financial years that have reporting periods, newest first."""
    return sorted(
        set(ReportingPeriod.objects.values_list("financial_year", flat=True)), reverse=True
    )


def regional_report_for(region: Organisation, financial_year: int) -> RegionalReport:
    """The region's report for the year, or an empty unsaved one."""
    return RegionalReport.objects.filter(
        region=region, financial_year=financial_year
    ).select_related("signed_off_by", "region").first() or RegionalReport(
        region=region, financial_year=financial_year
    )


def national_report_for(financial_year: int) -> NationalReport | None:
    return NationalReport.objects.filter(financial_year=financial_year).first()


def latest_run(financial_year: int) -> ReportRun | None:
    return ReportRun.objects.filter(financial_year=financial_year).first()


def can_read_area_figures(user, area: Organisation, financial_year: int) -> bool:
    """A region's figures: its authors and the national team; England's:
    whoever may read the national report."""
    if is_system(user):
        return True
    if area.kind == OrganisationKind.REGION:
        return is_region_author(user, area) or is_national_admin(user)
    return can_read_national_report(user, national_report_for(financial_year))


# --- A report's figures, arranged ------------------------------------------------------


@dataclass
class RagRow:
    code: str
    label: str
    cells: list[ReportFigure | None]


@dataclass
class MetricChart:
    code: str
    name: str
    chart: SpcChart
    figures: list[ReportFigure]
    notes: list[str]

    def year_points(
        self, quarters: list[ReportingPeriod]
    ) -> list[tuple[ReportFigure, ChartRow] | None]:
        """The chart's figure and row for each of the year's `quarters` (None
        where the quarter has no value), for the key figures' table."""
        rows = zip(self.figures, self.chart.rows, strict=True)
        found = {figure.period_id: (figure, row) for figure, row in rows}
        return [found.get(q.pk) for q in quarters]

    def value_text(self, figure: ReportFigure) -> str:
        """A value as the report prints it: a count whole (428, not 428.00; a
        sum of the ICBs' counts), a percentage or days as stored, to two places."""
        if self.chart.unit == MetricUnit.COUNT:
            return f"{figure.value:,.0f}"
        return f"{figure.value:.2f}"


@dataclass
class AreaFigures:
    area: Organisation
    financial_year: int
    quarters: list[ReportingPeriod] = field(default_factory=list)
    rag: list[RagRow] = field(default_factory=list)
    answers: int = 0
    validated: int = 0
    charts: list[MetricChart] = field(default_factory=list)
    findings_total: ReportFigure | None = None
    findings: list[ReportFigure] = field(default_factory=list)
    reviews_total: ReportFigure | None = None
    reviews: list[ReportFigure] = field(default_factory=list)
    returns: list[ReportFigure] = field(default_factory=list)
    icb_names: dict[int, str] = field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return bool(self.rag or self.returns or self.findings)

    @property
    def basis_text(self) -> str:
        """Which ratings were counted, as the report must say."""
        if not self.answers:
            return "No submitted answers were counted."
        if not self.validated:
            return f"All {self.answers} answers counted are the ICBs' self-assessed ratings."
        return (
            f"Of the {self.answers} answers counted, {self.validated} carry the regional "
            f"lead's validated rating, which was counted; the other "
            f"{self.answers - self.validated} are the ICBs' self-assessed ratings."
        )

    def returns_by_quarter(self) -> list[ReportFigure | None]:
        """Each quarter's returns figure (on time, late, not submitted)."""
        found = {f.period_id: f for f in self.returns}
        return [found.get(q.pk) for q in self.quarters]

    def rag_totals(self) -> list[dict[str, int] | None]:
        """Each quarter's answers by rating over every section: the sums of
        the RAG table's cells (None for a quarter without submissions)."""
        totals: list[dict[str, int] | None] = []
        for i in range(len(self.quarters)):
            cells = [row.cells[i] for row in self.rag if row.cells[i] is not None]
            totals.append(
                {k: sum(c.counts.get(k, 0) for c in cells) for k in RATINGS} if cells else None
            )
        return totals

    def names(self, ids: list[int]) -> str:
        return ", ".join(sorted(self.icb_names.get(i, str(i)) for i in ids))


def area_figures_read(*, area: Organisation, financial_year: int) -> AreaFigures:
    """The stored figures of `area`'s report, arranged for its page: three queries."""
    figures = list(
        ReportFigure.objects.of(financial_year=financial_year, area=area).select_related("period")
    )
    out = AreaFigures(area=area, financial_year=financial_year)
    out.quarters = list(ReportingPeriod.objects.of_year(financial_year).order_by("quarter"))
    by_kind: dict[str, list[ReportFigure]] = defaultdict(list)
    for figure in figures:
        figure.area = area  # for each figure's address, without a query each
        by_kind[figure.kind].append(figure)
    rag: dict[str, RagRow] = {}
    for figure in sorted(by_kind[FigureKind.RAG], key=lambda f: (f.code, f.quarter_key)):
        row = rag.setdefault(
            figure.code, RagRow(figure.code, figure.label, [None] * len(out.quarters))
        )
        row.cells[figure.period.quarter - 1] = figure
        out.answers += figure.counts.get("answers", 0)
        out.validated += figure.counts.get("validated", 0)
    out.rag = sorted(rag.values(), key=lambda r: _natural(r.code))
    metrics = {m.code: m for m in rated_metrics(financial_year)}
    series: dict[str, list[ReportFigure]] = defaultdict(list)
    for figure in by_kind[FigureKind.METRIC]:
        series[figure.code].append(figure)
    for code, metric in metrics.items():
        found = sorted(series.get(code, []), key=lambda f: f.quarter_key)
        if not found:
            continue
        chart = spc_chart(
            title=f"{metric.name}: {area.name}, "
            f"{found[0].period.label} to {found[-1].period.label}",
            unit=metric.unit,
            higher_is_better=metric.higher_is_better,
            points=[
                ChartPoint(label=f.period.label, value=float(f.value), note=f.note) for f in found
            ],
        )
        out.charts.append(
            MetricChart(code, metric.name, chart, found, [f.note for f in found if f.note])
        )
    for figure in by_kind[FigureKind.FINDINGS]:
        if figure.code:
            out.findings.append(figure)
        else:
            out.findings_total = figure
    for figure in by_kind[FigureKind.REVIEWS]:
        if figure.code:
            out.reviews.append(figure)
        else:
            out.reviews_total = figure
    out.findings.sort(key=lambda f: f.label)
    out.reviews.sort(key=lambda f: f.label)
    out.returns = sorted(by_kind[FigureKind.COMPLETENESS], key=lambda f: f.quarter_key)
    ids = {i for f in out.returns for i in f.icb_ids}
    out.icb_names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    return out


def _natural(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


# --- The returns behind a figure --------------------------------------------------------


def figure_get_readable(
    user, *, financial_year: int, area: str, kind: str, code: str = "", quarter_key: int = 0
) -> ReportFigure:
    """A figure by what it is (`ReportFigure.get_absolute_url`), if `user` may
    read its area's figures."""
    figure = (
        ReportFigure.objects.select_related("area", "period")
        .filter(
            financial_year=financial_year,
            area__code=area,
            kind=kind,
            code="" if code == ReportFigure.NO_CODE else code,
            quarter_key=quarter_key,
        )
        .first()
    )
    return _readable(user, figure)


def figure_get_readable_by_row(user, pk: int) -> ReportFigure:
    """A figure by its row, as PDFs published before the figures' own
    addresses link to it (while the row lasts: each rollup rewrites them)."""
    return _readable(user, ReportFigure.objects.select_related("area").filter(pk=pk).first())


def _readable(user, figure: ReportFigure | None) -> ReportFigure:
    if figure is None or not can_read_area_figures(user, figure.area, figure.financial_year):
        raise Http404("No such figure.")
    return figure


def figure_submissions(*, user, figure: ReportFigure):
    """The submissions a figure was computed from that `user` may read."""
    returns = QuarterlyReturn.objects.visible_to(user)
    return (
        Submission.objects.filter(pk__in=figure.submission_ids, quarterly_return__in=returns)
        .select_related("quarterly_return__icb", "quarterly_return__period")
        .order_by(
            "quarterly_return__period__financial_year",
            "quarterly_return__period__quarter",
            "quarterly_return__icb__name",
        )
    )


def figure_icbs(*, user, figure: ReportFigure):
    """The ICBs a figure was computed from that `user` may read."""
    return Organisation.objects.visible_to(user).filter(pk__in=figure.icb_ids).order_by("name")


def figure_title(figure: ReportFigure) -> str:
    where = figure.area.name
    if figure.kind == FigureKind.RAG:
        return f"{figure.period.label} {figure.code} {figure.label}: answers counted, {where}"
    if figure.kind == FigureKind.METRIC:
        return f"{figure.label}, {figure.period.label}: {where}"
    if figure.kind == FigureKind.COMPLETENESS:
        return f"{figure.label}: ICBs late or not submitted, {where}"
    year = financial_year_label(figure.financial_year)
    return f"{figure.label} ({figure.get_kind_display().lower()}, {year}): {where}"


# --- Acronyms ---------------------------------------------------------------------------


@cache
def acronyms() -> dict[str, str]:
    with ACRONYMS_FILE.open(encoding="utf-8") as f:
        return dict(yaml.safe_load(f))


def acronyms_used(texts: list[str]) -> list[tuple[str, str]]:
    """The shipped acronyms that appear as words (or their plurals: "ICBs") in
    `texts`, alphabetically."""
    joined = "\n".join(t for t in texts if t)
    return sorted(
        (term, meaning)
        for term, meaning in acronyms().items()
        if re.search(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", joined)
    )


def national_area() -> Organisation:
    return Organisation.objects.get(code=NATIONAL_CODE)


def regions() -> list[Organisation]:
    return list(Organisation.objects.filter(kind=OrganisationKind.REGION).order_by("name"))


# --- A report as a document (the page and the PDF read the same) -----------------------


def national_report_document(financial_year: int) -> dict:
    """What the national report shows, for its page and its PDF alike: the
    report's parts, England's figures, a section per region (its narrative
    once signed off, its key figures, its published full report) and the
    acronyms the text uses."""
    report = national_report_for(financial_year)
    # Each region's full report, with every figure, is its own PDF: the
    # national report summarises it and says which version is published.
    published = {
        p.area_id: p
        for p in PublishedReport.objects.current().filter(
            financial_year=financial_year, area__kind=OrganisationKind.REGION
        )
    }
    sections = []
    for region in regions():
        regional = regional_report_for(region, financial_year)
        sections.append(
            {
                "region": region,
                "report": regional if regional.is_signed_off else None,
                "figures": area_figures_read(area=region, financial_year=financial_year),
                "published": published.get(region.pk),
            }
        )
    england = area_figures_read(area=national_area(), financial_year=financial_year)
    texts = [
        "ICB NSSG SAAF RAG SPC",  # the words of the page's own headings and notes
        *(
            [report.foreword, report.health_and_justice, *report.achievements, *report.priorities]
            if report
            else []
        ),
        *(
            t
            for s in sections
            if s["report"]
            for t in [s["report"].introduction, *s["report"].achievements, *s["report"].priorities]
        ),
        *(row.label for row in england.rag),
        *(chart.name for chart in england.charts),
    ]
    return {
        "report": report,
        "year": financial_year,
        "year_label": financial_year_label(financial_year),
        "sections": sections,
        "england": england,
        "acronyms": acronyms_used(texts),
    }


def regional_report_document(*, user, region: Organisation, financial_year: int) -> dict:
    """What a region's report shows, for its page and its PDF: the narrative,
    the figures and the heatmaps (built within `user`'s scope)."""
    return {
        "report": regional_report_for(region, financial_year),
        "region": region,
        "year": financial_year,
        "figures": area_figures_read(area=region, financial_year=financial_year),
        "heatmaps": report_heatmaps(user=user, region=region, financial_year=financial_year),
        "year_label": financial_year_label(financial_year),
    }


# --- The archive of published reports ----------------------------------------------------


def published_reports_by_year(user) -> list[dict]:
    """The published versions `user` may download, grouped by year (newest
    first), the national report before the regions', newest version first."""
    found = published_reports_downloadable(user).select_related("area", "superseded_by")
    years: dict[int, list[PublishedReport]] = defaultdict(list)
    for published in found:
        years[published.financial_year].append(published)
    return [
        {
            "year": year,
            "label": financial_year_label(year),
            "versions": sorted(
                versions, key=lambda p: (not p.is_national, p.area.name, -p.version)
            ),
        }
        for year, versions in sorted(years.items(), reverse=True)
    ]


def published_versions(*, financial_year: int, area: Organisation) -> list[PublishedReport]:
    """A report's versions, newest first, whatever their state (for its page)."""
    return list(
        PublishedReport.objects.filter(financial_year=financial_year, area=area)
        .select_related("area")
        .order_by("-version")
    )
