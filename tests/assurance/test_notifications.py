# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""E-mails about a return, sent after the change commits through a Celery
task: who is told (exactly, and nobody outside the ICB or its region), what
they are told (the ICB, the period, a link, never the answers), nothing when
the change rolls back, once per event, retried when the mail server fails —
and one real worker writing the message to files."""

import re
import smtplib
import time

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction

from assurance import notifications
from assurance.models import ReportingPeriod
from assurance.selectors import return_icb_recipients, return_region_recipients
from assurance.services.comments import return_comment_add
from assurance.services.notifications import return_event_notify
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import (
    ReturnIncomplete,
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
)
from assurance.tasks import return_event_notify as return_event_notify_task
from organisations.audit import system_actor
from organisations.models import AuditAction, AuditEvent, Membership, Role, User
from organisations.permissions import NotPermitted
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    q3,
    ret,
)
from tests.factories import enrol_totp, member

BASE_URL = "https://saaf.example.nhs.uk"
NARRATIVE = "Board minutes show"  # what fill_clean writes into every narrative
RATING_WORDS = re.compile(r"\b(red|amber|green|not applicable)\b", re.IGNORECASE)


def rating_words(body: str):
    """A rating word in the message, once people's names are left out (the
    factories' names include the likes of "Dylan Green")."""
    for name in User.objects.exclude(full_name="").values_list("full_name", flat=True):
        body = body.replace(name, "")
    return RATING_WORDS.search(body)


@pytest.fixture(autouse=True)
def _eager_tasks_and_base_url(request, settings):
    """Tasks run in-process (but where a test starts a real worker), and links
    use a base URL that is not the default, to show they follow it."""
    settings.SAAF_BASE_URL = BASE_URL
    if "real_worker" not in request.fixturenames:
        request.getfixturevalue("eager_tasks")


@pytest.fixture
def people(reference, editor, approver, lead):
    """Everyone who could be told, and everyone who must not be."""
    london, other_region = reference["Y56"], reference["Y63"]
    return {
        "editor": editor,
        "approver": approver,
        "lead": lead,
        "lead2": member(london, Role.REGIONAL_LEAD),
        "chief_nurse": member(london, Role.REGIONAL_CHIEF_NURSE),
        "viewer": member(reference["Z9B2Z"], Role.ICB_VIEWER),
        "inactive_lead": member(london, Role.REGIONAL_LEAD, is_active=False),
        "inactive_editor": member(reference["Z9B2Z"], Role.ICB_EDITOR, is_active=False),
        "other_icb_editor": member(reference["QMF"], Role.ICB_EDITOR),
        "other_icb_approver": member(reference["QMF"], Role.ICB_APPROVER),
        "other_region_lead": member(other_region, Role.REGIONAL_LEAD),
        "nssg": member(reference["X24"], Role.NSSG_MEMBER),
        "admin": member(reference["X24"], Role.NATIONAL_ADMIN),
    }


def emails(*users):
    return {u.email for u in users}


def only_message(outbox):
    assert len(outbox) == 1, [m.subject for m in outbox]
    return outbox[0]


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def return_url(ret):
    return f"{BASE_URL}/returns/{ret.icb.code}/{ret.period.financial_year}/{ret.period.quarter}/"


def assert_names_the_return_and_holds_no_answers(message, ret):
    html = html_of(message)
    for body in (message.body, html):
        assert ret.icb.name in body
        assert ret.period.label in body
        assert return_url(ret) in body
        assert NARRATIVE not in body
        assert not rating_words(body), rating_words(body)
    assert ret.period.label in message.subject


def submit(editor, approver, ret, capture):
    fill_clean(editor, ret)
    with capture(execute=True):
        return quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)


def notified_events(ret):
    return AuditEvent.objects.for_object(ret).filter(action=AuditAction.RETURN_NOTIFIED)


# --- Submitted: the region's leads --------------------------------------------------


def test_a_submission_tells_the_regions_leads_and_nobody_else(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    submission = submit(
        people["editor"], people["approver"], ret, django_capture_on_commit_callbacks
    )

    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["lead"], people["lead2"])
    assert message.subject == ("SAAF: NHS West and North London ICB Q3 2026/27 return submitted")
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert_names_the_return_and_holds_no_answers(message, ret)
    assert "version 1" in message.body
    assert submission.submitted_by_name in message.body
    assert "regional safeguarding team" in message.body

    (event,) = notified_events(ret)
    assert event.actor == system_actor()
    assert event.changes["recipients"] == 2
    assert event.changes["about"] == "Return submitted"
    assert event.organisation_id == ret.icb_id


def test_a_refused_submission_tells_nobody(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    """The check refuses inside the submission's transaction: nothing commits,
    so nothing is queued."""
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ReturnIncomplete),
    ):
        quarterly_return_submit(actor=people["approver"], quarterly_return=ret, declaration=True)
    assert callbacks == []
    assert mailoutbox == []
    assert not notified_events(ret).exists()


def test_a_change_that_rolls_back_tells_nobody(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    """The comment was written, then its caller's transaction rolled back: no
    e-mail about a comment that does not exist."""
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        return_comment_add(actor=people["lead"], quarterly_return=ret, text="Gone.")
        raise RuntimeError("the caller fails after the comment")
    assert callbacks == []
    assert mailoutbox == []


# --- Returned and accepted: the ICB's editors and approver ---------------------------


def test_a_returned_return_tells_the_icbs_team_with_the_covering_comment(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    submit(people["editor"], people["approver"], ret, django_capture_on_commit_callbacks)
    quarterly_return_review_start(actor=people["lead"], quarterly_return=ret)
    mailoutbox.clear()
    covering = "Evidence <b>LG1</b> & LG2:\nattach the board minutes."
    with django_capture_on_commit_callbacks(execute=True):
        quarterly_return_send_back(actor=people["lead"], quarterly_return=ret, comment=covering)

    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["editor"], people["approver"])
    assert message.subject == (
        "SAAF: NHS West and North London ICB Q3 2026/27 return returned for changes"
    )
    assert_names_the_return_and_holds_no_answers(message, ret)
    assert covering in message.body  # plain text: as written
    html = html_of(message)
    assert "Evidence &lt;b&gt;LG1&lt;/b&gt; &amp; LG2:" in html and "<b>LG1" not in html
    assert people["lead"].get_full_name() in message.body
    assert "submit it again by" in message.body


def test_an_accepted_return_tells_the_icbs_team(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    submit(people["editor"], people["approver"], ret, django_capture_on_commit_callbacks)
    quarterly_return_review_start(actor=people["lead"], quarterly_return=ret)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quarterly_return_accept(
            actor=people["lead"], quarterly_return=ret, comment="Rated green on LG1 throughout."
        )

    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["editor"], people["approver"])
    assert message.subject == "SAAF: NHS West and North London ICB Q3 2026/27 return accepted"
    assert_names_the_return_and_holds_no_answers(message, ret)  # the acceptance note included
    assert "version 1 is final" in message.body


def test_starting_the_review_tells_nobody(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    submit(people["editor"], people["approver"], ret, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quarterly_return_review_start(actor=people["lead"], quarterly_return=ret)
    assert mailoutbox == []


# --- Comments: the other party, never the author ------------------------------------


def comment(capture, **kwargs):
    with capture(execute=True):
        return return_comment_add(**kwargs)


def test_a_regional_comment_tells_the_icbs_team_without_its_text(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    standard = ret.period.toolkit_version.standards.get(code="LG1")
    note = comment(
        django_capture_on_commit_callbacks,
        actor=people["chief_nurse"],
        quarterly_return=ret,
        text="Your LG1 narrative says the board is green on this.",
        standard=standard,
    )

    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["editor"], people["approver"])
    assert message.subject == "SAAF: NHS West and North London ICB Q3 2026/27 return comment added"
    assert "LG1 narrative" not in message.body and "LG1 narrative" not in html_of(message)
    link = f"{return_url(ret)}sections/{standard.section.code}/#comment-{note.pk}"
    assert link in message.body and link in html_of(message)
    assert "LG1" in message.body  # which standard, from the toolkit: not an answer
    assert people["chief_nurse"].get_full_name() in message.body
    assert ret.icb.name in message.body and ret.period.label in message.body


def test_an_icb_comment_tells_the_regions_leads_but_not_its_author(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    note = comment(
        django_capture_on_commit_callbacks,
        actor=people["approver"],
        quarterly_return=ret,
        text="We have added the minutes.",
    )
    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["lead"], people["lead2"])
    assert "added the minutes" not in message.body
    assert f"{return_url(ret)}#comment-{note.pk}" in message.body


def test_a_reply_also_tells_the_regional_colleague_it_answers(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    question = comment(
        django_capture_on_commit_callbacks,
        actor=people["chief_nurse"],
        quarterly_return=ret,
        text="Who chairs the board?",
    )
    mailoutbox.clear()
    comment(
        django_capture_on_commit_callbacks,
        actor=people["editor"],
        quarterly_return=ret,
        text="The chief executive.",
        parent=question,
    )
    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["lead"], people["lead2"], people["chief_nurse"])
    assert f"replying to {people['chief_nurse'].get_full_name()}" in message.body


def test_a_leads_comment_is_not_sent_to_the_other_leads_nor_a_regional_reply_to_the_region(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    first = comment(
        django_capture_on_commit_callbacks,
        actor=people["lead"],
        quarterly_return=ret,
        text="Please add the minutes.",
    )
    comment(
        django_capture_on_commit_callbacks,
        actor=people["lead2"],
        quarterly_return=ret,
        text="Agreed.",
        parent=first,
    )
    assert [set(m.to) for m in mailoutbox] == [
        emails(people["editor"], people["approver"]),
        emails(people["editor"], people["approver"]),
    ]


def test_the_reviewer_is_told_of_icb_comments_while_still_in_the_region(
    people, ret, reference, mailoutbox, django_capture_on_commit_callbacks
):
    """The lead who started the review has since become the region's chief
    nurse: still told (as its reviewer); once gone from the region, not."""
    submit(people["editor"], people["approver"], ret, django_capture_on_commit_callbacks)
    reviewer = member(reference["Y56"], Role.REGIONAL_LEAD)
    quarterly_return_review_start(actor=reviewer, quarterly_return=ret)
    Membership.objects.filter(user=reviewer).update(role=Role.REGIONAL_CHIEF_NURSE)
    mailoutbox.clear()
    comment(
        django_capture_on_commit_callbacks,
        actor=people["approver"],
        quarterly_return=ret,
        text="Question on the review.",
    )
    assert set(only_message(mailoutbox).to) == emails(people["lead"], people["lead2"], reviewer)

    Membership.objects.filter(user=reviewer).delete()
    mailoutbox.clear()
    comment(
        django_capture_on_commit_callbacks,
        actor=people["approver"],
        quarterly_return=ret,
        text="Another question.",
    )
    assert set(only_message(mailoutbox).to) == emails(people["lead"], people["lead2"])


def test_a_comment_posted_on_the_page_is_e_mailed_once_the_request_commits(
    people, ret, client, mailoutbox, django_capture_on_commit_callbacks
):
    enrol_totp(people["lead"])
    client.force_login(people["lead"])
    page = return_url(ret).removeprefix(BASE_URL)
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(f"{page}comments/", {"text": "Please add the minutes."})
    assert posted.status_code == 302
    message = only_message(mailoutbox)
    assert set(message.to) == emails(people["editor"], people["approver"])
    assert "Please add the minutes." not in message.body


# --- Recipients of a dissolved ICB's return ------------------------------------------


def test_a_dissolved_icbs_return_is_told_to_its_successors_team(reference, editor, approver):
    """QMJ merged into Z9B2Z on 1 April 2026: Z9B2Z's team completes QMJ's
    outstanding Q4 2025/26 return, and is the one told; QMJ's former editor,
    of an ICB that no longer exists, is not."""
    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    ret = quarterly_return_start(actor=editor, icb=reference["QMJ"], period=q4)
    former = member(reference["QMJ"], Role.ICB_EDITOR)
    assert set(return_icb_recipients(ret)) == {editor, approver}
    assert former not in return_icb_recipients(ret)
    assert return_icb_recipients(ret, exclude_user_id=editor.pk) == [approver]
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    assert return_region_recipients(ret) == [lead]


# --- The task: once per event, retried on a mail server's failure -------------------


def test_the_task_sends_once_per_event(people, ret, mailoutbox):
    note = return_comment_add(actor=people["lead"], quarterly_return=ret, text="Hello.")
    event = AuditEvent.objects.get(action=AuditAction.RETURN_COMMENTED, target_id=str(note.pk))
    assert return_event_notify_task.delay(event.pk).get() == 2
    assert return_event_notify_task.delay(event.pk).get() == 0  # a redelivered task
    assert len(mailoutbox) == 1
    assert notified_events(ret).count() == 1


def test_an_event_that_is_gone_or_not_about_a_return_sends_nothing(people, ret, mailoutbox):
    return_comment_add(actor=people["lead"], quarterly_return=ret, text="Hello.")
    started = AuditEvent.objects.get(action=AuditAction.RETURN_STARTED)
    assert return_event_notify_task.delay(started.pk).get() == 0
    assert return_event_notify_task.delay(10**9).get() == 0
    assert mailoutbox == []


def test_only_the_system_sends(people, ret):
    return_comment_add(actor=people["lead"], quarterly_return=ret, text="Hello.")
    event = AuditEvent.objects.get(action=AuditAction.RETURN_COMMENTED)
    with pytest.raises(NotPermitted):
        return_event_notify(actor=people["admin"], event_id=event.pk)


class FlakyBackend(LocmemBackend):
    """A mail server that drops the connection on the first message only."""

    failures = 1

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_mail_server_failure_is_retried_later_and_recorded_once(people, ret, settings):
    """The task asks Celery to retry after a wait (eager mode reports the retry
    instead of sleeping); nothing is recorded as sent until it was."""
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    mail.outbox = []
    note = return_comment_add(actor=people["lead"], quarterly_return=ret, text="Hello.")
    event = AuditEvent.objects.get(action=AuditAction.RETURN_COMMENTED, target_id=str(note.pk))

    with pytest.raises(Retry) as retry:
        return_event_notify_task.delay(event.pk)
    assert isinstance(retry.value.exc, smtplib.SMTPServerDisconnected)
    assert retry.value.when > 0  # after a wait, not at once
    assert mail.outbox == [] and not notified_events(ret).exists()

    assert return_event_notify_task.delay(event.pk).get() == 2  # the retry
    assert len(mail.outbox) == 1
    assert notified_events(ret).count() == 1


def test_the_task_reads_a_fixed_number_of_queries_whatever_the_recipients(
    people, ret, reference, django_assert_max_num_queries
):
    for _ in range(5):
        member(reference["Z9B2Z"], Role.ICB_EDITOR)
    return_comment_add(actor=people["lead"], quarterly_return=ret, text="Hello.")
    event = AuditEvent.objects.get(action=AuditAction.RETURN_COMMENTED)
    system_actor()
    with django_assert_max_num_queries(12):
        assert return_event_notify(actor=system_actor(), event_id=event.pk) == 7


# --- The message itself ----------------------------------------------------------------


def test_the_html_alternative_escapes_everything_it_shows(people):
    built = notifications.Notification(
        subject="SAAF: test",
        paragraphs=("A <script>alert(1)</script> & more",),
        link='https://saaf.example.nhs.uk/"><script>',
        link_text="Open <it>",
        why="Because.",
        quote_heading="The region's covering comment:",
        quote="<img src=x onerror=alert(1)>",
    )
    message = notifications.email_message(built, [people["editor"]])
    html = html_of(message)
    assert "<script>" not in html and "<img" not in html and "<it>" not in html
    assert "A &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "A <script>alert(1)</script> & more" in message.body  # plain text as written
    assert "<img src=x onerror=alert(1)>" in message.body
    assert message.to == [people["editor"].email]


def test_the_file_backend_needs_its_folder():
    from tests.test_settings import SETUP, run

    backend = "django.core.mail.backends.filebased.EmailBackend"
    refused = run(["-c", SETUP], DJANGO_EMAIL_BACKEND=backend)
    assert refused.returncode != 0 and "needs SAAF_EMAIL_FILE_PATH" in refused.stderr
    shown = SETUP + "from django.conf import settings as s; print(s.EMAIL_FILE_PATH)"
    started = run(["-c", shown], DJANGO_EMAIL_BACKEND=backend, SAAF_EMAIL_FILE_PATH="/srv/mail")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "/srv/mail"


# --- A real worker --------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_submission_e_mail(
    submissions_purged_after, people, ret, real_worker, filed_mail
):
    fill_clean(people["editor"], ret)

    with real_worker():
        quarterly_return_submit(actor=people["approver"], quarterly_return=ret, declaration=True)
        deadline = time.monotonic() + 60
        while not notified_events(ret).exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    (message,) = filed_mail()
    assert {a.addr_spec for a in message["To"].addresses} == emails(people["lead"], people["lead2"])
    assert message["Subject"] == "SAAF: NHS West and North London ICB Q3 2026/27 return submitted"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert ret.icb.name in body and return_url(ret) in body
        assert NARRATIVE not in body and not rating_words(body)
    (event,) = notified_events(ret)
    assert event.changes["recipients"] == 2 and event.actor.email == system_actor().email


def test_nobody_is_emailed_while_notifications_are_held(
    people, ret, mailoutbox, django_capture_on_commit_callbacks
):
    from assurance.tasks import notifications_held

    with notifications_held(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        return_comment_add(actor=people["lead"], quarterly_return=ret, text="Held.")
    assert callbacks == [] and mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        return_comment_add(actor=people["lead"], quarterly_return=ret, text="Not held.")
    assert len(callbacks) == 1 and len(mailoutbox) == 1
