"""Quarterly returns for the generated national data (`generate_national_data`):
a draft for every ICB and every open period, answered in part — the spread a
national lead meets mid-quarter: most standards rated (mostly green, some
amber and red with action plans, a few not applicable with reasons), some
not yet, most reported metrics given. Bulk inserted; each row is what
`assurance.services.returns` would save (a test runs `full_clean` on a sample).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from assurance.models import (
    ActionStatus,
    Answer,
    MetricUnit,
    MetricValue,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
    SelfRating,
)
from organisations.models import Organisation, User

BATCH_SIZE = 2000
_RATINGS = (
    [SelfRating.GREEN] * 14
    + [SelfRating.AMBER] * 4
    + [SelfRating.RED] * 2
    + [SelfRating.NOT_APPLICABLE]
)


def national_returns_generate(
    rng: random.Random, icbs: list[Organisation], *, today: datetime.date, actor: User
) -> tuple[int, int, int]:
    """Draft returns for `icbs` in every period open on `today`: returns how
    many returns, answers and metric values were made."""
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=today, closes_on__gte=today)
        .select_related("toolkit_version")
        .order_by("financial_year", "quarter")
    )
    returns = [
        QuarterlyReturn(icb=icb, period=period, started_by=actor)
        for period in periods
        for icb in icbs
        if icb.existed_on(period.ends_on)
    ]
    QuarterlyReturn.objects.bulk_create(returns, batch_size=BATCH_SIZE)
    returns = list(
        QuarterlyReturn.objects.filter(period__in=periods, icb__in=icbs).select_related("period")
    )
    by_version = {}
    for period in periods:
        version = period.toolkit_version
        if version.pk not in by_version:
            by_version[version.pk] = (
                list(version.standards.order_by("position", "code")),
                list(version.metrics.filter(computed_from="").order_by("position", "code")),
            )
    answers, values = [], []
    for ret in returns:
        standards, metrics = by_version[ret.period.toolkit_version_id]
        answered = rng.uniform(0.4, 1.0)  # how far this ICB has got
        for standard in standards:
            if rng.random() > answered:
                continue
            rating = rng.choice(_RATINGS)
            answers.append(
                Answer(
                    quarterly_return=ret,
                    standard=standard,
                    rating=rating,
                    not_applicable_reason="No such service commissioned in the ICB."
                    if rating == SelfRating.NOT_APPLICABLE
                    else "",
                    narrative="" if rng.random() < 0.1 else f"Assurance for {standard.code}.",
                    revision=1,
                    updated_by=actor,
                )
            )
        for metric in metrics:
            if rng.random() > answered:
                continue
            values.append(
                MetricValue(
                    quarterly_return=ret,
                    metric=metric,
                    value=_value(rng, metric),
                    revision=1,
                    updated_by=actor,
                )
            )
    Answer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
    MetricValue.objects.bulk_create(values, batch_size=BATCH_SIZE)
    actions = [
        ReturnAction(
            answer=answer,
            description="Recover the position and report to the committee.",
            owner="Designated nurse",
            due_on=today + datetime.timedelta(days=rng.randint(-30, 120)),
            status=rng.choice(ActionStatus.values),
        )
        for answer in Answer.objects.filter(
            quarterly_return__in=returns, rating__in=[SelfRating.RED, SelfRating.AMBER]
        ).only("pk")
        if rng.random() < 0.85  # a few still waiting for their action plan
    ]
    ReturnAction.objects.bulk_create(actions, batch_size=BATCH_SIZE)
    return len(returns), len(answers), len(values)


def _value(rng: random.Random, metric) -> Decimal:
    if metric.unit == MetricUnit.PERCENT:
        return Decimal(rng.randint(55, 100))
    if metric.unit == MetricUnit.DAYS:
        return Decimal(rng.randint(0, 40))
    return Decimal(rng.randint(0, 25))
