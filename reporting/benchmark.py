"""`manage.py benchmark`'s entry for the rollup (registered from
`ReportingConfig.ready`, as the benchmark lives below this app).

`rollup_national` times the national step's aggregates of the returns — the
RAG distribution per section and quarter of the year and the rated metrics'
series over five years, for England (`reporting.figures`) — and the same
aggregates by one hand-written SQL query (`raw_sql_ms`, PostgreSQL's
`percentile_cont` for the medians); `ratio` is the first over the second.
Target: ≤ 3× the raw SQL at scale 1; ≤ 10× its own scale-1 time at scale 10.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.db.models import Max

from assurance.benchmark import Bench, BenchmarkSkipped, Measurement, entry
from assurance.models import QuarterlyReturn, ReportingPeriod
from organisations.models import Organisation
from organisations.reference_data import NATIONAL_CODE
from reporting.figures import TREND_YEARS, area_icbs, metric_figures, rag_figures, rated_metrics

RAW_TARGET = 3

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
        icbs = area_icbs(england).values("pk")
        rag_figures(financial_year=year, icbs=icbs)
        metric_figures(financial_year=year, icbs=icbs)

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"year": year, "first": year - TREND_YEARS, "codes": codes})
            cursor.fetchall()

    median_ms, queries = _timed(bench, orm)
    raw_ms, _ = _timed(bench, raw)
    measured = Measurement(
        "rollup_national", f"national figures {year}", median_ms, queries, bench.runs
    )
    measured.raw_sql_ms = raw_ms
    measured.ratio = median_ms / raw_ms if raw_ms else None
    if measured.ratio is not None:
        measured.targets[f"≤ {RAW_TARGET}× raw SQL"] = measured.ratio <= RAW_TARGET
    return measured
