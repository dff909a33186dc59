"""The SPC maths and the four Making Data Count rules, on hand-made series at
each rule's boundary."""

import pytest

from reporting.spc import (
    ChartPoint,
    Limits,
    Signal,
    Variation,
    limits_of,
    moving_ranges,
    rule_beyond_limits,
    rule_shift,
    rule_trend,
    rule_two_of_three,
    spc_chart,
)

# Mean 10, mean moving range 1: limits 7.34 to 12.66, two sigma 8.2267 to 11.7733.
LIMITS = Limits(mean=10.0, mean_moving_range=1.0)


def test_mean_moving_ranges_and_limits():
    values = [10, 12, 11, 13, 9]
    assert moving_ranges(values) == [2, 1, 2, 4]
    limits = limits_of(values)
    assert limits.mean == 11
    assert limits.mean_moving_range == 2.25
    assert limits.upper == pytest.approx(11 + 2.66 * 2.25)
    assert limits.lower == pytest.approx(11 - 2.66 * 2.25)
    assert limits.upper_two_sigma == pytest.approx(11 + 2 / 3 * 2.66 * 2.25)


def test_rule_1_a_point_beyond_a_limit_and_not_one_on_it():
    assert rule_beyond_limits([10, 12.67, 10, 7.33], LIMITS) == {1, 3}
    assert rule_beyond_limits([10, 12.66, 7.34], LIMITS) == set()


def test_rule_2_seven_on_one_side_but_not_six_and_the_mean_breaks_the_run():
    above_7 = [9, 11, 11, 11, 11, 11, 11, 11, 9]
    assert rule_shift(above_7, LIMITS) == set(range(1, 8))
    above_6 = [9, 11, 11, 11, 11, 11, 11, 9]
    assert rule_shift(above_6, LIMITS) == set()
    on_the_mean = [11, 11, 11, 10, 11, 11, 11, 11]
    assert rule_shift(on_the_mean, LIMITS) == set()
    below_8 = [9.5] * 8
    assert rule_shift(below_8, LIMITS) == set(range(8))


def test_rule_3_seven_rising_or_falling_but_not_six_and_a_repeat_breaks_it():
    assert rule_trend([5, 1, 2, 3, 4, 5, 6, 7]) == set(range(1, 8))
    assert rule_trend([5, 1, 2, 3, 4, 5, 6]) == set()
    assert rule_trend([9, 8, 7, 6, 5, 4, 3, 9]) == set(range(7))
    assert rule_trend([1, 2, 3, 3, 4, 5, 6, 7]) == set()


def test_rule_4_two_of_three_beyond_two_sigma_on_one_side():
    assert rule_two_of_three([10, 11.8, 10, 11.8, 10], LIMITS) == {1, 3}
    # Exactly on two sigma is not beyond it.
    assert rule_two_of_three([10, 11.7733, 11.8, 10], LIMITS) == set()
    # Two beyond but four apart: not within three points.
    assert rule_two_of_three([11.8, 10, 10, 11.8], LIMITS) == set()
    # One high and one low do not make a pair.
    assert rule_two_of_three([11.8, 8.2, 10], LIMITS) == set()
    assert rule_two_of_three([8.2, 10, 8.1], LIMITS) == {0, 2}


def _points(values):
    return [ChartPoint(label=f"Q{i}", value=v) for i, v in enumerate(values)]


def test_fewer_than_12_points_is_a_run_chart_that_says_why():
    chart = spc_chart(title="T", unit="percent", higher_is_better=True, points=_points([1] * 11))
    assert not chart.is_xmr
    assert "Only 11 quarters" in chart.why_run_chart
    assert all(r.variation == Variation.COMMON for r in chart.rows)
    assert "<polyline" in chart.svg and "Median" in chart.svg


def test_twelve_points_signal_improvement_or_concern_by_the_metrics_direction():
    values = [80, 81, 79, 80, 82, 80, 79, 81, 80, 80, 81, 99]
    better = spc_chart(title="Up", unit="percent", higher_is_better=True, points=_points(values))
    assert better.is_xmr
    assert better.rows[-1].signals == [Signal.BEYOND_LIMITS]
    assert better.rows[-1].variation == Variation.IMPROVEMENT
    assert better.rows[0].variation == Variation.COMMON
    assert "improvement" in better.variations[0]
    worse = spc_chart(title="Down", unit="days", higher_is_better=False, points=_points(values))
    assert worse.rows[-1].variation == Variation.CONCERN
    assert "lower is better" in worse.direction_words
    svg = worse.svg
    assert "<title" in svg and "Upper process limit" in svg and "#ed8b00" in svg


def test_a_falling_trend_on_a_higher_is_better_metric_is_a_concern():
    values = [50, 52, 51, 50, 52, 51, 60, 59, 58, 57, 56, 55, 54]
    chart = spc_chart(title="T", unit="percent", higher_is_better=True, points=_points(values))
    assert Signal.TREND in chart.rows[8].signals
    assert chart.rows[12].variation == Variation.CONCERN
