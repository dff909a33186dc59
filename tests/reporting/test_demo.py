"""The demo annual reports: after `load_demo_data` (with the London returns'
history), London's report for the last complete year is written and signed
off, North West's is a draft, the other five regions' are signed off, every
region's ICBs have returns, registers and reviews, the national report's
parts are written, a completed rollup's figures show and the national report
is published; each persona's pages show what it may read. Loading the demo
again changes nothing."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from markupsafe import escape
from pypdf import PdfReader

from assurance.models import Post, QuarterlyReturn
from organisations.demo import DEMO_DOMAIN
from organisations.models import AuditEvent, Organisation, User
from reporting import demo
from reporting.models import (
    FigureKind,
    NationalReport,
    PublishedReport,
    PublishState,
    RegionalReport,
    ReportFigure,
    ReportRun,
    RunState,
)
from reviews.models import Review

# The whole demo with its returns' history (20 to 30 s): run once, in the
# PostgreSQL pass.
pytestmark = pytest.mark.heavy


def _load(django_capture_on_commit_callbacks):
    # The rollup is queued once the run commits: run its callbacks here, as
    # a commit would outside the test's transaction.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_data", stdout=StringIO())


def _persona(client, local_part):
    client.force_login(User.objects.get(email=f"{local_part}@{DEMO_DOMAIN}"))


def _page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def _shows(page, text):
    return str(escape(text)) in page


def test_the_demo_reports_show_each_persona_the_narrative_and_figures(
    reference,
    toolkit,
    settings,
    monkeypatch,
    client,
    eager_tasks,
    django_capture_on_commit_callbacks,
    with_demo_history,
):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    _load(django_capture_on_commit_callbacks)
    year = demo.report_year()
    london = Organisation.objects.get(code=demo.LONDON)
    north_west = Organisation.objects.get(code=demo.DRAFT_REGION)

    signed = RegionalReport.objects.get(region=london, financial_year=year)
    assert signed.is_signed_off and signed.signed_off_by.email.startswith("chiefnurse.london@")
    draft = RegionalReport.objects.get(region=north_west, financial_year=year)
    assert not draft.is_signed_off and draft.introduction
    national = NationalReport.objects.get(financial_year=year)
    assert national.foreword and national.health_and_justice and national.published
    published = PublishedReport.objects.get(financial_year=year, area__code="X24")
    assert published.state == PublishState.PUBLISHED and published.version == 1
    assert published.pages > 1 and published.sha256
    run = ReportRun.objects.get(financial_year=year)
    assert run.state == RunState.DONE and run.regions_done == run.regions_total

    london_rag = ReportFigure.objects.filter(financial_year=year, area=london, kind=FigureKind.RAG)
    assert london_rag.exists() and all(f.counts["answers"] > 0 for f in london_rag)
    london_metric = ReportFigure.objects.filter(
        financial_year=year, area=london, kind=FigureKind.METRIC
    ).first()
    assert london_metric is not None and london_metric.value is not None
    england_rag = ReportFigure.objects.filter(
        financial_year=year, area__code="X24", kind=FigureKind.RAG
    ).first()
    assert england_rag is not None

    # The London lead and chief nurse: the narrative, its sign-off and the figures.
    for persona in ("lead.london", "chiefnurse.london"):
        _persona(client, persona)
        page = _page(client, "reporting:regional", year, london.code)
        assert _shows(page, demo.LONDON_INTRODUCTION)
        assert all(_shows(page, item) for item in demo.LONDON_ACHIEVEMENTS)
        assert all(_shows(page, item) for item in demo.LONDON_PRIORITIES)
        assert "Signed off by Farah Begum" in page
        assert london_rag.first().get_absolute_url() in page
        assert london_metric.get_absolute_url() in page
        # Another region's draft is its own authors' alone.
        response = client.get(reverse("reporting:regional", args=[year, north_west.code]))
        assert response.status_code == 404

    # The national admin: the national parts, London's signed-off section, the
    # draft region not yet signed off, and England's figures from the rollup.
    _persona(client, "admin")
    page = _page(client, "reporting:national", year)
    assert _shows(page, demo.FOREWORD) and _shows(page, demo.HEALTH_AND_JUSTICE)
    assert all(_shows(page, item) for item in demo.NATIONAL_ACHIEVEMENTS)
    assert _shows(page, demo.LONDON_INTRODUCTION)
    assert not _shows(page, demo.DRAFT_INTRODUCTION)
    assert "not been signed off yet" in page
    assert "Figures: computed on" in page
    assert england_rag.get_absolute_url() in page
    assert client.get(england_rag.get_absolute_url()).status_code == 200

    # The NSSG reads the published national report and downloads its PDF from
    # the archive; the regions' reports are not theirs.
    _persona(client, "nssg")
    page = _page(client, "reporting:national", year)
    assert _shows(page, demo.FOREWORD) and _shows(page, demo.LONDON_INTRODUCTION)
    archive = _page(client, "reporting:archive")
    download = reverse("reporting:download", args=[published.pk])
    assert download in archive
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(reverse("reporting:regional", args=[year, london.code])).status_code == 404

    # Every region reports, not London alone: the rest of England's returns,
    # registers and reviews (assurance.demo_england), in the PDF the NSSG reads.
    pdf = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    for region in Organisation.objects.filter(kind="region"):
        figures = ReportFigure.objects.filter(financial_year=year, area=region)
        sent = figures.filter(kind=FigureKind.COMPLETENESS).values_list("counts", flat=True)
        assert sum(c["on_time"] + c["late"] for c in sent) > 0, region.name
        found = figures.get(kind=FigureKind.FINDINGS, code="").counts
        assert 0.5 * found["required"] < found["filled"] <= found["required"], region.name
        assert f"{found['filled']} of {found['required']} required posts filled" in text
        if region != london:  # London's reviews are the personas', by hand
            assert figures.get(kind=FigureKind.REVIEWS, code="").counts["opened"] > 0
        # Every region's narrative but North West's draft, signed off.
        if region != north_west:
            report = RegionalReport.objects.get(region=region, financial_year=year)
            assert report.is_signed_off and report.achievements[0] in text, region.name

    # Loading the demo again changes nothing.
    counts = (
        RegionalReport.objects.count(),
        NationalReport.objects.count(),
        ReportRun.objects.count(),
        ReportFigure.objects.count(),
        PublishedReport.objects.count(),
        AuditEvent.objects.count(),
        QuarterlyReturn.objects.count(),
        Post.objects.count(),
        Review.objects.count(),
    )
    _load(django_capture_on_commit_callbacks)
    assert counts == (
        RegionalReport.objects.count(),
        NationalReport.objects.count(),
        ReportRun.objects.count(),
        ReportFigure.objects.count(),
        PublishedReport.objects.count(),
        AuditEvent.objects.count(),
        QuarterlyReturn.objects.count(),
        Post.objects.count(),
        Review.objects.count(),
    )
    assert RegionalReport.objects.get(pk=signed.pk).signed_off_at == signed.signed_off_at
