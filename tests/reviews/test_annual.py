"""The period figures per ICB (`reviews.annual.review_figures`) that the
return's REVIEW_ACTIONS_OVERDUE and the annual report read: checked against
direct counts over the rows, at the period's edges, and for a fixed number of
queries however many ICBs are asked about."""

import datetime

import pytest

from organisations.models import Organisation
from reviews import services
from reviews.annual import financial_year_period, quarter_start, review_figures
from reviews.models import (
    OPEN_STAGES,
    Action,
    ActionStatus,
    LearningTheme,
    Review,
    ReviewKind,
    Stage,
)

pytestmark = pytest.mark.django_db

FY2026 = financial_year_period(2026)
Q1 = (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))


@pytest.fixture
def reviews_mix(people, world, make_review):
    """Reviews of several kinds and stages across two financial years, led by
    Z9B2Z or QMF, some involving the other ICB, with learning themes; actions
    owned by each ICB and by providers they lead."""
    z9, qmf = world["z9"], world["qmf"]
    qmf_lead = {"actor": people["qmf_editor"], "lead_icb": qmf, "area": world["hackney"]}
    made = [
        # Notified last year, published this year, still open.
        make_review(
            reference="Z-OLD",
            notified_on=datetime.date(2025, 11, 3),
            stage=Stage.PUBLISHED,
            published_on=datetime.date(2026, 4, 1),
            learning_themes=["supervision", "training"],
        ),
        # Notified on the year's first day, involving QMF.
        make_review(
            reference="Z-1",
            kind=ReviewKind.DHR,
            convening_body="community_safety",
            notified_on=datetime.date(2026, 4, 1),
            icbs=[qmf],
            providers=[world["qmf_trust"]],
            learning_themes=["supervision", "information_sharing"],
        ),
        # Closed unpublished within the year: not open on the year's end.
        make_review(
            reference="Z-2",
            kind=ReviewKind.RAPID_REVIEW,
            convening_body="children_partnership",
            age_group="child",
            notified_on=datetime.date(2026, 6, 30),
            stage=Stage.CLOSED,
            learning_themes=["supervision"],
        ),
        # Notified just after the first quarter.
        make_review(
            reference="Z-3",
            notified_on=datetime.date(2026, 7, 1),
            stage=Stage.IN_PROGRESS,
            learning_themes=["training"],
        ),
        # Closed, published after the first quarter: open on 30 June.
        make_review(
            reference="Z-4",
            kind=ReviewKind.LEDER,
            convening_body="other",
            notified_on=datetime.date(2026, 5, 2),
            stage=Stage.CLOSED,
            published_on=datetime.date(2026, 8, 14),
        ),
        # QMF leads, Z9B2Z is involved.
        make_review(
            reference="Q-1",
            notified_on=datetime.date(2026, 5, 20),
            icbs=[z9],
            learning_themes=["supervision", "escalation"],
            **qmf_lead,
        ),
        make_review(
            reference="Q-2",
            kind=ReviewKind.CSPR,
            convening_body="children_partnership",
            age_group="child",
            notified_on=datetime.date(2026, 9, 9),
            stage=Stage.REPORT_DRAFTED,
            learning_themes=["escalation"],
            **qmf_lead,
        ),
    ]
    by_ref = {r.reference: r for r in made}
    for review, owner, editor in [
        (by_ref["Z-1"], world["z9"], "z9_editor"),
        (by_ref["Z-1"], world["qmf_trust"], "z9_editor"),
        (by_ref["Q-1"], world["shared"], "qmf_editor"),
        (by_ref["Q-1"], world["qmf"], "qmf_editor"),
    ]:
        recommendation = services.recommendation_create(
            actor=people[editor], review=review, text="R."
        )
        for due, completed_on in [
            (datetime.date(2026, 3, 31), datetime.date(2026, 4, 1)),
            (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30)),
            (datetime.date(2026, 6, 1), datetime.date(2026, 7, 1)),
            (datetime.date(2026, 6, 29), None),
            (datetime.date(2026, 6, 30), None),
            (datetime.date(2026, 10, 1), None),
        ]:
            action = services.action_create(
                actor=people[editor],
                recommendation=recommendation,
                description="A.",
                owner=owner,
                due_on=due,
                status=ActionStatus.IN_PROGRESS,
            )
            if completed_on:
                services.action_complete(
                    actor=people[editor], action=action, completed_on=completed_on, evidence="E."
                )
    return by_ref


def _involves(review: Review, icb: Organisation) -> bool:
    return review.lead_icb_id == icb.pk or review.icbs.filter(pk=icb.pk).exists()


def _answers_for(action: Action, icb: Organisation, led: dict[int, int]) -> bool:
    return action.owner_id == icb.pk or led.get(action.owner_id) == icb.pk


def test_quarters_and_financial_years():
    assert quarter_start(datetime.date(2026, 6, 30)) == datetime.date(2026, 4, 1)
    assert quarter_start(datetime.date(2027, 1, 1)) == datetime.date(2027, 1, 1)
    assert quarter_start(datetime.date(2026, 12, 31)) == datetime.date(2026, 10, 1)
    assert financial_year_period(2026) == (datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))


@pytest.mark.parametrize(
    "period", [FY2026, Q1, (datetime.date(2026, 7, 1), datetime.date(2026, 7, 1))]
)
def test_the_figures_agree_with_a_direct_count(world, reviews_mix, period):
    start, end = period
    led = {world["z9_trust"].pk: world["z9"].pk, world["shared"].pk: world["z9"].pk}
    led[world["qmf_trust"].pk] = world["qmf"].pk
    icbs = [world["z9"], world["qmf"], world["qe1"]]
    figures = review_figures(icbs=icbs, start=start, end=end)
    assert set(figures) == {icb.pk for icb in icbs}
    for icb in icbs:
        mine = [r for r in Review.objects.all() if _involves(r, icb)]
        got = figures[icb.pk]
        assert got.opened == sum(1 for r in mine if start <= r.notified_on <= end)
        assert got.published == sum(
            1 for r in mine if r.published_on and start <= r.published_on <= end
        )
        open_on_end = [
            r
            for r in mine
            if r.notified_on <= end
            and (r.stage in OPEN_STAGES or (r.published_on and r.published_on > end))
        ]
        assert got.open_at_end == len(open_on_end)
        for kind in ReviewKind:
            assert got.open_by_kind.get(kind, 0) == sum(1 for r in open_on_end if r.kind == kind)
        themes: dict[str, int] = {}
        for r in mine:
            if start <= r.notified_on <= end:
                for t in r.learning_themes:
                    themes[t.code] = themes.get(t.code, 0) + 1
        assert {t.code: t.reviews for t in got.learning_themes} == themes
        actions = [a for a in Action.objects.all() if _answers_for(a, icb, led)]
        assert got.overdue_actions == sum(1 for a in actions if a.is_overdue(end))
        assert got.actions_completed == sum(
            1 for a in actions if a.completed_on and start <= a.completed_on <= end
        )
        assert got.actions.total == len(actions)


def test_the_first_quarter_by_hand(world, reviews_mix):
    """Q1 2026/27, counted by hand from the fixture."""
    z9, qmf = review_figures(icbs=[world["z9"], world["qmf"]], start=Q1[0], end=Q1[1]).values()
    # Z-1, Z-2, Z-4 notified in Q1; Q-1 involves Z9B2Z. Z-OLD published on 1 April.
    assert (z9.opened, z9.published) == (4, 1)
    # Open on 30 June: Z-OLD (published, not closed), Z-1, Z-4 (published only in
    # August), Q-1; Z-2 is closed and unpublished, Z-3 not yet notified.
    assert z9.open_at_end == 4
    assert dict(z9.open_by_kind) == {ReviewKind.SAR: 2, ReviewKind.DHR: 1, ReviewKind.LEDER: 1}
    # Supervision in Z-1, Z-2 and Q-1: it recurs; information sharing, escalation once each.
    themes = {t.code: t.reviews for t in z9.learning_themes}
    assert themes == {"supervision": 3, "information_sharing": 1, "escalation": 1}
    assert [t.code for t in z9.recurring_themes] == [LearningTheme.SUPERVISION]
    assert z9.learning_themes[0].label == "Supervision"
    # Z9B2Z answers for its own 6 actions and the shared trust's 6 (on QMF's review);
    # on 30 June, overdue: due 1 June, completed 1 July (x2), and due 29 June (x2).
    assert z9.overdue_actions == 4
    # Completed in Q1: on 1 April and on 30 June, for each of the two owners.
    assert z9.actions_completed == 4
    # QMF: Z-1 (involved) and Q-1 opened; its own and Barts' actions.
    assert (qmf.opened, qmf.published) == (2, 0)
    assert qmf.overdue_actions == 4


def test_the_returns_metric_is_the_quarters_overdue_count(world, reviews_mix, toolkit):
    from assurance.metric_providers import metric_value_compute

    metric = toolkit[2026].metrics.get(code="REVIEW_ACTIONS_OVERDUE")
    for icb in (world["z9"], world["qmf"]):
        computed = metric_value_compute(metric=metric, icb=icb, on=Q1[1])
        expected = review_figures(icbs=[icb], start=Q1[0], end=Q1[1])[icb.pk]
        assert computed.value == expected.overdue_actions == 4


def test_the_query_count_does_not_grow_with_the_icbs(world, reviews_mix, django_assert_num_queries):
    icbs = list(Organisation.objects.icbs())
    assert len(icbs) > 30
    with django_assert_num_queries(5):
        many = review_figures(icbs=icbs, start=FY2026[0], end=FY2026[1])
    with django_assert_num_queries(5):
        one = review_figures(icbs=[world["z9"]], start=FY2026[0], end=FY2026[1])
    assert many[world["z9"].pk] == one[world["z9"].pk]
    assert many[world["qe1"].pk].opened == 0
    assert many[world["qe1"].pk].learning_themes == ()


def test_a_period_ending_before_it_starts_is_refused(world):
    with pytest.raises(ValueError):
        review_figures(icbs=[world["z9"]], start=FY2026[1], end=FY2026[0])
