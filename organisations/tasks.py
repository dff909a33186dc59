"""Background work for organisations: thin tasks that call one service."""

from celery import shared_task

from organisations.audit import system_actor
from organisations.services import reference_data_load, session_expired_purge


@shared_task(name="organisations.reference_data_refresh", acks_late=True)
def reference_data_refresh() -> dict:
    """Reload the shipped reference data; safe to run twice (the loader is idempotent)."""
    report = reference_data_load(actor=system_actor())
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}


@shared_task(name="organisations.sessions_purge", acks_late=True)
def sessions_purge() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): delete expired sessions; safe to run twice."""
    return session_expired_purge(actor=system_actor())
