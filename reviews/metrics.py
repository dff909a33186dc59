"""The reviews tracker's contribution to the quarterly return: the figures
the toolkit marks "computed from the reviews tracker", registered with
`assurance.metric_providers` from `ReviewsConfig.ready()` (assurance never
imports this app)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from assurance.metric_providers import ComputedValue
from assurance.models import Metric
from organisations.models import Organisation
from reviews.annual import quarter_start
from reviews.selectors import ActionCounts, review_action_counts
from saaf.dates import nhs_date

REVIEW_METRICS = ("REVIEW_ACTIONS_OVERDUE",)


def review_metric_values(
    *, metrics: Sequence[Metric], icb: Organisation, on: datetime.date
) -> dict[str, ComputedValue]:
    """REVIEW_ACTIONS_OVERDUE: the actions the ICB answers for (its own, and
    its led providers') overdue on `on`, from their due and completion dates,
    as the annual report counts them (`reviews.annual`, its quarter to `on`)."""
    # The annual figures' action counts (`review_figures`), read alone: the
    # metric needs none of the reviews' other figures.
    counts = review_action_counts(on=on, icb_ids=[icb.pk], since=quarter_start(on)).get(
        icb.pk, ActionCounts()
    )
    values = {}
    for metric in metrics:
        if metric.code == "REVIEW_ACTIONS_OVERDUE":
            values[metric.code] = ComputedValue(
                metric.code,
                Decimal(counts.overdue),
                f"{counts.overdue} of {counts.total} review actions overdue on {nhs_date(on)} "
                f"({counts.completed} completed by then).",
            )
    return values
