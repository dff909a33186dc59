"""The published reports: publishing a version (the national team), its
progress while the worker makes the PDF, the archive by year, and the
download, which sends the PDF only once it matches its recorded checksum."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from organisations.models import Organisation, OrganisationKind
from organisations.reference_data import NATIONAL_CODE
from reporting import services
from reporting.models import PublishedReport
from reporting.permissions import can_publish_reports, published_report_get_downloadable
from reporting.selectors import published_reports_by_year, report_years


def _back(published_or_area, financial_year: int):
    area = published_or_area
    if area.kind == OrganisationKind.REGION:
        return redirect("reporting:regional", financial_year, area.code)
    return redirect("reporting:national", financial_year)


@require_POST
def report_publish(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    """Publish the national report (code: the national organisation's) or a region's."""
    if not can_publish_reports(request.user) or financial_year not in report_years():
        raise Http404("No such report.")
    area = get_object_or_404(
        Organisation, code=code, kind__in=[OrganisationKind.REGION, OrganisationKind.NATIONAL]
    )
    try:
        published = services.report_publish(
            actor=request.user, financial_year=financial_year, area=area
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(area, financial_year)
    return redirect("reporting:publication", published.pk)


@require_GET
def publication_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's progress while the worker makes its PDF (refreshes itself)."""
    if not can_publish_reports(request.user):
        raise Http404("No such publication.")
    published = get_object_or_404(PublishedReport.objects.select_related("area"), pk=pk)
    return render(
        request,
        "reporting/publication.jinja",
        {"published": published, "refresh": published.is_active},
    )


@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    """Every published version the user may download, by year, newest first."""
    years = published_reports_by_year(request.user)
    return render(
        request,
        "reporting/archive.jinja",
        {"years": years, "national_code": NATIONAL_CODE},
    )


@require_GET
def published_download(request: HttpRequest, pk: int) -> HttpResponse:
    published = published_report_get_downloadable(request.user, pk)
    try:
        content = services.published_report_pdf_read(actor=request.user, published=published)
    except services.PublishedFileRefused as refused:
        return render(
            request,
            "reporting/download_refused.jinja",
            {"published": published, "message": str(refused)},
            status=409,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{published.filename}"'
    response["X-Content-SHA256"] = published.sha256
    return response
