"""Who must return for a period, and where each period stands on a given day
in London, the clock changes included."""

import datetime

import pytest

from assurance.models import ReportingPeriod
from assurance.selectors import (
    PeriodState,
    current_period,
    expected_icbs,
    period_rows,
    period_state,
)
from saaf.dates import today

d = datetime.date.fromisoformat


def period(fy, q):
    return ReportingPeriod.objects.get(financial_year=fy, quarter=q)


def test_expected_icbs_either_side_of_1_april_2026(toolkit, reference):
    q4 = expected_icbs(period(2025, 4))
    q1 = expected_icbs(period(2026, 1))
    assert q4.count() == 42
    assert q1.count() == 36
    # A dissolved ICB still owes its last quarter; a new one owes only from its first.
    assert q4.filter(code="QMJ").exists() and not q1.filter(code="QMJ").exists()
    assert q1.filter(code="Z9B2Z").exists() and not q4.filter(code="Z9B2Z").exists()
    assert expected_icbs(period(2025, 1)).count() == 42


@pytest.mark.parametrize(
    ("today", "state"),
    [
        ("2026-03-31", PeriodState.UPCOMING),
        ("2026-04-01", PeriodState.OPEN),
        ("2026-07-22", PeriodState.OPEN),
        ("2026-07-23", PeriodState.DUE_SOON),
        ("2026-07-30", PeriodState.DUE_SOON),
        ("2026-07-31", PeriodState.OVERDUE),
        ("2026-08-29", PeriodState.OVERDUE),
        ("2026-08-30", PeriodState.CLOSED),
    ],
)
def test_period_states_with_default_dates(toolkit, today, state):
    # Q1 2026/27: opens 1 April, due 30 July, closes 29 August.
    assert period_state(period(2026, 1), today=d(today)) == state


def _utc(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def test_london_day_at_the_end_of_bst():
    # BST ends at 01:00 UTC on Sunday 25 October 2026.
    assert today(_utc("2026-10-24T22:59")) == d("2026-10-24")
    assert today(_utc("2026-10-24T23:30")) == d("2026-10-25")
    assert today(_utc("2026-10-25T23:30")) == d("2026-10-25")


def test_london_day_at_the_start_of_bst():
    # BST starts at 01:00 UTC on Sunday 29 March 2026.
    assert today(_utc("2026-03-28T23:30")) == d("2026-03-28")
    assert today(_utc("2026-03-29T23:30")) == d("2026-03-30")


def test_a_period_closing_on_the_last_day_of_bst(toolkit):
    p = period(2026, 2)
    p.closes_on = d("2026-10-24")
    p.due_on = d("2026-10-20")
    at = today
    assert period_state(p, today=at(_utc("2026-10-24T22:59"))) == PeriodState.OVERDUE
    # 23:30 UTC is already 00:30 on Sunday in London: the period has closed.
    assert period_state(p, today=at(_utc("2026-10-24T23:30"))) == PeriodState.CLOSED


def test_a_period_due_on_the_last_day_of_gmt(toolkit):
    p = period(2025, 4)
    p.due_on = d("2026-03-28")
    assert period_state(p, today=today(_utc("2026-03-28T23:59"))) == PeriodState.DUE_SOON
    # After the clocks go forward, 23:30 UTC on the 29th is 00:30 on the 30th.
    assert period_state(p, today=today(_utc("2026-03-29T22:59"))) == PeriodState.OVERDUE
    assert today(_utc("2026-03-29T23:30")) == d("2026-03-30")


def test_period_rows(toolkit, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the periods, and every ICB's dates once
        rows = period_rows(today=d("2026-04-25"))
    by_label = {r.period.label: r for r in rows}
    assert by_label["Q4 2025/26"].state == PeriodState.DUE_SOON
    assert by_label["Q4 2025/26"].expected_count == 42
    assert by_label["Q1 2026/27"].state == PeriodState.OPEN
    assert by_label["Q1 2026/27"].expected_count == 36
    assert by_label["Q3 2025/26"].state == PeriodState.CLOSED
    assert by_label["Q2 2026/27"].state == PeriodState.UPCOMING


def test_period_theme_and_current(toolkit):
    assert [period(2026, q).theme for q in (1, 2, 3, 4)] == [
        "Joint Forward Plan",
        "Mental capacity",
        "Domestic abuse and the serious violence duty",
        "Child sexual abuse and exploitation",
    ]
    assert current_period(today=d("2026-11-01")).label == "Q3 2026/27"
    assert current_period(today=d("2030-01-01")) is None
