"""The report's figures against a direct computation: each return, its
highest version, each answer's rating the long way, in plain queries."""

from collections import Counter, defaultdict
from decimal import Decimal
from statistics import median

import pytest
from django.db import connection

from assurance.models import QuarterlyReturn, ReportingPeriod
from organisations.models import Organisation
from reporting.figures import (
    area_figures,
    area_icbs,
    metric_groups_in_python,
    metric_groups_in_sql,
    rated_metrics,
)
from reporting.models import FigureKind
from tests.reporting.conftest import HISTORY_GROUP, YEAR

pytestmark = pytest.mark.xdist_group(HISTORY_GROUP)  # the shared history


def _current(ret):
    return ret.submissions.order_by("-version").first()


def direct_rag(region, year):
    counts = defaultdict(Counter)
    for period in ReportingPeriod.objects.filter(financial_year=year):
        for ret in QuarterlyReturn.objects.filter(period=period, icb__parent=region):
            submission = _current(ret)
            if submission is None:
                continue
            for answer in submission.answers.select_related("standard__section"):
                rating = answer.validated_rating or answer.rating
                counts[(period.quarter, answer.standard.section.code)][rating] += 1
    return counts


def direct_metric(region, year, metric):
    values = defaultdict(list)
    for period in ReportingPeriod.objects.filter(
        financial_year__gt=year - 5, financial_year__lte=year
    ):
        for ret in QuarterlyReturn.objects.filter(period=period, icb__parent=region):
            submission = _current(ret)
            if submission is None:
                continue
            row = submission.metric_values.filter(metric__code=metric.code).first()
            value = row and (row.computed_value if row.computed_value is not None else row.value)
            if value is not None:
                values[period.financial_year * 10 + period.quarter].append(value)
    if metric.unit == "count":
        return {k: sum(v) for k, v in values.items()}
    return {k: Decimal(str(median(v))).quantize(Decimal("0.01")) for k, v in values.items()}


@pytest.mark.django_db
def test_a_regions_figures_equal_a_direct_computation(shared_history, london):
    figures = area_figures(financial_year=YEAR, area=london)
    rag = {(f.period.quarter, f.code): f.counts for f in figures if f.kind == FigureKind.RAG}
    expected = direct_rag(london, YEAR)
    assert rag and set(rag) == set(expected)
    for key, counts in expected.items():
        for rating in ("red", "amber", "green", "not_applicable"):
            assert rag[key][rating] == counts.get(rating, 0), (key, rating)
    assert any(c["validated"] for c in rag.values())  # some answers were validated

    metric = rated_metrics(YEAR)[0]
    series = {
        f.quarter_key: f.value
        for f in figures
        if f.kind == FigureKind.METRIC and f.code == metric.code
    }
    assert series == direct_metric(london, YEAR, metric)
    assert len(series) >= 12  # enough quarters for an XmR chart


@pytest.mark.django_db
def test_every_rag_figure_names_the_submissions_behind_it(shared_history, london):
    figures = area_figures(financial_year=YEAR, area=london)
    for figure in figures:
        if figure.kind != FigureKind.RAG:
            continue
        returns = QuarterlyReturn.objects.filter(submissions__pk__in=figure.submission_ids)
        assert set(returns.values_list("period_id", flat=True)) == {figure.period_id}
        assert set(returns.values_list("icb__parent_id", flat=True)) == {london.pk}


@pytest.mark.django_db
def test_the_national_metric_series_notes_the_reorganisation(shared_history, reference):
    england = Organisation.objects.get(code="X24")
    figures = area_figures(financial_year=2026, area=england)
    notes = [f for f in figures if f.kind == FigureKind.METRIC and f.note]
    assert notes and "36 ICBs" in notes[0].note and "Q1 2026/27" in notes[0].note


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's.")
def test_the_metrics_grouped_in_postgresql_equal_the_python_grouping(shared_history, reference):
    # The national series, every rated metric: the medians, sums and id lists
    # PostgreSQL aggregates are the figures SQLite's Python path gives.
    england = Organisation.objects.get(code="X24")
    metrics = rated_metrics(YEAR)
    options = {"financial_year": YEAR, "icbs": area_icbs(england).values("pk")}
    options["codes"] = [m.code for m in metrics]
    in_sql = metric_groups_in_sql(**options)
    in_python = metric_groups_in_python(**options)
    assert in_sql and set(in_sql) == set(in_python)
    units = {m.code: m.unit for m in metrics}
    assert {"count", "percent"} <= set(units.values())
    for (code, period_id), group in in_python.items():
        other = in_sql[(code, period_id)]
        assert other.combined(units[code]) == group.combined(units[code]), (code, period_id)
        assert (other.values, other.submission_ids, other.icb_ids) == (
            group.values,
            group.submission_ids,
            group.icb_ids,
        )
