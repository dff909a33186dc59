"""The answers behind one heatmap cell through the API: one ICB's answers for
one section in one quarter, as the cell's page shows them
(`assurance.heatmap_detail.cell_detail_get`): the current submission's
self-assessed and validated ratings with their counts, each standard's
narrative, actions, evidence files and comments, and the section's metric
values. An ICB you may not read is not found, exactly as a missing one; its
return is read through your scope again. A fixed number of queries,
whatever the answers' number."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assurance.api.serializers import (
    CommentSerializer,
    SubmittedActionSerializer,
    SubmittedMetricValueSerializer,
)
from assurance.heatmap_detail import CellDetail, cell_detail_get
from assurance.models import QuarterlyReturn, ReturnStatus, Section
from assurance.permissions import can_review_return, period_get
from assurance.rating import CellRating
from organisations.api.serializers import OrganisationLinkSerializer
from organisations.permissions import organisation_get_visible_by_code
from saaf.api import problems

CELL_STATES = ["missing", "never_submitted", *ReturnStatus.values]


class CellRatingSerializer(serializers.Serializer):
    rating = serializers.CharField(
        allow_blank=True,
        help_text="Worst of the applicable standards; `not_applicable` when none applies; "
        "empty when nothing is rated.",
    )
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="By rating.")
    text = serializers.CharField(allow_blank=True, help_text="The counts as the page words them.")


class CellSectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class CellSubmissionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="Its answers as submitted: `returns/{icb}/{year}/{q}/submissions/{version}/`."
    )
    submitted_at = serializers.DateTimeField()
    late = serializers.BooleanField()


class CellEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Download it from /api/v1/evidence/{id}/.")
    name = serializers.CharField()
    effective_on = serializers.DateField()


class CellCommentSerializer(CommentSerializer):
    """A comment as the return's comments are, found under its standard."""

    standard = None  # under its standard's answer already
    parent = serializers.IntegerField(allow_null=True, help_text="The comment it answers.")


class CellAnswerSerializer(serializers.Serializer):
    standard = serializers.CharField()
    statement = serializers.CharField()
    rating = serializers.CharField(allow_blank=True, help_text="Self-assessed.")
    not_applicable_reason = serializers.CharField(allow_blank=True)
    narrative = serializers.CharField(allow_blank=True)
    explanation = serializers.CharField(
        allow_blank=True, help_text="Against the posts register, where the standard depends on it."
    )
    validated_rating = serializers.CharField(allow_null=True)
    validated_rationale = serializers.CharField(allow_null=True)
    validated_by = serializers.CharField(allow_null=True, help_text="The regional lead's name.")
    validated_at = serializers.DateTimeField(allow_null=True)
    differs = serializers.BooleanField(help_text="Validated differently from the self-assessment.")
    actions = SubmittedActionSerializer(many=True)
    evidence = CellEvidenceSerializer(many=True)
    comments = CellCommentSerializer(
        many=True, help_text="On this standard, threads oldest first, each reply after its parent."
    )


class CellMetricSerializer(SubmittedMetricValueSerializer):
    """A submitted metric value, as a submission's are, with its metric's words."""

    metric = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    computed = serializers.BooleanField(help_text="Computed by the portal, never typed.")


class CellAnswersSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    financial_year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    period = serializers.CharField(help_text="The period's label.")
    section = CellSectionSerializer()
    state = serializers.ChoiceField(
        choices=CELL_STATES,
        help_text="`missing`: no return started; `never_submitted`: a draft never submitted "
        "(no ratings to show); otherwise the return's status.",
    )
    completed_by = OrganisationLinkSerializer(
        allow_null=True, help_text="The successor completing a split ICB's return."
    )
    submission = CellSubmissionSerializer(allow_null=True, help_text="The current version.")
    self_assessed = CellRatingSerializer(allow_null=True)
    validated = CellRatingSerializer(
        allow_null=True, help_text="Validated where recorded, else self-assessed."
    )
    differing = serializers.IntegerField(help_text="Standards validated differently.")
    answers = CellAnswerSerializer(many=True)
    metric_values = CellMetricSerializer(many=True)
    comments = CellCommentSerializer(
        many=True, help_text="On the return as a whole, threads oldest first."
    )
    may_validate = serializers.BooleanField(
        help_text="You may record validated ratings now (the region's lead, under review): "
        "`PUT returns/{icb}/{year}/{q}/validated-ratings/{standard}/`."
    )


def _rating(cell: CellRating) -> dict:
    return {"rating": cell.rating, "counts": dict(cell.counts), "text": cell.text}


def _comments(threads) -> list[dict]:
    """Threads flattened depth-first: each reply straight after what it answers."""
    found = []
    for thread in threads:
        c = thread.comment
        found.append(
            {
                "id": c.pk,
                "parent": c.parent_id,
                "author_name": c.author_name,
                "author_organisation": c.author_organisation.name,
                "author_role": c.author_role,
                "text": c.text,
                "created_at": c.created_at,
            }
        )
        found.extend(_comments(thread.replies))
    return found


def _name(user) -> str | None:
    return (user.get_full_name() or user.email) if user else None


def cell_data(user, detail: CellDetail) -> dict:
    ret, submission = detail.quarterly_return, detail.submission
    if ret is None:
        state = "missing"
    elif submission is None:
        state = "never_submitted"
    else:
        state = ret.status
    return {
        "icb": detail.icb,
        "financial_year": detail.period.financial_year,
        "quarter": detail.period.quarter,
        "period": detail.period.label,
        "section": detail.section,
        "state": state,
        "completed_by": ret.completed_by if ret is not None else None,
        "submission": submission,
        "self_assessed": _rating(detail.self_rating) if submission else None,
        "validated": _rating(detail.validated) if submission else None,
        "differing": detail.differing,
        "answers": [
            {
                "standard": a.standard.code,
                "statement": a.standard.statement,
                "rating": a.rating,
                "not_applicable_reason": a.not_applicable_reason,
                "narrative": a.narrative,
                "explanation": a.explanation,
                "validated_rating": a.validated_rating,
                "validated_rationale": a.validated_rationale,
                "validated_by": _name(a.validated_by),
                "validated_at": a.validated_at,
                "differs": bool(a.validated_rating and a.validated_rating != a.rating),
                "actions": list(a.actions.all()),
                "evidence": [
                    {
                        "id": link.evidence.pk,
                        "name": link.evidence.display_name,
                        "effective_on": link.evidence.effective_on,
                    }
                    for link in a.evidence_links.all()
                ],
                "comments": _comments(detail.threads.get(a.standard_id, [])),
            }
            for a in detail.answers
        ],
        "metric_values": [
            {
                "metric": m.metric.code,
                "name": m.metric.name,
                "unit": m.metric.unit,
                "computed": bool(m.metric.computed_from),
                "value": m.value,
                "computed_value": m.computed_value,
                "not_available_reason": m.not_available_reason,
                "rating": m.rating,
            }
            for m in detail.metric_values
        ],
        "comments": _comments(detail.threads.get(None, [])) if ret is not None else [],
        "may_validate": bool(
            ret is not None
            and ret.status == ReturnStatus.UNDER_REVIEW
            and submission is not None
            and can_review_return(user, ret)
        ),
    }


class HeatmapCell(GenericAPIView):
    """The answers behind one ICB's cell for one section in a quarter, as the
    cell's page shows them (for the ICBs you may read: England's for the
    national team, a region's for its team, its own for an ICB's)."""

    serializer_class = CellAnswersSerializer
    pagination_class = None
    queryset = QuarterlyReturn.objects.none()  # names the path's types in the schema

    @extend_schema(responses={200: CellAnswersSerializer, **problems(404)})
    def get(self, request, financial_year: int, quarter: int, code: str, section: str):
        icb = organisation_get_visible_by_code(request.user, code)
        if icb.kind != "icb":
            raise Http404("No such ICB.")
        period = period_get(financial_year, quarter)
        found = Section.objects.filter(version_id=period.toolkit_version_id, code=section).first()
        if found is None:
            raise Http404("No such section in this quarter's toolkit.")
        detail = cell_detail_get(user=request.user, period=period, icb=icb, section=found)
        return Response(CellAnswersSerializer(cell_data(request.user, detail)).data)
