"""What the API shows of organisations and of the caller: explicit fields only."""

from __future__ import annotations

from rest_framework import serializers


class OrganisationLinkSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SuccessionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    date = serializers.DateField(help_text="The first day of the successor's responsibility.")
    kind = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ODS code (ICBs since 2026 have five characters).")
    name = serializers.CharField()
    kind = serializers.CharField()
    parent = OrganisationLinkSerializer(
        allow_null=True, help_text="The region of an ICB, the ICB of a place."
    )
    established = serializers.DateField(allow_null=True)
    closed = serializers.DateField(allow_null=True, help_text="The last day it existed.")
    is_current = serializers.BooleanField()
    provider_kind = serializers.CharField(allow_blank=True)
    provides_maternity = serializers.BooleanField()
    runs_unscheduled_care = serializers.BooleanField()
    predecessors = SuccessionSerializer(many=True)
    successors = SuccessionSerializer(many=True)


def organisation_data(org, *, links: dict[int, tuple[list, list]]) -> dict:
    """An organisation as the API shows it; `links` holds its successions,
    read for a whole page at once (`succession_rows`)."""
    before, after = links.get(org.pk, ([], []))
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "parent": {"code": org.parent.code, "name": org.parent.name} if org.parent else None,
        "established": org.established,
        "closed": org.closed,
        "is_current": org.is_current,
        "provider_kind": org.provider_kind or "",
        "provides_maternity": org.provides_maternity,
        "runs_unscheduled_care": org.runs_unscheduled_care,
        "predecessors": before,
        "successors": after,
    }


class MembershipSerializer(serializers.Serializer):
    organisation = OrganisationLinkSerializer()
    role = serializers.CharField()
    role_label = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    memberships = MembershipSerializer(many=True)
    authenticated_by = serializers.ChoiceField(choices=["token", "session"])
    token_name = serializers.CharField(allow_null=True)
    token_expires = serializers.DateTimeField(allow_null=True)
