"""A metric's value rated at, just above and just below each threshold, for
both directions."""

from decimal import Decimal

import pytest

from assurance.models import Metric
from assurance.rating import Rating, metric_rate

R, A, G, N = Rating.RED, Rating.AMBER, Rating.GREEN, Rating.NOT_RATED


def metric(higher_is_better, green, amber, unit="percent"):
    return Metric(code="M", unit=unit, higher_is_better=higher_is_better, green=green, amber=amber)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, G),
        (Decimal("85.01"), G),
        (85, G),
        ("85.0", G),
        (Decimal("84.99"), A),
        (75, A),
        (Decimal("74.99"), R),
        (0, R),
    ],
)
def test_higher_is_better(value, expected):
    assert metric_rate(metric(True, Decimal("85"), Decimal("75")), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, G), (Decimal("0.01"), A), (1, A), (2, A), (Decimal("2.01"), R), (3, R), (40, R)],
)
def test_lower_is_better(value, expected):
    assert metric_rate(metric(False, Decimal("0"), Decimal("2"), "count"), value) == expected


def test_equal_thresholds_leave_no_amber():
    m = metric(True, Decimal("100"), Decimal("100"))
    assert [metric_rate(m, v) for v in (100, Decimal("99.99"))] == [G, R]
    m = metric(False, Decimal("5"), Decimal("5"), "count")
    assert [metric_rate(m, v) for v in (5, Decimal("5.01"))] == [G, R]


@pytest.mark.parametrize("value", [None, "", "n/a", "NaN", float("inf")])
def test_no_value_is_not_rated(value):
    assert metric_rate(metric(True, Decimal("85"), Decimal("75")), value) == N


@pytest.mark.parametrize("value", [0, 5, 1000])
def test_reported_only_figure_is_not_rated(value):
    assert metric_rate(metric(True, None, None, "count"), value) == N


def test_ratings_follow_each_versions_thresholds(toolkit):
    shipped = toolkit[2026].metrics.get(code="PREVENT_TRAINED")
    assert metric_rate(shipped, 80) == A
    overdue = toolkit[2026].metrics.get(code="REVIEW_ACTIONS_OVERDUE")
    assert [metric_rate(overdue, v) for v in (0, 2, 3)] == [G, A, R]
