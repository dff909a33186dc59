"""Organisations (with their dates, predecessors and successors) and the
caller's own identity, read through the same scoping as the pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from organisations.api.serializers import MeSerializer, OrganisationSerializer, organisation_data
from organisations.choices import OrganisationKind
from organisations.models import Organisation, Succession
from organisations.permissions import organisation_get_visible_by_code
from organisations.scoping import scope_of
from saaf.api import problems


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text="The code of the region (or ICB, for places)."
    )
    existing_on = django_filters.DateFilter(
        method="filter_existing_on", help_text="Only those that existed on this date."
    )
    q = django_filters.CharFilter(method="filter_q", help_text="Part of the name or code.")

    class Meta:
        model = Organisation
        fields = ["kind", "parent", "existing_on", "q"]

    def filter_existing_on(self, queryset, name, value):
        return queryset.existing_on(value)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))


def succession_rows(organisation_ids) -> dict[int, tuple[list, list]]:
    """Each organisation's predecessors and successors, in one query."""
    found: dict[int, tuple[list, list]] = {}
    ids = list(organisation_ids)
    rows = (
        Succession.objects.filter(Q(predecessor__in=ids) | Q(successor__in=ids))
        .select_related("predecessor", "successor")
        .order_by("date", "pk")
    )
    for s in rows:
        if s.successor_id in ids:
            found.setdefault(s.successor_id, ([], []))[0].append(
                {
                    "code": s.predecessor.code,
                    "name": s.predecessor.name,
                    "date": s.date,
                    "kind": s.kind,
                }
            )
        if s.predecessor_id in ids:
            found.setdefault(s.predecessor_id, ([], []))[1].append(
                {"code": s.successor.code, "name": s.successor.name, "date": s.date, "kind": s.kind}
            )
    return found


class OrganisationList(GenericAPIView):
    """The organisations you may read: your own, your region's or all, as on the pages."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter

    def get_queryset(self):
        return (
            Organisation.objects.visible_to(self.request.user)
            .select_related("parent")
            .order_by("kind", "code", "pk")
        )

    @extend_schema(responses={200: OrganisationSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        links = succession_rows(o.pk for o in page)
        return self.get_paginated_response(
            OrganisationSerializer(
                [organisation_data(o, links=links) for o in page], many=True
            ).data
        )


class OrganisationDetail(GenericAPIView):
    serializer_class = OrganisationSerializer

    @extend_schema(responses={200: OrganisationSerializer, **problems(404)})
    def get(self, request, code: str):
        org = organisation_get_visible_by_code(request.user, code)
        return Response(
            OrganisationSerializer(organisation_data(org, links=succession_rows([org.pk]))).data
        )


class Me(GenericAPIView):
    """Who the API takes you for: your memberships and roles, and the token in use."""

    serializer_class = MeSerializer
    pagination_class = None

    @extend_schema(responses={200: MeSerializer, **problems()})
    def get(self, request):
        token = getattr(request.auth, "name", None) and request.auth
        user = request.user
        return Response(
            MeSerializer(
                {
                    "email": user.email,
                    "name": user.get_full_name(),
                    "memberships": [
                        {
                            "organisation": {
                                "code": m.organisation.code,
                                "name": m.organisation.name,
                            },
                            "role": m.role,
                            "role_label": m.get_role_display(),
                        }
                        for m in scope_of(user).memberships
                    ],
                    "authenticated_by": "token" if token else "session",
                    "token_name": token.name if token else None,
                    "token_expires": token.expiry if token else None,
                }
            ).data
        )
