"""Reads of the reviews tracker: an ICB's tracker page, a review's page and
the counts the return's computed metric REVIEW_ACTIONS_OVERDUE is filled
from. Each runs a fixed number of queries, however many reviews there are,
and aggregates in SQL.

Days are calendar days in Europe/London (`saaf.dates.today`); every read
takes an optional `on` so callers and tests fix the day without patching
the clock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
)

from organisations.models import AuditEvent, Commissioning, Organisation, OrganisationKind
from reviews.models import (
    OPEN_STAGES,
    Action,
    ActionStatus,
    Recommendation,
    Review,
    Stage,
    overdue_on_q,
)
from saaf.dates import today

DUE_SOON_DAYS = 30
RECENTLY_PUBLISHED_DAYS = 90


# --- The ICB's tracker -----------------------------------------------------------------


@dataclass
class StageGroup:
    stage: Stage
    reviews: list[Review]


@dataclass
class Tracker:
    icb: Organisation
    on: datetime.date
    by_stage: list[StageGroup]
    recently_published: list[Review]
    overdue: list[Action]
    due_soon: list[Action]

    @property
    def open_count(self) -> int:
        return sum(len(group.reviews) for group in self.by_stage)


def icb_tracker(*, user, icb: Organisation, on: datetime.date | None = None) -> Tracker:
    """The ICB's open reviews by stage, recently published reviews, and the
    actions it answers for that are overdue or due in the next 30 days. Three
    queries, whatever the number of reviews."""
    day = on or today()
    reviews = list(
        Review.objects.visible_to(user)
        .involving([icb.pk])
        .select_related("lead_icb", "area")
        .order_by("notified_on", "reference")
    )
    by_stage = [
        StageGroup(stage, [r for r in reviews if r.stage == stage]) for stage in OPEN_STAGES
    ]
    since = day - datetime.timedelta(days=RECENTLY_PUBLISHED_DAYS)
    recently_published = sorted(
        (r for r in reviews if r.published_on and r.published_on >= since),
        key=lambda r: r.published_on,
        reverse=True,
    )
    actions = list(
        Action.objects.visible_to(user)
        .answered_for_by([icb.pk])
        .filter(Q(completed_on__isnull=True) | Q(completed_on__gt=day))
        .filter(due_on__lte=day + datetime.timedelta(days=DUE_SOON_DAYS))
        .select_related("owner", "recommendation__review")
        .annotate(
            review_readable=Exists(
                Review.objects.visible_to(user).filter(pk=OuterRef("recommendation__review"))
            )
        )
        .order_by("due_on", "pk")
    )
    return Tracker(
        icb=icb,
        on=day,
        by_stage=by_stage,
        recently_published=recently_published,
        overdue=[a for a in actions if a.is_overdue(day)],
        due_soon=[a for a in actions if not a.is_overdue(day)],
    )


def trackers_visible(*, user) -> list[Organisation]:
    """The ICBs whose trackers the user may open, with `open_reviews` led by each:
    one query (regional and national readers start here)."""
    from reviews.models import visible_icb_ids

    return list(
        Organisation.objects.icbs()
        .filter(pk__in=visible_icb_ids(user))
        .select_related("parent")
        .annotate(open_reviews=Count("reviews_led", filter=Q(reviews_led__stage__in=OPEN_STAGES)))
        .order_by("parent__name", "name")
    )


# --- A review's page --------------------------------------------------------------------


@dataclass
class KeyDate:
    label: str
    date: datetime.date
    expected: bool = False


@dataclass
class ReviewPage:
    review: Review
    chain: list[Review]
    timeline: list[KeyDate]
    recommendations: list[Recommendation]
    parallel: list[Review]
    history: list[AuditEvent] = field(default_factory=list)
    slippage_days: int | None = None


def review_chain(*, user, review: Review) -> list[Review]:
    """The rapid review and the CSPR that continues it, oldest first, as far as
    the user may read them (a chain is one or two reviews)."""
    members = [review]
    seen = {review.pk}
    current = review
    while current.continues_id and current.continues_id not in seen:
        current = Review.objects.select_related("lead_icb").get(pk=current.continues_id)
        members.insert(0, current)
        seen.add(current.pk)
    current = review
    while True:
        following = Review.objects.filter(continues=current).select_related("lead_icb").first()
        if following is None or following.pk in seen:
            break
        members.append(following)
        seen.add(following.pk)
        current = following
    if len(members) == 1:
        return []
    readable = set(Review.objects.visible_to(user).filter(pk__in=seen).values_list("pk", flat=True))
    return [r for r in members if r.pk in readable]


def review_timeline(review: Review) -> list[KeyDate]:
    """The key dates of a review in date order; the expected date of
    publication only while it is unpublished."""
    dates = [
        KeyDate("Notified", review.notified_on),
        KeyDate("Decision to review", review.decision_on),
        KeyDate("Panel", review.panel_on),
        KeyDate("Report", review.report_on),
        KeyDate("Published", review.published_on),
    ]
    if review.published_on is None and review.expected_publication_on:
        dates.append(KeyDate("Expected publication", review.expected_publication_on, True))
    return sorted((d for d in dates if d.date), key=lambda d: d.date)


def review_page(*, user, review: Review, on: datetime.date | None = None) -> ReviewPage:
    """Everything a review's page shows, in a fixed number of queries."""
    review = (
        Review.objects.filter(pk=review.pk)
        .select_related("lead_icb", "area", "continues")
        .prefetch_related(
            "themes",
            "icb_links__icb",
            "provider_links__provider",
        )
        .get()
    )
    recommendations = list(
        review.recommendations.prefetch_related(
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("owner")
                .prefetch_related("evidence_files")
                .order_by("due_on"),
            )
        ).order_by("number")
    )
    parallel = list(
        Review.objects.visible_to(user)
        .filter(pk__in=review.parallel_reviews.values("pk"))
        .select_related("lead_icb")
    )
    # The review was fetched within the reader's scope, so its whole history is
    # theirs to read, whichever ICB's editors wrote it.
    history = list(
        AuditEvent.objects.for_object(review)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:200]
    )
    return ReviewPage(
        review=review,
        chain=review_chain(user=user, review=review),
        timeline=review_timeline(review),
        recommendations=recommendations,
        parallel=parallel,
        history=history,
        slippage_days=review.slippage_days(on),
    )


def action_owner_choices(*, review: Review) -> list[Organisation]:
    """Who may own an action of `review`: the lead ICB, the ICBs and providers
    involved, and the providers the lead ICB commissions. One query."""
    return list(
        Organisation.objects.filter(
            Q(pk=review.lead_icb_id)
            | Q(pk__in=review.icb_links.values("icb"))
            | Q(pk__in=review.provider_links.values("provider"))
            | Q(
                kind=OrganisationKind.PROVIDER,
                pk__in=Commissioning.objects.filter(icb=review.lead_icb_id).values("provider"),
            )
        ).order_by("-kind", "name")
    )


# --- Feeding the return ------------------------------------------------------------------


@dataclass(frozen=True)
class ActionCounts:
    """An ICB's review actions as of a day: all of them, those due by then,
    those completed by then, and those overdue then (REVIEW_ACTIONS_OVERDUE);
    with a period's first day, those completed within the period."""

    total: int = 0
    due: int = 0
    completed: int = 0
    overdue: int = 0
    completed_in_period: int = 0


def review_action_counts(
    *, on: datetime.date, icb_ids: list[int] | None = None, since: datetime.date | None = None
) -> dict[int, ActionCounts]:
    """Per ICB, the counts of the actions it answers for as of `on` (a
    quarter's last day), from the due and completion dates, and with `since`
    those completed from `since` to `on`: one query.

    An ICB answers for the actions owned by itself or by a provider it leads
    as lead commissioner, so nationally each action counts once whichever ICB
    leads the review. Not scoped by reader: the return that uses it is.
    ICBs with no actions are absent (their counts are all zero)."""
    # A provider has one lead commissioner at most (a constraint): unsorted,
    # or the model's order joins two tables and sorts for every action.
    lead_icb = Subquery(
        Commissioning.objects.filter(provider=OuterRef("owner_id"), is_lead=True)
        .order_by()
        .values("icb")[:1]
    )
    rows = (
        Action.objects.annotate(
            answering_icb=Case(
                When(owner__kind=OrganisationKind.ICB, then=F("owner_id")),
                default=lead_icb,
                output_field=IntegerField(),
            )
        )
        .filter(answering_icb__isnull=False)
        .values("answering_icb")
        .annotate(
            total=Count("pk"),
            due=Count("pk", filter=Q(due_on__lte=on)),
            completed=Count("pk", filter=Q(status=ActionStatus.COMPLETED, completed_on__lte=on)),
            overdue=Count("pk", filter=overdue_on_q(on)),
            **(
                {"completed_in_period": Count("pk", filter=Q(completed_on__range=(since, on)))}
                if since
                else {}
            ),
        )
        .order_by()
    )
    if icb_ids is not None:
        # Only the actions of these ICBs and of the providers they lead are
        # read (by the owner's index), not every action in England.
        led = Commissioning.objects.filter(icb_id__in=icb_ids, is_lead=True).values("provider_id")
        rows = rows.filter(Q(owner_id__in=icb_ids) | Q(owner_id__in=led), answering_icb__in=icb_ids)
    return {
        row["answering_icb"]: ActionCounts(
            total=row["total"],
            due=row["due"],
            completed=row["completed"],
            overdue=row["overdue"],
            completed_in_period=row.get("completed_in_period", 0),
        )
        for row in rows
    }
