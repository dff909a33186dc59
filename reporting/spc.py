"""Statistical process control charts for metric trends, as NHS England's
"Making Data Count" draws them: an XmR (individuals) chart of a series of
quarters, its mean and process limits, and the points that signal special
cause variation, coloured by whether the change is an improvement or a
concern for the metric.

The maths (Wheeler's individuals chart):

- the mean of the values, and the moving ranges |x[i] - x[i-1]|;
- process limits at mean ± 2.66 × the mean moving range (2.66 = 3 / 1.128,
  so the limits sit at three sigma); two sigma at mean ± 2/3 of that.

The four rules, each a function below, tested on hand-made series at their
boundaries:

1. a point beyond a process limit (on the limit is inside);
2. a shift: seven or more points in a row on the same side of the mean (a
   point on the mean breaks the run);
3. a trend: seven or more points in a row each higher than the one before,
   or each lower (a repeated value breaks the run);
4. two of three points in a row beyond two sigma on the same side of the
   mean (the third may lie anywhere).

Limits drawn from fewer than 12 points are not trusted (Making Data Count
asks for 15–20, and 12 at the very least): such a series is drawn as a
plain run chart, without limits or signals, and says why.

The chart is SVG built by hand (no plotting dependency); every chart has its
figures in a table beside it (`SpcChart.rows`), and its colours always come
with the meaning in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

# Points needed before limits mean anything.
MIN_POINTS_FOR_LIMITS = 12
RUN_LENGTH = 7
LIMIT_FACTOR = 2.66


class Signal:
    BEYOND_LIMITS = "beyond_limits"
    SHIFT = "shift"
    TREND = "trend"
    TWO_OF_THREE = "two_of_three"


SIGNAL_WORDS = {
    Signal.BEYOND_LIMITS: "beyond a process limit",
    Signal.SHIFT: "seven or more in a row on one side of the mean",
    Signal.TREND: "seven or more in a row rising or falling",
    Signal.TWO_OF_THREE: "two of three beyond two sigma on one side",
}


class Variation:
    COMMON = "common"
    IMPROVEMENT = "improvement"
    CONCERN = "concern"
    NEITHER = "neither"


VARIATION_WORDS = {
    Variation.COMMON: "Common cause variation: no signal",
    Variation.IMPROVEMENT: "Special cause variation: improvement",
    Variation.CONCERN: "Special cause variation: concern",
    Variation.NEITHER: "Special cause variation: neither better nor worse",
}
# Making Data Count's colours: grey common cause, blue improvement, orange
# concern, purple where the metric has no better direction.
VARIATION_COLOURS = {
    Variation.COMMON: "#768692",
    Variation.IMPROVEMENT: "#005eb8",
    Variation.CONCERN: "#ed8b00",
    Variation.NEITHER: "#330072",
}


UNIT_WORDS = {"percent": "%", "days": "days", "count": "count"}


# --- The maths -----------------------------------------------------------------------


def moving_ranges(values: list[float]) -> list[float]:
    """|x[i] - x[i-1]| for each point after the first."""
    return [abs(b - a) for a, b in zip(values, values[1:], strict=False)]


@dataclass(frozen=True)
class Limits:
    mean: float
    mean_moving_range: float

    @property
    def upper(self) -> float:
        return self.mean + LIMIT_FACTOR * self.mean_moving_range

    @property
    def lower(self) -> float:
        return self.mean - LIMIT_FACTOR * self.mean_moving_range

    @property
    def upper_two_sigma(self) -> float:
        return self.mean + 2 / 3 * LIMIT_FACTOR * self.mean_moving_range

    @property
    def lower_two_sigma(self) -> float:
        return self.mean - 2 / 3 * LIMIT_FACTOR * self.mean_moving_range


def limits_of(values: list[float]) -> Limits:
    ranges = moving_ranges(values)
    return Limits(mean=fmean(values), mean_moving_range=fmean(ranges) if ranges else 0.0)


# --- The four rules: each returns the indexes of the points that signal ----------


def rule_beyond_limits(values: list[float], limits: Limits) -> set[int]:
    """Rule 1: a point above the upper or below the lower process limit."""
    return {i for i, v in enumerate(values) if v > limits.upper or v < limits.lower}


def _runs(flags: list[int]) -> set[int]:
    """Indexes in runs of RUN_LENGTH or more equal non-zero flags."""
    found: set[int] = set()
    start = 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start] or flags[i] == 0:
            if flags[start] != 0 and i - start >= RUN_LENGTH:
                found.update(range(start, i))
            start = i
    return found


def rule_shift(values: list[float], limits: Limits) -> set[int]:
    """Rule 2: seven or more points in a row above the mean, or below it."""
    sides = [(v > limits.mean) - (v < limits.mean) for v in values]
    return _runs(sides)


def rule_trend(values: list[float]) -> set[int]:
    """Rule 3: seven or more points in a row each higher than the one before
    (six rises), or each lower."""
    found: set[int] = set()
    steps = [(b > a) - (b < a) for a, b in zip(values, values[1:], strict=False)]
    start = 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or steps[i] != steps[start]:
            # steps[start:i] all equal: points start .. i
            if steps[start] != 0 and i - start + 1 >= RUN_LENGTH:
                found.update(range(start, i + 1))
            start = i
    return found


def rule_two_of_three(values: list[float], limits: Limits) -> set[int]:
    """Rule 4: two of three points in a row beyond two sigma on the same side
    of the mean; the two points signal."""
    found: set[int] = set()
    high = [v > limits.upper_two_sigma for v in values]
    low = [v < limits.lower_two_sigma for v in values]
    for start in range(len(values) - 2):
        for beyond in (high, low):
            window = [i for i in range(start, start + 3) if beyond[i]]
            if len(window) >= 2:
                found.update(window)
    return found


# --- A chart ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float
    note: str = ""


@dataclass
class ChartRow:
    label: str
    value: float
    moving_range: float | None
    signals: list[str]
    variation: str
    note: str

    @property
    def signal_words(self) -> str:
        return "; ".join(SIGNAL_WORDS[s] for s in self.signals)

    @property
    def variation_words(self) -> str:
        return VARIATION_WORDS[self.variation]


@dataclass
class SpcChart:
    """A metric's series as an XmR chart (12 points or more) or a run chart."""

    title: str
    unit: str
    higher_is_better: bool | None
    points: list[ChartPoint]
    limits: Limits | None = None
    rows: list[ChartRow] = field(default_factory=list)

    @property
    def is_xmr(self) -> bool:
        return self.limits is not None

    @property
    def why_run_chart(self) -> str:
        if self.is_xmr:
            return ""
        return (
            f"Only {len(self.points)} quarter{'s' if len(self.points) != 1 else ''} of data: "
            f"process limits need at least {MIN_POINTS_FOR_LIMITS}, so this is a run chart "
            "of the values and their median, without limits or signals."
        )

    @property
    def direction_words(self) -> str:
        if self.higher_is_better is None:
            return "This metric has no better direction: signals are marked purple."
        better = "higher" if self.higher_is_better else "lower"
        worse = "lower" if self.higher_is_better else "higher"
        return (
            f"For this metric {better} is better: a signal on the {better} side is an "
            f"improvement (blue), on the {worse} side a concern (orange); grey points show "
            "common cause variation."
        )

    @property
    def direction_short(self) -> str:
        """The direction in a few words, for a compact chart whose colours are
        explained once above it."""
        if self.higher_is_better is None:
            return "No better direction."
        return "Higher is better." if self.higher_is_better else "Lower is better."

    @property
    def unit_words(self) -> str:
        return UNIT_WORDS.get(self.unit, self.unit)

    @property
    def variations(self) -> list[str]:
        """The kinds of special cause variation the chart shows, in words."""
        seen = dict.fromkeys(r.variation for r in self.rows if r.variation != Variation.COMMON)
        return [VARIATION_WORDS[v] for v in seen]

    @property
    def centre(self) -> float | None:
        if self.limits:
            return self.limits.mean
        if not self.points:
            return None
        ordered = sorted(p.value for p in self.points)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2

    @property
    def svg(self) -> str:
        from reporting.spc_svg import chart_svg

        return chart_svg(self)


def _variation(value: float, mean: float, higher_is_better: bool | None) -> str:
    if higher_is_better is None:
        return Variation.NEITHER
    high = value > mean
    return Variation.IMPROVEMENT if high == higher_is_better else Variation.CONCERN


def spc_chart(
    *, title: str, unit: str, higher_is_better: bool | None, points: list[ChartPoint]
) -> SpcChart:
    """The chart of `points` in order: an XmR chart with its signals from 12
    points, a run chart below that."""
    values = [p.value for p in points]
    ranges = [None, *moving_ranges(values)]
    chart = SpcChart(title=title, unit=unit, higher_is_better=higher_is_better, points=points)
    signals: dict[int, list[str]] = {}
    if len(points) >= MIN_POINTS_FOR_LIMITS:
        chart.limits = limits_of(values)
        for rule, found in (
            (Signal.BEYOND_LIMITS, rule_beyond_limits(values, chart.limits)),
            (Signal.SHIFT, rule_shift(values, chart.limits)),
            (Signal.TREND, rule_trend(values)),
            (Signal.TWO_OF_THREE, rule_two_of_three(values, chart.limits)),
        ):
            for i in found:
                signals.setdefault(i, []).append(rule)
    for i, point in enumerate(points):
        found = signals.get(i, [])
        if not found:
            variation = Variation.COMMON
        elif found == [Signal.TREND]:
            # A trend's side is its direction, not where it sits against the mean.
            rising = (
                i + 1 < len(values)
                and values[i + 1] > values[i]
                or (i > 0 and values[i] > values[i - 1])
            )
            variation = _variation(1.0 if rising else -1.0, 0.0, higher_is_better)
        else:
            variation = _variation(point.value, chart.limits.mean, higher_is_better)
        chart.rows.append(
            ChartRow(
                label=point.label,
                value=point.value,
                moving_range=ranges[i],
                signals=found,
                variation=variation,
                note=point.note,
            )
        )
    return chart
