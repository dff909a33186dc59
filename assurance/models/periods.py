"""Reporting periods: the quarters in which ICBs give their assurance.

Quarters follow the financial year (Q1 April to June ... Q4 January to
March). Each has a national theme heatmap and uses one toolkit version, the
one of its financial year. A period's return opens, falls due and closes on
dates the national admin may move; the defaults are in `default_dates`.
Dates are calendar days in Europe/London.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

# A return is due this many days after its quarter ends, and closes this many.
DEFAULT_DUE_AFTER_DAYS = 30
DEFAULT_CLOSE_AFTER_DAYS = 60


def financial_year_label(start_year: int) -> str:
    """2026 → "2026/27": the financial year running from 1 April 2026."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year_of(day: datetime.date) -> int:
    """The start year of the financial year that holds `day`."""
    return day.year if day.month >= 4 else day.year - 1


class Quarter(models.IntegerChoices):
    Q1 = 1, "Q1"
    Q2 = 2, "Q2"
    Q3 = 3, "Q3"
    Q4 = 4, "Q4"


QUARTER_THEMES = {
    Quarter.Q1: "Joint Forward Plan",
    Quarter.Q2: "Mental capacity",
    Quarter.Q3: "Domestic abuse and the serious violence duty",
    Quarter.Q4: "Child sexual abuse and exploitation",
}

QUARTER_MONTHS = {
    Quarter.Q1: "April to June",
    Quarter.Q2: "July to September",
    Quarter.Q3: "October to December",
    Quarter.Q4: "January to March",
}


def quarter_bounds(financial_year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a quarter of the financial year starting in April of
    `financial_year`."""
    start_month = 4 + 3 * (quarter - 1)
    year = financial_year + (start_month - 1) // 12
    month = (start_month - 1) % 12 + 1
    first = datetime.date(year, month, 1)
    next_month = month + 3
    next_first = datetime.date(year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1)
    return first, next_first - datetime.timedelta(days=1)


def default_dates(financial_year: int, quarter: int) -> dict[str, datetime.date]:
    """Open on the quarter's first day, due 30 days after it ends, closed 60 days after."""
    first, last = quarter_bounds(financial_year, quarter)
    return {
        "opens_on": first,
        "due_on": last + datetime.timedelta(days=DEFAULT_DUE_AFTER_DAYS),
        "closes_on": last + datetime.timedelta(days=DEFAULT_CLOSE_AFTER_DAYS),
    }


class ReportingPeriodQuerySet(models.QuerySet["ReportingPeriod"]):
    def of_year(self, financial_year: int) -> ReportingPeriodQuerySet:
        return self.filter(financial_year=financial_year)


class ReportingPeriod(models.Model):
    """One quarter of one financial year, for which every ICB that existed on
    its last day owes a return against the period's toolkit version."""

    financial_year = models.PositiveSmallIntegerField(
        help_text="The year the financial year starts in: 2026 is 2026/27."
    )
    quarter = models.PositiveSmallIntegerField(choices=Quarter.choices)
    toolkit_version = models.ForeignKey(
        "assurance.ToolkitVersion", on_delete=models.PROTECT, related_name="periods"
    )
    opens_on = models.DateField("opens on", help_text="The first day a return can be submitted.")
    due_on = models.DateField("due on", help_text="The last day a return is on time.")
    closes_on = models.DateField(
        "closes on", help_text="The last day a late return can still be submitted."
    )

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["financial_year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "quarter"],
                name="reporting_period_unique_quarter",
                violation_error_message="That quarter already has a reporting period.",
            ),
            models.CheckConstraint(
                name="reporting_period_quarter_1_to_4",
                condition=Q(quarter__gte=1, quarter__lte=4),
                violation_error_message="A quarter is Q1, Q2, Q3 or Q4.",
            ),
            models.CheckConstraint(
                name="reporting_period_dates_in_order",
                condition=Q(opens_on__lte=F("due_on"), due_on__lte=F("closes_on")),
                violation_error_message="A period opens, then falls due, then closes.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {financial_year_label(self.financial_year)}"

    @property
    def financial_year_label(self) -> str:
        return financial_year_label(self.financial_year)

    @property
    def theme(self) -> str:
        return QUARTER_THEMES[Quarter(self.quarter)]

    @property
    def months(self) -> str:
        return QUARTER_MONTHS[Quarter(self.quarter)]

    @property
    def starts_on(self) -> datetime.date:
        return quarter_bounds(self.financial_year, self.quarter)[0]

    @property
    def ends_on(self) -> datetime.date:
        """The quarter's last day: the ICBs that existed then must return."""
        return quarter_bounds(self.financial_year, self.quarter)[1]

    def clean(self) -> None:
        errors = {}
        if self.opens_on and self.due_on and self.due_on < self.opens_on:
            errors["due_on"] = "The due date must be on or after the opening date."
        if self.due_on and self.closes_on and self.closes_on < self.due_on:
            errors["closes_on"] = "The closing date must be on or after the due date."
        if (
            self.toolkit_version_id
            and self.financial_year
            and self.toolkit_version.financial_year != self.financial_year
        ):
            errors["toolkit_version"] = (
                f"{self.label} uses the {financial_year_label(self.financial_year)} toolkit, "
                f"not {self.toolkit_version.label}."
            )
        if errors:
            raise ValidationError(errors)
