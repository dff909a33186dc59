"""Publishing a report as a frozen PDF: a version with its SHA-256, made by
the task (eager here, as in the embedded default); republishing supersedes
without losing the old version; a changed file is refused; who downloads
which. The figures are the rollup's on a year with no returns (a short PDF,
rendered in a second)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from organisations.models import AuditEvent, Role
from organisations.permissions import NotPermitted
from organisations.reference_data import NATIONAL_CODE
from reporting.models import NationalReport, PublishedReport, PublishState
from reporting.rollup import year_figures_write
from reporting.services import (
    regional_report_narrative_save,
    regional_report_sign_off,
    report_publish,
)
from saaf.dates import nhs_date
from tests.assurance.conftest import with_totp
from tests.factories import member
from tests.reporting.conftest import YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(toolkit, lead, chief_nurse, london, eager_tasks):
    """London's report signed off and the year's figures computed."""
    report = regional_report_narrative_save(
        actor=lead,
        region=london,
        financial_year=YEAR,
        introduction="London's year.",
        achievements=["Every ICB has a designated doctor for child deaths."],
        priorities=["Prevent referrals reviewed quarterly."],
    )
    regional_report_sign_off(actor=chief_nurse, report=report)
    year_figures_write(financial_year=YEAR)


@pytest.fixture
def publish(django_capture_on_commit_callbacks, national_admin):
    def publishing(area):
        with django_capture_on_commit_callbacks(execute=True):
            published = report_publish(actor=national_admin, financial_year=YEAR, area=area)
        published.refresh_from_db()
        return published

    return publishing


def test_publishing_freezes_the_pdf_with_its_checksum(ready, publish, london, national_admin):
    published = publish(london)
    assert published.state == PublishState.PUBLISHED and published.version == 1
    stored = default_storage.open(published.pdf.name).read()
    assert stored.startswith(b"%PDF-")
    assert published.sha256 == hashlib.sha256(stored).hexdigest()
    assert published.size == len(stored) and published.pages > 1
    assert published.published_at and published.progress.startswith("Published")
    actions = list(
        AuditEvent.objects.for_object(published).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["report.publish_requested", "report.published"]
    assert AuditEvent.objects.filter(action="report.published").get().actor == national_admin


def test_republishing_supersedes_and_the_old_version_stays_downloadable(
    ready, publish, london, client, nssg
):
    first = publish(london)
    second = publish(london)
    first.refresh_from_db()
    assert second.version == 2 and not second.is_superseded
    assert first.superseded_by == second and first.superseded_at
    assert list(PublishedReport.objects.current()) == [second]
    client.force_login(nssg)
    old = client.get(reverse("reporting:download", args=[first.pk]))
    assert old.status_code == 200 and old["Content-Type"] == "application/pdf"
    assert hashlib.sha256(old.content).hexdigest() == first.sha256
    archive = client.get(reverse("reporting:archive")).content.decode()
    assert "Superseded" in archive and "by version 2" in archive and "Current" in archive
    assert first.sha256 in archive and second.sha256 in archive


def test_the_national_report_names_each_regions_published_full_report(
    ready, publish, london, client, national_admin
):
    """The national report summarises each region: its full report, with every
    figure, is its own PDF, whose current version the section names."""
    publish(london)
    second = publish(london)
    client.force_login(national_admin)
    page = " ".join(client.get(reverse("reporting:national", args=[YEAR])).content.decode().split())
    published_on = nhs_date(second.published_at)
    assert (
        "The region's full report, “London annual safeguarding assurance report 2025/26”, "
        "with every figure by section, SPC chart, ICB and heatmap, is published separately "
        f"as its own PDF (version 2, published on {published_on}), in " in page
    )
    assert page.count("(not published yet).") == 6  # the other regions
    assert f"{reverse('reporting:archive')}#year-{YEAR}" in page
    assert "Key figures, London, by quarter" in page


def test_a_tampered_file_is_refused_not_sent(ready, publish, london, client, nssg):
    published = publish(london)
    default_storage.delete(published.pdf.name)
    default_storage.save(published.pdf.name, ContentFile(b"%PDF-1.7 not what was published"))
    client.force_login(nssg)
    response = client.get(reverse("reporting:download", args=[published.pk]))
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "does not match the checksum recorded when it was published" in page
    assert "not what was published" not in page
    refused = AuditEvent.objects.get(action="report.download_refused")
    assert refused.actor == nssg and "checksum" in refused.reason
    default_storage.delete(published.pdf.name)  # gone altogether: refused too
    response = client.get(reverse("reporting:download", args=[published.pk]))
    assert response.status_code == 409 and "the stored file is missing" in response.content.decode()


def test_what_may_be_published_and_by_whom(toolkit, lead, chief_nurse, london, reference, publish):
    with pytest.raises(NotPermitted):
        report_publish(actor=lead, financial_year=YEAR, area=london)
    with pytest.raises(ValidationError, match="not signed off"):
        publish(london)
    with pytest.raises(ValidationError, match="figures have not been computed"):
        publish(reference[NATIONAL_CODE])
    with pytest.raises(ValidationError, match="Only the national report and the regions"):
        publish(reference["QMF"])
    assert not PublishedReport.objects.exists()


def test_publishing_the_national_report_publishes_it_to_the_nssg(
    ready, publish, reference, client, nssg, national_admin
):
    client.force_login(nssg)
    national_page = reverse("reporting:national", args=[YEAR])
    assert client.get(national_page).status_code == 404  # a draft
    client.force_login(national_admin)
    page = client.get(national_page).content.decode()
    assert "Publish the report" in page
    response = client.post(reverse("reporting:publish", args=[YEAR, NATIONAL_CODE]))
    published = PublishedReport.objects.get()
    assert response.url == reverse("reporting:publication", args=[published.pk])
    # Eager tasks run on commit: the test's transaction never commits, so the
    # task is run as the worker would.
    from reporting.tasks import published_report_render

    published_report_render(published.pk)
    progress = client.get(response.url).content.decode()
    assert "Published on" in progress and "Download the PDF" in progress
    assert NationalReport.objects.get(financial_year=YEAR).published
    client.force_login(nssg)
    assert client.get(national_page).status_code == 200
    assert "Download the published PDF" in client.get(national_page).content.decode()


def test_who_downloads_which_published_report(ready, publish, reference, london, client):
    national = publish(reference[NATIONAL_CODE])
    regional = publish(london)
    nssg = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    admin = with_totp(member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN))
    london_lead = with_totp(member(london, Role.REGIONAL_LEAD))
    london_nurse = member(london, Role.REGIONAL_CHIEF_NURSE)
    other_lead = with_totp(member(reference["Y63"], Role.REGIONAL_LEAD))
    other_nurse = member(reference["Y63"], Role.REGIONAL_CHIEF_NURSE)
    icb_viewer = member(reference["QMF"], Role.ICB_VIEWER)
    expected = {  # (national, London)
        admin: (200, 200),
        nssg: (200, 200),
        london_lead: (404, 200),
        london_nurse: (404, 200),
        other_lead: (404, 404),
        other_nurse: (404, 404),
        icb_viewer: (404, 404),
    }
    for user, statuses in expected.items():
        client.force_login(user)
        got = tuple(
            client.get(reverse("reporting:download", args=[p.pk])).status_code
            for p in (national, regional)
        )
        assert got == statuses, user
        archive = client.get(reverse("reporting:archive")).content.decode()
        assert ("National annual safeguarding" in archive) == (statuses[0] == 200), user
        assert ("London annual safeguarding" in archive) == (statuses[1] == 200), user
    client.logout()
    assert client.get(reverse("reporting:download", args=[regional.pk])).status_code == 302
    client.force_login(london_lead)
    page = client.get(reverse("reporting:regional", args=[YEAR, "Y56"])).content.decode()
    assert reverse("reporting:download", args=[regional.pk]) in page
    # A version not yet made is nobody's download.
    pending = PublishedReport.objects.create(
        financial_year=YEAR, area=london, version=3, requested_by=admin
    )
    client.force_login(admin)
    assert client.get(reverse("reporting:download", args=[pending.pk])).status_code == 404
    assert client.post(reverse("reporting:publish", args=[YEAR, "Y56"])).status_code == 302
    client.force_login(london_lead)
    assert client.post(reverse("reporting:publish", args=[YEAR, "Y56"])).status_code == 404
    assert client.get(reverse("reporting:publication", args=[pending.pk])).status_code == 404


def test_a_correction_after_publication_reaches_the_archive_as_a_new_version(
    ready, publish, reference, national_admin
):
    from reporting.services import national_report_save

    first = publish(reference[NATIONAL_CODE])
    national_report_save(
        actor=national_admin,
        financial_year=YEAR,
        foreword="Corrected foreword.",
        achievements=[],
        priorities=[],
        health_and_justice="",
    )
    second = publish(reference[NATIONAL_CODE])
    first.refresh_from_db()
    assert first.superseded_by == second and first.sha256 != second.sha256
    old = default_storage.open(first.pdf.name).read()
    assert hashlib.sha256(old).hexdigest() == first.sha256  # the old PDF is untouched


def test_the_archive_reads_a_fixed_number_of_queries(reference, national_admin, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def versions(region_codes, version):
        for code in region_codes:
            PublishedReport.objects.create(
                financial_year=YEAR,
                area=reference[code],
                version=version,
                state=PublishState.PUBLISHED,
                requested_by=national_admin,
                pdf=f"reports/{YEAR}/{code}-v{version}.pdf",
                sha256="0" * 64,
                size=1024,
                pages=3,
            )

    nssg = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    client.force_login(nssg)
    versions(["Y56"], 1)
    client.get(reverse("reporting:archive"))  # the session's first request records it
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reporting:archive")).status_code == 200
    versions(["Y56", "Y63", "Y60", NATIONAL_CODE], 2)
    versions(["Y61", "Y62"], 1)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("reporting:archive")).content.decode()
    assert page.count("SHA-256 " + "0" * 64) == 7
    assert len(many.captured_queries) == len(few.captured_queries)
    assert (
        "Archive of published reports" in client.get(reverse("organisations:home")).content.decode()
    )


def test_the_render_is_safe_to_run_twice_and_a_failure_can_be_published_again(
    ready, publish, london, national_admin, django_capture_on_commit_callbacks
):
    from reporting.services import published_report_fail, published_report_render

    published = publish(london)
    again = published_report_render(published_id=published.pk)  # a redelivered task
    assert again.sha256 == published.sha256 and again.pdf.name == published.pdf.name
    assert len(default_storage.listdir(f"reports/{YEAR}")[1]) == 1  # no second file

    with django_capture_on_commit_callbacks(execute=False):
        queued = report_publish(actor=national_admin, financial_year=YEAR, area=london)
        # A second click while it is queued finds the same version.
        assert report_publish(actor=national_admin, financial_year=YEAR, area=london) == queued
    published_report_fail(published_id=queued.pk, error="SoftTimeLimitExceeded: took too long")
    queued.refresh_from_db()
    assert queued.state == PublishState.FAILED and "too long" in queued.error
    retried = publish(london)
    assert retried.version == 3 and retried.state == PublishState.PUBLISHED
    published.refresh_from_db()
    assert published.superseded_by == retried  # the failed version supersedes nothing
