"""Who reads which review, overdue at its boundary, slippage, the ICB's
tracker and the counts that feed REVIEW_ACTIONS_OVERDUE, checked against a
direct count."""

import datetime

import pytest
from django.http import Http404

from reviews import services
from reviews.models import Action, ActionStatus, Review, Stage
from reviews.permissions import action_get_visible, review_get_visible
from reviews.selectors import icb_tracker, review_action_counts


def refs(queryset):
    return set(queryset.values_list("reference", flat=True))


@pytest.fixture
def three_reviews(world, people, make_review):
    """One led by Z9B2Z involving QMF; one led by Z9B2Z involving only a
    provider QMF also commissions; one led by QE1 (North West)."""
    return {
        "with_qmf": make_review(reference="Z9-WITH-QMF", icbs=[world["qmf"]]),
        "with_shared_provider": make_review(
            reference="Z9-WITH-PROVIDER", providers=[world["shared"]]
        ),
        "north_west": make_review(
            actor=people["qe1_editor"], lead_icb=world["qe1"], reference="QE1-ONLY"
        ),
    }


def test_each_role_reads_the_reviews_of_its_icbs(people, three_reviews):
    visible = {who: refs(Review.objects.visible_to(people[who])) for who in people}
    assert visible["z9_viewer"] == {"Z9-WITH-QMF", "Z9-WITH-PROVIDER"}
    # QMF is involved in one; its commissioning of the involved provider shows it nothing.
    assert visible["qmf_viewer"] == {"Z9-WITH-QMF"}
    assert visible["qe1_editor"] == {"QE1-ONLY"}
    assert visible["london_lead"] == visible["london_nurse"] == {"Z9-WITH-QMF", "Z9-WITH-PROVIDER"}
    assert visible["north_west_lead"] == {"QE1-ONLY"}
    assert visible["nssg"] == visible["national_admin"] == set(refs(Review.objects.all()))


def test_out_of_scope_is_404_like_missing(people, three_reviews):
    review = three_reviews["with_shared_provider"]
    assert review_get_visible(people["z9_viewer"], review.pk) == review
    with pytest.raises(Http404):
        review_get_visible(people["qmf_editor"], review.pk)
    with pytest.raises(Http404):
        review_get_visible(people["qmf_editor"], 999999)


def test_an_icb_reads_the_actions_it_answers_for_on_any_review(people, world, three_reviews):
    review = three_reviews["with_shared_provider"]
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Act."
    )
    # Owned by a provider Z9B2Z leads and QMF only commissions: QMF does not see it.
    action = services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Do it.",
        owner=world["shared"],
        due_on=datetime.date(2026, 10, 1),
    )
    assert action_get_visible(people["z9_viewer"], action.pk) == action
    with pytest.raises(Http404):
        action_get_visible(people["qmf_viewer"], action.pk)


def _action(people, review, *, due_on, owner=None):
    recommendation = review.recommendations.first() or services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Recommendation."
    )
    return services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Action.",
        owner=owner or review.lead_icb,
        due_on=due_on,
    )


def test_overdue_starts_the_day_after_the_due_date(people, make_review):
    action = _action(people, make_review(), due_on=datetime.date(2026, 6, 30))
    assert not action.is_overdue(datetime.date(2026, 6, 30))
    assert action.is_overdue(datetime.date(2026, 7, 1))
    assert not Action.objects.overdue_on(datetime.date(2026, 6, 30)).exists()
    assert Action.objects.overdue_on(datetime.date(2026, 7, 1)).get() == action
    services.action_complete(
        actor=people["z9_editor"],
        action=action,
        completed_on=datetime.date(2026, 7, 3),
        evidence="Done.",
    )
    action.refresh_from_db()
    # Overdue on 2 July (completed late, on 3 July), no longer from then on.
    assert action.is_overdue(datetime.date(2026, 7, 2))
    assert not action.is_overdue(datetime.date(2026, 7, 3))
    assert Action.objects.overdue_on(datetime.date(2026, 7, 2)).exists()
    assert not Action.objects.overdue_on(datetime.date(2026, 7, 3)).exists()


def test_overdue_uses_the_day_in_london(people, make_review):
    from saaf.dates import today

    action = _action(people, make_review(), due_on=datetime.date(2026, 6, 30))
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): overdue.
    late = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    assert action.is_overdue(today(late))
    assert not action.is_overdue(today(late - datetime.timedelta(hours=1)))


def test_slippage_counts_days_past_the_expected_publication(people, make_review):
    review = make_review(expected_publication_on=datetime.date(2026, 9, 1))
    assert review.slippage_days(datetime.date(2026, 9, 1)) == 0
    assert review.slippage_days(datetime.date(2026, 9, 11)) == 10
    review = services.review_update(
        actor=people["z9_editor"],
        review=review,
        stage=Stage.PUBLISHED,
        published_on=datetime.date(2026, 9, 5),
        delay_reason="Awaiting a criminal trial.",
    )
    assert review.slippage_days(datetime.date(2027, 1, 1)) == 4
    assert make_review(reference="NO-DATE").slippage_days() is None


def test_the_tracker_groups_open_reviews_and_lists_due_and_overdue_actions(
    people, world, make_review
):
    on = datetime.date(2026, 7, 1)
    scoping = make_review(reference="A", stage=Stage.SCOPING)
    published = make_review(
        reference="B", stage=Stage.PUBLISHED, published_on=datetime.date(2026, 6, 1)
    )
    make_review(reference="C", stage=Stage.CLOSED)
    overdue = _action(people, scoping, due_on=datetime.date(2026, 6, 30))
    due_soon = _action(people, scoping, due_on=datetime.date(2026, 7, 31))
    _action(people, scoping, due_on=datetime.date(2026, 8, 1))  # 31 days away
    tracker = icb_tracker(user=people["z9_viewer"], icb=world["z9"], on=on)
    stages = {g.stage: [r.reference for r in g.reviews] for g in tracker.by_stage}
    assert stages[Stage.SCOPING] == ["A"] and stages[Stage.PUBLISHED] == ["B"]
    assert Stage.CLOSED not in stages
    assert tracker.recently_published == [published]
    assert tracker.overdue == [overdue] and tracker.due_soon == [due_soon]


@pytest.fixture
def action_mix(people, world, make_review):
    """Actions owned by Z9B2Z, by a provider it leads (on a review QMF leads),
    by QMF, by a provider QMF leads, in every state."""
    z9_review = make_review(reference="Z9", icbs=[world["qmf"]], providers=[world["qmf_trust"]])
    qmf_review = make_review(
        actor=people["qmf_editor"],
        lead_icb=world["qmf"],
        area=world["hackney"],
        reference="QMF",
        providers=[world["shared"]],
    )
    made = []
    for review, owner, editor in [
        (z9_review, world["z9"], "z9_editor"),
        (z9_review, world["qmf_trust"], "z9_editor"),
        (qmf_review, world["shared"], "qmf_editor"),
        (qmf_review, world["qmf"], "qmf_editor"),
    ]:
        recommendation = services.recommendation_create(
            actor=people[editor], review=review, text="R."
        )
        for due, state in [
            (datetime.date(2026, 6, 1), "completed_late"),
            (datetime.date(2026, 6, 1), ActionStatus.NOT_STARTED),
            (datetime.date(2026, 6, 30), ActionStatus.IN_PROGRESS),
            (datetime.date(2026, 9, 1), ActionStatus.NOT_STARTED),
        ]:
            action = services.action_create(
                actor=people[editor],
                recommendation=recommendation,
                description="A.",
                owner=owner,
                due_on=due,
                status=ActionStatus.NOT_STARTED if state == "completed_late" else state,
            )
            if state == "completed_late":
                services.action_complete(
                    actor=people[editor],
                    action=action,
                    completed_on=datetime.date(2026, 7, 10),
                    evidence="E.",
                )
            made.append(action)
    return made


@pytest.mark.parametrize(
    "on", [datetime.date(2026, 6, 30), datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)]
)
def test_the_metric_feed_agrees_with_a_direct_count(world, action_mix, on):
    counts = review_action_counts(on=on)
    led_by = {world["z9_trust"].pk: "z9", world["shared"].pk: "z9", world["qmf_trust"].pk: "qmf"}
    for icb_key in ("z9", "qmf"):
        icb = world[icb_key]
        mine = [
            a
            for a in Action.objects.all()
            if a.owner_id == icb.pk or led_by.get(a.owner_id) == icb_key
        ]
        direct_overdue = sum(
            1 for a in mine if a.due_on < on and (a.completed_on is None or a.completed_on > on)
        )
        assert counts[icb.pk].total == len(mine) == 8
        assert counts[icb.pk].overdue == direct_overdue
        assert counts[icb.pk].due == sum(1 for a in mine if a.due_on <= on)
        assert counts[icb.pk].completed == sum(
            1 for a in mine if a.completed_on and a.completed_on <= on
        )
    # Each action counted once, nationally.
    assert sum(c.total for c in counts.values()) == Action.objects.count()


def test_the_metric_feed_at_the_boundary(world, action_mix):
    # 30 June: the 1 June actions are overdue (2 each, one completed only on 10 July);
    # the 30 June ones are due that day, not overdue.
    assert review_action_counts(on=datetime.date(2026, 6, 30))[world["z9"].pk].overdue == 4
    # 1 July: the 30 June ones too.
    assert review_action_counts(on=datetime.date(2026, 7, 1))[world["z9"].pk].overdue == 6
    # 10 July: the late one is completed.
    assert review_action_counts(on=datetime.date(2026, 7, 10))[world["z9"].pk].overdue == 4
    only = review_action_counts(on=datetime.date(2026, 7, 1), icb_ids=[world["qmf"].pk])
    assert set(only) == {world["qmf"].pk}


def test_the_tracker_overdue_count_agrees_with_the_metric_feed(people, world, action_mix):
    on = datetime.date(2026, 7, 1)
    for icb_key, reader in (("z9", "z9_viewer"), ("qmf", "qmf_viewer")):
        tracker = icb_tracker(user=people[reader], icb=world[icb_key], on=on)
        assert len(tracker.overdue) == review_action_counts(on=on)[world[icb_key].pk].overdue


def test_the_returns_computed_metric_comes_from_the_tracker(world, action_mix, toolkit):
    """REVIEW_ACTIONS_OVERDUE is filled through assurance's registry, which
    reviews joined in its ready(): the same figure as the tracker's feed."""
    from assurance.metric_providers import metric_value_compute

    metric = toolkit[2026].metrics.get(code="REVIEW_ACTIONS_OVERDUE")
    on = datetime.date(2026, 7, 1)
    computed = metric_value_compute(metric=metric, icb=world["z9"], on=on)
    assert computed.value == review_action_counts(on=on)[world["z9"].pk].overdue == 6
    assert computed.detail.startswith("6 of 8 review actions overdue on 1 July 2026")
    nothing = metric_value_compute(metric=metric, icb=world["qe1"], on=on)
    assert nothing.value == 0
