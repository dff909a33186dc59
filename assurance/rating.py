"""Turning a metric's value into a RAG rating: the one place this is decided.

Thresholds belong to the toolkit version, so the same value can rate
differently from one year to the next. Where higher is better, a value at or
above green is green, at or above amber (and below green) is amber, anything
lower red; where lower is better, at or below green is green, at or below
amber amber, anything higher red. A metric without thresholds, or without a
value, is not rated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf

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


# --- Cell ratings: a section's rating for one return --------------------------------

# Worst first: a cell takes the worst rating among its applicable standards.
STANDARD_ORDER = ("red", "amber", "green")
NOT_APPLICABLE = "not_applicable"


def answer_rating_expression(prefix: str = "") -> Coalesce:
    """SQL for a submitted answer's rating as rollups count it: the regional
    lead's validated rating where recorded, else the ICB's self-assessment.
    `prefix` reaches the answer through a relation (`"answers__"`)."""
    return Coalesce(NullIf(F(f"{prefix}validated_rating"), Value("")), F(f"{prefix}rating"))


def answer_rating(answer) -> str:
    """The same rule for one submitted answer already in memory."""
    return answer.validated_rating or answer.rating


@dataclass(frozen=True)
class CellRating:
    """A cell of a heatmap or report: its rating (worst of the applicable
    standards; "not_applicable" when none applies; "" when nothing is rated)
    and its counts, which every cell also shows as text."""

    rating: str
    counts: dict[str, int]

    @cached_property  # a heatmap reads it several times per cell
    def text(self) -> str:
        return counts_text(self.counts)


def counts_text(counts: dict[str, int]) -> str:
    """Counts of ratings as words: "1 red, 3 amber, 2 not applicable"."""
    parts = [f"{counts[r]} {r}" for r in STANDARD_ORDER if counts.get(r)]
    if counts.get(NOT_APPLICABLE):
        parts.append(f"{counts[NOT_APPLICABLE]} not applicable")
    return ", ".join(parts)


def cell_rating(ratings: Iterable[str]) -> CellRating:
    """Worst-of over `ratings` (validated where recorded, else self-assessed:
    pass `answer_rating` of each, or the values of `answer_rating_expression`):
    red worse than amber worse than green, not applicable ignored, all not
    applicable → not applicable; unrated answers are not counted."""
    counts = Counter(r for r in ratings if r)
    worst = next((r for r in STANDARD_ORDER if counts.get(r)), "")
    if not worst and counts.get(NOT_APPLICABLE):
        worst = NOT_APPLICABLE
    return CellRating(rating=worst, counts=dict(counts))
