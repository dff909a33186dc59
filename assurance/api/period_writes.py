"""The national admin's management of the reporting periods through the API,
as on the period's pages (`assurance.views.toolkit`): move a period's
opening, due and closing dates, and name which successor completes the
return a split ICB owes (`assurance.services.toolkit.reporting_period_update`,
`assurance.services.returns.quarterly_return_name_successor`). Everyone with
a role reads the periods; anyone but the national admin is refused with the
page's words."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance import selectors
from assurance.api.toolkit_writes import require_manager
from assurance.models import ReportingPeriod
from assurance.permissions import can_read_toolkit, period_get
from assurance.services import returns as returns_services
from assurance.services import toolkit as services
from organisations.api.serializers import OrganisationLinkSerializer
from saaf.api import TEXT_VALIDATORS, problems

_TEXT = TEXT_VALIDATORS


class PeriodDatesSerializer(serializers.Serializer):
    opens_on = serializers.DateField(help_text="ICBs can start their returns from this day.")
    due_on = serializers.DateField(help_text="Submitted after this day, a return is late.")
    closes_on = serializers.DateField(help_text="After this day drafts lock.")


def period_dates_save(request, financial_year: int, quarter: int) -> ReportingPeriod:
    """Move a period's opening, due and closing dates (all three, as the page's form)."""
    require_manager(request.user)
    period = period_get(financial_year, quarter)
    given = PeriodDatesSerializer(data=request.data)
    given.is_valid(raise_exception=True)
    return services.reporting_period_update(
        actor=request.user, period=period, **given.validated_data
    )


class SplitSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer(help_text="The dissolved ICB that owes the return.")
    successors = OrganisationLinkSerializer(many=True)
    completed_by = OrganisationLinkSerializer(
        allow_null=True, help_text="The successor named to complete it, if one is."
    )


class SuccessorInputSerializer(serializers.Serializer):
    icb = serializers.CharField(max_length=20, help_text="The split ICB's code.")
    successor = serializers.CharField(max_length=20, help_text="One of its successors' codes.")
    reason = serializers.CharField(
        max_length=2000, validators=_TEXT, help_text="Why this successor completes it."
    )


class PeriodSplits(GenericAPIView):
    """The period's expected ICBs that have since split between several
    successors, and naming which successor completes each one's return (the
    national admin, as on the period's page)."""

    serializer_class = SplitSerializer
    pagination_class = None
    queryset = ReportingPeriod.objects.none()

    @extend_schema(responses={200: SplitSerializer(many=True), **problems(403, 404)})
    def get(self, request, financial_year: int, quarter: int):
        if not can_read_toolkit(request.user):
            raise PermissionDenied("You need a role in the portal to read the toolkit.")
        period = period_get(financial_year, quarter)
        return Response(SplitSerializer(selectors.split_predecessors(period), many=True).data)

    @extend_schema(
        request=SuccessorInputSerializer,
        responses={200: SplitSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, financial_year: int, quarter: int):
        require_manager(request.user)
        period = period_get(financial_year, quarter)
        given = SuccessorInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        splits = selectors.split_predecessors(period)
        split = next((s for s in splits if s.icb.code == data["icb"]), None)
        if split is None:
            raise ValidationError(
                {"icb": "No split ICB with that code owes a return for this period."}
            )
        chosen = next((o for o in split.successors if o.code == data["successor"]), None)
        if chosen is None:
            raise ValidationError(
                {
                    "successor": f"{split.icb.name}: choose the successor that completes its "
                    f"return ({', '.join(o.code for o in split.successors)})."
                }
            )
        returns_services.quarterly_return_name_successor(
            actor=request.user,
            icb=split.icb,
            period=period,
            successor=chosen,
            reason=data["reason"].strip(),
        )
        split = next(s for s in selectors.split_predecessors(period) if s.icb.pk == split.icb.pk)
        return Response(SplitSerializer(split).data)
