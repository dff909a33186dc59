"""The rollup's benchmark entry: measured against its raw SQL, which counts
the same aggregates (PostgreSQL only: the raw SQL's medians are
percentile_cont)."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from assurance.benchmark import run_benchmark
from organisations.models import Organisation
from reporting.benchmark import RAW_SQL
from reporting.figures import TREND_YEARS, area_icbs, metric_figures, rag_figures, rated_metrics
from tests.reporting.conftest import HISTORY_GROUP, YEAR

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group(HISTORY_GROUP),  # the shared history
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="The benchmark is measured on PostgreSQL."
    ),
]


def test_the_raw_sql_counts_what_the_rollup_counts(shared_history, db):
    england = Organisation.objects.get(code="X24")
    icbs = area_icbs(england).values("pk")
    codes = [m.code for m in rated_metrics(YEAR)]
    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL, {"year": YEAR, "first": YEAR - TREND_YEARS, "codes": codes})
        rows = cursor.fetchall()
    raw_rag = defaultdict(dict)
    raw_metric = {}
    for kind, period_id, code, rating_or_unit, n, value in rows:
        if kind == "rag":
            raw_rag[(period_id, code)][rating_or_unit] = n
        else:
            raw_metric[(period_id, code)] = Decimal(str(value)).quantize(Decimal("0.01"))
    for figure in rag_figures(financial_year=YEAR, icbs=icbs):
        for rating in ("red", "amber", "green", "not_applicable"):
            assert figure.counts[rating] == raw_rag[(figure.period_id, figure.code)].get(rating, 0)
    metrics = {
        (f.period_id, f.code): f.value for f in metric_figures(financial_year=YEAR, icbs=icbs)
    }
    assert metrics == raw_metric


def test_rollup_national_is_measured_with_its_raw_sql_and_ratio(shared_history, db):
    report = run_benchmark(runs=1, only=["rollup_national"])
    measured = next(m for m in report.entries if m.name == "rollup_national")
    assert measured.raw_sql_ms > 0 and measured.ratio > 0 and measured.queries > 0
    assert "≤ 3× raw SQL" in measured.targets
    assert "rollup_national" in report.table() and "raw SQL" in report.table()
