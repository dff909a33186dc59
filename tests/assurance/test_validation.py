# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""The regional lead's validated ratings: the service, who may record them
and when, the page, and the cell rating that counts them."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse

from assurance.models import SubmittedAnswer
from assurance.rating import answer_rating, answer_rating_expression, cell_rating
from assurance.services.submissions import (
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
    submitted_answer_validate,
)
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    q3,
    ret,
    save,
)
from tests.factories import enrol_totp, member


@pytest.fixture
def reviewing(ret, editor, approver, lead):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    return ret


def answer_of(ret, code):
    return SubmittedAnswer.objects.get(
        submission=ret.submissions.order_by("-version").first(), standard__code=code
    )


def url(ret, name="return_validation"):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter])


def test_the_lead_records_a_validated_rating_with_its_rationale(reviewing, lead):
    answer = answer_of(reviewing, "LG1")
    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="red", rationale="No board minutes attached."
    )
    answer.refresh_from_db()
    assert (answer.rating, answer.validated_rating) == ("green", "red")
    assert answer.validated_rationale == "No board minutes attached."
    assert answer.validated_by == lead and answer.validated_at is not None
    event = AuditEvent.objects.get(action=AuditAction.RETURN_RATING_VALIDATED)
    assert event.changes["validated_rating"] == [None, "Red"]
    assert event.changes["standard"] == [None, "LG1"]

    # Changed: the event keeps the old; the same again writes nothing.
    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="amber", rationale="Minutes found."
    )
    submitted_answer_validate(
        actor=lead, submitted_answer=answer, rating="amber", rationale="Minutes found."
    )
    events = AuditEvent.objects.filter(action=AuditAction.RETURN_RATING_VALIDATED)
    assert events.count() == 2
    latest = events.order_by("-pk").first()
    assert latest.changes["validated_rating"] == ["Red", "Amber"]
    assert latest.changes["validated_rationale"] == ["No board minutes attached.", "Minutes found."]


@pytest.mark.parametrize(
    "rating,rationale,field,message",
    [
        ("red", "   ", "rationale", "Say why you rate the standard this way."),
        ("purple", "Because.", "rating", "Choose red, amber or green."),
        ("not_applicable", "Because.", "rating", "Choose red, amber or green."),
        ("red", "x" * 5001, "rationale", "5,000 characters or fewer"),
    ],
)
def test_a_validated_rating_needs_a_rag_and_a_rationale(
    reviewing, lead, rating, rationale, field, message
):
    answer = answer_of(reviewing, "LG1")
    with pytest.raises(ValidationError) as refused:
        submitted_answer_validate(
            actor=lead, submitted_answer=answer, rating=rating, rationale=rationale
        )
    assert message in " ".join(refused.value.message_dict[field])
    answer.refresh_from_db()
    assert answer.validated_rating is None
    assert not AuditEvent.objects.filter(action=AuditAction.RETURN_RATING_VALIDATED).exists()


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.REGIONAL_LEAD, "Y61"),
        (Role.REGIONAL_CHIEF_NURSE, "Y56"),
        (Role.ICB_APPROVER, "Z9B2Z"),
        (Role.ICB_EDITOR, "Z9B2Z"),
        (Role.NATIONAL_ADMIN, "X24"),
    ],
)
def test_only_the_regions_lead_validates(reviewing, reference, role, org):
    someone = member(reference[org], role)
    with pytest.raises(NotPermitted, match="regional safeguarding lead of"):
        submitted_answer_validate(
            actor=someone, submitted_answer=answer_of(reviewing, "LG1"), rating="red", rationale="x"
        )
    assert not SubmittedAnswer.objects.exclude(validated_rating=None).exists()


def test_only_while_under_review_and_on_the_latest_version(ret, editor, approver, lead):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    first = answer_of(ret, "LG1")
    with pytest.raises(ValidationError, match="Submitted on .*awaiting the regional review"):
        submitted_answer_validate(actor=lead, submitted_answer=first, rating="red", rationale="x")
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="More on LG1.")
    with pytest.raises(ValidationError, match="has not submitted it yet"):
        submitted_answer_validate(actor=lead, submitted_answer=first, rating="red", rationale="x")
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    with pytest.raises(ValidationError, match="Version 1 is not the latest"):
        submitted_answer_validate(actor=lead, submitted_answer=first, rating="red", rationale="x")
    submitted_answer_validate(
        actor=lead, submitted_answer=answer_of(ret, "LG1"), rating="red", rationale="x"
    )


def test_cell_rating_counts_validated_where_recorded_else_self_assessed(reviewing, lead):
    submitted_answer_validate(
        actor=lead, submitted_answer=answer_of(reviewing, "LG1"), rating="red", rationale="x"
    )
    submitted_answer_validate(
        actor=lead, submitted_answer=answer_of(reviewing, "LG2"), rating="amber", rationale="y"
    )
    answers = SubmittedAnswer.objects.filter(standard__section__code="LG")
    in_memory = cell_rating(answer_rating(a) for a in answers)
    assert in_memory.rating == "red"
    total = answers.count()
    assert in_memory.counts == {"red": 1, "amber": 1, "green": total - 2}
    assert in_memory.text == f"1 red, 1 amber, {total - 2} green"
    in_sql = dict(
        answers.values(counted=answer_rating_expression())
        .annotate(n=Count("pk"))
        .values_list("counted", "n")
    )
    assert in_sql == in_memory.counts


def test_cell_rating_rules():
    assert cell_rating(["green", "amber", "not_applicable"]).rating == "amber"
    assert cell_rating(["not_applicable", "not_applicable"]).rating == "not_applicable"
    assert cell_rating(["not_applicable", "green"]).text == "1 green, 1 not applicable"
    assert cell_rating([]).rating == "" and cell_rating(["", ""]).counts == {}


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)


def test_the_page_records_a_rating_and_says_what_is_missing(client, reviewing, lead):
    signed_in(client, lead)
    task_list = client.get(url(reviewing, "return_detail")).content.decode()
    assert url(reviewing) in task_list and "Record validated ratings" in task_list
    page = client.get(url(reviewing)).content.decode()
    assert "Record validated rating for LG1" in page

    refused = client.post(url(reviewing), {"standard": "LG1", "rating": "red", "rationale": ""})
    assert refused.status_code == 400
    assert "Say why you rate the standard this way." in refused.content.decode()
    bad = client.post(url(reviewing), {"standard": "LG1", "rating": "red", "rationale": "a\x00b"})
    assert bad.status_code == 400
    assert answer_of(reviewing, "LG1").validated_rating is None

    done = client.post(
        url(reviewing), {"standard": "LG1", "rating": "red", "rationale": "<b>No minutes</b>"}
    )
    assert done.status_code == 302 and done["Location"].endswith("#standard-LG1")
    page = client.get(url(reviewing)).content.decode()
    assert "&lt;b&gt;No minutes&lt;/b&gt;" in page and "<b>No minutes" not in page
    assert answer_of(reviewing, "LG1").validated_rating == "red"


def test_the_icb_reads_the_validated_ratings_without_a_form(client, reviewing, lead, approver):
    submitted_answer_validate(
        actor=lead, submitted_answer=answer_of(reviewing, "LG1"), rating="red", rationale="Why."
    )
    signed_in(client, approver)
    page = client.get(url(reviewing)).content.decode()
    assert "Why." in page and "Record validated rating" not in page
    assert "Only the regional safeguarding lead" in page
    refused = client.post(url(reviewing), {"standard": "LG1", "rating": "green", "rationale": "x"})
    assert refused.status_code == 403
    assert answer_of(reviewing, "LG1").validated_rating == "red"


def test_another_regions_lead_gets_404(client, reviewing, reference):
    signed_in(client, member(reference["Y61"], Role.REGIONAL_LEAD))
    assert client.get(url(reviewing)).status_code == 404


def test_the_pages_query_count_does_not_grow_with_validated_ratings(client, reviewing, lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in(client, lead)
    client.get(url(reviewing))
    with CaptureQueriesContext(connection) as before:
        client.get(url(reviewing))
    for code in ("LG1", "LG2", "LG3"):
        submitted_answer_validate(
            actor=lead, submitted_answer=answer_of(reviewing, code), rating="amber", rationale="z"
        )
    with CaptureQueriesContext(connection) as after:
        page = client.get(url(reviewing))
    assert page.content.decode().count("Not validated") == len(answer_of_all(reviewing)) - 3
    assert len(after) == len(before)


def answer_of_all(ret):
    return list(SubmittedAnswer.objects.filter(submission__quarterly_return=ret))
