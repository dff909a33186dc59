"""The region's and the nation's view of the reviews tracker (and an ICB's
own): counts by kind, stage and year, overdue actions by ICB, slippage, and
the recurring learning themes, within the reader's scope.

Everything is counted in SQL (`values().annotate()`), in a fixed number of
queries however many reviews there are. A review is counted once, under the
ICB that leads it (and that ICB's region); years are NHS financial years
(April to March) of the date of notification. An ICB's actions are those it
answers for (`review_action_counts`), so each action counts once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, When
from django.db.models.functions import ExtractYear

from organisations.models import Organisation, OrganisationKind
from organisations.scoping import scope_of
from reviews.models import (
    OPEN_STAGES,
    LearningTheme,
    Review,
    ReviewKind,
    ReviewTheme,
    Stage,
    ThemeCategory,
    visible_icb_ids,
)
from reviews.selectors import ActionCounts, review_action_counts
from saaf.dates import today

SLIPPED_LISTED = 100
# The chart's geometry, in SVG user units (it scales to the page's width).
CHART_LABEL_WIDTH = 250
CHART_BAR_WIDTH = 380
CHART_ROW_HEIGHT = 28
CHART_TOP = 8


def financial_year(field: str) -> Case:
    """The NHS financial year (the year it starts) of a date field, in SQL."""
    year = ExtractYear(field)
    return Case(
        When(**{f"{field}__month__gte": 4}, then=year),
        default=year - 1,
        output_field=IntegerField(),
    )


def financial_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


@dataclass(frozen=True)
class KindRow:
    label: str
    total: int
    open: int
    published: int


@dataclass(frozen=True)
class IcbActions:
    icb: Organisation
    open_reviews: int
    counts: ActionCounts


@dataclass(frozen=True)
class SlippedReview:
    review: Review
    days: int


@dataclass(frozen=True)
class ThemeRow:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class ThemeByRegionYear:
    label: str
    region: str
    year: str
    count: int


@dataclass(frozen=True)
class RecurringTheme:
    icb: str
    region: str
    label: str
    reviews: int


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + CHART_ROW_HEIGHT // 2 + 5


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = CHART_LABEL_WIDTH


@dataclass
class Overview:
    on: datetime.date
    region: Organisation | None
    review_count: int
    by_kind: list[KindRow]
    by_stage: list[Tally]
    by_year: list[Tally]
    actions_by_icb: list[IcbActions]
    slipped_count: int
    slipped: list[SlippedReview]
    themes: list[ThemeRow]
    themes_by_region_year: list[ThemeByRegionYear]
    recurring: list[RecurringTheme]

    @property
    def overdue_total(self) -> int:
        return sum(row.counts.overdue for row in self.actions_by_icb)

    @property
    def theme_chart(self) -> Chart:
        return theme_chart(self.themes)


def theme_chart(themes: list[ThemeRow]) -> Chart:
    """Horizontal bars, longest for the most frequent theme, each with its
    label and its count as text (the same figures as the table)."""
    top = max((t.count for t in themes), default=0) or 1
    bars = [
        Bar(
            label=t.label,
            count=t.count,
            y=CHART_TOP + i * CHART_ROW_HEIGHT,
            width=max(1, round(CHART_BAR_WIDTH * t.count / top)) if t.count else 0,
        )
        for i, t in enumerate(themes)
    ]
    return Chart(
        bars=bars,
        width=CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 60,
        height=CHART_TOP * 2 + CHART_ROW_HEIGHT * max(1, len(bars)),
    )


def _slipped_q(day: datetime.date) -> Q:
    """Past the expected date of publication: published after it, or still
    unpublished (and open) after it."""
    return Q(expected_publication_on__isnull=False) & (
        Q(published_on__gt=F("expected_publication_on"))
        | Q(
            published_on__isnull=True,
            stage__in=OPEN_STAGES,
            expected_publication_on__lt=day,
        )
    )


def overview_regions(*, user) -> list[Organisation]:
    """The regions the user may narrow the overview to: one query."""
    return list(
        Organisation.objects.filter(
            kind=OrganisationKind.REGION, pk__in=scope_of(user).visible_ids()
        ).order_by("name")
    )


def reviews_overview(
    *, user, on: datetime.date | None = None, region: Organisation | None = None
) -> Overview:
    """The figures of the overview page for the reviews `user` reads: a
    region its ICBs', the national roles every ICB's, an ICB its own; with
    `region`, only the reviews led by that region's ICBs. Nine queries,
    whatever the number of reviews."""
    day = on or today()
    reviews = Review.objects.visible_to(user)
    icbs_seen = Organisation.objects.icbs().filter(pk__in=visible_icb_ids(user))
    if region is not None:
        reviews = reviews.filter(lead_icb__parent=region)
        icbs_seen = icbs_seen.filter(parent=region)
    kinds = {
        row["kind"]: row
        for row in reviews.values("kind")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(stage__in=OPEN_STAGES)),
            published=Count("pk", filter=Q(published_on__isnull=False)),
        )
        .order_by()
    }
    by_kind = [
        KindRow(kind.label, kinds[kind]["total"], kinds[kind]["open"], kinds[kind]["published"])
        for kind in ReviewKind
        if kind in kinds
    ]
    stages = dict(reviews.values("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    by_stage = [Tally(stage.label, stages.get(stage, 0)) for stage in Stage]
    by_year = [
        Tally(financial_year_label(row["year"]), row["n"])
        for row in reviews.annotate(year=financial_year("notified_on"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("year")
    ]

    icbs = list(
        icbs_seen.select_related("parent")
        .annotate(open_reviews=Count("reviews_led", filter=Q(reviews_led__stage__in=OPEN_STAGES)))
        .order_by("parent__name", "name")
    )
    counts = review_action_counts(on=day, icb_ids=[icb.pk for icb in icbs])
    actions_by_icb = [
        IcbActions(icb, icb.open_reviews, counts.get(icb.pk, ActionCounts())) for icb in icbs
    ]

    slipped_reviews = reviews.filter(_slipped_q(day))
    slipped_count = slipped_reviews.count()
    slipped = sorted(
        (
            SlippedReview(review, review.slippage_days(day) or 0)
            for review in slipped_reviews.select_related("lead_icb").order_by(
                "expected_publication_on", "pk"
            )[:SLIPPED_LISTED]
        ),
        key=lambda s: (-s.days, s.review.reference),
    )

    learning = ReviewTheme.objects.filter(
        category=ThemeCategory.LEARNING, review__in=reviews.values("pk")
    )
    theme_counts = dict(
        learning.values("code").annotate(n=Count("pk")).order_by().values_list("code", "n")
    )
    themes = sorted(
        (ThemeRow(code, label, theme_counts[code]) for code, label in LearningTheme.choices
         if code in theme_counts),
        key=lambda t: (-t.count, t.label),
    )  # fmt: skip
    labels = dict(LearningTheme.choices)
    themes_by_region_year = [
        ThemeByRegionYear(
            labels.get(row["code"], row["code"]),
            row["review__lead_icb__parent__name"] or "",
            financial_year_label(row["year"]),
            row["n"],
        )
        for row in learning.annotate(year=financial_year("review__notified_on"))
        .values("code", "review__lead_icb__parent__name", "year")
        .annotate(n=Count("pk"))
        .order_by("review__lead_icb__parent__name", "year", "-n", "code")
    ]
    recurring = [
        RecurringTheme(
            row["review__lead_icb__name"],
            row["review__lead_icb__parent__name"] or "",
            labels.get(row["code"], row["code"]),
            row["n"],
        )
        for row in learning.values(
            "code", "review__lead_icb__name", "review__lead_icb__parent__name"
        )
        .annotate(n=Count("review", distinct=True))
        .filter(n__gte=2)
        .order_by("review__lead_icb__parent__name", "review__lead_icb__name", "-n", "code")
    ]
    return Overview(
        on=day,
        region=region,
        review_count=sum(row.total for row in by_kind),
        by_kind=by_kind,
        by_stage=by_stage,
        by_year=by_year,
        actions_by_icb=actions_by_icb,
        slipped_count=slipped_count,
        slipped=slipped,
        themes=themes,
        themes_by_region_year=themes_by_region_year,
        recurring=recurring,
    )
