"""The rollup of a year's figures, region by region then England, as the
services the tasks call (`reporting.tasks`).

A run (`ReportRun`) has a row per region. A region's step writes its
figures (deleting the region's previous ones and inserting the new, in one
transaction, so running twice gives the same figures and no duplicate
rows), marks its row done and counts it on the run under the run's row lock
(SELECT … FOR UPDATE), all in that transaction. Whichever region completes
last then runs the national step, which writes England's figures and closes
the run. A task redelivered after its worker died finds its region done and
counts nothing twice; if it died between its region and the national step,
the redelivery runs the national step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from organisations.audit import audit_record, system_actor
from organisations.models import AuditAction, Organisation
from organisations.reference_data import NATIONAL_CODE
from reporting.figures import area_figures
from reporting.models import ReportFigure, ReportRun, ReportRunRegion, RunState

# The killed-worker test (tests/reporting/test_worker.py) sets this in its
# worker's environment: the first region step to get here writes its process
# id to the file and waits, inside its transaction, for the test to kill it.
# Never set in production.
PAUSE_FILE_VARIABLE = "SAAF_TEST_ROLLUP_PAUSE_FILE"


def _test_pause() -> None:
    path = os.environ.get(PAUSE_FILE_VARIABLE)
    if not path:
        return
    try:
        with Path(path).open("x") as f:  # only the first step to arrive pauses
            f.write(str(os.getpid()))
    except FileExistsError:
        return
    time.sleep(120)


def figures_write(*, financial_year: int, area: Organisation) -> int:
    """Replace `area`'s figures for the year with freshly computed ones (in
    the caller's transaction)."""
    figures = area_figures(financial_year=financial_year, area=area)
    ReportFigure.objects.filter(financial_year=financial_year, area=area).delete()
    ReportFigure.objects.bulk_create(figures, batch_size=1000)
    return len(figures)


def report_run_region_complete(*, run_id: int, region_id: int) -> bool:
    """Compute one region's figures for the run; True if the national step
    is now due (every region done)."""
    with transaction.atomic():
        part = (
            ReportRunRegion.objects.select_for_update()
            .select_related("region", "run")
            .get(run_id=run_id, region_id=region_id)
        )
        if part.run.state in (RunState.DONE, RunState.FAILED):
            return False
        if part.done_at is None:
            _test_pause()
            figures_write(financial_year=part.run.financial_year, area=part.region)
            part.done_at = timezone.now()
            part.save(update_fields=["done_at"])
            run = ReportRun.objects.select_for_update().get(pk=run_id)
            run.regions_done += 1
            run.state = RunState.RUNNING
            run.started_at = run.started_at or part.run.requested_at
            run.save(update_fields=["regions_done", "state", "started_at"])
        else:
            run = ReportRun.objects.get(pk=run_id)
    return run.regions_done >= run.regions_total and run.state != RunState.DONE


def report_run_started(*, run_id: int) -> None:
    """Mark the run running when its first task starts (progress shows at once)."""
    ReportRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, started_at=timezone.now()
    )


def report_run_national_complete(*, run_id: int) -> bool:
    """England's figures, once every region is done; closes the run. Safe to
    call twice: the second finds the run done."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if run.state == RunState.DONE or run.regions_done < run.regions_total:
            return False
        national = Organisation.objects.get(code=NATIONAL_CODE)
        figures_write(financial_year=run.financial_year, area=national)
        run.state = RunState.DONE
        run.finished_at = timezone.now()
        run.error = ""
        run.save(update_fields=["state", "finished_at", "error"])
        audit_record(
            actor=system_actor(),
            action=AuditAction.REPORT_ROLLUP_FINISHED,
            target=run,
            organisation=national,
        )
    return True


def report_run_fail(*, run_id: int, error: str) -> None:
    """A task gave up: the run says so, and a new one can be started."""
    ReportRun.objects.filter(pk=run_id).exclude(state=RunState.DONE).update(
        state=RunState.FAILED, finished_at=timezone.now(), error=error[:2000]
    )


def year_figures_write(*, financial_year: int) -> int:
    """The whole rollup of a year in this process, region by region then
    England, with no run row: for scripted use (`manage.py annual_report`)
    and benchmarks. The same figures as a run's."""
    from organisations.models import OrganisationKind

    written = 0
    areas = [
        *Organisation.objects.filter(kind=OrganisationKind.REGION).order_by("name"),
        Organisation.objects.get(code=NATIONAL_CODE),
    ]
    for area in areas:
        with transaction.atomic():
            written += figures_write(financial_year=financial_year, area=area)
    return written
