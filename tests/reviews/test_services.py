"""The tracker's services: who they refuse, what they validate (constraints
first), and the audit events they write with old and new values."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organisations.models import AuditAction, AuditEvent
from organisations.permissions import NotPermitted
from reviews import services
from reviews.models import (
    Action,
    ActionStatus,
    ConveningBody,
    Review,
    ReviewKind,
    ReviewTheme,
    Stage,
)
from tests.reviews.conftest import NOTIFIED


def test_review_create_records_the_review_and_its_event(world, people, make_review):
    review = make_review(
        icbs=[world["qmf"]],
        providers=[world["z9_trust"]],
        abuse_themes=["neglect", "self_neglect"],
        learning_themes=["supervision", "information_sharing"],
        steis_number="2026/01234",
    )
    assert review.icbs.get() == world["qmf"]
    assert [t.code for t in review.abuse_themes] == ["neglect", "self_neglect"]
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_CREATED)
    assert event.organisation == world["z9"] and event.actor == people["z9_editor"]
    assert event.changes["reference"] == [None, "CAMDEN-SAR-01"]
    assert event.changes["icbs"] == [[], ["QMF"]]
    assert event.changes["abuse_themes"] == [[], ["neglect", "self_neglect"]]


def test_review_update_audits_old_and_new_values_and_a_no_op_writes_nothing(people, make_review):
    review = make_review()
    services.review_update(
        actor=people["z9_approver"],
        review=review,
        stage=Stage.SCOPING,
        expected_publication_on=datetime.date(2026, 9, 1),
        learning_themes=["training"],
    )
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_UPDATED)
    assert event.changes == {
        "stage": ["notified", "scoping"],
        "expected_publication_on": [None, "2026-09-01"],
        "learning_themes": [[], ["training"]],
    }
    before = AuditEvent.objects.count()
    services.review_update(
        actor=people["z9_approver"],
        review=review,
        stage=Stage.SCOPING,
        learning_themes=["training"],
    )
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "who", ["qmf_editor", "z9_viewer", "london_lead", "nssg", "national_admin", "qe1_editor"]
)
def test_only_the_lead_icbs_editors_and_approver_change_a_review(people, make_review, who):
    review = make_review(icbs=[people["qmf_editor"].memberships.get().organisation])
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Improve supervision."
    )
    action = services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Audit supervision records.",
        owner=review.lead_icb,
        due_on=datetime.date(2026, 12, 1),
    )
    before = AuditEvent.objects.count()
    actor = people[who]
    calls = [
        lambda: services.review_create(
            actor=actor,
            lead_icb=review.lead_icb,
            kind=ReviewKind.DHR,
            reference="X",
            convening_body=ConveningBody.CSP,
            area=review.area,
            age_group="adult",
            notified_on=NOTIFIED,
        ),
        lambda: services.review_update(actor=actor, review=review, stage=Stage.SCOPING),
        lambda: services.recommendation_create(actor=actor, review=review, text="More."),
        lambda: services.recommendation_update(
            actor=actor, recommendation=recommendation, text="Changed."
        ),
        lambda: services.action_create(
            actor=actor,
            recommendation=recommendation,
            description="Another.",
            owner=review.lead_icb,
            due_on=datetime.date(2026, 12, 1),
        ),
        lambda: services.action_update(actor=actor, action=action, description="Changed."),
        lambda: services.action_complete(
            actor=actor, action=action, completed_on=NOTIFIED, evidence="Done."
        ),
    ]
    for call in calls:
        with pytest.raises(NotPermitted):
            call()
    assert AuditEvent.objects.count() == before
    review.refresh_from_db()
    assert review.stage == Stage.NOTIFIED


def test_recommendations_and_actions_are_filed_under_their_review(people, world, make_review):
    review = make_review()
    editor = people["z9_editor"]
    first = services.recommendation_create(actor=editor, review=review, text="First.")
    second = services.recommendation_create(actor=editor, review=review, text="Second.")
    assert (first.number, second.number) == (1, 2)
    services.recommendation_update(actor=editor, recommendation=first, text="First, reworded.")
    action = services.action_create(
        actor=editor,
        recommendation=first,
        description="Review the policy.",
        owner=world["z9_trust"],
        due_on=datetime.date(2026, 10, 1),
    )
    services.action_update(actor=editor, action=action, status=ActionStatus.IN_PROGRESS)
    services.action_complete(
        actor=editor, action=action, completed_on=NOTIFIED, evidence="Policy re-issued."
    )
    events = list(AuditEvent.objects.for_object(review).order_by("id"))
    assert [e.action for e in events] == [
        AuditAction.REVIEW_CREATED,
        AuditAction.RECOMMENDATION_CREATED,
        AuditAction.RECOMMENDATION_CREATED,
        AuditAction.RECOMMENDATION_UPDATED,
        AuditAction.ACTION_CREATED,
        AuditAction.ACTION_UPDATED,
        AuditAction.ACTION_COMPLETED,
    ]
    assert events[3].changes == {"text": ["First.", "First, reworded."]}
    assert events[5].changes == {"status": ["not_started", "in_progress"]}
    assert events[6].changes == {
        "status": ["in_progress", "completed"],
        "completed_on": [None, NOTIFIED.isoformat()],
        "evidence": ["", "Policy re-issued."],
    }


def test_completing_an_action_needs_evidence_and_the_database_insists(people, make_review):
    review = make_review()
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Train staff."
    )
    action = services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Run training.",
        owner=review.lead_icb,
        due_on=datetime.date(2026, 10, 1),
    )
    with pytest.raises(ValidationError, match="evidence"):
        services.action_complete(
            actor=people["z9_editor"], action=action, completed_on=NOTIFIED, evidence="   "
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.COMPLETED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(completed_on=NOTIFIED)


def test_an_action_owner_must_belong_to_the_review(people, world, make_review):
    review = make_review()
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Share information."
    )
    with pytest.raises(ValidationError, match="cannot own an action"):
        services.action_create(
            actor=people["z9_editor"],
            recommendation=recommendation,
            description="Do it.",
            owner=world["qmf_trust"],
            due_on=datetime.date(2026, 10, 1),
        )


def test_nhs_numbers_are_refused_in_every_free_text_field(people, make_review):
    with pytest.raises(ValidationError) as error:
        make_review(reference="SAR 943 476 5919")
    assert "reference" in error.value.message_dict
    review = make_review()
    with pytest.raises(ValidationError, match="Remove the NHS number"):
        services.review_update(
            actor=people["z9_editor"], review=review, delay_reason="Waiting on 943-476-5919"
        )
    with pytest.raises(ValidationError, match="Remove the NHS number"):
        services.recommendation_create(
            actor=people["z9_editor"], review=review, text="Patient 9434765919"
        )
    recommendation = services.recommendation_create(
        actor=people["z9_editor"], review=review, text="Fine text, 943 476 5918 is no number."
    )
    action = services.action_create(
        actor=people["z9_editor"],
        recommendation=recommendation,
        description="Ok.",
        owner=review.lead_icb,
        due_on=datetime.date(2026, 10, 1),
    )
    with pytest.raises(ValidationError, match="Remove the NHS number"):
        services.action_complete(
            actor=people["z9_editor"],
            action=action,
            completed_on=NOTIFIED,
            evidence="See 943 476 5919",
        )


def test_reference_is_unique_per_convening_body_whatever_its_case(world, make_review):
    make_review(reference="CAMDEN-SAR-01")
    with pytest.raises(ValidationError, match="already has a review with this reference"):
        make_review(reference="camden-sar-01")
    # Another convening body (same area) may use the same reference.
    make_review(reference="CAMDEN-SAR-01", convening_body=ConveningBody.CSP, kind=ReviewKind.DHR)
    # The same body in another area, too.
    make_review(reference="CAMDEN-SAR-01", area=world["hackney"])


def test_steis_number_is_year_slash_five_digits(people, make_review):
    with pytest.raises(ValidationError, match="2025/12345"):
        make_review(steis_number="25/1234")
    review = make_review(steis_number="2025/12345")
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(steis_number="2025-12345")


def test_at_most_three_abuse_themes_from_the_list(people, make_review):
    with pytest.raises(ValidationError, match="at most 3"):
        make_review(abuse_themes=["neglect", "physical", "sexual", "financial"])
    with pytest.raises(ValidationError, match="Not a theme"):
        make_review(learning_themes=["astrology"])
    review = make_review(abuse_themes=["neglect", "physical", "sexual"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewTheme.objects.create(review=review, category="abuse", code="financial", slot=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewTheme.objects.create(review=review, category="learning", code="neglect")


def test_dates_and_stage_agree(people, make_review):
    with pytest.raises(ValidationError, match="before the date of notification"):
        make_review(decision_on=NOTIFIED - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="date the review was published"):
        make_review(stage=Stage.PUBLISHED)
    with pytest.raises(ValidationError, match="published or closed"):
        make_review(published_on=NOTIFIED, stage=Stage.IN_PROGRESS)
    review = make_review()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(stage=Stage.PUBLISHED)


def test_a_cspr_continues_one_rapid_review_and_the_chain_is_one(people, world, make_review):
    from reviews.selectors import review_chain

    rapid = make_review(
        kind=ReviewKind.RAPID_REVIEW,
        reference="CAMDEN-RR-01",
        convening_body=ConveningBody.CSP_CHILDREN,
        age_group="child",
    )
    cspr = make_review(
        kind=ReviewKind.CSPR,
        reference="CAMDEN-CSPR-01",
        convening_body=ConveningBody.CSP_CHILDREN,
        age_group="child",
        continues=rapid,
    )
    assert review_chain(user=people["z9_viewer"], review=rapid) == [rapid, cspr]
    assert review_chain(user=people["z9_viewer"], review=cspr) == [rapid, cspr]
    with pytest.raises(ValidationError, match="continues"):
        make_review(
            kind=ReviewKind.CSPR,
            reference="CAMDEN-CSPR-02",
            convening_body=ConveningBody.CSP_CHILDREN,
            age_group="child",
            continues=rapid,
        )
    with pytest.raises(ValidationError, match="rapid review"):
        make_review(kind=ReviewKind.SAR, reference="CAMDEN-SAR-09", continues=rapid)


def test_a_review_cannot_link_to_one_its_editor_cannot_read(people, world, make_review):
    qe1_review = make_review(
        actor=people["qe1_editor"],
        lead_icb=world["qe1"],
        reference="LANCS-1",
        area=world["camden"],  # the place's ICB does not matter to scoping
    )
    with pytest.raises(ValidationError, match="only link reviews you can read"):
        make_review(reference="CAMDEN-SAR-02", parallel_reviews=[qe1_review])
    a = make_review(reference="CAMDEN-SAR-03")
    b = make_review(reference="CAMDEN-DHR-03", parallel_reviews=[a])
    assert list(a.parallel_reviews.all()) == [b]  # symmetrical
