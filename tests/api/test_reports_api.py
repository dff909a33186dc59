"""The annual reports through the API: which reports each role reads, a
rollup run's progress for the national admins, the archive of published
versions, and the PDF sent only while it matches its recorded checksum
(refused as the page refuses it, and recorded)."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from organisations.models import AuditAction, AuditEvent
from organisations.reference_data import NATIONAL_CODE
from reporting.models import PublishedReport, PublishState, ReportRun, RunState
from reporting.services import regional_report_narrative_save
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _published(area, by, version=1, content=PDF):
    name = default_storage.save(f"reports/test-{area.code}-v{version}.pdf", ContentFile(content))
    return PublishedReport.objects.create(
        financial_year=2025,
        area=area,
        version=version,
        state=PublishState.PUBLISHED,
        requested_by=by,
        published_at=timezone.now(),
        pdf=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=1,
    )


def test_the_archive_and_the_checked_download(reference, people):
    national = _published(reference[NATIONAL_CODE], people["admin"])
    london = _published(reference["Y56"], people["admin"])
    admin = token_client(people["admin"])
    archive = admin.get("/api/v1/reports/published/").json()["results"]
    assert [p["id"] for p in archive] == [national.pk, london.pk]  # national first
    assert archive[0]["national"] is True and archive[1]["area"]["code"] == "Y56"
    assert archive[1]["sha256"] == london.sha256
    lead = token_client(people["lead"])
    assert [p["id"] for p in lead.get("/api/v1/reports/published/").json()["results"]] == [
        london.pk
    ]
    editor = token_client(people["editor"])
    assert editor.get("/api/v1/reports/published/").json()["results"] == []

    pdf = lead.get(f"/api/v1/reports/published/{london.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == PDF and pdf["X-Content-SHA256"] == london.sha256
    assert london.filename in pdf["Content-Disposition"]
    # Another region's lead, and a version not yours: not found, as a missing one.
    midlands = token_client(people["midlands"])
    hidden = midlands.get(f"/api/v1/reports/published/{london.pk}/pdf/")
    assert hidden.status_code == 404
    assert hidden.json() == midlands.get("/api/v1/reports/published/999999/pdf/").json()
    assert lead.get(f"/api/v1/reports/published/{national.pk}/pdf/").status_code == 404

    # A file changed since it was published is refused with the page's words.
    with default_storage.open(london.pdf.name, "wb") as f:
        f.write(PDF + b"% changed\n")
    refused = lead.get(f"/api/v1/reports/published/{london.pk}/pdf/")
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["type"] == "/api/v1/problems/file-refused"
    assert body["detail"].startswith(
        "This PDF cannot be sent: the stored file does not match the checksum"
    )
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_DOWNLOAD_REFUSED).count() == 1


def test_publication_and_run_progress_are_the_national_admins(reference, people):
    pending = PublishedReport.objects.create(
        financial_year=2025, area=reference["Y56"], version=1, requested_by=people["admin"]
    )
    run = ReportRun.objects.create(
        financial_year=2025, requested_by=people["admin"], regions_done=3, state=RunState.RUNNING
    )
    admin = token_client(people["admin"])
    progress = admin.get(f"/api/v1/reports/published/{pending.pk}/").json()
    assert progress["state"] == "queued" and progress["sha256"] == ""
    status = admin.get(f"/api/v1/reports/runs/{run.pk}/").json()
    assert status["state"] == "running" and status["regions_done"] == 3
    assert status["percent"] == round(100 * 3 / 8)
    assert [r["id"] for r in admin.get("/api/v1/reports/runs/").json()["results"]] == [run.pk]
    # Not yet published: nobody's download, not even the admin's.
    assert admin.get(f"/api/v1/reports/published/{pending.pk}/pdf/").status_code == 404
    for who in ("nssg", "lead", "editor"):
        api = token_client(people[who])
        assert api.get(f"/api/v1/reports/runs/{run.pk}/").status_code == 404, who
        assert api.get("/api/v1/reports/runs/").status_code == 404, who
        assert api.get(f"/api/v1/reports/published/{pending.pk}/").status_code == 404, who


def test_the_reports_each_role_may_read(reference, people):
    regional_report_narrative_save(
        actor=people["lead"],
        region=reference["Y56"],
        financial_year=2025,
        introduction="London's year.",
        achievements=[],
        priorities=[],
    )
    lead = token_client(people["lead"]).get("/api/v1/reports/").json()
    year = next(y for y in lead if y["financial_year"] == 2025)
    assert [r["region"]["code"] for r in year["regions"]] == ["Y56"]
    assert year["regions"][0]["signed_off"] is False
    assert year["national"] is None  # the national report is not published
    admin = token_client(people["admin"]).get("/api/v1/reports/").json()
    year = next(y for y in admin if y["financial_year"] == 2025)
    assert year["national"] == {"published": False, "published_at": None}
    assert year["regions"] == []  # London's draft is its authors' until signed off
    assert token_client(people["editor"]).get("/api/v1/reports/").json() == []
    assert token_client(people["nssg"]).get("/api/v1/reports/").json() == []


def test_the_archive_reads_in_fixed_queries(reference, people, django_assert_max_num_queries):
    for code in ("Y56", "Y60", NATIONAL_CODE):
        for version in (1, 2):
            _published(reference[code], people["admin"], version=version)
    admin = token_client(people["admin"])
    admin.get("/api/v1/reports/")  # the token's user and scope, as any client's first call
    with django_assert_max_num_queries(8):
        assert len(admin.get("/api/v1/reports/published/").json()["results"]) == 6
    with django_assert_max_num_queries(10):
        admin.get("/api/v1/reports/")
