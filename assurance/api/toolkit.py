"""The toolkit (versions with sections, standards and metrics) and the
reporting periods (with the ICBs expected to return and how many have):
read by everyone with a role, as on the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance import selectors
from assurance.api.period_writes import PeriodDatesSerializer, period_dates_save
from assurance.api.serializers import (
    CompletenessSerializer,
    PeriodDetailSerializer,
    PeriodSerializer,
    ToolkitVersionDetailSerializer,
    ToolkitVersionSerializer,
)
from assurance.api.toolkit_writes import ToolkitCopyInputSerializer, toolkit_version_copy_respond
from assurance.completeness import period_completeness
from assurance.models import Metric, ReportingPeriod, Standard
from assurance.permissions import can_read_toolkit, period_get, version_get
from saaf.api import problems


def _require_reader(user) -> None:
    if not can_read_toolkit(user):
        raise PermissionDenied("You need a role in the portal to read the toolkit.")


class ToolkitVersionList(GenericAPIView):
    """Every toolkit version, newest first."""

    serializer_class = ToolkitVersionSerializer

    def get_queryset(self):
        return selectors.toolkit_versions_overview().order_by("-financial_year", "pk")

    @extend_schema(responses={200: ToolkitVersionSerializer(many=True), **problems(400, 403, 404)})
    def get(self, request):
        _require_reader(request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ToolkitVersionSerializer(page, many=True).data)

    @extend_schema(
        request=ToolkitCopyInputSerializer,
        responses={201: ToolkitVersionSerializer, **problems(400, 403)},
        description="The national admin starts a financial year's draft as a copy of a "
        "published version, codes and thresholds included; the source does not change.",
    )
    def post(self, request):
        return toolkit_version_copy_respond(request)


class ToolkitVersionDetail(GenericAPIView):
    """One version with its sections, their standards and metrics, in order."""

    serializer_class = ToolkitVersionDetailSerializer

    @extend_schema(responses={200: ToolkitVersionDetailSerializer, **problems(403, 404)})
    def get(self, request, financial_year: int):
        _require_reader(request.user)
        version = version_get(financial_year)
        sections = version.sections.order_by("position", "code").prefetch_related(
            Prefetch("standards", queryset=Standard.objects.order_by("position", "code")),
            Prefetch("metrics", queryset=Metric.objects.order_by("position", "code")),
        )
        sections = list(sections)
        data = {
            "financial_year": version.financial_year,
            "label": version.label,
            "status": version.status,
            "published_at": version.published_at,
            "section_count": len(sections),
            "standard_count": sum(len(s.standards.all()) for s in sections),
            "metric_count": sum(len(s.metrics.all()) for s in sections),
            "sections": [
                {
                    "code": s.code,
                    "title": s.title,
                    "saaf_reference": s.saaf_reference,
                    "standards": list(s.standards.all()),
                    "metrics": [{**_metric(m)} for m in s.metrics.all()],
                }
                for s in sections
            ],
        }
        return Response(ToolkitVersionDetailSerializer(data).data)


def _metric(m: Metric) -> dict:
    return {
        "code": m.code,
        "name": m.name,
        "unit": m.unit,
        "higher_is_better": m.higher_is_better,
        "green": m.green,
        "amber": m.amber,
        "computed_from": m.computed_from or "",
    }


class PeriodList(GenericAPIView):
    """Every reporting period, the latest first."""

    serializer_class = PeriodSerializer

    def get_queryset(self):
        return ReportingPeriod.objects.select_related("toolkit_version").order_by(
            "-financial_year", "-quarter", "pk"
        )

    @extend_schema(responses={200: PeriodSerializer(many=True), **problems(400, 403, 404)})
    def get(self, request):
        _require_reader(request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PeriodSerializer(page, many=True).data)


class PeriodDetail(GenericAPIView):
    """One period: its dates, state and the expected ICBs you may read, with
    each one's return status."""

    serializer_class = PeriodDetailSerializer

    @extend_schema(responses={200: PeriodDetailSerializer, **problems(403, 404)})
    def get(self, request, financial_year: int, quarter: int):
        _require_reader(request.user)
        period = period_get(financial_year, quarter)
        statuses = dict(period.returns.values_list("icb_id", "status"))
        icbs = (
            selectors.expected_icbs(period)
            .visible_to(request.user)
            .order_by("parent__name", "name", "pk")
        )
        data = {
            **{name: getattr(period, name) for name in PeriodSerializer().fields},
            "toolkit_version": period.toolkit_version,
            "state": selectors.period_state(period).value,
            "expected_count": selectors.expected_icbs(period).count(),
            "expected_icbs": [
                {
                    "code": icb.code,
                    "name": icb.name,
                    "region": icb.parent.code if icb.parent else None,
                    "status": statuses.get(icb.pk, "not_started"),
                }
                for icb in icbs
            ],
        }
        return Response(PeriodDetailSerializer(data).data)

    @extend_schema(
        request=PeriodDatesSerializer,
        responses={200: PeriodSerializer, **problems(400, 403, 404)},
        description="The national admin moves the period's opening, due and closing dates "
        "(all three, as the page's form).",
    )
    def put(self, request, financial_year: int, quarter: int):
        period = period_dates_save(request, financial_year, quarter)
        return Response(PeriodSerializer(period).data)


class PeriodCompleteness(GenericAPIView):
    """Completeness and timeliness of the period's returns by region and for England."""

    serializer_class = CompletenessSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()  # names the path's types in the schema

    @extend_schema(responses={200: CompletenessSerializer(many=True), **problems(403, 404)})
    def get(self, request, financial_year: int, quarter: int):
        _require_reader(request.user)
        period = period_get(financial_year, quarter)
        rows = period_completeness(period)
        return Response(CompletenessSerializer(rows, many=True).data)
