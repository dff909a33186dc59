"""Background work for assurance: thin tasks that call one service."""

from __future__ import annotations

import contextlib
import contextvars
import smtplib

from celery import shared_task
from django.db import transaction

from assurance.reminders import reminders_claim, reminders_send
from assurance.services.notifications import return_event_notify as _return_event_notify
from organisations.audit import system_actor
from organisations.models import AuditEvent


@shared_task(
    name="assurance.return_event_notify",
    acks_late=True,
    # A mail server that is down, refuses for a while or times out: try again
    # later, waiting longer each time (about 30 s, 1 min, 2 min … 30 min).
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    # No jitter: Celery's "full jitter" may pick a wait of 0 s, which would
    # hammer a server that has just refused; a handful of messages needs none.
    retry_jitter=False,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def return_event_notify(event_id: int) -> int:
    """E-mail the other party about one of a return's audit events; safe to
    run twice (the service sends once per event)."""
    return _return_event_notify(actor=system_actor(), event_id=event_id)


# Demo and generated histories replay years of submissions through the
# services: nobody should be e-mailed about them.
_held = contextvars.ContextVar("assurance_notifications_held", default=False)


@contextlib.contextmanager
def notifications_held():
    """Within this block, changes to returns e-mail nobody."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def notify_after_commit(event: AuditEvent) -> None:
    """Queue the e-mails about `event` once the transaction that recorded it
    commits. `robust`: the change has committed by then, so a queue that
    cannot be reached is logged, never turned into an error for the user who
    made the change."""
    if _held.get():
        return
    event_id = event.pk

    def queue_return_event_notify() -> None:
        return_event_notify.delay(event_id)

    transaction.on_commit(queue_return_event_notify, robust=True)


@shared_task(
    name="assurance.return_reminders_send",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=60,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
)
def return_reminders_send() -> int:
    """Daily (beat): claim today's deadline reminders, then — their claim
    committed — e-mail them. Safe to run twice or in two workers at once:
    each reminder is claimed once (`assurance.reminders`)."""
    actor = system_actor()
    claim = reminders_claim(actor=actor)
    return reminders_send(actor=actor, claim=claim)
