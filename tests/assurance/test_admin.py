# ruff: noqa: F811  (the fixtures are imported from test_submission and organisations' admin tests)
"""The Django admin shows returns, their answers and metric values, the
submissions with what was submitted, and the comments, read-only: tried as
the national admin in a session that completed MFA, each list and page
opens, and every add, change and delete is refused, leaving the rows as they
were."""

import datetime

import pytest

from assurance.models import (
    Answer,
    MetricValue,
    ReturnAction,
    ReturnComment,
    Submission,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
)
from assurance.services.comments import return_comment_add
from assurance.services.submissions import quarterly_return_submit
from organisations.models import AuditEvent
from saaf.dates import today
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    q3,
    ret,
    save,
)
from tests.organisations.test_admin import admin_client, admin_user  # noqa: F401


@pytest.fixture
def submitted(ret, editor, approver, lead):
    """A submitted return with an action plan and a comment from the region."""
    from assurance.services.returns import ActionInput

    fill_clean(editor, ret)
    standards = ret.period.toolkit_version.standards.order_by("code")
    code = next(s.code for s in standards if not s.register_groups)
    save(
        editor,
        ret,
        code,
        rating="amber",
        narrative="Training below target.",
        actions=[
            ActionInput(
                description="Train the named GPs.",
                owner="Designated nurse",
                due_on=today() + datetime.timedelta(days=60),
            )
        ],
    )
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    return_comment_add(actor=lead, quarterly_return=ret, text="Which practices?")
    return ret


def _objects(ret):
    submission = Submission.objects.get(quarterly_return=ret)
    return {
        "assurance/quarterlyreturn": ret,
        "assurance/answer": Answer.objects.filter(quarterly_return=ret).first(),
        "assurance/metricvalue": MetricValue.objects.filter(quarterly_return=ret).first(),
        "assurance/submission": submission,
        "assurance/submittedanswer": SubmittedAnswer.objects.filter(
            submission=submission, actions__isnull=False
        ).first(),
        "assurance/returncomment": ReturnComment.objects.get(quarterly_return=ret),
    }


READ_ONLY = [
    "assurance/quarterlyreturn",
    "assurance/answer",
    "assurance/metricvalue",
    "assurance/submission",
    "assurance/submittedanswer",
    "assurance/returncomment",
]


@pytest.mark.parametrize("model", READ_ONLY)
def test_returns_in_the_admin_are_read_only(submitted, admin_client, model):
    obj = _objects(submitted)[model]
    assert obj is not None, f"no {model} to try"
    fields = [f.attname for f in obj._meta.concrete_fields]
    before = {name: getattr(obj, name) for name in fields}
    base = f"/admin/{model}/"

    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert f"{base}{obj.pk}/change/" in listing.content.decode()
    page = admin_client.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200  # may look
    assert 'name="_save"' not in page.content.decode()  # no form to save
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}add/", {}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/change/", {"text": "x"}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    obj.refresh_from_db()
    assert {name: getattr(obj, name) for name in fields} == before


def test_a_submission_shows_what_was_submitted(submitted, admin_client):
    submission = Submission.objects.get(quarterly_return=submitted)
    page = admin_client.get(f"/admin/assurance/submission/{submission.pk}/change/")
    html = page.content.decode()
    # Its answers and metric values inline, each standard and metric named.
    for standard_code in SubmittedAnswer.objects.filter(submission=submission).values_list(
        "standard__code", flat=True
    ):
        assert standard_code in html
    assert SubmittedMetricValue.objects.filter(submission=submission).exists()
    metric = SubmittedMetricValue.objects.filter(submission=submission).first()
    assert metric.metric.code in html
    # The answer with an action plan opens with its submitted actions.
    answer = SubmittedAnswer.objects.get(submission=submission, actions__isnull=False)
    page = admin_client.get(f"/admin/assurance/submittedanswer/{answer.pk}/change/")
    assert "Train the named GPs." in page.content.decode()
    assert SubmittedAction.objects.filter(answer=answer).count() == 1
    # The draft answer shows its action plan too.
    draft = Answer.objects.get(quarterly_return=submitted, standard=answer.standard)
    page = admin_client.get(f"/admin/assurance/answer/{draft.pk}/change/")
    assert "Train the named GPs." in page.content.decode()
    assert ReturnAction.objects.filter(answer=draft).count() == 1


def test_no_inline_offers_to_add_or_delete_a_row(submitted, admin_client):
    submission = Submission.objects.get(quarterly_return=submitted)
    for path in (
        f"/admin/assurance/submission/{submission.pk}/change/",
        f"/admin/assurance/quarterlyreturn/{submitted.pk}/change/",
    ):
        html = admin_client.get(path).content.decode()
        assert "add-row" not in html and "-DELETE" not in html


def test_the_audit_events_of_a_return_are_in_the_admin_read_only(submitted, admin_client):
    event = AuditEvent.objects.filter(action="return.submitted").first()
    assert admin_client.get(f"/admin/organisations/auditevent/{event.pk}/change/").status_code == (
        200
    )
    assert (
        admin_client.post(
            f"/admin/organisations/auditevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_the_admin_index_lists_the_returns_models(admin_client, toolkit):
    html = admin_client.get("/admin/").content.decode()
    for name in ("Quarterly returns", "Submissions", "Answers", "Return comments"):
        assert name in html
    assert "/admin/assurance/quarterlyreturn/add/" not in html


def test_only_the_national_admin_opens_it(client, submitted):
    from tests.factories import enrol_totp

    enrol_totp(submitted.started_by)
    client.force_login(submitted.started_by)
    response = client.get("/admin/assurance/submission/")
    assert response.status_code in (302, 403)
    assert "Declaration" not in response.content.decode()
