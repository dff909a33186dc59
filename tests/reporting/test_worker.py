"""The rollup on real Celery workers consuming from Redis (PostgreSQL pass
only): one worker runs it through; a prefork worker whose child is killed
in the middle of a region's step still produces the report exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from organisations.models import AuditEvent
from reporting.figures import area_figures
from reporting.models import ReportFigure, ReportRun, ReportRunRegion, RunState
from reporting.rollup import PAUSE_FILE_VARIABLE
from reporting.services import report_run_start
from tests.reporting.conftest import YEAR

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_only():
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and REDIS_URL: scripts/test runs it in that pass")
    from saaf.celery import app

    assert not app.conf.task_always_eager
    app.control.purge()  # nothing left over from another test's queue


def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _run_done(run_id):
    return ReportRun.objects.filter(pk=run_id, state=RunState.DONE).exists()


def test_a_real_worker_runs_the_rollup(real_worker, national_admin, submissions_purged_after):
    with real_worker():
        run = report_run_start(actor=national_admin, financial_year=YEAR)
        _wait_for(lambda: _run_done(run.pk), timeout=120, what="the rollup")
    run.refresh_from_db()
    assert run.regions_done == 7 and run.started_at and run.finished_at
    assert set(ReportFigure.objects.values_list("area__code", flat=True)) >= {"Y56", "X24"}


def _worker_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def test_a_killed_worker_child_and_the_report_is_made_exactly_once(
    redis_only, history, national_admin, london, tmp_path, submissions_purged_after
):
    pause_file = tmp_path / "paused.pid"
    env = os.environ | {
        "DATABASE_URL": _worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        PAUSE_FILE_VARIABLE: str(pause_file),
    }
    worker = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "saaf",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"rollup-kill-{os.getpid()}@%h",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=Path(settings.BASE_DIR),
    )
    try:
        run = report_run_start(actor=national_admin, financial_year=YEAR)
        _wait_for(pause_file.exists, timeout=90, what="a region step to start")
        child = int(_wait_for(lambda: pause_file.read_text().strip(), timeout=10, what="its pid"))
        assert child != worker.pid  # the pool's child, not the main process
        os.kill(child, signal.SIGKILL)
        _wait_for(lambda: _run_done(run.pk), timeout=180, what="the rollup after the kill")
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    run.refresh_from_db()
    assert run.regions_done == 7 and not run.error
    assert ReportRunRegion.objects.filter(run=run, done_at__isnull=False).count() == 7
    assert AuditEvent.objects.filter(action="report.rollup_finished").count() == 1
    # Exactly once: the stored figures are one fresh computation's, no more.
    stored = ReportFigure.objects.filter(area=london, financial_year=YEAR)
    fresh = area_figures(financial_year=YEAR, area=london)
    assert stored.count() == len(fresh)

    def rows(figures):
        return sorted(
            (str(f.kind), f.code, f.quarter_key, json.dumps(f.counts, sort_keys=True))
            for f in figures
        )

    assert rows(stored) == rows(fresh)
