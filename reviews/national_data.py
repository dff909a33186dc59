"""Reviews for the generated national data (`generate_national_data`): for
every ICB, the statutory and mandatory reviews it has led since April 2022
(or since it was formed; an ICB closed in the 2026 mergers until its last
day, its unpublished ones then led by its successor),
with their themes, recommendations and actions — the spread a regional lead
meets: most reviews published or closed, some open and some late, learning
themes that recur, actions mostly completed with evidence, some overdue.

A contributor for `assurance.national_data` (assurance never imports
reviews), registered in `ReviewsConfig.ready()`. Rows are bulk inserted, but each is what
`reviews.services` would save (a test runs `full_clean` on a sample). Each
generated ICB gets one made-up local authority area (a place, marked
synthetic) for its reviews to be convened in, as the reference data has no
places.
"""

from __future__ import annotations

import datetime
import random

from organisations.models import (
    Commissioning,
    Organisation,
    OrganisationKind,
    Succession,
    User,
)
from reviews.models import (
    AbuseTheme,
    Action,
    ActionStatus,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    Recommendation,
    Review,
    ReviewICB,
    ReviewKind,
    ReviewTheme,
    Stage,
    ThemeCategory,
)

BATCH_SIZE = 2000
START = datetime.date(2022, 4, 1)
REVIEWS_PER_YEAR = (2, 6)

_CONVENED_BY = {
    ReviewKind.RAPID_REVIEW: (ConveningBody.CSP_CHILDREN, AgeGroup.CHILD),
    ReviewKind.CSPR: (ConveningBody.CSP_CHILDREN, AgeGroup.CHILD),
    ReviewKind.CDR: (ConveningBody.CDOP, AgeGroup.CHILD),
    ReviewKind.LEDER: (ConveningBody.OTHER, AgeGroup.ADULT),
    ReviewKind.DHR: (ConveningBody.CSP, AgeGroup.ADULT),
    ReviewKind.SAR: (ConveningBody.SAB, AgeGroup.ADULT),
    ReviewKind.MHHR: (ConveningBody.OTHER, AgeGroup.ADULT),
    ReviewKind.MAPPA: (ConveningBody.OTHER, AgeGroup.ADULT),
    ReviewKind.OTHER: (ConveningBody.OTHER, AgeGroup.TRANSITION),
}
# SARs, rapid reviews and DHRs are the commonest.
_KINDS = [ReviewKind.SAR] * 5 + [ReviewKind.RAPID_REVIEW] * 4 + [ReviewKind.DHR] * 3 + [
    ReviewKind.CSPR, ReviewKind.CSPR, ReviewKind.CDR, ReviewKind.LEDER, ReviewKind.MHHR,
    ReviewKind.MAPPA, ReviewKind.OTHER,
]  # fmt: skip
# Some learning themes come up far more often than others, so that they recur.
_LEARNING_WEIGHTS = [
    (LearningTheme.INFORMATION_SHARING, 9), (LearningTheme.PROFESSIONAL_CURIOSITY, 7),
    (LearningTheme.RISK_ASSESSMENT, 6), (LearningTheme.SUPERVISION, 5),
    (LearningTheme.THINK_FAMILY, 4), (LearningTheme.VOICE_OF_THE_CHILD, 4),
    (LearningTheme.ESCALATION, 3), (LearningTheme.MENTAL_CAPACITY, 3),
    (LearningTheme.TRAINING, 3), (LearningTheme.TRANSITION, 2),
    (LearningTheme.DOMESTIC_ABUSE_AWARENESS, 2), (LearningTheme.PRIMARY_CARE_SUPPORT, 2),
    (LearningTheme.PROFESSIONAL_ACCOUNTABILITY, 1), (LearningTheme.EXPLOITATION, 1),
]  # fmt: skip
_RECOMMENDATIONS = [
    "Review the safeguarding supervision offer for staff working with families.",
    "Strengthen information sharing between primary care and partner agencies.",
    "Embed professional curiosity in training and in case audits.",
    "Make sure escalation routes are known and used when concerns persist.",
    "Assess mental capacity where a person declines support.",
]
_ACTIONS = [
    "Audit a sample of records against the new standard and report to the committee.",
    "Run learning events for primary care on the review's findings.",
    "Update the policy and circulate it to all providers.",
    "Add the learning to level 3 safeguarding training.",
]
_EVIDENCE = [
    "Audit report presented to the safeguarding committee.",
    "Training attendance records held by the designated nurse.",
    "Revised policy published on the intranet.",
]


def _day_between(rng: random.Random, low: datetime.date, high: datetime.date) -> datetime.date:
    return low + datetime.timedelta(days=rng.randint(0, max(0, (high - low).days)))


def _learning_themes(rng: random.Random) -> list[str]:
    themes = [t for t, _ in _LEARNING_WEIGHTS]
    weights = [w for _, w in _LEARNING_WEIGHTS]
    chosen = rng.choices(themes, weights=weights, k=rng.randint(1, 4))
    return list(dict.fromkeys(chosen))


def _places(icbs: list[Organisation]) -> dict[int, Organisation]:
    """One place per ICB: its first existing place, or a new synthetic one."""
    places: dict[int, Organisation] = {}
    for place in Organisation.objects.filter(kind=OrganisationKind.PLACE, parent__in=icbs).order_by(
        "code"
    ):
        places.setdefault(place.parent_id, place)
    new = [
        Organisation(
            kind=OrganisationKind.PLACE,
            code=f"{icb.code}-LA",
            name=f"{icb.name} local authority area (synthetic)",
            parent=icb,
            is_synthetic=True,
        )
        for icb in icbs
        if icb.pk not in places
    ]
    for place in Organisation.objects.bulk_create(new, batch_size=BATCH_SIZE):
        places[place.parent_id] = place
    return places


def _lifetime(icb: Organisation, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days since April 2022 on which `icb` could be notified of a review."""
    return max(START, icb.established or START), min(today, icb.closed or today)


def _review_count(rng: random.Random, icb: Organisation, today: datetime.date) -> int:
    """Two to six a year of the ICB's life since April 2022: a board formed
    in 2026 has months of reviews, not years'."""
    first, last = _lifetime(icb, today)
    return max(1, round(rng.randint(*REVIEWS_PER_YEAR) * (last - first).days / 365))


def _review(rng, icb, area, number: int, today: datetime.date) -> tuple[Review, list]:
    kind = rng.choice(_KINDS)
    convening_body, age_group = _CONVENED_BY[kind]
    notified_on = _day_between(rng, *_lifetime(icb, today))
    age = (today - notified_on).days
    review = Review(
        kind=kind,
        reference=f"{icb.code}-{kind.upper()}-{notified_on.year}-{number:03d}",
        convening_body=convening_body,
        area=area,
        lead_icb=icb,
        age_group=age_group,
        notified_on=notified_on,
        expected_publication_on=notified_on + datetime.timedelta(days=rng.randint(180, 365)),
    )
    if rng.random() < 0.3:
        review.steis_number = f"{notified_on.year}/{rng.randint(10000, 99999)}"
    # The older the review, the further along it is.
    progress = min(1.0, age / 540) + rng.uniform(-0.2, 0.2)
    stages = [Stage.NOTIFIED, Stage.SCOPING, Stage.IN_PROGRESS, Stage.REPORT_DRAFTED,
              Stage.PUBLISHED, Stage.CLOSED]  # fmt: skip
    review.stage = stages[max(0, min(5, int(progress * 6)))]
    step = max(1, age // 6)
    if review.stage != Stage.NOTIFIED:
        review.decision_on = notified_on + datetime.timedelta(days=rng.randint(0, step))
    if review.stage in (Stage.IN_PROGRESS, Stage.REPORT_DRAFTED, Stage.PUBLISHED, Stage.CLOSED):
        review.panel_on = _day_between(
            rng, review.decision_on, min(today, notified_on + datetime.timedelta(days=3 * step))
        )
    if review.stage in (Stage.REPORT_DRAFTED, Stage.PUBLISHED, Stage.CLOSED):
        review.report_on = _day_between(
            rng, review.panel_on, min(today, review.panel_on + datetime.timedelta(days=step))
        )
    if review.stage in (Stage.PUBLISHED, Stage.CLOSED):
        review.published_on = _day_between(rng, review.report_on, today)
    late_by = (review.published_on or today) - review.expected_publication_on
    if late_by.days > 0 and rng.random() < 0.7:
        review.delay_reason = rng.choice(
            ["Awaiting the outcome of criminal proceedings.", "Awaiting the inquest.",
             "Panel capacity.", "Family engagement took longer than planned."]
        )  # fmt: skip
    themes = [
        ReviewTheme(category=ThemeCategory.ABUSE, code=code, slot=slot)
        for slot, code in enumerate(rng.sample(AbuseTheme.values, rng.randint(1, 3)), start=1)
    ] + [
        ReviewTheme(category=ThemeCategory.LEARNING, code=code, slot=None)
        for code in _learning_themes(rng)
    ]
    return review, themes


def _action(rng, recommendation, review, owner_id: int, today: datetime.date) -> Action:
    start = review.report_on or review.notified_on
    due_on = start + datetime.timedelta(days=rng.randint(60, 300))
    action = Action(
        recommendation=recommendation,
        description=rng.choice(_ACTIONS),
        owner_id=owner_id,
        due_on=due_on,
        status=ActionStatus.NOT_STARTED,
    )
    # Past their due date, most are completed; a few are overdue.
    completed = rng.random() < (0.85 if due_on < today else 0.2)
    if completed:
        action.status = ActionStatus.COMPLETED
        action.completed_on = _day_between(
            rng, start, min(today, due_on + datetime.timedelta(days=30))
        )
        action.evidence = rng.choice(_EVIDENCE)
    elif rng.random() < 0.6:
        action.status = ActionStatus.IN_PROGRESS
    return action


def national_reviews_generate(
    rng: random.Random,
    icbs: list[Organisation],
    *,
    today: datetime.date,
    actor: User,
    closed: list[Organisation] | None = None,
) -> dict[str, int]:
    """Reviews led by each of `icbs` since April 2022, with themes,
    recommendations for health (from the report on) and actions owned by the
    ICB or a provider it leads; and by each of the ICBs `closed` in a
    reorganisation (default: every real one). Returns the counts for the
    summary."""
    places = _places(icbs)
    led: dict[int, list[int]] = {}
    for icb_id, provider_id in Commissioning.objects.filter(icb__in=icbs, is_lead=True).values_list(
        "icb_id", "provider_id"
    ):
        led.setdefault(icb_id, []).append(provider_id)
    # The ICBs closed in the 2026 mergers led reviews until their last day;
    # one unpublished then passed to the successor, the predecessor staying
    # involved (so the years it reported in still count it).
    if closed is None:
        closed = list(
            Organisation.objects.icbs()
            .filter(is_synthetic=False, closed__isnull=False, closed__lt=today)
            .order_by("code")
        )
    successor = {}
    for predecessor_id, successor_id in (
        Succession.objects.filter(predecessor__in=closed)
        .order_by("predecessor_id", "successor__code")
        .values_list("predecessor_id", "successor_id")
    ):
        successor.setdefault(predecessor_id, successor_id)
    places |= _places([icb for icb in closed if icb.pk in successor])
    reviews, themes, handed = [], [], []
    for icb in [*icbs, *(icb for icb in closed if icb.pk in successor)]:
        for number in range(1, _review_count(rng, icb, today) + 1):
            review, review_themes = _review(rng, icb, places[icb.pk], number, today)
            if icb.closed and (review.published_on is None or review.published_on > icb.closed):
                review.lead_icb_id = successor[icb.pk]
                handed.append((review, icb))
            reviews.append(review)
            themes.append(review_themes)
    Review.objects.bulk_create(reviews, batch_size=BATCH_SIZE)
    ReviewICB.objects.bulk_create(
        [ReviewICB(review=review, icb=icb) for review, icb in handed], batch_size=BATCH_SIZE
    )
    for review, review_themes in zip(reviews, themes, strict=True):
        for theme in review_themes:
            theme.review = review
    ReviewTheme.objects.bulk_create(
        [t for review_themes in themes for t in review_themes], batch_size=BATCH_SIZE
    )
    recommendations = []
    for review in reviews:
        if review.report_on is None:
            continue
        for number in range(1, rng.randint(1, 4) + 1):
            recommendations.append(
                Recommendation(review=review, number=number, text=rng.choice(_RECOMMENDATIONS))
            )
    Recommendation.objects.bulk_create(recommendations, batch_size=BATCH_SIZE)
    actions = []
    for recommendation in recommendations:
        review = recommendation.review
        for _ in range(rng.randint(1, 3)):
            providers = led.get(review.lead_icb_id, [])
            owner_id = rng.choice(providers) if providers and rng.random() < 0.5 else None
            action = _action(rng, recommendation, review, review.lead_icb_id, today)
            if owner_id is not None:
                action.owner_id = owner_id
            actions.append(action)
    Action.objects.bulk_create(actions, batch_size=BATCH_SIZE)
    return {
        "reviews": len(reviews),
        "reviews passed to a successor ICB": len(handed),
        "recommendations": len(recommendations),
        "review actions": len(actions),
    }
