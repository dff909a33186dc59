"""Writing the reviews tracker through the API: recording and changing a
review, its recommendations and their actions, and completing an action with
its evidence, and the evidence files on an action. Each goes through the service the page calls
(`reviews.services`), which refuses anyone but the lead ICB's editors and
approver with the page's words; organisations and linked reviews are named
by code and id and checked against the same choices the page's form offers.
What the caller cannot read is not found."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from assurance.api.serializers import OneOf
from organisations.models import Organisation, OrganisationKind
from organisations.permissions import organisation_get_visible_by_code
from reviews import services
from reviews.forms import ActionForm, ReviewForm
from reviews.models import ActionEvidenceFile, Recommendation, Review
from reviews.models.choices import (
    AbuseTheme,
    ActionStatus,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    ReviewKind,
    Stage,
)
from reviews.permissions import (
    action_evidence_get_visible,
    action_get_visible,
    recommendation_get_visible,
    review_get_visible,
)
from saaf.api import TEXT_VALIDATORS, problems

_TEXT = TEXT_VALIDATORS
_LONG = 10_000
_ID_MAX = 2**31 - 1  # an id the database can hold: a larger one is refused, not an error


def _text(**kwargs):
    return serializers.CharField(max_length=_LONG, validators=_TEXT, **kwargs)


def _date(**kwargs):
    return serializers.DateField(required=False, allow_null=True, **kwargs)


class ReviewChangeSerializer(serializers.Serializer):
    """A review's details; on a change (PATCH) only the fields sent are changed."""

    kind = OneOf(choices=ReviewKind.choices)
    reference = serializers.CharField(max_length=60, validators=_TEXT)
    convening_body = OneOf(choices=ConveningBody.choices)
    area = serializers.CharField(
        max_length=20, help_text="The local authority area's (place's) ODS code."
    )
    age_group = OneOf(choices=AgeGroup.choices)
    notified_on = serializers.DateField()
    stage = OneOf(choices=Stage.choices, required=False)
    steis_number = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="For example 2025/12345."
    )
    decision_on = _date()
    panel_on = _date()
    report_on = _date()
    expected_publication_on = _date(help_text="Slippage is counted from this date.")
    published_on = _date()
    delay_reason = _text(required=False, allow_blank=True)
    continues = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_ID_MAX,
        help_text="The id of the rapid review it continues.",
    )
    icbs = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        max_length=50,
        help_text="Other ICBs involved, by code (of the lead ICB's region).",
    )
    providers = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        max_length=200,
        help_text="Providers involved, by code (those the lead ICB commissions).",
    )
    abuse_themes = serializers.ListField(
        child=OneOf(choices=AbuseTheme.choices), required=False, max_length=10
    )
    learning_themes = serializers.ListField(
        child=OneOf(choices=LearningTheme.choices), required=False, max_length=50
    )
    parallel_reviews = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=_ID_MAX),
        required=False,
        max_length=50,
    )


class ReviewCreateSerializer(ReviewChangeSerializer):
    lead_icb = serializers.CharField(max_length=20, help_text="The lead ICB's ODS code.")


def _choose(queryset, codes: list[str], field: str, words: str) -> list[Organisation]:
    """The organisations named by `codes` among the page's choices; any other
    code is refused on its field with what may be chosen."""
    found = {o.code: o for o in queryset.filter(code__in=codes)}
    wrong = [code for code in codes if code not in found]
    if wrong:
        raise ValidationError({field: f"{', '.join(wrong)}: {words}"})
    return [found[code] for code in codes]


def _reviews_chosen(queryset, ids: list[int], field: str, words: str) -> list[Review]:
    found = {r.pk: r for r in queryset.filter(pk__in=ids)}
    wrong = [str(pk) for pk in ids if pk not in found]
    if wrong:
        raise ValidationError({field: f"{', '.join(wrong)}: {words}"})
    return [found[pk] for pk in ids]


def review_values(user, lead_icb: Organisation, given: dict, review: Review | None = None) -> dict:
    """The service's keyword arguments from the checked input, with codes and
    ids resolved against the choices the page's form offers."""
    form = ReviewForm(user=user, lead_icb=lead_icb, review=review)
    values = dict(given)
    values.pop("lead_icb", None)
    if "area" in values:
        [values["area"]] = _choose(
            form.fields["area"].queryset,
            [values["area"]],
            "area",
            "not a local authority area: give a place's ODS code.",
        )
    if "icbs" in values:
        values["icbs"] = _choose(
            form.fields["icbs"].queryset,
            values["icbs"],
            "icbs",
            "cannot be involved: choose other ICBs of the lead ICB's region.",
        )
    if "providers" in values:
        values["providers"] = _choose(
            form.fields["providers"].queryset,
            values["providers"],
            "providers",
            "not a provider the lead ICB commissions.",
        )
    if values.get("continues") is not None:
        [values["continues"]] = _reviews_chosen(
            form.fields["continues"].queryset,
            [values["continues"]],
            "continues",
            "not a rapid review you can read.",
        )
    if "parallel_reviews" in values:
        values["parallel_reviews"] = _reviews_chosen(
            form.fields["parallel_reviews"].queryset,
            values["parallel_reviews"],
            "parallel_reviews",
            "not a review you can read.",
        )
    if "steis_number" in values:
        values["steis_number"] = values["steis_number"].strip()
    for name in ("delay_reason", "steis_number"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def review_create(request) -> Review:
    given = ReviewCreateSerializer(data=request.data)
    given.is_valid(raise_exception=True)
    lead = organisation_get_visible_by_code(request.user, given.validated_data["lead_icb"])
    if lead.kind != OrganisationKind.ICB:
        raise Http404("No such ICB.")
    values = review_values(request.user, lead, given.validated_data)
    return services.review_create(actor=request.user, lead_icb=lead, **values)


def review_change(request, review: Review) -> Review:
    given = ReviewChangeSerializer(data=request.data, partial=True)
    given.is_valid(raise_exception=True)
    values = review_values(request.user, review.lead_icb, given.validated_data, review)
    return services.review_update(actor=request.user, review=review, **values)


# --- Recommendations --------------------------------------------------------------------


class RecommendationInputSerializer(serializers.Serializer):
    text = _text(help_text="The recommendation for health, as the review wrote it.")


class RecommendationOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    review = serializers.IntegerField(source="review_id")
    number = serializers.IntegerField()
    text = serializers.CharField()


class ReviewRecommendations(GenericAPIView):
    """Add a recommendation for health to a review (numbered next)."""

    serializer_class = RecommendationOutSerializer
    pagination_class = None
    queryset = Review.objects.none()

    @extend_schema(
        request=RecommendationInputSerializer,
        responses={201: RecommendationOutSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, pk: int):
        review = review_get_visible(request.user, pk)
        given = RecommendationInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        made = services.recommendation_create(
            actor=request.user, review=review, text=given.validated_data["text"]
        )
        return Response(RecommendationOutSerializer(made).data, status=status.HTTP_201_CREATED)


class RecommendationDetail(GenericAPIView):
    """Change a recommendation's text."""

    serializer_class = RecommendationOutSerializer
    pagination_class = None
    queryset = Recommendation.objects.none()

    @extend_schema(
        request=RecommendationInputSerializer,
        responses={200: RecommendationOutSerializer, **problems(400, 403, 404)},
    )
    def put(self, request, recommendation: int):
        found = recommendation_get_visible(request.user, recommendation)
        given = RecommendationInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        saved = services.recommendation_update(
            actor=request.user, recommendation=found, text=given.validated_data["text"]
        )
        return Response(RecommendationOutSerializer(saved).data)


# --- Actions ------------------------------------------------------------------------------

# The progress an action is given before it is completed (completing needs evidence).
OPEN_ACTION_STATUSES = [
    (ActionStatus.NOT_STARTED.value, ActionStatus.NOT_STARTED.label),
    (ActionStatus.IN_PROGRESS.value, ActionStatus.IN_PROGRESS.label),
]


class ActionInputSerializer(serializers.Serializer):
    description = _text(help_text="What will be done.")
    owner = serializers.CharField(
        max_length=20,
        help_text="The owner's ODS code: the lead ICB, an ICB or provider involved, or a "
        "provider the lead ICB commissions.",
    )
    due_on = serializers.DateField()
    status = OneOf(
        choices=OPEN_ACTION_STATUSES,
        required=False,
        default=ActionStatus.NOT_STARTED,
        help_text="Complete an action with POST …/complete/: it needs evidence.",
    )


class ActionChangeSerializer(serializers.Serializer):
    """Only the fields sent are changed; `not_started` or `in_progress` on a
    completed action reopens it."""

    description = _text(required=False)
    owner = serializers.CharField(max_length=20, required=False)
    due_on = serializers.DateField(required=False)
    status = OneOf(choices=OPEN_ACTION_STATUSES, required=False)
    evidence = _text(required=False, allow_blank=True)


class ActionCompleteSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    evidence = _text(
        required=False,
        allow_blank=True,
        default="",
        help_text="What was done and where the evidence is kept; or send a file, or both.",
    )
    evidence_file = serializers.FileField(
        required=False, help_text="A file of evidence (multipart/form-data only)."
    )


class ActionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recommendation = serializers.IntegerField(source="recommendation_id")
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.code")
    due_on = serializers.DateField()
    status = OneOf(choices=ActionStatus.choices)
    completed_on = serializers.DateField(allow_null=True)
    evidence = serializers.CharField(allow_blank=True)


def _owner(review: Review, code: str) -> Organisation:
    form = ActionForm(review=review)
    [owner] = _choose(
        form.fields["owner"].queryset,
        [code],
        "owner",
        "cannot own an action of this review: choose the lead ICB, an ICB or provider "
        "involved in the review, or a provider the lead ICB commissions.",
    )
    return owner


class RecommendationActions(GenericAPIView):
    """Add an action towards a recommendation."""

    serializer_class = ActionOutSerializer
    pagination_class = None
    queryset = Recommendation.objects.none()

    @extend_schema(
        request=ActionInputSerializer,
        responses={201: ActionOutSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, recommendation: int):
        found = recommendation_get_visible(request.user, recommendation)
        given = ActionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = dict(given.validated_data)
        values["owner"] = _owner(found.review, values["owner"])
        made = services.action_create(actor=request.user, recommendation=found, **values)
        return Response(ActionOutSerializer(made).data, status=status.HTTP_201_CREATED)


class ActionDetail(GenericAPIView):
    """Change an action's description, owner, due date, progress or evidence."""

    serializer_class = ActionOutSerializer
    pagination_class = None
    queryset = Recommendation.objects.none()

    @extend_schema(
        request=ActionChangeSerializer,
        responses={200: ActionOutSerializer, **problems(400, 403, 404)},
    )
    def patch(self, request, action: int):
        found = action_get_visible(request.user, action)
        given = ActionChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = dict(given.validated_data)
        if "owner" in values:
            values["owner"] = _owner(found.recommendation.review, values["owner"])
        if values.get("status") == found.status:
            del values["status"]  # unchanged, as the page sends it
        saved = services.action_update(actor=request.user, action=found, **values)
        return Response(ActionOutSerializer(saved).data)


class ActionComplete(GenericAPIView):
    """Complete an action on a date with its evidence: a description, a file
    (multipart), or both; the page's rule refuses it with neither."""

    serializer_class = ActionOutSerializer
    pagination_class = None
    queryset = Recommendation.objects.none()
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": ActionCompleteSerializer,
            "multipart/form-data": ActionCompleteSerializer,
        },
        responses={200: ActionOutSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, action: int):
        found = action_get_visible(request.user, action)
        given = ActionCompleteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data.get("evidence_file")
        saved = services.action_complete(
            actor=request.user,
            action=found,
            completed_on=given.validated_data["completed_on"],
            evidence=given.validated_data["evidence"],
            files=[upload] if upload else [],
        )
        return Response(ActionOutSerializer(saved).data)


# --- Evidence files on an action ----------------------------------------------------------


class ActionEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Download it from /api/v1/action-evidence/{id}/.")
    name = serializers.CharField(source="display_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class ActionEvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF, Word, Excel or image file of at most 20 MiB.")


class ActionEvidenceList(GenericAPIView):
    """Add an evidence file to an action (the lead ICB's editors and approver)."""

    serializer_class = ActionEvidenceSerializer
    pagination_class = None
    queryset = ActionEvidenceFile.objects.none()
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ActionEvidenceUploadSerializer},
        responses={201: ActionEvidenceSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, action: int):
        found = action_get_visible(request.user, action)
        given = ActionEvidenceUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            evidence = services.action_evidence_add(
                actor=request.user, action=found, uploaded=given.validated_data["file"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise
            # The file's checks speak of the file: on its field, as the page shows them.
            raise ValidationError({"file": error.messages}) from None
        return Response(ActionEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class ActionEvidenceDetail(GenericAPIView):
    """An action's evidence file: its content, to whoever reads the action;
    taking it off, for the lead ICB's editors and approver."""

    serializer_class = ActionEvidenceSerializer
    pagination_class = None
    queryset = ActionEvidenceFile.objects.none()

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment, in its own type."
            ),
            **problems(404),
        }
    )
    def get(self, request, action_evidence: int):
        found = action_evidence_get_visible(request.user, action_evidence)
        try:
            handle = default_storage.open(found.storage_name, "rb")
        except FileNotFoundError:
            raise Http404("No such file.") from None
        response = FileResponse(
            handle, as_attachment=True, filename=found.display_name, content_type=found.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(responses={204: None, **problems(400, 403, 404)})
    def delete(self, request, action_evidence: int):
        found = action_evidence_get_visible(request.user, action_evidence)
        services.action_evidence_remove(actor=request.user, evidence=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
