"""How a generated ICB's standing moves from quarter to quarter
(`assurance.national_history`): ratings drift rather than jump, metric
values follow a level with noise and an occasional lasting step."""

from __future__ import annotations

import random
from decimal import Decimal

from assurance.models import MetricUnit, SelfRating

# A standard is green from 2, amber from 1, red below; each quarter it moves
# by the ICB's shared step (its trend and a quarter's swing) and its own.
STEP = 0.14
ICB_STEP = 0.06
NOT_APPLICABLE = 0.03  # of an ICB's standards, for good
SHIFT = 0.04  # a metric's lasting step, per quarter


class StandingWalk:
    """Each ICB's standing per standard and level per metric, carried from one
    quarter to the next (a successor starts from its predecessors')."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.standing: dict[tuple[int, str], float] = {}
        self.trend: dict[int, float] = {}
        self.level: dict[tuple[int, str], float] = {}

    def start(self, icb_pk: int, predecessors: list[int]) -> None:
        """Before the ICB's first quarter: inherit, or draw a starting point."""
        if icb_pk in self.trend:
            return
        self.trend[icb_pk] = self.rng.gauss(0.01, 0.02)
        for (pk, code), value in list(self.standing.items()):
            if pk in predecessors:
                self.standing.setdefault((icb_pk, code), value)
        for (pk, code), value in list(self.level.items()):
            if pk in predecessors:
                self.level.setdefault((icb_pk, code), value)

    def rating(self, icb_pk: int, code: str, step_shared: float) -> str:
        key = (icb_pk, code)
        if key not in self.standing:
            self.standing[key] = (
                -1.0 if self.rng.random() < NOT_APPLICABLE else self.rng.gauss(2.25, 0.55)
            )
        value = self.standing[key]
        if value < 0:
            return SelfRating.NOT_APPLICABLE
        value = min(3.0, max(0.0, value + step_shared + self.rng.gauss(0, STEP)))
        self.standing[key] = value
        if value >= 2:
            return SelfRating.GREEN
        return SelfRating.AMBER if value >= 1 else SelfRating.RED

    def figure(self, icb_pk: int, metric) -> Decimal:
        key = (icb_pk, metric.code)
        unit = metric.unit
        low, high, noise = {
            MetricUnit.PERCENT: (55.0, 98.0, 3.0),
            MetricUnit.DAYS: (2.0, 35.0, 2.5),
        }.get(unit, (0.0, 20.0, 2.0))
        if key not in self.level:
            self.level[key] = self.rng.uniform(low, high)
        if self.rng.random() < SHIFT:  # a lasting step: a new service, a lost team
            self.level[key] += self.rng.choice((-1, 1)) * (high - low) * 0.15
        self.level[key] = min(high, max(low, self.level[key]))
        value = max(0.0, self.level[key] + self.rng.gauss(0, noise))
        if unit == MetricUnit.PERCENT:
            return Decimal(str(round(min(100.0, value), 1)))
        return Decimal(round(value))
