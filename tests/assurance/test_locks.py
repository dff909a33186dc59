# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""Locks: a draft or returned return locks after its closing date (the day
itself still open); a return sent back after the close has 14 days from that
day; the national team reopens a locked return with a reason and a new
closing date. The services, the pages and `submission_closes_on` agree."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assurance.models import QuarterlyReturn, ReturnStatus, Submission
from assurance.permissions import can_edit_return, return_lock_refusal, submission_closes_on
from assurance.services.submissions import (
    quarterly_return_reopen,
    quarterly_return_send_back,
    quarterly_return_submit,
)
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from saaf.dates import nhs_date, today
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    period_dates,
    q3,
    ret,
    save,
)
from tests.factories import enrol_totp, member

DAY = datetime.timedelta(days=1)


@pytest.fixture
def admin(reference):
    return member(reference["X24"], Role.NATIONAL_ADMIN)


def url(ret, name="return_detail", *extra):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter, *extra])


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)


def close(ret, on):
    period_dates(ret, due_on=min(ret.period.due_on, on), closes_on=on)


def returned(ret, *, on, closed_on):
    """Sent back by the region `on` (a day the test picks), the period
    having closed on `closed_on`."""
    QuarterlyReturn.objects.filter(pk=ret.pk).update(returned_on=on)
    ret.refresh_from_db()
    close(ret, closed_on)


def test_open_on_the_closing_day_itself(ret, editor, approver):
    fill_clean(editor, ret)
    close(ret, today())
    assert return_lock_refusal(ret) is None and can_edit_return(editor, ret)
    save(editor, ret, "LG1", rating="green", narrative="Still open today.")
    assert quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)


def test_locked_the_day_after(ret, editor, approver):
    fill_clean(editor, ret)
    close(ret, today() - DAY)
    message = f"Period closed on {nhs_date(today() - DAY)}: ask the national team to reopen it."
    assert return_lock_refusal(ret) == message
    assert not can_edit_return(editor, ret)
    with pytest.raises(ValidationError) as refused:
        save(editor, ret, "LG1", rating="red")
    assert refused.value.messages == [message]
    with pytest.raises(ValidationError) as refused:
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert refused.value.messages == [message]
    assert not Submission.objects.exists()


@pytest.fixture
def sent_back(ret, editor, approver, lead):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="More on LG1.")
    ret.refresh_from_db()
    assert ret.returned_on == today() and ret.status == ReturnStatus.RETURNED
    return ret


def test_returned_after_the_close_today_is_open_for_14_days(sent_back, editor):
    close(sent_back, today() - DAY)
    assert submission_closes_on(sent_back) == today() + datetime.timedelta(days=14)
    assert return_lock_refusal(sent_back, on=today() + datetime.timedelta(days=14)) is None
    assert return_lock_refusal(sent_back, on=today() + datetime.timedelta(days=15))


def test_returned_10_days_ago_after_the_close_is_open(sent_back, editor, approver):
    returned(sent_back, on=today() - datetime.timedelta(days=10), closed_on=today() - 11 * DAY)
    assert return_lock_refusal(sent_back) is None
    save(editor, sent_back, "LG1", rating="green", narrative="With the minutes now.")
    second = quarterly_return_submit(actor=approver, quarterly_return=sent_back, declaration=True)
    assert second.version == 2


def test_returned_15_days_ago_after_the_close_is_locked(sent_back, editor, approver):
    on = today() - datetime.timedelta(days=15)
    returned(sent_back, on=on, closed_on=on - DAY)
    expected = (
        f"Returned on {nhs_date(on)} after the period closed: resubmission closed on "
        f"{nhs_date(on + datetime.timedelta(days=14))}. Ask the national team to reopen it."
    )
    assert return_lock_refusal(sent_back) == expected
    with pytest.raises(ValidationError, match="resubmission closed on"):
        save(editor, sent_back, "LG1", rating="green", narrative="Too late.")
    with pytest.raises(ValidationError, match="resubmission closed on"):
        quarterly_return_submit(actor=approver, quarterly_return=sent_back, declaration=True)


def test_returned_before_the_close_locks_with_the_period(sent_back):
    returned(sent_back, on=today() - 3 * DAY, closed_on=today() - DAY)
    assert return_lock_refusal(sent_back).startswith("Period closed on")


def test_a_submitted_return_is_never_locked_but_not_a_draft(ret, editor, approver):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    close(ret, today() - DAY)
    assert return_lock_refusal(ret) is None  # it says "Submitted on …" instead


def test_the_national_admin_reopens_a_locked_return_until_a_new_date(ret, editor, approver, admin):
    fill_clean(editor, ret)
    close(ret, today() - 5 * DAY)
    new = today() + 3 * DAY
    quarterly_return_reopen(
        actor=admin, quarterly_return=ret, reason="ICB system outage in May.", closes_on=new
    )
    ret.refresh_from_db()
    assert (ret.reopened_until, ret.reopened_reason) == (new, "ICB system outage in May.")
    assert submission_closes_on(ret) == new
    assert return_lock_refusal(ret, on=new) is None
    assert return_lock_refusal(ret, on=new + DAY) == (
        f"Reopened until {nhs_date(new)}, which has passed: ask the national team to reopen it."
    )
    event = AuditEvent.objects.get(action=AuditAction.RETURN_REOPENED)
    assert event.actor == admin and event.reason == "ICB system outage in May."
    assert event.changes["reopened_until"] == [None, new.isoformat()]
    save(editor, ret, "LG1", rating="green", narrative="Reopened, so saved.")
    assert quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)


def test_reopening_refusals(ret, editor, approver, admin, reference):
    fill_clean(editor, ret)
    with pytest.raises(ValidationError, match="It is open until .*: nothing to reopen"):
        quarterly_return_reopen(
            actor=admin, quarterly_return=ret, reason="x", closes_on=today() + DAY
        )
    close(ret, today() - DAY)
    for role, org in (
        (Role.REGIONAL_LEAD, "Y56"),
        (Role.ICB_APPROVER, "Z9B2Z"),
        (Role.NSSG_MEMBER, "X24"),
    ):
        with pytest.raises(NotPermitted, match="Only the national safeguarding team"):
            quarterly_return_reopen(
                actor=member(reference[org], role),
                quarterly_return=ret,
                reason="x",
                closes_on=today() + DAY,
            )
    with pytest.raises(ValidationError) as refused:
        quarterly_return_reopen(
            actor=admin, quarterly_return=ret, reason="  ", closes_on=today() - DAY
        )
    assert refused.value.message_dict == {
        "reason": ["Say why the return is reopened."],
        "closes_on": [f"Set a new closing date of {nhs_date(today())} or later."],
    }
    assert not AuditEvent.objects.filter(action=AuditAction.RETURN_REOPENED).exists()


def test_a_submitted_return_is_not_reopened(ret, editor, approver, admin):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    close(ret, today() - DAY)
    with pytest.raises(ValidationError, match="Only a locked draft is reopened. Submitted on"):
        quarterly_return_reopen(
            actor=admin, quarterly_return=ret, reason="x", closes_on=today() + DAY
        )


# --- Pages ------------------------------------------------------------------------------


def test_the_pages_say_it_is_locked_and_show_no_form_or_submit_link(client, ret, editor, approver):
    fill_clean(editor, ret)
    close(ret, today() - DAY)
    signed_in(client, approver)
    message = f"Period closed on {nhs_date(today() - DAY)}: ask the national team to reopen it."
    task_list = client.get(url(ret)).content.decode()
    assert message in task_list and "Locked" in task_list
    assert url(ret, "return_submit") not in task_list
    assert url(ret, "return_reopen") not in task_list
    section = client.get(url(ret, "return_section", "LG")).content.decode()
    assert message in section and "Save as draft" not in section
    posted = client.post(url(ret, "return_section", "LG"), {}, follow=True)
    assert message in posted.content.decode()
    submit = client.get(url(ret, "return_submit")).content.decode()
    assert message in submit and 'name="declaration"' not in submit
    assert client.post(url(ret, "return_submit"), {"declaration": "yes"}).status_code == 400
    assert not Submission.objects.exists()
    refused = client.get(url(ret, "return_reopen"), follow=True).content.decode()
    assert "Only the national safeguarding team reopens a locked return." in refused


def test_the_admin_reopens_from_the_page(client, ret, editor, admin):
    close(ret, today() - DAY)
    signed_in(client, admin)
    assert url(ret, "return_reopen") in client.get(url(ret)).content.decode()
    form = client.get(url(ret, "return_reopen"))
    assert form.status_code == 200
    new = today() + 7 * DAY
    bad = client.post(
        url(ret, "return_reopen"),
        {"reason": "", "closes_on_day": "31", "closes_on_month": "2", "closes_on_year": new.year},
    )
    assert bad.status_code == 400
    assert "Say why the return is reopened." in bad.content.decode()
    done = client.post(
        url(ret, "return_reopen"),
        {
            "reason": "Outage <b>in May</b>",
            "closes_on_day": new.day,
            "closes_on_month": new.month,
            "closes_on_year": new.year,
        },
    )
    assert done.status_code == 302
    ret.refresh_from_db()
    assert ret.reopened_until == new
    page = client.get(url(ret)).content.decode()
    assert f"Reopened by the national team until {nhs_date(new)}" in page
    assert "Outage &lt;b&gt;in May&lt;/b&gt;" in page
    assert return_lock_refusal(ret) is None and can_edit_return(editor, ret)
    again = client.get(url(ret, "return_reopen"), follow=True).content.decode()
    assert "nothing to reopen" in again
