"""Turning a metric's value into a RAG rating: the one place this is decided.

Thresholds belong to the toolkit version, so the same value can rate
differently from one year to the next. Where higher is better, a value at or
above green is green, at or above amber (and below green) is amber, anything
lower red; where lower is better, at or below green is green, at or below
amber amber, anything higher red. A metric without thresholds, or without a
value, is not rated.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import models

from assurance.models import Metric


class Rating(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    NOT_RATED = "not_rated", "Not rated"


def metric_rate(metric: Metric, value: Decimal | int | float | str | None) -> Rating:
    """The RAG rating of `value` for `metric`, by its version's thresholds."""
    if value is None or value == "" or not metric.is_rated:
        return Rating.NOT_RATED
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return Rating.NOT_RATED
    if not number.is_finite():
        return Rating.NOT_RATED
    green, amber = Decimal(metric.green), Decimal(metric.amber)
    if metric.higher_is_better:
        if number >= green:
            return Rating.GREEN
        return Rating.AMBER if number >= amber else Rating.RED
    if number <= green:
        return Rating.GREEN
    return Rating.AMBER if number <= amber else Rating.RED
