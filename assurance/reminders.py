"""Deadline reminders for quarterly returns: e-mails to the ICB's editors and
approver 14 and 3 days before the due date, the day after it, and each week
while the return is overdue and still not submitted. Nobody can switch them
off: missing a statutory assurance deadline is not a preference.

Days are calendar days in Europe/London (`saaf.dates.today`), so a run at
00:30 on the first Sunday of summer time counts the same day as one at 12:00,
and the beat schedule (`saaf.settings.CELERY_BEAT_SCHEDULE`) runs the task at
07:00 London time whether that is 06:00 or 07:00 UTC.

Each occasion has a window, not a single day, so a day the beat missed (a
worker down overnight) is caught up the next run, once: the 14-day reminder
goes out on any day from 14 to 4 days before; the 3-day one from 3 days
before to the due date; the day-after one in the first week overdue; the
weekly ones in each week after that, until the return is submitted or can
no longer be (its closing date passed: it is locked, and the reopening
national team writes to the ICB itself).

Exactly once per recipient and occasion, however many runs race: each
reminder is claimed by inserting its `ReturnReminder` row in a transaction
(`ON CONFLICT DO NOTHING` on the unique constraint: the loser of a race
inserts nothing), and only the rows this run inserted are e-mailed, after
the transaction commits. A row whose e-mail could not be sent keeps
`sent_at` empty and is retried by a later run; the retry claims it by an
UPDATE that only one run can win.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assurance import notifications
from assurance.models import QuarterlyReturn, ReportingPeriod, ReturnReminder, Submission
from assurance.permissions import submission_closes_on
from organisations.audit import audit_record
from organisations.choices import ICB_WRITE_ROLES, SYSTEM_ACTOR_EMAIL
from organisations.models import AuditAction, Membership, Organisation, Succession, User
from organisations.permissions import is_system, permission_require
from saaf import dates

logger = logging.getLogger("saaf.reminders")

BEFORE_14 = "before_14"
BEFORE_3 = "before_3"
DAY_AFTER = "day_after"
OVERDUE_WEEK = "overdue_week_"

# A claimed reminder not sent after this long is retried by a later run.
RETRY_AFTER = datetime.timedelta(minutes=30)


def reminder_occasion(
    *, due_on: datetime.date, closes_on: datetime.date, on: datetime.date
) -> str | None:
    """The occasion whose window holds the day `on` for a return due on
    `due_on` and closing on `closes_on`, or None."""
    days = (on - due_on).days
    if on > closes_on or days < -14:
        return None
    if days <= -4:
        return BEFORE_14
    if days <= 0:
        return BEFORE_3
    if days <= 7:
        return DAY_AFTER
    return f"{OVERDUE_WEEK}{(days - 1) // 7}"


def occasion_label(occasion: str) -> str:
    if occasion == BEFORE_14:
        return "14 days before the due date"
    if occasion == BEFORE_3:
        return "3 days before the due date"
    if occasion == DAY_AFTER:
        return "The day after the due date"
    if occasion.startswith(OVERDUE_WEEK):
        weeks = int(occasion.removeprefix(OVERDUE_WEEK))
        return f"Overdue for {weeks} {'week' if weeks == 1 else 'weeks'}"
    return occasion


@dataclass
class _Due:
    """One return that is owed a reminder today."""

    icb: Organisation
    period: ReportingPeriod
    occasion: str
    quarterly_return: QuarterlyReturn | None
    team_id: int  # the ICB whose editors and approver are written to


def _returns_due(on: datetime.date) -> list[_Due]:
    """Every expected, unsubmitted return with an occasion on `on`: four
    queries whatever the number of ICBs."""
    # Due within 14 days, or overdue within the year (a return the region
    # returned or the national team reopened may stay open past the period's
    # closing date: each return's own closing date is checked below).
    periods = list(
        ReportingPeriod.objects.filter(
            due_on__lte=on + datetime.timedelta(days=14),
            due_on__gte=on - datetime.timedelta(days=366),
        )
    )
    if not periods:
        return []
    returns = {
        (r.icb_id, r.period_id): r
        for r in QuarterlyReturn.objects.filter(period__in=periods)
        .annotate(submitted=Exists(Submission.objects.filter(quarterly_return=OuterRef("pk"))))
        .select_related("period", "icb", "completed_by")
    }
    successors: dict[int, set[int]] = defaultdict(set)
    for predecessor_id, successor_id in Succession.objects.values_list(
        "predecessor_id", "successor_id"
    ):
        successors[predecessor_id].add(successor_id)
    earliest = min(p.ends_on for p in periods)
    icbs = list(
        Organisation.objects.icbs()
        .filter(Q(established__isnull=True) | Q(established__lte=max(p.ends_on for p in periods)))
        .filter(Q(closed__isnull=True) | Q(closed__gte=earliest))
    )
    due = []
    for period in periods:
        for icb in icbs:
            if not icb.existed_on(period.ends_on):
                continue
            ret = returns.get((icb.pk, period.pk))
            if ret is not None and ret.submitted:
                continue
            closes_on = submission_closes_on(ret) if ret is not None else period.closes_on
            occasion = reminder_occasion(due_on=period.due_on, closes_on=closes_on, on=on)
            if occasion is None:
                continue
            if ret is not None and ret.completed_by_id:
                team_id = ret.completed_by_id
            elif icb.existed_on(on):
                team_id = icb.pk
            elif len(successors[icb.pk]) == 1:
                team_id = next(iter(successors[icb.pk]))
            else:
                continue  # a split ICB's return: nobody completes it until one is named
            due.append(_Due(icb, period, occasion, ret, team_id))
    return due


def _teams(team_ids: set[int], on: datetime.date) -> dict[int, list[User]]:
    """Each ICB's editors and approver (active people), one query."""
    teams: dict[int, list[User]] = defaultdict(list)
    existing = Organisation.objects.filter(pk__in=team_ids).existing_on(on)
    for membership in (
        Membership.objects.filter(organisation__in=existing, role__in=ICB_WRITE_ROLES)
        .filter(user__is_active=True)
        .exclude(user__email=SYSTEM_ACTOR_EMAIL)
        .select_related("user")
        .order_by("user__email")
    ):
        people = teams[membership.organisation_id]
        if membership.user not in people:
            people.append(membership.user)
    return teams


def reminders_claim(*, actor: User, on: datetime.date | None = None) -> uuid.UUID:
    """Claim every reminder owed on `on` (default today, in London) that
    nobody has claimed yet, and record each return's reminder in its audit
    trail, in one transaction. Returns the claim to send (`reminders_send`)."""
    permission_require(is_system(actor), "Only the system sends deadline reminders.")
    on = on or dates.today()
    claim = uuid.uuid4()
    now = timezone.now()
    due = _returns_due(on)
    teams = _teams({d.team_id for d in due}, on)
    with transaction.atomic():
        ReturnReminder.objects.bulk_create(
            [
                ReturnReminder(
                    icb=d.icb,
                    period=d.period,
                    recipient=person,
                    occasion=d.occasion,
                    on=on,
                    claim=claim,
                    claimed_at=now,
                )
                for d in due
                for person in teams.get(d.team_id, [])
            ],
            ignore_conflicts=True,
        )
        claimed = defaultdict(int)
        for icb_id, period_id in ReturnReminder.objects.filter(claim=claim).values_list(
            "icb_id", "period_id"
        ):
            claimed[icb_id, period_id] += 1
        for d in due:
            count = claimed.get((d.icb.pk, d.period.pk))
            if not count:
                continue
            audit_record(
                actor=actor,
                action=AuditAction.RETURN_REMINDED,
                target=d.quarterly_return or d.icb,
                parent=d.quarterly_return,
                organisation=d.icb,
                changes={
                    "period": d.period.label,
                    "occasion": occasion_label(d.occasion),
                    "recipients": count,
                },
            )
        # Reminders an earlier run claimed but could not send: this run takes
        # them over (only one run's UPDATE matches each row).
        ReturnReminder.objects.filter(
            sent_at__isnull=True, claimed_at__lt=now - RETRY_AFTER
        ).update(claim=claim, claimed_at=now)
    return claim


def _notification(reminder: ReturnReminder, quarterly_return: QuarterlyReturn | None):
    icb, period = reminder.icb, reminder.period
    due = dates.nhs_date(period.due_on)
    days = (period.due_on - reminder.on).days
    if days >= 0:
        when = "today" if days == 0 else f"in {days} {'day' if days == 1 else 'days'}"
        what = f"due {when}"
        first = f"{icb.name}'s {period.label} return is due on {due}, {when}."
    else:
        what = "overdue"
        late = -days
        first = (
            f"{icb.name}'s {period.label} return was due on {due} and has not been submitted: "
            f"it is {late} {'day' if late == 1 else 'days'} overdue."
        )
    if quarterly_return is None:
        state = "Nobody has started it yet."
    else:
        state = "It is a draft: the ICB's approver submits it once the check passes."
    closes = submission_closes_on(quarterly_return) if quarterly_return else period.closes_on
    team = (
        quarterly_return.completed_by if quarterly_return and quarterly_return.completed_by else icb
    )
    ret = quarterly_return or QuarterlyReturn(icb=icb, period=period)
    return notifications.Notification(
        subject=notifications._subject(ret, what),
        paragraphs=(
            first,
            state,
            f"Returns can be changed and submitted until {dates.nhs_date(closes)}.",
        ),
        link=notifications.return_link(ret),
        link_text="Open the return",
        why=(
            f"You receive this reminder as an editor or approver of {team.name}'s returns. "
            "Deadline reminders go to every editor and approver and cannot be switched off."
        ),
    )


def reminders_send(*, actor: User, claim: uuid.UUID) -> int:
    """E-mail the reminders of `claim` not sent yet, one message per return
    and occasion to its recipients, and mark them sent; returns how many
    people were written to. A mail server's failure leaves the rest unsent
    for a later run and raises."""
    permission_require(is_system(actor), "Only the system sends deadline reminders.")
    rows = list(
        ReturnReminder.objects.filter(claim=claim, sent_at__isnull=True)
        .select_related("icb", "period", "recipient")
        .order_by("period", "icb", "occasion", "recipient__email")
    )
    groups: dict[tuple, list[ReturnReminder]] = defaultdict(list)
    for row in rows:
        groups[row.icb_id, row.period_id, row.occasion].append(row)
    returns = {
        (r.icb_id, r.period_id): r
        for r in QuarterlyReturn.objects.filter(
            icb__in={row.icb_id for row in rows}, period__in={row.period_id for row in rows}
        ).select_related("completed_by", "period", "icb")
    }
    sent = 0
    connection = get_connection()
    for (icb_id, period_id, _occasion), group in groups.items():
        notification = _notification(group[0], returns.get((icb_id, period_id)))
        message = notifications.email_message(notification, [row.recipient for row in group])
        connection.send_messages([message])
        ReturnReminder.objects.filter(pk__in=[row.pk for row in group]).update(
            sent_at=timezone.now()
        )
        sent += len(group)
        logger.info("Reminder %r sent to %d people.", notification.subject, len(group))
    return sent


def return_reminders(icb: Organisation, period: ReportingPeriod) -> list[ReturnReminder]:
    """The reminders about one return, for its history page (one query)."""
    return list(
        ReturnReminder.objects.filter(icb=icb, period=period)
        .select_related("recipient")
        .order_by("-on", "occasion", "recipient__email")
    )
