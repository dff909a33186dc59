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
    before = ReportFigure.objects.filter(area=london, kind=FigureKind.METRIC).first()
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
    assert figure.get_absolute_url() in page
    listing = client.get(figure.get_absolute_url()).content.decode()
    assert listing.count("<tr") == len(figure.submission_ids) + 1

    # Within the reader's scope: an ICB team reads no figure; the national
    # admin reads England's, and the returns list only what a reader may read.
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))
    assert client.get(figure.get_absolute_url()).status_code == 404
    client.force_login(national_admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:national", args=[YEAR]))
    assert response.status_code == 200
    assert len(queries) < 120, len(queries)  # a fixed number per region, not per figure
    england = Organisation.objects.get(code="X24")
    national_figure = ReportFigure.objects.filter(area=england, kind=FigureKind.RAG).first()
    assert client.get(national_figure.get_absolute_url()).status_code == 200

    # A figure's address is what it is, not its row: a published PDF's link
    # still reaches it after the rollup has rewritten every row.
    after = ReportFigure.objects.get(
        area=london, kind=FigureKind.METRIC, code=before.code, quarter_key=before.quarter_key
    )
    assert after.pk != before.pk
    address = f"/reports/{YEAR}/figures/Y56/metric/{before.code}/{before.quarter_key}/"
    assert before.get_absolute_url() == after.get_absolute_url() == address
    england_findings = ReportFigure.objects.get(area=england, kind=FigureKind.FINDINGS, code="")
    assert england_findings.get_absolute_url() == f"/reports/{YEAR}/figures/X24/findings/"
    assert client.get(england_findings.get_absolute_url()).status_code == 200
    client.force_login(lead)
    assert client.get(address).status_code == 200
    # The old address by row: sent on while the row lasts, gone with it.
    by_row = reverse("reporting:figure_by_row", args=[after.pk])
    response = client.get(by_row)
    assert response.status_code == 302 and response["Location"] == address
    assert client.get(reverse("reporting:figure_by_row", args=[before.pk])).status_code == 404
    # No such figure, and no figure outside the reader's scope.
    assert client.get(f"/reports/{YEAR}/figures/Y56/metric/NO_SUCH/20251/").status_code == 404
    for hostile in (
        f"/reports/{YEAR}/figures/Y56/metric/X/99999999999999/",
        "/reports/99999999999/figures/Y56/rag/",
    ):
        assert client.get(hostile).status_code == 404
    client.force_login(member(reference["QMF"], Role.ICB_VIEWER))
    assert client.get(address).status_code == 404
    assert client.get(by_row).status_code == 404
    client.force_login(national_admin)
    progress = client.get(reverse("reporting:run", args=[YEAR, run.pk])).content.decode()
    assert "7 of 7 regions done" in progress and 'http-equiv="refresh"' not in progress
