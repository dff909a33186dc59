"""A return's start from the last accepted one, the confirmation of a
section's carried answers, and the national team's reopening of a locked
return: the services the pages call (`assurance.services.carry_forward`,
`submissions.quarterly_return_reopen`), refused with their words."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.api.returns import _return_data
from assurance.api.serializers import _TEXT, ReturnSerializer
from assurance.models import QuarterlyReturn, Section
from assurance.permissions import period_get, return_get_visible, return_require_editable
from assurance.services import carry_forward as services
from assurance.services import submissions
from assurance.services.submissions import COMMENT_MAX_LENGTH
from organisations.permissions import organisation_get_visible_by_code
from saaf.api import problems


class CarrySourceSerializer(serializers.Serializer):
    submission = serializers.IntegerField(help_text="Send it as `source` to carry it forward.")
    icb = serializers.CharField(help_text="Whose return: the ICB's own, or a predecessor's.")
    own = serializers.BooleanField()
    financial_year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    version = serializers.IntegerField()
    words = serializers.CharField()
    carried = serializers.ListField(
        child=serializers.CharField(), help_text="The standards whose answers it brings."
    )
    reworded = serializers.ListField(
        child=serializers.CharField(), help_text="Carried, but the standard's words changed."
    )
    no_longer = serializers.ListField(
        child=serializers.CharField(), help_text="Answered then, not in this toolkit."
    )
    new = serializers.ListField(child=serializers.CharField(), help_text="Start empty.")
    open_actions = serializers.IntegerField()
    evidence_files = serializers.IntegerField()


class CarryForwardInputSerializer(serializers.Serializer):
    source = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The `submission` of one of the sources offered.",
    )


class CarriedSerializer(ReturnSerializer):
    carried = serializers.IntegerField(help_text="Answers carried, each to confirm or change.")
    carried_from = serializers.CharField()


def _source_data(plan) -> dict:
    source = plan.source
    return {
        "submission": source.submission.pk,
        "icb": source.icb.code,
        "own": source.own,
        "financial_year": source.period.financial_year,
        "quarter": source.period.quarter,
        "version": source.submission.version,
        "words": source.words,
        "carried": [target.code for target, _ in plan.carried],
        "reworded": [s.code for s in plan.reworded],
        "no_longer": [a.standard.code for a in plan.no_longer],
        "new": [s.code for s in plan.new],
        "open_actions": plan.open_actions,
        "evidence_files": plan.evidence_files,
    }


class ReturnCarryForward(GenericAPIView):
    """The accepted returns a new draft may start from (its own latest, or a
    predecessor's across the 2026 reorganisation), and starting from one."""

    serializer_class = CarrySourceSerializer
    pagination_class = None
    queryset = QuarterlyReturn.objects.none()

    def _icb_period(self, request, code, financial_year, quarter):
        icb = organisation_get_visible_by_code(request.user, code)
        if icb.kind != "icb":
            raise Http404("No such ICB.")
        return icb, period_get(financial_year, quarter)

    @extend_schema(responses={200: CarrySourceSerializer(many=True), **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int):
        icb, period = self._icb_period(request, code, financial_year, quarter)
        sources = services.carry_forward_sources(icb, period, user=request.user)
        plans = [services.carry_forward_plan(source, period) for source in sources]
        return Response(CarrySourceSerializer([_source_data(p) for p in plans], many=True).data)

    @extend_schema(
        request=CarryForwardInputSerializer,
        responses={201: CarriedSerializer, **problems(400, 403, 404)},
        description="Start the return (or take its empty draft) with the chosen source's "
        "answers, each marked to confirm or change; only into a return with no answers yet.",
    )
    def post(self, request, code: str, financial_year: int, quarter: int):
        icb, period = self._icb_period(request, code, financial_year, quarter)
        given = CarryForwardInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        _, plan = services.quarterly_return_carry_forward(
            actor=request.user,
            icb=icb,
            period=period,
            submission_id=given.validated_data["source"],
        )
        ret = return_get_visible(request.user, icb.code, financial_year, quarter)
        data = {
            **_return_data(ret),
            "carried": len(plan.carried),
            "carried_from": plan.source.words,
        }
        return Response(CarriedSerializer(data).data, status=status.HTTP_201_CREATED)


class SectionConfirmSerializer(serializers.Serializer):
    confirmed = serializers.ListField(
        child=serializers.CharField(), help_text="The standards confirmed unchanged."
    )


class SectionConfirm(GenericAPIView):
    """Confirm a section's carried-forward answers unchanged (those already
    saved with a change need nothing)."""

    serializer_class = SectionConfirmSerializer
    pagination_class = None
    queryset = QuarterlyReturn.objects.none()

    @extend_schema(
        request=None, responses={200: SectionConfirmSerializer, **problems(400, 403, 404)}
    )
    def post(self, request, code: str, financial_year: int, quarter: int, section: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        found = Section.objects.filter(
            version_id=ret.period.toolkit_version_id, code=section
        ).first()
        if found is None:
            raise Http404("No such section.")
        return_require_editable(request.user, ret)
        codes = services.section_answers_confirm(
            actor=request.user, quarterly_return=ret, section=found
        )
        return Response(SectionConfirmSerializer({"confirmed": codes}).data)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, validators=_TEXT, help_text="The ICB and its region read it."
    )
    closes_on = serializers.DateField(help_text="The return locks again after this day.")


class ReturnReopen(GenericAPIView):
    """The national team reopens a return locked since its closing date."""

    serializer_class = ReturnSerializer
    pagination_class = None
    queryset = QuarterlyReturn.objects.none()

    @extend_schema(
        request=ReopenSerializer, responses={200: ReturnSerializer, **problems(400, 403, 404)}
    )
    def post(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        given = ReopenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        submissions.quarterly_return_reopen(
            actor=request.user,
            quarterly_return=ret,
            reason=given.validated_data["reason"],
            closes_on=given.validated_data["closes_on"],
        )
        return Response(ReturnSerializer(_return_data(ret)).data)
