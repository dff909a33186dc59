# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""Deadline reminders: the days they go out (in London, around the clock
changes, with a frozen clock), to whom, exactly once per person and occasion
even when the task runs twice or two workers race, what a failed send does,
and the return's history page listing them."""

import datetime
import smtplib
import zoneinfo

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from markupsafe import escape  # as the Jinja2 pages escape (an apostrophe as &#39;)

from assurance.models import ReportingPeriod, ReturnReminder
from assurance.reminders import (
    BEFORE_3,
    BEFORE_14,
    DAY_AFTER,
    RETRY_AFTER,
    reminder_occasion,
    reminders_claim,
    reminders_send,
)
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import quarterly_return_submit
from assurance.tasks import return_reminders_send
from organisations.audit import system_actor
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from saaf.celery import app
from saaf.dates import today
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    q3,
)
from tests.factories import member

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    if "real_worker" not in request.fixturenames:
        request.getfixturevalue("eager_tasks")


@pytest.fixture
def team(reference, editor, approver):
    """Z9B2Z's editors and approver, and people who must never be reminded."""
    return {
        "editor": editor,
        "approver": approver,
        "viewer": member(reference["Z9B2Z"], Role.ICB_VIEWER),
        "inactive": member(reference["Z9B2Z"], Role.ICB_EDITOR, is_active=False),
        "lead": member(reference["Y56"], Role.REGIONAL_LEAD),
    }


def due(q3, due_on, closes_on=None):
    """Q3 2026/27 due on `due_on`; every other period long closed, so only
    Q3's reminders are in play."""
    ReportingPeriod.objects.exclude(pk=q3.pk).update(due_on=F("opens_on"), closes_on=F("opens_on"))
    ReportingPeriod.objects.filter(pk=q3.pk).update(
        opens_on=min(q3.opens_on, due_on),
        due_on=due_on,
        closes_on=closes_on or due_on + 60 * DAY,
    )
    q3.refresh_from_db()
    return q3


def run(on=None):
    actor = system_actor()
    return reminders_send(actor=actor, claim=reminders_claim(actor=actor, on=on))


def rows(period, **filters):
    return ReturnReminder.objects.filter(period=period, **filters)


def z9b2z_messages(outbox):
    return [m for m in outbox if "West and North London" in m.subject]


# --- Which day is which occasion ------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "occasion"),
    [
        (-15, None),
        (-14, BEFORE_14),
        (-4, BEFORE_14),
        (-3, BEFORE_3),
        (0, BEFORE_3),
        (1, DAY_AFTER),
        (7, DAY_AFTER),
        (8, "overdue_week_1"),
        (14, "overdue_week_1"),
        (15, "overdue_week_2"),
        (29, "overdue_week_4"),
        (61, None),  # after the closing date (due + 60): locked, no more reminders
    ],
)
def test_each_day_falls_in_one_occasion(days, occasion):
    due_on = datetime.date(2027, 1, 30)
    on = due_on + datetime.timedelta(days=days)
    assert reminder_occasion(due_on=due_on, closes_on=due_on + 60 * DAY, on=on) == occasion


# --- London days around the clock changes, with a frozen clock --------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Stop the clock at an instant: `saaf.dates.today()` and every service
    read `django.utils.timezone.now`."""

    def freeze(instant: datetime.datetime):
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return freeze


def test_the_14_day_reminder_follows_london_across_the_spring_clock_change(
    team, q3, frozen, mailoutbox
):
    """Summer time starts at 01:00 UTC on 28 March 2027. Due on 12 April, the
    14-day reminder belongs to 29 March in London — which starts at 23:00 UTC
    on the 28th."""
    due(q3, datetime.date(2027, 4, 12))
    frozen(datetime.datetime(2027, 3, 28, 22, 59, tzinfo=UTC))  # 23:59 BST on the 28th
    assert today() == datetime.date(2027, 3, 28)
    run()
    assert not rows(q3).exists() and not mailoutbox

    frozen(datetime.datetime(2027, 3, 28, 23, 0, tzinfo=UTC))  # 00:00 BST on the 29th
    assert today() == datetime.date(2027, 3, 29)
    run()
    assert set(rows(q3).values_list("occasion", "on").distinct()) == {
        (BEFORE_14, datetime.date(2027, 3, 29))
    }
    (message,) = z9b2z_messages(mailoutbox)
    assert "due in 14 days" in message.subject
    assert "due on 12 April 2027, in 14 days" in message.body


def test_the_day_after_reminder_follows_london_across_the_autumn_clock_change(
    team, q3, frozen, mailoutbox
):
    """Summer time ends at 01:00 UTC on 31 October 2027. Due on 30 October,
    the day after is 31 October in London from 23:00 UTC on the 30th (00:00
    BST), though UTC still says the 30th."""
    due(q3, datetime.date(2027, 10, 30))
    frozen(datetime.datetime(2027, 10, 30, 22, 30, tzinfo=UTC))  # 23:30 BST, due day
    run()
    assert set(rows(q3).values_list("occasion", flat=True)) == {BEFORE_3}

    frozen(datetime.datetime(2027, 10, 30, 23, 30, tzinfo=UTC))  # 00:30 BST on the 31st
    assert today() == datetime.date(2027, 10, 31)
    run()
    assert set(rows(q3, occasion=DAY_AFTER).values_list("on", flat=True)) == {
        datetime.date(2027, 10, 31)
    }
    # 01:30 GMT on the 31st, after the clocks went back: the same London day, nothing again.
    frozen(datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC))
    run()
    assert rows(q3, occasion=DAY_AFTER).count() == 2  # the editor and the approver, once each
    assert [m.subject.rsplit(" ", 1)[-1] for m in z9b2z_messages(mailoutbox)] == [
        "today",
        "overdue",
    ]


# --- To whom, and once -----------------------------------------------------------------------


def test_each_reminder_goes_once_to_the_icbs_editors_and_approver(team, q3, mailoutbox):
    due(q3, today() + 14 * DAY)
    assert run() == 2
    assert run() == 0  # the task running twice the same day
    run(today() + DAY)  # the next day, still in the same window
    (message,) = z9b2z_messages(mailoutbox)
    assert set(message.to) == {team["editor"].email, team["approver"].email}
    assert "cannot be switched off" in message.body
    assert "Nobody has started it yet." in message.body
    assert "/returns/Z9B2Z/2026/3/" in message.body
    assert set(rows(q3).values_list("recipient", flat=True)) == {
        team["editor"].pk,
        team["approver"].pk,
    }
    assert all(r.sent_at for r in rows(q3))
    # One audit event per return and occasion, under the ICB (no return yet).
    event = AuditEvent.objects.get(action=AuditAction.RETURN_REMINDED, organisation__code="Z9B2Z")
    assert event.changes["recipients"] == 2
    assert event.changes["occasion"] == "14 days before the due date"


def test_reminders_continue_weekly_while_overdue_and_stop_once_submitted(
    team, reference, q3, mailoutbox
):
    due_on = today() - DAY
    due(q3, due_on)
    ret = quarterly_return_start(actor=team["editor"], icb=reference["Z9B2Z"], period=q3)
    run(due_on + DAY)
    run(due_on + 7 * DAY)
    run(due_on + 8 * DAY)
    run(due_on + 15 * DAY)
    occasions = list(
        rows(q3, recipient=team["editor"]).order_by("on").values_list("occasion", flat=True)
    )
    assert occasions == [DAY_AFTER, "overdue_week_1", "overdue_week_2"]
    assert "It is a draft" in z9b2z_messages(mailoutbox)[0].body

    fill_clean(team["editor"], ret)
    quarterly_return_submit(actor=team["approver"], quarterly_return=ret, declaration=True)
    run(due_on + 22 * DAY)
    assert rows(q3, recipient=team["editor"]).count() == 3


def test_no_reminder_after_the_closing_date(team, q3):
    due(q3, today() - 10 * DAY, closes_on=today() - DAY)
    run()
    assert not rows(q3).exists()


class FailingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_reminder_that_could_not_be_sent_is_retried_by_a_later_run(team, q3, settings):
    due(q3, today() + 3 * DAY)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        run()
    assert rows(q3).count() == 2 and not rows(q3, sent_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert run() == 0  # too soon: it may still be on its way
    rows(q3).update(claimed_at=timezone.now() - RETRY_AFTER - datetime.timedelta(minutes=1))
    assert run() == 2
    assert len(z9b2z_messages(mail.outbox)) == 1
    assert rows(q3, sent_at__isnull=True).count() == 0


def test_only_the_system_sends_reminders(team):
    with pytest.raises(NotPermitted):
        reminders_claim(actor=team["editor"])


def test_the_task_claims_and_sends(team, q3, mailoutbox):
    due(q3, today() + 3 * DAY)
    assert return_reminders_send.delay().get() == 2
    assert return_reminders_send.delay().get() == 0
    assert len(z9b2z_messages(mailoutbox)) == 1


def test_claiming_reads_a_fixed_number_of_queries(
    team, reference, q3, django_assert_max_num_queries
):
    due(q3, today() + 3 * DAY)
    for code in ("QMF", "QRL", "QKK"):
        member(reference[code], Role.ICB_EDITOR)
        member(reference[code], Role.ICB_APPROVER)
    system_actor()
    with django_assert_max_num_queries(30):
        reminders_claim(actor=system_actor())
    assert rows(q3).count() == 8


def test_the_history_page_lists_the_reminders(client, team, reference, q3):
    due(q3, today() + 3 * DAY)
    quarterly_return_start(actor=team["editor"], icb=reference["Z9B2Z"], period=q3)
    run()
    client.force_login(team["editor"])
    page = client.get(reverse("assurance:return_history", args=["Z9B2Z", 2026, 3])).content
    page = page.decode()
    assert "Deadline reminders" in page and "3 days before the due date" in page
    assert escape(team["approver"].get_full_name()) in page  # an O'Connor is escaped


# --- Two workers racing, on a real worker with Redis ------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_runs_racing_on_a_real_worker_send_each_reminder_once(
    reference, team, q3, real_worker, filed_mail
):
    due(q3, today() + 3 * DAY)
    for code in ("QMF", "QRL"):
        member(reference[code], Role.ICB_EDITOR)

    with real_worker(pool="threads", concurrency=2):
        first, second = return_reminders_send.delay(), return_reminders_send.delay()
        sent = first.get(timeout=90) + second.get(timeout=90)

    assert rows(q3).count() == 4  # Z9B2Z's editor and approver, QMF's and QRL's editors
    assert sent == 4
    assert not rows(q3, sent_at__isnull=True).exists()
    messages = filed_mail()
    addressed = sorted(a.addr_spec for m in messages for a in m["To"].addresses)
    assert len(addressed) == len(set(addressed)) == 4
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_REMINDED).count() == 3


def test_the_beat_runs_the_reminders_every_morning_in_london():
    from celery.schedules import crontab
    from django.conf import settings

    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "assurance.return_reminders_send"
    ]
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/London"
    assert "assurance.return_reminders_send" in app.tasks
