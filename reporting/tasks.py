"""The rollup on Celery: one task per region, in parallel on the workers;
the last region to complete runs the national step (`reporting.rollup`), so
no chord and no result backend are needed. A published report's PDF is made
here too (WeasyPrint, half a minute for a national report: never in a
request). Tasks take ids and reload."""

from __future__ import annotations

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from reporting.rollup import (
    report_run_fail,
    report_run_national_complete,
    report_run_region_complete,
    report_run_started,
)
from reporting.services import published_report_fail
from reporting.services import published_report_render as published_report_render_service


class RollupTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted or an error that is not transient: the run failed.
        report_run_fail(run_id=args[0], error=f"{type(exc).__name__}: {exc}")


# Both tasks: a killed worker child's task goes back on the queue at once; a
# database that is briefly away (failover, a dropped connection) is tried
# again, waiting longer each time. A national PDF of 150 pages takes
# WeasyPrint about half a minute, well inside the limits.
DURABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 5 * 60,
    "retry_jitter": False,
    "max_retries": 5,
    "soft_time_limit": 10 * 60,
    "time_limit": 12 * 60,
}


@shared_task(base=RollupTask, name="reporting.report_region_rollup", **DURABLE)
def report_region_rollup(run_id: int, region_id: int) -> bool:
    """One region's figures; the national step too if this region is the last."""
    report_run_started(run_id=run_id)
    if report_run_region_complete(run_id=run_id, region_id=region_id):
        return report_run_national_complete(run_id=run_id)
    return False


class PublishTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        published_report_fail(published_id=args[0], error=f"{type(exc).__name__}: {exc}")


@shared_task(base=PublishTask, name="reporting.published_report_render", **DURABLE)
def published_report_render(published_id: int) -> int:
    """Make and store a published version's PDF (WeasyPrint, in the worker)."""
    return published_report_render_service(published_id=published_id).pk
