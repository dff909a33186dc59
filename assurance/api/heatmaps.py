"""Heatmaps and timeliness through the API: the matrix the heatmap pages show
(`assurance.heatmap.heatmap_build`, the same rows, cells, trends and region
counts, scoped to the ICBs the caller may read), for England or a region; and
each expected ICB's return state and timeliness for a period, as the lists of
returns show them (`assurance.return_lists`). The totals by region are
`periods/{year}/{q}/completeness/`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.api.serializers import OneOf
from assurance.api.toolkit import _require_reader
from assurance.completeness import RECORD_LABELS, icb_record
from assurance.heatmap import RATING_FILTERS, Basis, CellState, Heatmap, View, heatmap_build
from assurance.heatmap_detail import icb_history
from assurance.models import ReportingPeriod, Section
from assurance.permissions import period_get
from assurance.return_lists import ReturnState, period_return_rows
from organisations.api.serializers import OrganisationLinkSerializer
from organisations.models import Organisation
from organisations.permissions import organisation_get_visible_by_code
from saaf.api import problems

# --- What a heatmap request chooses ----------------------------------------------------


class HeatmapQuerySerializer(serializers.Serializer):
    """The page's switches, as query parameters; a wrong one is refused here
    (the page shows its error and falls back to the default)."""

    view = OneOf(
        choices=View.values,
        required=False,
        default=View.SECTIONS,
        help_text="Columns: sections, the standards of one section, metrics or the theme.",
    )
    section = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20,
        help_text="A section's code: the section whose standards to show, or to narrow any view.",
    )
    basis = OneOf(
        choices=Basis.values,
        required=False,
        default=Basis.VALIDATED,
        help_text="Self-assessed, validated (where recorded) or where they differ.",
    )
    rating = OneOf(
        choices=["", *RATING_FILTERS],
        required=False,
        allow_blank=True,
        default="",
        help_text="Only the ICBs with this rating in any column, or in this state.",
    )


def _heatmap_choices(request, period: ReportingPeriod) -> dict:
    given = HeatmapQuerySerializer(data=request.query_params)
    given.is_valid(raise_exception=True)
    choices = dict(given.validated_data)
    section = None
    if choices["section"]:
        section = Section.objects.filter(
            version_id=period.toolkit_version_id, code=choices["section"]
        ).first()
        if section is None:
            raise ValidationError({"section": "Choose a section of this quarter's toolkit."})
    elif choices["view"] == View.STANDARDS:
        raise ValidationError({"section": "Choose the section whose standards to show."})
    choices["section"] = section
    return choices


# --- The matrix ------------------------------------------------------------------------


class HeatmapColumnSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The section's, standard's or metric's code.")
    title = serializers.CharField()
    section = serializers.CharField(source="section_code")
    unit = serializers.CharField(allow_blank=True, help_text="A metric's unit.")


class HeatmapCellSerializer(serializers.Serializer):
    column = serializers.CharField(source="column.key")
    rating = serializers.CharField(
        allow_blank=True,
        help_text="Worst of the applicable standards on the basis asked: red, amber, green, "
        "not_applicable, or empty when nothing is rated.",
    )
    word = serializers.CharField(help_text="The rating as the page words it.")
    counts = serializers.DictField(
        child=serializers.IntegerField(), source="shown.counts", help_text="Answers per rating."
    )
    text = serializers.CharField(source="shown.text", allow_blank=True)
    self_assessed = serializers.CharField(source="self_rating.rating", allow_blank=True)
    validated = serializers.CharField(source="validated.rating", allow_blank=True)
    differs = serializers.BooleanField(help_text="The region validated a standard differently.")
    value = serializers.CharField(allow_blank=True, help_text="A metric's figure, as shown.")
    previous = serializers.CharField(
        allow_null=True, help_text="Last quarter's rating it is compared with."
    )
    trend = serializers.CharField(allow_blank=True, help_text="better, worse, same, new or empty.")


class HeatmapRowSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    state = OneOf(choices=CellState.choices)
    marks = serializers.ListField(
        child=serializers.CharField(), help_text="Late, and where it stands in the review."
    )
    version = serializers.IntegerField(allow_null=True, help_text="The submission shown.")
    completed_by = OrganisationLinkSerializer(allow_null=True)
    compared_with = serializers.ListField(
        child=serializers.CharField(), help_text="Whose previous quarter the trend reads."
    )
    cells = HeatmapCellSerializer(many=True, help_text="One per column; none unless rated.")


class HeatmapGroupSerializer(serializers.Serializer):
    region = OrganisationLinkSerializer()
    rows = HeatmapRowSerializer(many=True)
    counts = serializers.ListField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="The region's answers per rating, one per column.",
    )


class HeatmapSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    period = serializers.CharField()
    previous = serializers.CharField(
        allow_null=True, help_text="The quarter the trends compare with."
    )
    region = OrganisationLinkSerializer(allow_null=True)
    view = serializers.CharField()
    basis = serializers.CharField()
    section = serializers.CharField(allow_null=True)
    rating = serializers.CharField(allow_blank=True)
    columns = HeatmapColumnSerializer(many=True)
    groups = HeatmapGroupSerializer(many=True)
    counts = serializers.ListField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Every group's answers per rating added up, one per column.",
    )
    shown_rows = serializers.IntegerField()
    total_rows = serializers.IntegerField(help_text="Rows before the rating filter.")


def heatmap_data(heatmap: Heatmap, region: Organisation | None) -> dict:
    period = heatmap.period
    return {
        "financial_year": period.financial_year,
        "quarter": period.quarter,
        "period": period.label,
        "previous": heatmap.previous.label if heatmap.previous else None,
        "region": region,
        "view": heatmap.view,
        "basis": heatmap.basis,
        "section": heatmap.section.code if heatmap.section else None,
        "rating": heatmap.rating_filter,
        "columns": heatmap.columns,
        "groups": [
            {
                "region": group.region,
                "rows": [
                    {
                        "icb": row.icb,
                        "state": row.state,
                        "marks": row.marks,
                        "version": row.version,
                        "completed_by": row.completed_by,
                        "compared_with": [o.code for o in row.compared_with],
                        "cells": row.cells,
                    }
                    for row in group.rows
                ],
                "counts": group.summary.counts,
            }
            for group in heatmap.groups
        ],
        "counts": heatmap.total.counts,
        "shown_rows": heatmap.shown_rows,
        "total_rows": heatmap.total_rows,
    }


class _HeatmapView(GenericAPIView):
    serializer_class = HeatmapSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()

    def heatmap(self, request, financial_year: int, quarter: int, region=None) -> Response:
        _require_reader(request.user)
        period = period_get(financial_year, quarter)
        choices = _heatmap_choices(request, period)
        heatmap = heatmap_build(user=request.user, period=period, region=region, **choices)
        return Response(HeatmapSerializer(heatmap_data(heatmap, region)).data)


class NationalHeatmap(_HeatmapView):
    """England's heatmap for a period, grouped by region: every expected ICB
    you may read (all of them for the national team), as the page shows it."""

    @extend_schema(
        parameters=[HeatmapQuerySerializer],
        responses={200: HeatmapSerializer, **problems(400, 403, 404)},
    )
    def get(self, request, financial_year: int, quarter: int):
        return self.heatmap(request, financial_year, quarter)


def region_get_visible(user, code: str) -> Organisation:
    """A region the user may read, by code; 404 for any other code."""
    region = organisation_get_visible_by_code(user, code)
    if region.kind != "region":
        raise Http404("No such region.")
    return region


class RegionHeatmap(_HeatmapView):
    """A region's heatmap for a period (its regional team and the national team)."""

    @extend_schema(
        parameters=[HeatmapQuerySerializer],
        responses={200: HeatmapSerializer, **problems(400, 403, 404)},
    )
    def get(self, request, financial_year: int, quarter: int, region: str):
        found = region_get_visible(request.user, region)
        return self.heatmap(request, financial_year, quarter, found)


# --- Timeliness ------------------------------------------------------------------------


class TimelinessQuerySerializer(serializers.Serializer):
    region = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="A region's code."
    )


class TimelinessRowSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    region = serializers.CharField(source="icb.parent.code", allow_null=True, default=None)
    state = OneOf(choices=ReturnState.choices)
    timeliness = serializers.CharField(
        allow_blank=True, help_text="On time, Late, Overdue, or empty before it is due."
    )
    late = serializers.BooleanField(help_text="Its first submission came after the due date.")
    overdue = serializers.BooleanField(help_text="Not submitted, and the due date has passed.")
    version = serializers.IntegerField(allow_null=True, help_text="The latest submitted version.")
    first_submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    days_since_submission = serializers.IntegerField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    returned_on = serializers.DateField(allow_null=True)
    completed_by = OrganisationLinkSerializer(allow_null=True)


class PeriodTimeliness(GenericAPIView):
    """Every expected ICB you may read for the period (in `region`, if
    given), by region then name: where its return stands and whether it came
    on time, as the lists of returns show it."""

    serializer_class = TimelinessRowSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()

    @extend_schema(
        parameters=[TimelinessQuerySerializer],
        responses={200: TimelinessRowSerializer(many=True), **problems(400, 403, 404)},
    )
    def get(self, request, financial_year: int, quarter: int):
        _require_reader(request.user)
        given = TimelinessQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        period = period_get(financial_year, quarter)
        region = None
        if given.validated_data["region"]:
            region = region_get_visible(request.user, given.validated_data["region"])
        rows = period_return_rows(user=request.user, period=period, region=region)
        return Response(TimelinessRowSerializer(rows, many=True).data)


# --- One ICB across the quarters -------------------------------------------------------


def icb_get_visible(user, code: str) -> Organisation:
    icb = organisation_get_visible_by_code(user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    return icb


class IcbHeatmapQuerySerializer(serializers.Serializer):
    basis = OneOf(
        choices=[Basis.SELF, Basis.VALIDATED],
        required=False,
        default=Basis.VALIDATED,
        help_text="Self-assessed, or validated where recorded.",
    )


class IcbQuarterSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField(source="period.financial_year")
    quarter = serializers.IntegerField(source="period.quarter")
    period = serializers.CharField(source="period.label")
    icb = OrganisationLinkSerializer(source="row.icb")
    predecessor = serializers.BooleanField(
        source="is_predecessor", help_text="A predecessor's return, before the ICB existed."
    )
    state = OneOf(choices=CellState.choices, source="row.state")
    marks = serializers.ListField(child=serializers.CharField(), source="row.marks")
    version = serializers.IntegerField(allow_null=True, source="row.version")
    cells = HeatmapCellSerializer(many=True, source="row.cells")


class IcbHeatmapSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    basis = serializers.CharField()
    columns = HeatmapColumnSerializer(many=True, help_text="The newest toolkit's sections.")
    predecessors = OrganisationLinkSerializer(many=True)
    quarters = IcbQuarterSerializer(many=True, source="rows", help_text="Newest first.")


class IcbHeatmap(GenericAPIView):
    """An ICB's section ratings across its last eight quarters, with its
    predecessors' quarters before it was established, as its heatmap page."""

    serializer_class = IcbHeatmapSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()

    @extend_schema(
        parameters=[IcbHeatmapQuerySerializer],
        responses={200: IcbHeatmapSerializer, **problems(400, 404)},
    )
    def get(self, request, code: str):
        icb = icb_get_visible(request.user, code)
        given = IcbHeatmapQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        history = icb_history(user=request.user, icb=icb, basis=given.validated_data["basis"])
        return Response(IcbHeatmapSerializer(history).data)


# A quarter's timeliness in an ICB's record (named in the schema's enums).
RECORD_STATES = list(RECORD_LABELS.items())


class IcbRecordSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField(source="period.financial_year")
    quarter = serializers.IntegerField(source="period.quarter")
    period = serializers.CharField(source="period.label")
    icb = OrganisationLinkSerializer()
    predecessor = serializers.BooleanField(source="theirs")
    state = OneOf(choices=RECORD_STATES)
    label = serializers.CharField()
    first_submitted_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(allow_null=True, help_text="The return's status now.")


class IcbRecord(GenericAPIView):
    """An ICB's timeliness over its last eight quarters, newest first: on
    time, late, missing or not due yet (a predecessor's before it existed)."""

    serializer_class = IcbRecordSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()

    @extend_schema(responses={200: IcbRecordSerializer(many=True), **problems(404)})
    def get(self, request, code: str):
        icb = icb_get_visible(request.user, code)
        rows = icb_record(user=request.user, icb=icb)
        return Response(IcbRecordSerializer(rows, many=True).data)
