# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""Comments on a return: who may write them, threads, plain text, and the
pages that show them (task list: the return's; section page: its standards')."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assurance.models import QuarterlyReturn, ReturnComment
from assurance.selectors import return_comment_threads
from assurance.services.comments import return_comment_add
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    lead,
    q3,
    ret,
)
from tests.factories import enrol_totp, member


def url(ret, name="return_detail", *extra):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter, *extra])


def std(ret, code):
    return ret.period.toolkit_version.standards.get(code=code)


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)


def test_a_comment_keeps_its_author_organisation_role_and_time(ret, lead, reference):
    comment = return_comment_add(
        actor=lead, quarterly_return=ret, text="  Please add LG1 minutes. "
    )
    assert comment.text == "Please add LG1 minutes."
    assert comment.standard is None and comment.parent is None
    assert comment.author == lead and comment.author_organisation == reference["Y56"]
    assert comment.author_role == "Regional safeguarding lead"
    assert comment.created_at is not None
    event = AuditEvent.objects.get(action=AuditAction.RETURN_COMMENTED)
    assert event.changes["text"] == [None, "Please add LG1 minutes."] and event.actor == lead


def test_threads_on_the_return_and_on_a_standard(ret, lead, approver, editor):
    first = return_comment_add(
        actor=lead, quarterly_return=ret, text="LG1 evidence?", standard=std(ret, "LG1")
    )
    reply = return_comment_add(actor=approver, quarterly_return=ret, text="Added.", parent=first)
    assert reply.standard_id == first.standard_id  # a reply stays on its standard
    deeper = return_comment_add(actor=lead, quarterly_return=ret, text="Thanks.", parent=reply)
    general = return_comment_add(actor=editor, quarterly_return=ret, text="On the whole.")
    threads = return_comment_threads(ret)
    assert [t.comment for t in threads[None]] == [general]
    (thread,) = threads[std(ret, "LG1").pk]
    assert thread.comment == first
    assert [r.comment for r in thread.replies] == [reply]
    assert [r.comment for r in thread.replies[0].replies] == [deeper]
    with pytest.raises(ValidationError, match="stays on the standard"):
        return_comment_add(
            actor=lead, quarterly_return=ret, text="x", parent=first, standard=std(ret, "LG2")
        )


def test_a_reply_must_be_to_a_comment_on_the_same_return(ret, lead, reference, q3):
    other = QuarterlyReturn.objects.create(
        icb=reference["Y56"].children.exclude(pk=ret.icb_id).filter(kind="icb").first(),
        period=q3,
        started_by=lead,
    )
    elsewhere = return_comment_add(actor=lead, quarterly_return=other, text="There.")
    with pytest.raises(ValidationError, match="Reply to a comment on this return"):
        return_comment_add(actor=lead, quarterly_return=ret, text="x", parent=elsewhere)


@pytest.mark.parametrize(
    "text,message",
    [
        ("   ", "Write the comment before posting it."),
        ("x" * 5001, "5,000 characters or fewer"),
        ("bad\x1bchar", "Remove the control characters"),
    ],
)
def test_a_comment_is_plain_text_and_not_empty(ret, lead, text, message):
    with pytest.raises(ValidationError) as refused:
        return_comment_add(actor=lead, quarterly_return=ret, text=text)
    assert message in " ".join(refused.value.message_dict["text"])
    assert not ReturnComment.objects.exists()


@pytest.mark.parametrize(
    "role,org,allowed",
    [
        (Role.ICB_EDITOR, "Z9B2Z", True),
        (Role.ICB_APPROVER, "Z9B2Z", True),
        (Role.ICB_VIEWER, "Z9B2Z", False),
        (Role.REGIONAL_LEAD, "Y56", True),
        (Role.REGIONAL_CHIEF_NURSE, "Y56", True),
        (Role.REGIONAL_LEAD, "Y61", False),
        (Role.NSSG_MEMBER, "X24", False),
        (Role.NATIONAL_ADMIN, "X24", False),
    ],
)
def test_who_may_comment(ret, reference, role, org, allowed):
    someone = member(reference[org], role)
    if allowed:
        assert return_comment_add(actor=someone, quarterly_return=ret, text="Noted.").pk
    else:
        with pytest.raises(NotPermitted, match="comment on its return"):
            return_comment_add(actor=someone, quarterly_return=ret, text="Noted.")
        assert not ReturnComment.objects.exists()


def test_the_task_list_shows_the_returns_comments_escaped_with_a_reply_form(
    client, ret, lead, approver
):
    comment = return_comment_add(
        actor=lead, quarterly_return=ret, text="<script>alert(1)</script>\nSecond line"
    )
    return_comment_add(
        actor=lead, quarterly_return=ret, text="On LG1 only", standard=std(ret, "LG1")
    )
    signed_in(client, approver)
    page = client.get(url(ret)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nSecond line" in page
    assert "<script>alert(1)" not in page
    assert f'id="comment-{comment.pk}"' in page and f'name="parent" value="{comment.pk}"' in page
    assert "On LG1 only" not in page
    forms = page.split("<form ")[1:]
    assert len(forms) >= 3 and all(
        "csrfmiddlewaretoken" in form.split("</form>")[0] for form in forms
    )
    section = client.get(url(ret, "return_section", "LG")).content.decode()
    assert "On LG1 only" in section and "Regional safeguarding lead" in section
    assert all("csrfmiddlewaretoken" in f.split("</form>")[0] for f in section.split("<form ")[1:])

    posted = client.post(url(ret, "return_comment"), {"parent": comment.pk, "text": "Done."})
    crlf = client.post(url(ret, "return_comment"), {"text": "One\r\nTwo"})
    assert crlf.status_code == 302 and ReturnComment.objects.filter(text="One\nTwo").exists()
    assert posted.status_code == 302
    reply = ReturnComment.objects.get(text="Done.")
    assert posted["Location"] == f"{url(ret)}#comment-{reply.pk}"
    assert reply.parent == comment and reply.author == approver

    on_standard = client.post(url(ret, "return_comment"), {"standard": "LG1", "text": "Q?"})
    assert on_standard["Location"].startswith(url(ret, "return_section", "LG"))


def test_a_refused_comment_comes_back_with_the_error_and_the_text(client, ret, approver):
    signed_in(client, approver)
    page = client.post(url(ret, "return_comment"), {"text": "typed\x00here"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "Remove the control characters" in body
    empty = client.post(url(ret, "return_comment"), {"text": "  "})
    assert "Write the comment before posting it." in empty.content.decode()
    assert (
        client.post(url(ret, "return_comment"), {"standard": "ZZ9", "text": "x"}).status_code == 404
    )
    assert (
        client.post(url(ret, "return_comment"), {"parent": "999999", "text": "x"}).status_code
        == 404
    )
    assert not ReturnComment.objects.exists()


def test_a_viewer_reads_comments_without_a_form_and_cannot_post(client, ret, lead, reference):
    return_comment_add(actor=lead, quarterly_return=ret, text="Read me.")
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    signed_in(client, viewer)
    page = client.get(url(ret)).content.decode()
    assert "Read me." in page and "Post comment" not in page and "Post reply" not in page
    assert client.post(url(ret, "return_comment"), {"text": "Hi"}).status_code == 403
    assert ReturnComment.objects.count() == 1


def test_out_of_scope_is_404(client, ret, reference):
    signed_in(client, member(reference["Y61"], Role.REGIONAL_LEAD))
    assert client.post(url(ret, "return_comment"), {"text": "Hi"}).status_code == 404


def test_the_pages_query_count_does_not_grow_with_comments(client, ret, lead, approver):
    signed_in(client, approver)
    first = return_comment_add(actor=lead, quarterly_return=ret, text="One")
    client.get(url(ret))
    with CaptureQueriesContext(connection) as before:
        client.get(url(ret, "return_section", "LG"))
    with CaptureQueriesContext(connection) as before_list:
        client.get(url(ret))
    for n in range(5):
        reply = return_comment_add(actor=approver, quarterly_return=ret, text=f"R{n}", parent=first)
        return_comment_add(actor=lead, quarterly_return=ret, text="S", standard=std(ret, "LG2"))
        first = reply
    with CaptureQueriesContext(connection) as after:
        client.get(url(ret, "return_section", "LG"))
    with CaptureQueriesContext(connection) as after_list:
        client.get(url(ret))
    assert len(after) == len(before)
    assert len(after_list) == len(before_list)
