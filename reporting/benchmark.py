"""`manage.py benchmark`'s entry for the rollup (registered from
`ReportingConfig.ready`, as the benchmark lives below this app).

`rollup_national` times the national step's aggregates of the returns — the
RAG distribution per section and quarter of the year and the rated metrics'
series over five years, for England (`reporting.figures`) — and the same
aggregates by one hand-written SQL query (`raw_sql_ms`, PostgreSQL's
`percentile_cont` for the medians); `ratio` is the first over the second.
Target: ≤ 3× the raw SQL at scale 1; ≤ 10× its own scale-1 time at scale 10.
`peak_rss_mb` is the process's peak resident memory while the rollup's
aggregates run (as for the PDF below).

`pdf_national` times the national report's PDF (`reporting.pdf`: its HTML,
WeasyPrint's layout and the tagged PDF) from the year's figures (computed
first if there are none, inside the benchmark's rolled-back transaction),
with its `pages`; `plain_ms` is WeasyPrint rendering a plain text document of
as many pages (A4, the report's margins and font, text only), `ratio` the
first over the second (target ≤ 2×), and `peak_rss_mb` the process's peak
resident memory while rendering. The report and the plain document are
rendered in turn, each from a collected heap, and each one's median taken.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.db.models import Max

from assurance.benchmark import Bench, BenchmarkSkipped, Measurement, entry
from assurance.models import QuarterlyReturn, ReportingPeriod
from organisations.models import Organisation
from organisations.reference_data import NATIONAL_CODE
from reporting.figures import TREND_YEARS, area_icbs, rated_figures, rated_metrics
from reporting.models import FigureKind, ReportFigure

RAW_TARGET = 3
PEAK_RSS_TARGET_MB = 1024  # the "peak memory under 1 GB"

RAW_SQL = """
WITH current_submission AS (
    SELECT s.id, r.period_id, p.financial_year
    FROM assurance_submission s
    JOIN assurance_quarterlyreturn r ON r.id = s.quarterly_return_id
    JOIN assurance_reportingperiod p ON p.id = r.period_id
    WHERE p.financial_year > %(first)s AND p.financial_year <= %(year)s
      AND s.version = (
          SELECT max(s2.version) FROM assurance_submission s2
          WHERE s2.quarterly_return_id = s.quarterly_return_id
      )
)
SELECT 'rag', c.period_id, sec.code,
       COALESCE(NULLIF(a.validated_rating, ''), a.rating), count(*), NULL
FROM current_submission c
JOIN assurance_submittedanswer a ON a.submission_id = c.id
JOIN assurance_standard st ON st.id = a.standard_id
JOIN assurance_section sec ON sec.id = st.section_id
WHERE c.financial_year = %(year)s
GROUP BY c.period_id, sec.code, COALESCE(NULLIF(a.validated_rating, ''), a.rating)
UNION ALL
SELECT 'metric', c.period_id, m.code, m.unit, count(*),
       CASE WHEN m.unit = 'count' THEN sum(COALESCE(v.computed_value, v.value))
            ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(v.computed_value, v.value))
       END
FROM current_submission c
JOIN assurance_submittedmetricvalue v ON v.submission_id = c.id
JOIN assurance_metric m ON m.id = v.metric_id
WHERE m.code = ANY(%(codes)s) AND COALESCE(v.computed_value, v.value) IS NOT NULL
GROUP BY c.period_id, m.code, m.unit
"""


def _timed(bench: Bench, work: Callable[[], object]) -> tuple[float, int]:
    """Median ms of `work` over the bench's runs, and its queries (one run)."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        work()
    for _ in range(bench.warm_up):
        work()
    gc.collect()
    times = []
    for _ in range(bench.runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries)


@dataclass
class RollupMeasurement(Measurement):
    peak_rss_mb: float | None = None

    def summary(self) -> str:
        return f"{super().summary()}, peak RSS {self.peak_rss_mb:.0f} MB"


@entry("rollup_national", scale_target=10)
def rollup_national(bench: Bench) -> Measurement:
    if connection.vendor != "postgresql":
        raise BenchmarkSkipped("the raw SQL uses PostgreSQL's percentile_cont")
    year = (
        QuarterlyReturn.objects.filter(submissions__isnull=False).aggregate(
            year=Max("period__financial_year")
        )["year"]
        or ReportingPeriod.objects.aggregate(year=Max("financial_year"))["year"]
    )
    if year is None:
        raise BenchmarkSkipped("no reporting periods: generate national data first")
    england = Organisation.objects.get(code=NATIONAL_CODE)
    codes = [m.code for m in rated_metrics(year)]

    def orm() -> None:
        rated_figures(financial_year=year, icbs=area_icbs(england).values("pk"))

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"year": year, "first": year - TREND_YEARS, "codes": codes})
            cursor.fetchall()

    _peak_rss_reset()
    median_ms, queries = _timed(bench, orm)
    peak = _peak_rss_mb()
    raw_ms, _ = _timed(bench, raw)
    measured = RollupMeasurement(
        "rollup_national", f"national figures {year}", median_ms, queries, bench.runs
    )
    measured.peak_rss_mb = round(peak, 1)
    measured.raw_sql_ms = raw_ms
    measured.ratio = median_ms / raw_ms if raw_ms else None
    if measured.ratio is not None:
        measured.targets[f"≤ {RAW_TARGET}× raw SQL"] = measured.ratio <= RAW_TARGET
    measured.targets[f"peak RSS < {PEAK_RSS_TARGET_MB} MB"] = peak < PEAK_RSS_TARGET_MB
    return measured


PDF_TARGET = 2
PDF_RUNS = 5  # about 2 s a pair at scale 1

# The plain document is set as the report is (static/print/report.css): A4,
# its margins, its font, size and line height; text only, a heading and
# twelve paragraphs a page. (Before, it had WeasyPrint's defaults: a 12pt
# serif, whose larger lines cost more than the report's 10pt sans.)
PLAIN_STYLE = (
    "@page { size: A4; margin: 22mm 18mm 20mm 18mm }"
    " html { font-family: 'Liberation Sans', Arial, 'DejaVu Sans', sans-serif;"
    " font-size: 10pt; line-height: 1.4 }"
)
PLAIN_PAGE = (
    "<section style='break-after: page'><h2>Page {n}</h2>"
    + "<p>The regions' annual reports describe the year's safeguarding work, the "
    "assurance the integrated care boards gave each quarter and what the NSSG asks "
    "of them next year.</p>" * 12 + "</section>"
)


@dataclass
class PdfMeasurement(Measurement):
    pages: int | None = None
    plain_ms: float | None = None
    peak_rss_mb: float | None = None


def _peak_rss_reset() -> bool:
    """Linux: start the process's peak RSS (VmHWM) again from its current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _interleaved_medians_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Both pieces of work's median times, run in turn (first, second, second,
    first, …) so the shared machine's load falls on both alike, each from a
    collected heap so one's garbage is not collected in the other's time."""
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs):
        order = ((0, first), (1, second)) if run % 2 == 0 else ((1, second), (0, first))
        for index, work in order:
            gc.collect()
            started = time.perf_counter()
            work()
            times[index].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


@entry("pdf_national")
def pdf_national(bench: Bench) -> Measurement:
    from weasyprint import HTML

    from reporting.pdf import PDF_OPTIONS, report_pdf
    from reporting.rollup import year_figures_write
    from reporting.selectors import report_years

    years = report_years()
    if not years:
        raise BenchmarkSkipped("no reporting periods: generate national data first")
    year = (
        QuarterlyReturn.objects.filter(submissions__isnull=False).aggregate(
            year=Max("period__financial_year")
        )["year"]
        or years[0]
    )
    england = Organisation.objects.get(code=NATIONAL_CODE)
    if not ReportFigure.objects.filter(
        financial_year=year, area=england, kind=FigureKind.COMPLETENESS
    ).exists():
        year_figures_write(financial_year=year)
    runs = min(bench.runs, PDF_RUNS)
    _peak_rss_reset()
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)
    ):
        first = report_pdf(financial_year=year)  # also warms fonts and templates
    pages = first.pages
    plain = "<html lang='en-GB'><head><style>{}</style></head><body>{}</body></html>".format(
        PLAIN_STYLE, "".join(PLAIN_PAGE.format(n=n) for n in range(pages))
    )

    def plain_pdf():
        document = HTML(string=plain).render(**PDF_OPTIONS)
        document.write_pdf(**PDF_OPTIONS)
        return len(document.pages)

    plain_pages = plain_pdf()
    median_ms, plain_ms = _interleaved_medians_ms(
        lambda: report_pdf(financial_year=year), plain_pdf, runs
    )
    peak = _peak_rss_mb()
    measured = PdfMeasurement(
        "pdf_national", f"national report PDF {year}", median_ms, len(queries), runs
    )
    measured.pages = pages
    measured.plain_ms = plain_ms
    measured.ratio = median_ms / plain_ms if plain_ms else None
    measured.peak_rss_mb = round(peak, 1)
    if measured.ratio is not None:
        wording = (
            f"≤ {PDF_TARGET}× a plain text PDF of {plain_pages} pages "
            f"({pages} pages, plain {plain_ms:.0f} ms, ratio {measured.ratio:.1f}, "
            f"peak RSS {measured.peak_rss_mb:.0f} MB)"
        )
        measured.targets[wording] = measured.ratio <= PDF_TARGET
    measured.targets[f"peak RSS < {PEAK_RSS_TARGET_MB} MB"] = peak < PEAK_RSS_TARGET_MB
    return measured
