"""The reviews tracker's figures for a period, per ICB: what the quarterly
return's computed metric (REVIEW_ACTIONS_OVERDUE) and the annual assurance
report read, from one selector, so the two cannot disagree.

A period is (start, end), both days included: a quarter (its return's figure
is as of the quarter's last day) or a financial year. Everything is counted
in SQL for many ICBs at once, in five queries however many ICBs and reviews.

Whose figures:

- **Reviews**: an ICB's reviews are those it leads *or* is involved in — the
  reviews its tracker page lists. SAAF 4.5 asks each ICB to take part in the
  reviews of its places, and its annual report says what it took part in,
  lead or not. So a review involving two ICBs counts under both: a region's
  or the nation's number of reviews is not the sum of its ICBs' rows (the
  overview, `reviews.overview`, counts each review once under its lead ICB).
- **Actions**: an ICB's actions are those owned by the ICB or by a provider it
  leads as lead commissioner (`review_action_counts`), so each action counts
  once nationally and ICB rows do add up.

What "open at the end date" can know: the tracker keeps a review's stage,
not the day it closed. A review counts as open on `end` if it was notified by
then and is not closed now, or was closed but published after `end` (it was
certainly open on `end`). A review closed now, unpublished or published by
`end`, counts as closed: its closing day is not recorded.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from organisations.models import Organisation
from reviews.models import (
    OPEN_STAGES,
    LearningTheme,
    Review,
    ReviewICB,
    ReviewKind,
    ThemeCategory,
)
from reviews.selectors import ActionCounts, review_action_counts


@dataclass(frozen=True)
class ThemeCount:
    code: str
    label: str
    reviews: int

    @property
    def recurs(self) -> bool:
        """In two or more of the ICB's reviews (a theme is on a review once)."""
        return self.reviews >= 2


@dataclass(frozen=True)
class ReviewFigures:
    """One ICB's reviews and actions for the period `start` to `end`."""

    start: datetime.date
    end: datetime.date
    opened: int = 0
    published: int = 0
    open_by_kind: Mapping[str, int] = field(default_factory=dict)
    actions: ActionCounts = field(default_factory=ActionCounts)
    learning_themes: tuple[ThemeCount, ...] = ()

    @property
    def open_at_end(self) -> int:
        return sum(self.open_by_kind.values())

    @property
    def overdue_actions(self) -> int:
        """Overdue on the period's last day: the return's REVIEW_ACTIONS_OVERDUE."""
        return self.actions.overdue

    @property
    def actions_completed(self) -> int:
        """Completed within the period (by their completion date)."""
        return self.actions.completed_in_period

    @property
    def open_by_kind_labelled(self) -> list[tuple[str, int]]:
        """(kind's label, count) in the list's order, kinds with none left out."""
        return [(k.label, self.open_by_kind[k]) for k in ReviewKind if self.open_by_kind.get(k)]

    @property
    def recurring_themes(self) -> list[ThemeCount]:
        return [t for t in self.learning_themes if t.recurs]


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the quarter holding `day` (financial quarters start
    in April, July, October and January, as calendar quarters do)."""
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def financial_year_period(year: int) -> tuple[datetime.date, datetime.date]:
    """The NHS financial year starting in April of `year`: (1 April, 31 March)."""
    return datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31)


def _open_on_q(end: datetime.date, prefix: str = "") -> Q:
    """Open on `end`, as far as the tracker can tell (see the module's note)."""
    return Q(**{f"{prefix}notified_on__lte": end}) & (
        Q(**{f"{prefix}stage__in": OPEN_STAGES}) | Q(**{f"{prefix}published_on__gt": end})
    )


def _rows_by_icb(led, involved) -> Iterable[tuple[int, dict]]:
    """(ICB id, row) from two grouped queries: one over the reviews the ICBs
    lead (keyed `lead_icb`), one over those they are involved in without
    leading (keyed `icb`)."""
    for row in led:
        yield row.pop("lead_icb"), row
    for row in involved:
        yield row.pop("icb"), row


def review_figures(
    *, icbs: Iterable[Organisation], start: datetime.date, end: datetime.date
) -> dict[int, ReviewFigures]:
    """Per ICB (by id), its reviews opened (notified) and published within
    `start`..`end`, its reviews open on `end` by kind, the learning themes of
    its reviews notified within the period (the overview's "by year" rule),
    and the actions it answers for: overdue on `end`, completed within the
    period. Every ICB given has an entry, zeros included. Not scoped by
    reader: the return and the report that call it are. Five queries (six if
    `icbs` is a queryset still to be read)."""
    if start > end:
        raise ValueError("A period's start is on or before its end.")
    icb_ids = [icb.pk for icb in icbs]

    def review_counts(prefix: str) -> dict:
        return {
            "opened": Count("pk", filter=Q(**{f"{prefix}notified_on__range": (start, end)})),
            "published": Count("pk", filter=Q(**{f"{prefix}published_on__range": (start, end)})),
            "open": Count("pk", filter=_open_on_q(end, prefix)),
        }

    led = Review.objects.filter(lead_icb__in=icb_ids)
    # The services keep a review's lead out of its involved ICBs; excluding it
    # here as well makes sure a review counts once per ICB whatever the data.
    involved = ReviewICB.objects.filter(icb__in=icb_ids).exclude(icb=F("review__lead_icb"))
    opened: dict[int, int] = defaultdict(int)
    published: dict[int, int] = defaultdict(int)
    open_by_kind: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for icb_id, row in _rows_by_icb(
        led.values("lead_icb", "kind").annotate(**review_counts("")).order_by(),
        involved.values("icb", kind=F("review__kind"))
        .annotate(**review_counts("review__"))
        .order_by(),
    ):
        opened[icb_id] += row["opened"]
        published[icb_id] += row["published"]
        if row["open"]:
            open_by_kind[icb_id][row["kind"]] += row["open"]

    learning = Q(themes__category=ThemeCategory.LEARNING)
    theme_counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for icb_id, row in _rows_by_icb(
        led.filter(learning, notified_on__range=(start, end))
        .values("lead_icb", code=F("themes__code"))
        .annotate(n=Count("pk", distinct=True))
        .order_by(),
        involved.filter(
            Q(review__themes__category=ThemeCategory.LEARNING),
            review__notified_on__range=(start, end),
        )
        .values("icb", code=F("review__themes__code"))
        .annotate(n=Count("review", distinct=True))
        .order_by(),
    ):
        theme_counts[icb_id][row["code"]] += row["n"]

    actions = review_action_counts(on=end, icb_ids=icb_ids, since=start)
    labels = dict(LearningTheme.choices)
    return {
        icb_id: ReviewFigures(
            start=start,
            end=end,
            opened=opened[icb_id],
            published=published[icb_id],
            open_by_kind=dict(open_by_kind[icb_id]),
            actions=actions.get(icb_id, ActionCounts()),
            learning_themes=tuple(
                sorted(
                    (
                        ThemeCount(code, labels.get(code, code), n)
                        for code, n in theme_counts[icb_id].items()
                    ),
                    key=lambda t: (-t.reviews, t.label),
                )
            ),
        )
        for icb_id in icb_ids
    }
