"""Statutory and mandatory case reviews through the API: the reviews an ICB
leads or is involved in (as its tracker shows them), each with its
recommendations and their actions; recording and changing one
(`reviews.api.writes`, through the tracker's services)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from organisations.models import Organisation
from reviews.api import writes
from reviews.models import Action, Recommendation, Review
from reviews.models.choices import ActionStatus, ReviewKind, Stage
from reviews.permissions import review_get_visible
from saaf.api import problems


class ReviewActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.code")
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    completed_on = serializers.DateField(allow_null=True)
    evidence = serializers.CharField(allow_blank=True)
    evidence_files = writes.ActionEvidenceSerializer(many=True, source="evidence_files.all")


class RecommendationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    text = serializers.CharField()
    actions = ReviewActionSerializer(many=True, source="actions.all")


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReviewKind.choices)
    reference = serializers.CharField()
    convening_body = serializers.CharField()
    area = serializers.CharField(source="area.code", allow_null=True, default=None)
    lead_icb = serializers.CharField(source="lead_icb.code")
    icbs = serializers.SerializerMethodField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    age_group = serializers.CharField()
    notified_on = serializers.DateField()
    decision_on = serializers.DateField(allow_null=True)
    panel_on = serializers.DateField(allow_null=True)
    report_on = serializers.DateField(allow_null=True)
    published_on = serializers.DateField(allow_null=True)
    expected_publication_on = serializers.DateField(allow_null=True)
    delay_reason = serializers.CharField(allow_blank=True)

    def get_icbs(self, review) -> list[str]:
        """The ICBs involved besides the lead."""
        return [icb.code for icb in review.icbs.all()]


class ReviewDetailSerializer(ReviewSerializer):
    recommendations = RecommendationSerializer(many=True, source="recommendations.all")


class ReviewFilter(django_filters.FilterSet):
    icb = django_filters.CharFilter(
        method="filter_icb", help_text="An ICB's code: the reviews it leads or is involved in."
    )
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    notified_from = django_filters.DateFilter(field_name="notified_on", lookup_expr="gte")
    notified_to = django_filters.DateFilter(field_name="notified_on", lookup_expr="lte")

    class Meta:
        model = Review
        fields = ["icb", "kind", "stage", "notified_from", "notified_to"]

    def filter_icb(self, queryset, name, value):
        return queryset.involving(Organisation.objects.filter(code=value).values("pk"))


def _reviews(user):
    return (
        Review.objects.visible_to(user).select_related("lead_icb", "area").prefetch_related("icbs")
    )


class ReviewList(GenericAPIView):
    """The reviews you may read, latest notified first."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        return _reviews(self.request.user).order_by("-notified_on", "reference", "pk")

    @extend_schema(responses={200: ReviewSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    @extend_schema(
        request=writes.ReviewCreateSerializer,
        responses={201: ReviewDetailSerializer, **problems(400, 403, 404)},
        description="Record a review led by `lead_icb` (its editors and approver), with the "
        "ICBs and providers involved, its themes and links.",
    )
    def post(self, request):
        review = writes.review_create(request)
        return Response(
            ReviewDetailSerializer(_review_read(request.user, review.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ReviewDetail(GenericAPIView):
    """One review with its recommendations and their actions."""

    serializer_class = ReviewDetailSerializer
    pagination_class = None
    queryset = Review.objects.none()

    @extend_schema(responses={200: ReviewDetailSerializer, **problems(404)})
    def get(self, request, pk: int):
        review_get_visible(request.user, pk)  # 404 for missing and not-yours alike
        return Response(ReviewDetailSerializer(_review_read(request.user, pk)).data)

    @extend_schema(
        request=writes.ReviewChangeSerializer,
        responses={200: ReviewDetailSerializer, **problems(400, 403, 404)},
        description="Change the fields sent (a list sent replaces the list): the lead ICB's "
        "editors and approver.",
    )
    def patch(self, request, pk: int):
        review = review_get_visible(request.user, pk)
        writes.review_change(request, review)
        return Response(ReviewDetailSerializer(_review_read(request.user, pk)).data)


def _review_read(user, pk: int) -> Review:
    """A review with its recommendations and their actions, in order."""
    return (
        _reviews(user)
        .prefetch_related(
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.order_by("number", "pk").prefetch_related(
                    Prefetch(
                        "actions",
                        queryset=Action.objects.select_related("owner")
                        .prefetch_related("evidence_files")
                        .order_by("due_on", "pk"),
                    )
                ),
            )
        )
        .get(pk=pk)
    )
