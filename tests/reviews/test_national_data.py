"""generate_national_data with reviews: every ICB leads reviews since April
2022, with themes, recommendations and actions, each row valid as the
services would make it; the overview and the metric feed read them."""

import datetime
import random

import pytest
from django.db.models import Count

from assurance import national_data
from assurance.national_data import national_data_generate
from organisations.models import Commissioning, Organisation, Succession
from reviews.models import (
    Action,
    ActionStatus,
    Recommendation,
    Review,
    ReviewICB,
    ReviewTheme,
    Stage,
)
from reviews.national_data import national_reviews_generate
from reviews.selectors import review_action_counts

# Generated national data or a migration run: once, in the PostgreSQL pass.
pytestmark = [pytest.mark.heavy, pytest.mark.usefixtures("generator_allowed")]

TODAY = datetime.date.today()


def test_the_reviews_app_contributes_to_the_national_data():
    # Registered in ReviewsConfig.ready(): assurance never imports reviews.
    assert national_reviews_generate in national_data._contributors


def test_every_icb_has_reviews_valid_row_by_row(reference):
    report = national_data_generate(providers=40, scale=2, seed=4, today=TODAY)
    icbs = list(Organisation.objects.icbs().existing_on(TODAY))
    assert report.contributed["reviews"] == Review.objects.count() > 0
    assert report.contributed["review actions"] == Action.objects.count() > 0
    assert f"{Review.objects.count()} reviews." in report.summary()
    # The ICBs closed in the 2026 mergers led reviews until their last day;
    # those unpublished then are their successor's, the predecessor involved.
    closed = {
        icb.pk: icb
        for icb in Organisation.objects.icbs().filter(closed__lt=TODAY, is_synthetic=False)
    }
    assert closed  # the reference data's 2026 mergers
    leads = set(Review.objects.values_list("lead_icb", flat=True))
    assert leads == {icb.pk for icb in icbs} | set(closed)
    for review in Review.objects.filter(lead_icb__in=closed).select_related("lead_icb"):
        assert review.published_on and review.published_on <= review.lead_icb.closed
    handed = list(ReviewICB.objects.select_related("review", "icb"))
    assert handed and report.contributed["reviews passed to a successor ICB"] == len(handed)
    for link in handed:
        review, predecessor = link.review, link.icb
        assert predecessor.pk in closed
        assert Succession.objects.filter(
            predecessor=predecessor, successor=review.lead_icb_id
        ).exists()
        assert review.notified_on <= predecessor.closed
        assert review.published_on is None or review.published_on > predecessor.closed
    # A board formed in 2026 has months of reviews, not years'.
    for icb in icbs:
        first = max(datetime.date(2022, 4, 1), icb.established or datetime.date(2022, 4, 1))
        led = Review.objects.filter(lead_icb=icb).exclude(pk__in=[h.review_id for h in handed])
        assert not led.filter(notified_on__lt=first).exists()
        years = (TODAY - first).days / 365
        assert 1 <= led.count() <= max(1, round(6 * years)), icb
    assert not Review.objects.filter(notified_on__lt=datetime.date(2022, 4, 1)).exists()
    assert set(Review.objects.values_list("stage", flat=True)) == set(Stage.values)
    statuses = set(Action.objects.values_list("status", flat=True))
    assert statuses == set(ActionStatus.values)
    overdue = Action.objects.overdue_on(TODAY).count()
    assert 0 < overdue < Action.objects.filter(due_on__lt=TODAY).count()
    assert sum(c.overdue for c in review_action_counts(on=TODAY).values()) == overdue

    rng = random.Random(1)
    reviews = list(Review.objects.select_related("lead_icb", "area", "continues"))
    recommendations = list(Recommendation.objects.select_related("review"))
    actions = list(Action.objects.select_related("owner", "recommendation__review"))
    themes = list(ReviewTheme.objects.all())
    places = list(Organisation.objects.filter(kind="place", is_synthetic=True))
    for sample in (reviews, recommendations, actions, themes, places):
        for row in rng.sample(sample, min(40, len(sample))):
            row.full_clean()
    # Owners are those the services allow: the lead ICB or a provider it leads.
    for action in rng.sample(actions, min(40, len(actions))):
        review = action.recommendation.review
        assert (
            action.owner_id == review.lead_icb_id
            or Commissioning.objects.filter(
                provider=action.owner, icb=review.lead_icb_id, is_lead=True
            ).exists()
        )
    # Learning themes recur: themes appearing in two or more reviews of one ICB.
    recurring = (
        ReviewTheme.objects.filter(category="learning")
        .values("code", "review__lead_icb")
        .annotate(n=Count("review"))
        .filter(n__gte=2)
    )
    assert recurring.count() >= len(icbs) // 2
