"""Celery tasks on a real worker consuming from Redis (PostgreSQL pass only)."""

import pytest
from django.conf import settings

from organisations.models import AuditEvent, Organisation
from organisations.tasks import reference_data_refresh


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_restores_a_changed_reference_name(reference):
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping the worker start uses)
    from celery.contrib.testing.worker import start_worker

    from saaf.celery import app

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: scripts/test runs it in the PostgreSQL pass")
    assert not app.conf.task_always_eager
    Organisation.objects.filter(code="QMF").update(name="Wrong name")

    with start_worker(app, pool="solo", shutdown_timeout=30):
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
