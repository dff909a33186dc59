"""The posts register through the API: an ICB's register and the registers of
the providers it leads, with the findings (missing or vacant posts, overdue
supervision, training below the post's level) computed as of a date exactly as
the register page computes them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.findings import FindingKind, icb_registers
from assurance.forms.register import AsOfForm
from organisations.api.serializers import OrganisationLinkSerializer
from organisations.models import Organisation
from organisations.permissions import organisation_get_visible_by_code
from saaf.api import problems


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField(source="holder_name")
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    acting = serializers.BooleanField()
    whole_time_equivalent = serializers.DecimalField(
        max_digits=4, decimal_places=2, allow_null=True
    )
    last_supervision = serializers.DateField(allow_null=True)
    training_level = serializers.IntegerField(allow_null=True)
    training_date = serializers.DateField(allow_null=True)


class FindingSerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.code")
    post_type = serializers.CharField(source="post_type.code")
    kind = serializers.ChoiceField(choices=list(FindingKind.LABELS))
    label = serializers.CharField()
    detail = serializers.CharField()


class PostRowSerializer(serializers.Serializer):
    post_type = serializers.CharField(source="post_type.code")
    post_type_name = serializers.CharField(source="post_type.name")
    required = serializers.BooleanField()
    post_id = serializers.IntegerField(source="post.pk", allow_null=True, default=None)
    vacant = serializers.BooleanField()
    holders = HolderSerializer(many=True, help_text="Those in post on the day.")
    findings = FindingSerializer(many=True)


class OrganisationRegisterSerializer(serializers.Serializer):
    organisation = OrganisationLinkSerializer()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = PostRowSerializer(many=True)


class IcbRegisterSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    on = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    findings = FindingSerializer(many=True)
    registers = OrganisationRegisterSerializer(
        many=True, help_text="The ICB's own, then each provider it leads."
    )


class IcbRegister(GenericAPIView):
    """An ICB's posts register as it was on a day (`on`, by default today, or
    a closed ICB's last day), with the providers it leads and every finding."""

    serializer_class = IcbRegisterSerializer
    pagination_class = None
    queryset = Organisation.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "on", OpenApiTypes.DATE, description="As it was on this day (YYYY-MM-DD)."
            )
        ],
        responses={200: IcbRegisterSerializer, **problems(400, 404)},
    )
    def get(self, request, code: str):
        icb = organisation_get_visible_by_code(request.user, code)
        if icb.kind != "icb":
            raise Http404("No such ICB.")
        given = {"on": request.query_params["on"]} if "on" in request.query_params else None
        form = AsOfForm(given, first=icb.established, last=icb.closed)
        if given is not None and not form.is_valid():
            raise ValidationError({"on": form.errors["on"]})
        on = form.day
        [rollup] = icb_registers([icb], on=on)
        data = {
            "icb": icb,
            "on": on,
            "counts": rollup.counts(),
            "findings": rollup.findings,
            "registers": [
                {"organisation": r.organisation, "counts": r.counts(), "rows": r.rows}
                for r in rollup.all
            ],
        }
        return Response(IcbRegisterSerializer(data).data)
