"""Celery tasks on a real worker consuming from Redis (PostgreSQL pass only)."""

import datetime

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from organisations.audit import system_actor
from organisations.models import AuditEvent, Organisation, Role
from organisations.permissions import NotPermitted
from organisations.services import session_expired_purge
from organisations.tasks import reference_data_refresh, sessions_purge
from tests.factories import UserFactory, member


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_restores_a_changed_reference_name(reference, real_worker):
    Organisation.objects.filter(code="QMF").update(name="Wrong name")

    with real_worker():
        result = reference_data_refresh.delay()
        outcome = result.get(timeout=60)

    assert outcome["updated"] == ["QMF"]
    assert (
        Organisation.objects.get(code="QMF").name == "NHS North East London Integrated Care Board"
    )
    assert AuditEvent.objects.filter(
        action="organisation.updated", target_repr__contains="North East London"
    ).exists()


def test_in_the_embedded_default_tasks_run_eagerly(reference, settings):
    if settings.REDIS_URL:
        pytest.skip("the PostgreSQL pass runs real workers instead")
    Organisation.objects.filter(code="QMF").update(name="Wrong name")
    assert reference_data_refresh.delay().get()["updated"] == ["QMF"]
    assert Organisation.objects.get(code="QMF").name.startswith("NHS North East London")


def _sessions_one_expired_one_live() -> tuple[str, str]:
    """Two users' sessions (and allauth's records of them): one past its expiry."""
    keys = []
    for expired in (True, False):
        store = SessionStore()
        store["x"] = 1
        store.create()
        UserSession.objects.create(user=UserFactory(), session_key=store.session_key, ip="10.0.0.9")
        if expired:
            Session.objects.filter(session_key=store.session_key).update(
                expire_date=timezone.now() - datetime.timedelta(days=1)
            )
        keys.append(store.session_key)
    return keys[0], keys[1]


def _assert_only_live_left(expired: str, live: str) -> None:
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_expired_sessions(reference, real_worker):
    expired, live = _sessions_one_expired_one_live()

    with real_worker():
        outcome = sessions_purge.delay().get(timeout=60)
        again = sessions_purge.delay().get(timeout=60)  # safe to run twice

    assert outcome == {"sessions": 1, "user_sessions": 1}
    assert again == {"sessions": 0, "user_sessions": 0}
    _assert_only_live_left(expired, live)
    assert AuditEvent.objects.filter(action="account.expired_sessions_purged").count() == 1


@pytest.mark.django_db
def test_the_purge_service_is_for_the_system_only(reference):
    expired, live = _sessions_one_expired_one_live()
    with pytest.raises(NotPermitted):
        session_expired_purge(actor=member(reference["X24"], Role.NATIONAL_ADMIN))
    assert Session.objects.filter(session_key=expired).exists()

    assert session_expired_purge(actor=system_actor()) == {"sessions": 1, "user_sessions": 1}
    _assert_only_live_left(expired, live)
