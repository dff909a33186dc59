"""The rollup with eager tasks (as in the embedded default): every region then
England, the same figures and no duplicate rows when run twice, progress on
the run row, and every figure traceable within the reader's scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organisations.models import Organisation, Role
from reporting.models import FigureKind, ReportFigure, ReportRun, RunState
from reporting.rollup import report_run_national_complete, report_run_region_complete
from reporting.services import report_run_start
from tests.factories import member
from tests.reporting.conftest import HISTORY_GROUP, YEAR


def _snapshot():
    return sorted(
        ReportFigure.objects.values_list(
            "area__code", "kind", "code", "quarter_key", "counts", "value", "submission_ids"
        ),
        key=repr,
    )


@pytest.fixture
def eager(eager_tasks):
    """Tasks run in the process, in the PostgreSQL pass too (test_worker.py
    runs them on real workers)."""


@pytest.mark.django_db
@pytest.mark.xdist_group(HISTORY_GROUP)
def test_the_rollup_twice_gives_the_same_report(
    shared_history,
    eager,
    national_admin,
    django_capture_on_commit_callbacks,
    client,
    lead,
    london,
    reference,
):
    with django_capture_on_commit_callbacks(execute=True):
        run = report_run_start(actor=national_admin, financial_year=YEAR)
    run.refresh_from_db()
    assert run.state == RunState.DONE and run.regions_done == 7 and run.finished_at
    first = _snapshot()
    areas = set(ReportFigure.objects.values_list("area__code", flat=True))
    assert len(areas) == 8  # seven regions and England
    with django_capture_on_commit_callbacks(execute=True):
        again = report_run_start(actor=national_admin, financial_year=YEAR)
    assert again.pk != run.pk
    assert _snapshot() == first  # same figures, no duplicates

    # A redelivered region task, or a late national step, counts nothing twice.
    assert report_run_region_complete(run_id=run.pk, region_id=london.pk) is False
    assert report_run_national_complete(run_id=run.pk) is False
    assert ReportRun.objects.get(pk=run.pk).regions_done == 7
    assert _snapshot() == first

    # The pages show the figures; each links to the returns behind it.
    client.force_login(lead)
    page = client.get(reverse("reporting:regional", args=[YEAR, "Y56"])).content.decode()
    assert "XmR chart" in page or "run chart" in page
    assert "Theme heatmap" in page or "theme heatmap" in page
    figure = ReportFigure.objects.filter(area=london, kind=FigureKind.RAG).first()
    assert reverse("reporting:figure", args=[figure.pk]) in page
    listing = client.get(reverse("reporting:figure", args=[figure.pk])).content.decode()
    assert listing.count("<tr") == len(figure.submission_ids) + 1

    # Within the reader's scope: an ICB team reads no figure; the national
    # admin reads England's, and the returns list only what a reader may read.
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))
    assert client.get(reverse("reporting:figure", args=[figure.pk])).status_code == 404
    client.force_login(national_admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:national", args=[YEAR]))
    assert response.status_code == 200
    assert len(queries) < 120, len(queries)  # a fixed number per region, not per figure
    england = Organisation.objects.get(code="X24")
    national_figure = ReportFigure.objects.filter(area=england, kind=FigureKind.RAG).first()
    assert client.get(reverse("reporting:figure", args=[national_figure.pk])).status_code == 200
    progress = client.get(reverse("reporting:run", args=[YEAR, run.pk])).content.decode()
    assert "7 of 7 regions done" in progress and 'http-equiv="refresh"' not in progress
