"""The annual reports through the API: which reports you may read, a rollup
run's progress, the archive of published versions and the download of a
published PDF, which is sent only once it matches the SHA-256 recorded when
it was published (the page's rule, through the same service). The same
permission functions as the pages: what is not yours is not found."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.models.periods import financial_year_label
from organisations.api.serializers import OrganisationLinkSerializer
from organisations.permissions import is_national_admin, is_system
from organisations.scoping import scope_of
from reporting import services
from reporting.models import (
    NationalReport,
    PublishedReport,
    PublishState,
    RegionalReport,
    ReportRun,
    RunState,
)
from reporting.permissions import (
    can_publish_reports,
    can_read_national_report,
    can_read_regional_report,
    can_run_rollup,
    published_report_get_downloadable,
    published_reports_downloadable,
)
from reporting.selectors import regions, report_years
from saaf.api import problems

# --- Which reports you may read -------------------------------------------------------


class RegionalReportLinkSerializer(serializers.Serializer):
    region = OrganisationLinkSerializer()
    signed_off = serializers.BooleanField()
    signed_off_at = serializers.DateTimeField(allow_null=True)


class NationalReportLinkSerializer(serializers.Serializer):
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)


class ReportYearSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField()
    label = serializers.CharField()
    national = NationalReportLinkSerializer(
        allow_null=True, help_text="Null when the national report is not yours to read."
    )
    regions = RegionalReportLinkSerializer(many=True, help_text="The regional reports you read.")


class ReportList(GenericAPIView):
    """The annual reports you may read, by year, newest first: the national
    report (its draft for the national admins, once published for the NSSG
    and the regions) and the regional reports (a region's lead and chief
    nurse read their own; the national admins read each once signed off)."""

    serializer_class = ReportYearSerializer
    pagination_class = None
    queryset = ReportRun.objects.none()

    @extend_schema(responses={200: ReportYearSerializer(many=True), **problems()})
    def get(self, request):
        user = request.user
        years = report_years()
        nationals = {
            r.financial_year: r for r in NationalReport.objects.filter(financial_year__in=years)
        }
        all_regions = regions()
        own = scope_of(user).region_ids
        shown = (
            all_regions
            if (is_national_admin(user) or is_system(user))
            else [r for r in all_regions if r.pk in own]
        )
        saved = {
            (r.region_id, r.financial_year): r
            for r in RegionalReport.objects.filter(financial_year__in=years, region__in=shown)
        }
        data = []
        for year in years:
            national = nationals.get(year)
            readable = []
            for region in shown:
                report = saved.get((region.pk, year)) or RegionalReport(
                    region=region, financial_year=year
                )
                if can_read_regional_report(user, report):
                    readable.append(
                        {
                            "region": region,
                            "signed_off": report.is_signed_off,
                            "signed_off_at": report.signed_off_at,
                        }
                    )
            national_data = None
            if can_read_national_report(user, national):
                national_data = {
                    "published": bool(national and national.published),
                    "published_at": national.published_at if national else None,
                }
            if readable or national_data:
                data.append(
                    {
                        "financial_year": year,
                        "label": financial_year_label(year),
                        "national": national_data,
                        "regions": readable,
                    }
                )
        return Response(ReportYearSerializer(data, many=True).data)


# --- A rollup run's progress ----------------------------------------------------------


class ReportRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    financial_year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=RunState.choices)
    regions_total = serializers.IntegerField()
    regions_done = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Regions done, then the national step.")
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class ReportRunList(GenericAPIView):
    """The rollups of the annual figures, latest first (the national admins,
    who run them)."""

    serializer_class = ReportRunSerializer

    def get_queryset(self):
        return ReportRun.objects.order_by("-requested_at", "-pk")

    @extend_schema(responses={200: ReportRunSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        if not can_run_rollup(request.user):
            raise Http404("No such run.")
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReportRunSerializer(page, many=True).data)


class ReportRunDetail(GenericAPIView):
    """A rollup's progress while the worker runs it."""

    serializer_class = ReportRunSerializer
    pagination_class = None
    queryset = ReportRun.objects.none()

    @extend_schema(responses={200: ReportRunSerializer, **problems(404)})
    def get(self, request, run: int):
        found = ReportRun.objects.filter(pk=run).first()
        if found is None or not can_run_rollup(request.user):
            raise Http404("No such run.")
        return Response(ReportRunSerializer(found).data)


# --- Published versions ---------------------------------------------------------------


class PublishedReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Download it from /api/v1/reports/published/{id}/pdf/.")
    financial_year = serializers.IntegerField()
    label = serializers.CharField(source="year_label")
    title = serializers.CharField()
    area = OrganisationLinkSerializer(help_text="The region, or the national organisation.")
    national = serializers.BooleanField(source="is_national")
    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=PublishState.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    filename = serializers.CharField()
    sha256 = serializers.CharField(allow_blank=True, help_text="Of the PDF, as published.")
    size = serializers.IntegerField(allow_null=True)
    pages = serializers.IntegerField(allow_null=True)
    superseded_by = serializers.IntegerField(source="superseded_by_id", allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)


class PublicationSerializer(PublishedReportSerializer):
    progress = serializers.CharField(allow_blank=True)
    requested_at = serializers.DateTimeField()
    error = serializers.CharField(allow_blank=True)


class PublishedReportList(GenericAPIView):
    """The archive: every published version you may download (the national
    team every one, a region's lead and chief nurse their region's), newest
    year first, the national report before the regions', newest version first."""

    serializer_class = PublishedReportSerializer

    def get_queryset(self):
        return (
            published_reports_downloadable(self.request.user)
            .select_related("area")
            # "national" sorts before "region": the national report first, as the page.
            .order_by("-financial_year", "area__kind", "area__name", "-version", "pk")
        )

    @extend_schema(responses={200: PublishedReportSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PublishedReportSerializer(page, many=True).data)


class PublicationDetail(GenericAPIView):
    """A version's progress while the worker makes its PDF (the national admins,
    who publish)."""

    serializer_class = PublicationSerializer
    pagination_class = None
    queryset = PublishedReport.objects.none()

    @extend_schema(responses={200: PublicationSerializer, **problems(404)})
    def get(self, request, published: int):
        found = PublishedReport.objects.select_related("area").filter(pk=published).first()
        if found is None or not can_publish_reports(request.user):
            raise Http404("No such publication.")
        return Response(PublicationSerializer(found).data)


class PublishedReportDownload(GenericAPIView):
    """A published version's PDF, sent only when it matches the checksum
    recorded at publication (also sent as `X-Content-SHA256`); a file changed
    or gone since is refused (409) and the refusal recorded."""

    serializer_class = PublishedReportSerializer
    pagination_class = None
    queryset = PublishedReport.objects.none()

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF, as an attachment."
            ),
            **problems(404, 409, conflict=False),
        }
    )
    def get(self, request, published: int):
        found = published_report_get_downloadable(request.user, published)
        content = services.published_report_pdf_read(actor=request.user, published=found)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
        response["X-Content-SHA256"] = found.sha256
        return response
