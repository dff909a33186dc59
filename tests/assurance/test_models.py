"""The database refuses what the services refuse, as a second line: unique
codes and years, thresholds, and period dates."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from assurance.models import Metric, ReportingPeriod, Section, Standard, ToolkitVersion
from assurance.models.periods import default_dates, financial_year_label, quarter_bounds


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_financial_year_labels():
    assert financial_year_label(2025) == "2025/26"
    assert financial_year_label(2099) == "2099/00"


@pytest.mark.parametrize(
    ("quarter", "first", "last", "due", "closes"),
    [
        (1, "2026-04-01", "2026-06-30", "2026-07-30", "2026-08-29"),
        (2, "2026-07-01", "2026-09-30", "2026-10-30", "2026-11-29"),
        (3, "2026-10-01", "2026-12-31", "2027-01-30", "2027-03-01"),
        (4, "2027-01-01", "2027-03-31", "2027-04-30", "2027-05-30"),
    ],
)
def test_quarters_and_default_dates(quarter, first, last, due, closes):
    d = datetime.date.fromisoformat
    assert quarter_bounds(2026, quarter) == (d(first), d(last))
    assert default_dates(2026, quarter) == {
        "opens_on": d(first),
        "due_on": d(due),
        "closes_on": d(closes),
    }


def test_unique_year_and_codes(toolkit):
    v = toolkit[2026]
    lg = v.sections.get(code="LG")
    refused(lambda: ToolkitVersion.objects.create(financial_year=2026))
    refused(lambda: Section.objects.create(version=v, code="LG", title="x"))
    refused(lambda: Standard.objects.create(version=v, section=lg, code="LG1", statement="x"))
    refused(
        lambda: Metric.objects.create(version=v, section=lg, code="FGM_NEW_CASES", unit="count")
    )


@pytest.mark.parametrize(
    ("higher", "unit", "green", "amber"),
    [
        (True, "percent", "80", "90"),
        (False, "count", "5", "1"),
        (True, "percent", "101", "50"),
        (True, "percent", "50", "-1"),
        (True, "count", "5", None),
    ],
)
def test_threshold_constraints(toolkit, higher, unit, green, amber):
    v = toolkit[2026]
    refused(
        lambda: Metric.objects.create(
            version=v,
            section=v.sections.get(code="LG"),
            code="BAD",
            name="x",
            unit=unit,
            higher_is_better=higher,
            green=Decimal(green),
            amber=Decimal(amber) if amber else None,
        )
    )


def test_period_constraints(toolkit):
    v = toolkit[2026]
    d = datetime.date
    refused(
        lambda: ReportingPeriod.objects.create(
            financial_year=2026,
            quarter=1,
            toolkit_version=v,
            **default_dates(2026, 1),
        )
    )
    ReportingPeriod.objects.filter(financial_year=2026).delete()
    refused(
        lambda: ReportingPeriod.objects.create(
            financial_year=2026,
            quarter=5,
            toolkit_version=v,
            opens_on=d(2026, 4, 1),
            due_on=d(2026, 5, 1),
            closes_on=d(2026, 6, 1),
        )
    )
    refused(
        lambda: ReportingPeriod.objects.create(
            financial_year=2026,
            quarter=1,
            toolkit_version=v,
            opens_on=d(2026, 4, 1),
            due_on=d(2026, 8, 1),
            closes_on=d(2026, 7, 1),
        )
    )


def test_period_uses_its_years_toolkit(toolkit):
    from django.core.exceptions import ValidationError

    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    period.toolkit_version = toolkit[2025]
    with pytest.raises(ValidationError) as excinfo:
        period.full_clean()
    assert excinfo.value.message_dict["toolkit_version"] == [
        "Q1 2026/27 uses the 2026/27 toolkit, not 2025/26."
    ]
