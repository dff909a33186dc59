# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""The submit page, the task list's problem counts and submitted state, and
the regional lead's review buttons, as each role sees them."""

import pytest
from django.urls import reverse

from assurance.models import ReturnStatus, Submission
from assurance.services.returns import AnswerInput, answer_save
from assurance.services.submissions import quarterly_return_submit
from organisations.models import Role
from saaf.dates import nhs_date, today
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


def url(name, ret, *extra):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter, *extra])


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)
    return user


def test_the_task_list_counts_problems_per_section(client, ret, editor):
    save(editor, ret, "LG1", rating="red")
    signed_in(client, editor)
    page = client.get(url("return_detail", ret)).content.decode()
    lg = ret.period.toolkit_version.sections.get(code="LG")
    expected = lg.standards.count() + sum(1 for m in lg.metrics.all() if not m.is_computed)
    assert f"{expected} problems in Leadership and governance" in page
    assert "Your ICB&#39;s approver submits the return." in page or "approver submits" in page
    assert url("return_submit", ret) not in page  # an editor has no submit link


def test_the_approver_sees_every_problem_as_a_link_and_no_submit_button(client, ret, approver):
    save(approver, ret, "LG1", rating="red")
    signed_in(client, approver)
    page = client.get(url("return_submit", ret)).content.decode()
    assert "problems to put right before submitting" in page
    assert f'href="{url("return_section", ret, "LG")}#id_LG1-a0-description"' in page
    assert "LG1: Rated red with no action" in page
    assert 'name="declaration"' not in page
    assert client.post(url("return_submit", ret), {"declaration": "yes"}).status_code == 400
    assert not Submission.objects.exists()


def test_the_approver_submits_with_the_declaration(client, ret, editor, approver):
    fill_clean(editor, ret)
    signed_in(client, approver)
    task_list = client.get(url("return_detail", ret)).content.decode()
    assert "The completeness check finds nothing to put right." in task_list
    assert url("return_submit", ret) in task_list
    page = client.get(url("return_submit", ret)).content.decode()
    assert 'name="declaration"' in page and "I confirm this return is an accurate account" in page

    refused = client.post(url("return_submit", ret), {})
    assert refused.status_code == 400
    assert "Tick the declaration" in refused.content.decode()
    assert not Submission.objects.exists()

    done = client.post(url("return_submit", ret), {"declaration": "yes"})
    assert done.status_code == 302
    submission = Submission.objects.get()
    assert submission.version == 1 and submission.submitted_by == approver
    page = client.get(url("return_detail", ret)).content.decode()
    assert f"Submitted on {nhs_date(today())}, version 1" in page
    assert "awaiting the regional review" in page
    section = client.get(url("return_section", ret, "LG")).content.decode()
    assert 'name="LG1-rating"' not in section  # read only now
    # Posting the section anyway is refused with the reason.
    again = client.get(url("return_submit", ret)).content.decode()
    assert "awaiting the regional review" in again and 'name="declaration"' not in again


@pytest.mark.parametrize(
    "role,org",
    [(Role.ICB_EDITOR, "Z9B2Z"), (Role.ICB_VIEWER, "Z9B2Z"), (Role.REGIONAL_LEAD, "Y56")],
)
def test_others_are_told_who_submits(client, ret, editor, reference, role, org):
    fill_clean(editor, ret)
    signed_in(client, member(reference[org], role))
    page = client.get(url("return_submit", ret)).content.decode()
    assert f"Only {ret.icb.name}&#39;s approver can submit this return." in page
    assert 'name="declaration"' not in page
    assert client.post(url("return_submit", ret), {"declaration": "yes"}).status_code == 403
    assert not Submission.objects.exists()


def test_out_of_scope_is_a_404(client, ret, reference):
    signed_in(client, member(reference["QMF"], Role.ICB_APPROVER))
    assert client.get(url("return_submit", ret)).status_code == 404
    assert client.post(url("return_review", ret), {"step": "start"}).status_code == 404


def test_the_regional_lead_reviews_from_the_task_list(client, ret, editor, approver, lead):
    fill_clean(editor, ret)
    signed_in(client, lead)
    page = client.get(url("return_detail", ret)).content.decode()
    assert "Start review" not in page  # nothing submitted yet
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    page = client.get(url("return_detail", ret)).content.decode()
    assert "Start review" in page and "Return with comments" in page

    client.post(url("return_review", ret), {"step": "start"})
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.UNDER_REVIEW
    page = client.get(url("return_detail", ret)).content.decode()
    assert 'name="step" value="accept"' in page and 'value="start"' not in page

    refused = client.post(
        url("return_review", ret), {"step": "send_back", "comment": ""}, follow=True
    )
    assert "Say what the ICB should change" in refused.content.decode()
    client.post(url("return_review", ret), {"step": "send_back", "comment": "LG1: add the audit."})
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED

    client.force_login(editor)
    page = client.get(url("return_detail", ret)).content.decode()
    assert "Returned for changes" in page and "LG1: add the audit." in page
    assert "it will be version 2" in page
    saved = answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        answer=AnswerInput(rating="green", narrative="Audit attached."),
        revision=1,
    )
    assert saved.revision == 2  # a draft again: the editor changes it


def test_the_icb_cannot_use_the_review_buttons(client, ret, editor, approver):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    signed_in(client, approver)
    assert "Start review" not in client.get(url("return_detail", ret)).content.decode()
    assert client.post(url("return_review", ret), {"step": "start"}).status_code == 403
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED


def test_the_explanation_is_typed_beside_the_register_check(client, ret, editor):
    from assurance.models import Answer

    ruled = next(
        s
        for s in ret.period.toolkit_version.standards.select_related("section")
        if s.register_groups
    )
    signed_in(client, editor)
    page_url = url("return_section", ret, ruled.section.code)
    page = client.get(page_url).content.decode()
    assert "This does not hold" in page
    assert f'name="{ruled.code}-explanation"' in page
    data = {}
    for st in ruled.section.standards.all():
        data[f"{st.code}-revision"] = 0
        data[f"{st.code}-action_rows"] = 1
    for m in ruled.section.metrics.all():
        data[f"{m.code}-revision"] = 0
    data[f"{ruled.code}-rating"] = "green"
    data[f"{ruled.code}-narrative"] = "Cover arranged."
    data[f"{ruled.code}-explanation"] = "The post is covered by QMF's designated nurse."
    assert client.post(page_url, data).status_code == 302
    answer = Answer.objects.get(quarterly_return=ret, standard=ruled)
    assert answer.explanation == "The post is covered by QMF's designated nurse."
    assert (
        "The post is covered by QMF&#39;s designated nurse."
        in client.get(page_url).content.decode()
    )


def test_submitting_is_its_own_transaction(ret, editor, approver):
    """Durable on purpose: nobody can wrap a submission in a larger
    transaction that might roll it back after the region was told."""
    from django.db import transaction

    fill_clean(editor, ret)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert not Submission.objects.exists()


def test_the_submit_page_warns_of_lateness_only_for_a_first_submission(
    client, ret, editor, approver, lead
):
    import datetime

    from assurance.models import ReportingPeriod
    from assurance.services.submissions import quarterly_return_send_back

    fill_clean(editor, ret)
    signed_in(client, approver)
    assert "This return is late" not in client.get(url("return_submit", ret)).content.decode()
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="More on LG1.")
    ReportingPeriod.objects.filter(pk=ret.period_id).update(
        due_on=today() - datetime.timedelta(days=1)
    )
    # On time the first time: the resubmission after the due date is not late.
    assert "This return is late" not in client.get(url("return_submit", ret)).content.decode()


def test_the_submit_page_warns_when_the_first_submission_is_late(client, ret, editor, approver):
    import datetime

    from assurance.models import ReportingPeriod

    fill_clean(editor, ret)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(
        due_on=today() - datetime.timedelta(days=1)
    )
    signed_in(client, approver)
    assert "This return is late" in client.get(url("return_submit", ret)).content.decode()


def test_no_file_is_added_to_a_submitted_return(ret, editor, approver):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assurance.services.returns import evidence_upload
    from tests.assurance.test_submission import PDF

    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    with pytest.raises(ValidationError, match="awaiting the regional review"):
        evidence_upload(
            actor=editor,
            quarterly_return=ret,
            standard=ret.period.toolkit_version.standards.get(code="LG1"),
            uploaded=SimpleUploadedFile("late.pdf", PDF),
            effective_on=today(),
        )


def test_a_submitted_section_reads_and_refuses_a_post_with_the_reason(
    client, ret, editor, approver
):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    signed_in(client, editor)
    page = client.get(url("return_section", ret, "LG")).content.decode()
    assert "awaiting the regional review" in page and 'name="LG1-rating"' not in page
    refused = client.post(
        url("return_section", ret, "LG"), {"LG1-revision": 1, "LG1-rating": "red"}, follow=True
    )
    assert refused.status_code == 200
    assert "awaiting the regional review. It can no longer be changed." in refused.content.decode()
    from assurance.models import Answer

    assert Answer.objects.get(quarterly_return=ret, standard__code="LG1").rating == "green"
