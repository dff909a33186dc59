"""Quarterly returns through the API: the same services and fetch helpers as
the pages, so the same people may do the same things, refused with the same
words. A return is named as on the pages: ICB code, financial year, quarter.
One out of the caller's scope is "Not found.", exactly as a missing one."""

from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from assurance.api.serializers import (
    AnswerInputSerializer,
    AnswerSerializer,
    CommentInputSerializer,
    CommentSerializer,
    EvidenceSerializer,
    MetricValueInputSerializer,
    MetricValueSerializer,
    ReturnCheckSerializer,
    ReturnDetailSerializer,
    ReturnSerializer,
    ReturnStartSerializer,
    ReviewCommentSerializer,
    SubmissionDetailSerializer,
    SubmissionSerializer,
    SubmitSerializer,
    SubmittedAnswerSerializer,
    ValidatedRatingInputSerializer,
    check_problems,
)
from assurance.models import (
    Answer,
    AnswerEvidence,
    EvidenceFile,
    Metric,
    MetricValue,
    QuarterlyReturn,
    ReturnStatus,
    Standard,
    SubmittedAnswer,
)
from assurance.permissions import (
    can_comment_on_return,
    can_edit_return,
    can_review_return,
    can_submit_return,
    metric_get,
    period_get,
    return_get_visible,
    return_lock_refusal,
    return_state_refusal,
    standard_get,
    submission_closes_on,
)
from assurance.return_check import return_problems
from assurance.services import comments as comment_services
from assurance.services import returns as services
from assurance.services import submissions
from organisations.permissions import organisation_get_visible_by_code
from saaf.api import problems
from saaf.api_errors import ApiConflict, conflict_current, field_errors

RETURN_PATH = "returns/<str:code>/<int:financial_year>/<int:quarter>/"


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ReturnFilter(django_filters.FilterSet):
    financial_year = WholeNumberFilter(field_name="period__financial_year")
    quarter = django_filters.TypedChoiceFilter(
        field_name="period__quarter", choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int
    )
    icb = django_filters.CharFilter(field_name="icb__code", help_text="The ICB's ODS code.")
    region = django_filters.CharFilter(field_name="icb__parent__code")
    status = django_filters.ChoiceFilter(choices=ReturnStatus.choices)

    class Meta:
        model = QuarterlyReturn
        fields = ["financial_year", "quarter", "icb", "region", "status"]


def _return_data(ret: QuarterlyReturn) -> dict:
    return {
        "icb": ret.icb,
        "period": ret.period,
        "status": ret.status,
        "completed_by": ret.completed_by,
        "started_at": ret.started_at,
        "returned_comment": ret.returned_comment,
        "closes_on": submission_closes_on(ret),
    }


def _answer_data(standard: Standard, answer: Answer | None) -> dict:
    return {
        "standard": standard.code,
        "rating": answer.rating if answer else "",
        "not_applicable_reason": answer.not_applicable_reason if answer else "",
        "narrative": answer.narrative if answer else "",
        "explanation": answer.explanation if answer else "",
        "revision": answer.revision if answer else 0,
        "actions": list(answer.actions.all()) if answer else [],
        "evidence_files": [link.evidence for link in answer.evidence_links.all()] if answer else [],
        "updated_at": answer.updated_at if answer else None,
    }


def _metric_data(metric: Metric, value: MetricValue | None) -> dict:
    return {
        "metric": metric.code,
        "value": value.value if value else None,
        "not_available_reason": value.not_available_reason if value else "",
        "computed_note": value.computed_note if value else "",
        "revision": value.revision if value else 0,
    }


def _answers(ret: QuarterlyReturn, standard: Standard | None = None) -> list[Answer]:
    rows = Answer.objects.filter(quarterly_return=ret).prefetch_related(
        "actions",
        Prefetch("evidence_links", queryset=AnswerEvidence.objects.select_related("evidence")),
    )
    if standard is not None:
        rows = rows.filter(standard=standard)
    return list(rows)


class ReturnList(GenericAPIView):
    """The returns you may read (newest period first), and starting one."""

    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter

    def get_queryset(self):
        return (
            QuarterlyReturn.objects.visible_to(self.request.user)
            .select_related("icb__parent", "completed_by", "period__toolkit_version")
            .order_by("-period__financial_year", "-period__quarter", "icb__code", "pk")
        )

    @extend_schema(responses={200: ReturnSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(
            ReturnSerializer([_return_data(r) for r in page], many=True).data
        )

    @extend_schema(
        request=ReturnStartSerializer,
        responses={200: ReturnSerializer, 201: ReturnSerializer, **problems(400, 403, 404)},
        description="Start the ICB's return for the period (201), or get the one already "
        "started (200). Its editors and approver start it; a dissolved ICB's by its successor.",
    )
    def post(self, request):
        given = ReturnStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        icb = organisation_get_visible_by_code(request.user, given.validated_data["icb"])
        if icb.kind != "icb":
            raise Http404("No such ICB.")
        period = period_get(given.validated_data["financial_year"], given.validated_data["quarter"])
        existed = QuarterlyReturn.objects.filter(icb=icb, period=period).exists()
        ret = services.quarterly_return_start(actor=request.user, icb=icb, period=period)
        ret = return_get_visible(request.user, icb.code, period.financial_year, period.quarter)
        return Response(
            ReturnSerializer(_return_data(ret)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class ReturnDetail(GenericAPIView):
    """One return: every standard's answer and every metric's value (unanswered
    ones empty, at revision 0), and what you may do with it now."""

    serializer_class = ReturnDetailSerializer

    @extend_schema(responses={200: ReturnDetailSerializer, **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        version = ret.period.toolkit_version
        answers = {a.standard_id: a for a in _answers(ret)}
        values = {v.metric_id: v for v in MetricValue.objects.filter(quarterly_return=ret)}
        standards = version.standards.order_by("section__position", "position", "code")
        metrics = version.metrics.order_by("section__position", "position", "code")
        refusal = return_state_refusal(ret) or return_lock_refusal(ret)
        data = {
            **_return_data(ret),
            "allowed": {
                "can_edit": can_edit_return(request.user, ret),
                "can_submit": can_submit_return(request.user, ret) and ret.is_draft,
                "can_review": can_review_return(request.user, ret),
                "can_comment": can_comment_on_return(request.user, ret),
                "refusal": refusal,
            },
            "answers": [_answer_data(s, answers.get(s.pk)) for s in standards],
            "metric_values": [_metric_data(m, values.get(m.pk)) for m in metrics],
        }
        return Response(ReturnDetailSerializer(data).data)


class AnswerDetail(GenericAPIView):
    """One standard's answer in a draft: read it, or save it whole — rating,
    reasons, narrative and action plan — from the revision you read."""

    serializer_class = AnswerSerializer
    pagination_class = None

    @extend_schema(responses={200: AnswerSerializer, **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int, standard: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        item = standard_get(ret.period.toolkit_version, standard)
        found = _answers(ret, item)
        return Response(AnswerSerializer(_answer_data(item, found[0] if found else None)).data)

    @extend_schema(
        request=AnswerInputSerializer,
        responses={200: AnswerSerializer, **problems(400, 403, 404, 409)},
    )
    def put(self, request, code: str, financial_year: int, quarter: int, standard: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        item = standard_get(ret.period.toolkit_version, standard)
        given = AnswerInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        services.answer_save(
            actor=request.user,
            quarterly_return=ret,
            standard=item,
            answer=services.AnswerInput(
                rating=data["rating"],
                not_applicable_reason=data["not_applicable_reason"],
                narrative=data["narrative"],
                explanation=data["explanation"],
                actions=[services.ActionInput(**a) for a in data["actions"]],
            ),
            revision=data["revision"],
        )
        found = _answers(ret, item)
        return Response(AnswerSerializer(_answer_data(item, found[0] if found else None)).data)


class MetricValueDetail(GenericAPIView):
    """One metric's figure in a draft (or why it is not available), saved from
    the revision you read. Computed metrics are the portal's: never typed."""

    serializer_class = MetricValueSerializer
    pagination_class = None

    @extend_schema(responses={200: MetricValueSerializer, **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int, metric: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        item = metric_get(ret.period.toolkit_version, metric)
        value = MetricValue.objects.filter(quarterly_return=ret, metric=item).first()
        return Response(MetricValueSerializer(_metric_data(item, value)).data)

    @extend_schema(
        request=MetricValueInputSerializer,
        responses={200: MetricValueSerializer, **problems(400, 403, 404, 409)},
    )
    def put(self, request, code: str, financial_year: int, quarter: int, metric: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        item = metric_get(ret.period.toolkit_version, metric)
        given = MetricValueInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        value = services.metric_value_save(
            actor=request.user,
            quarterly_return=ret,
            metric=item,
            value=given.validated_data["value"],
            not_available_reason=given.validated_data["not_available_reason"],
            revision=given.validated_data["revision"],
        )
        return Response(MetricValueSerializer(_metric_data(item, value)).data)


class ReturnCheck(GenericAPIView):
    """The completeness check the approver's submission must pass, as the page runs it."""

    serializer_class = ReturnCheckSerializer
    pagination_class = None

    @extend_schema(responses={200: ReturnCheckSerializer, **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        check = return_problems(ret)
        return Response(
            ReturnCheckSerializer(
                {"passes": check.passes, "count": check.count, "problems": check_problems(check)}
            ).data
        )


class ReturnSubmit(GenericAPIView):
    """The approver signs the return off with the declaration: the check runs
    first and every problem is listed if it fails. Keeps the next version."""

    serializer_class = SubmitSerializer
    pagination_class = None

    @extend_schema(
        request=SubmitSerializer,
        responses={201: SubmissionSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        given = SubmitSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        submission = submissions.quarterly_return_submit(
            actor=request.user,
            quarterly_return=ret,
            declaration=given.validated_data["declaration"],
        )
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class _ReviewAction(GenericAPIView):
    serializer_class = ReviewCommentSerializer
    pagination_class = None

    def act(self, request, ret, comment: str) -> None:
        raise NotImplementedError

    def post(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        given = ReviewCommentSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        self.act(request, ret, given.validated_data["comment"])
        ret = return_get_visible(request.user, code, financial_year, quarter)
        return Response(ReturnSerializer(_return_data(ret)).data)


_review_schema = extend_schema(
    request=ReviewCommentSerializer,
    responses={200: ReturnSerializer, **problems(400, 403, 404)},
)


@_review_schema
class ReviewStart(_ReviewAction):
    """The region's safeguarding lead starts reviewing a submitted return."""

    def act(self, request, ret, comment):
        submissions.quarterly_return_review_start(actor=request.user, quarterly_return=ret)


@_review_schema
class ReviewAccept(_ReviewAction):
    """The lead accepts the return under review, with an optional comment."""

    def act(self, request, ret, comment):
        submissions.quarterly_return_accept(
            actor=request.user, quarterly_return=ret, comment=comment
        )


@_review_schema
class ReviewReturn(_ReviewAction):
    """The lead returns it to the ICB for changes, saying what to change (required)."""

    def act(self, request, ret, comment):
        submissions.quarterly_return_send_back(
            actor=request.user, quarterly_return=ret, comment=comment
        )


class ValidatedRating(GenericAPIView):
    """The lead's validated rating and rationale for one standard of the latest
    version under review."""

    serializer_class = ValidatedRatingInputSerializer
    pagination_class = None

    @extend_schema(
        request=ValidatedRatingInputSerializer,
        responses={200: SubmittedAnswerSerializer, **problems(400, 403, 404)},
    )
    def put(self, request, code: str, financial_year: int, quarter: int, standard: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        latest = ret.submissions.order_by("-version").first()
        answer = (
            SubmittedAnswer.objects.filter(submission=latest, standard__code=standard)
            .select_related("standard", "submission")
            .first()
            if latest
            else None
        )
        if answer is None:
            raise Http404("No such standard in the latest submission.")
        given = ValidatedRatingInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        submissions.submitted_answer_validate(
            actor=request.user,
            submitted_answer=answer,
            rating=given.validated_data["rating"],
            rationale=given.validated_data["rationale"],
        )
        answer = (
            SubmittedAnswer.objects.select_related("standard")
            .prefetch_related("actions")
            .get(pk=answer.pk)
        )
        return Response(SubmittedAnswerSerializer(_submitted_answer(answer)).data)


def _submitted_answer(answer: SubmittedAnswer) -> dict:
    return {
        "standard": answer.standard,
        "rating": answer.rating,
        "not_applicable_reason": answer.not_applicable_reason,
        "narrative": answer.narrative,
        "explanation": answer.explanation,
        "register_holds": answer.register_holds,
        "validated_rating": answer.validated_rating,
        "validated_rationale": answer.validated_rationale,
        "actions": list(answer.actions.all()),
    }


class CommentList(GenericAPIView):
    """The comments on the return (oldest first), and adding one: on the
    return, on a standard, or as a reply."""

    serializer_class = CommentSerializer
    queryset = QuarterlyReturn.objects.none()  # names the path's types in the schema

    def _comments(self, ret):
        return ret.comments.select_related("standard", "author_organisation").order_by(
            "created_at", "pk"
        )

    @extend_schema(responses={200: CommentSerializer(many=True), **problems(400, 404)})
    def get(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        page = self.paginate_queryset(self._comments(ret))
        return self.get_paginated_response(
            CommentSerializer([_comment(c) for c in page], many=True).data
        )

    @extend_schema(
        request=CommentInputSerializer,
        responses={201: CommentSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        given = CommentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        standard = None
        if given.validated_data["standard"]:
            standard = standard_get(ret.period.toolkit_version, given.validated_data["standard"])
        parent = None
        if given.validated_data["parent"] is not None:
            parent = ret.comments.filter(pk=given.validated_data["parent"]).first()
            if parent is None:
                raise Http404("No such comment.")
        comment = comment_services.return_comment_add(
            actor=request.user,
            quarterly_return=ret,
            text=given.validated_data["text"],
            standard=standard,
            parent=parent,
        )
        comment = self._comments(ret).get(pk=comment.pk)
        return Response(CommentSerializer(_comment(comment)).data, status=status.HTTP_201_CREATED)


def _comment(c) -> dict:
    return {
        "id": c.pk,
        "standard": c.standard.code if c.standard_id else None,
        "parent": c.parent_id,
        "author_name": c.author_name,
        "author_organisation": c.author_organisation.name,
        "author_role": c.author_role,
        "text": c.text,
        "created_at": c.created_at,
    }


class SubmissionList(GenericAPIView):
    """The return's submitted versions, the first first. Never changed once made."""

    serializer_class = SubmissionSerializer
    queryset = QuarterlyReturn.objects.none()

    @extend_schema(responses={200: SubmissionSerializer(many=True), **problems(400, 404)})
    def get(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        page = self.paginate_queryset(ret.submissions.order_by("version", "pk"))
        return self.get_paginated_response(SubmissionSerializer(page, many=True).data)


class SubmissionDetail(GenericAPIView):
    """One submitted version as it was submitted, with the region's validated ratings."""

    serializer_class = SubmissionDetailSerializer
    pagination_class = None

    @extend_schema(responses={200: SubmissionDetailSerializer, **problems(404)})
    def get(self, request, code: str, financial_year: int, quarter: int, version: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        submission = ret.submissions.filter(version=version).first()
        if submission is None:
            raise Http404("No such version.")
        answers = submission.answers.select_related("standard").prefetch_related("actions")
        values = submission.metric_values.select_related("metric")
        data = {
            **{name: getattr(submission, name) for name in SubmissionSerializer().fields},
            "answers": [
                _submitted_answer(a)
                for a in answers.order_by("standard__section__position", "standard__position")
            ],
            "metric_values": list(values.order_by("metric__position", "metric__code")),
        }
        return Response(SubmissionDetailSerializer(data).data)


class BulkAnswersInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=AnswerInputSerializer(),
        required=False,
        default=dict,
        help_text="By standard code: each answer whole, with the revision you read.",
    )
    metric_values = serializers.DictField(
        child=MetricValueInputSerializer(),
        required=False,
        default=dict,
        help_text="By metric code: a figure or why it is not available, with its revision.",
    )


class BulkAnswersResultSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)
    metric_values = MetricValueSerializer(many=True)


class BulkAnswers(GenericAPIView):
    """Save many answers and metric values of a draft at once, all or nothing:
    one invalid field, stale revision or refusal and nothing is saved. Errors
    name the item: `answers[LG3].rating`, `metric_values[PREVENT_TRAINED].value`."""

    serializer_class = BulkAnswersInputSerializer
    pagination_class = None

    @extend_schema(
        request=BulkAnswersInputSerializer,
        responses={200: BulkAnswersResultSerializer, **problems(400, 403, 404, 409)},
    )
    def patch(self, request, code: str, financial_year: int, quarter: int):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        version = ret.period.toolkit_version
        given = request.data if isinstance(request.data, dict) else {}
        errors: dict[str, list[str]] = {}
        answers, values = {}, {}
        for kind, serializer_class, into in (
            ("answers", AnswerInputSerializer, answers),
            ("metric_values", MetricValueInputSerializer, values),
        ):
            items = given.get(kind, {})
            if not isinstance(items, dict):
                errors[kind] = ["Give an object keyed by code."]
                continue
            for item_code, item in items.items():
                one = serializer_class(data=item)
                if not one.is_valid():
                    for path, messages in field_errors(one.errors).items():
                        errors[f"{kind}[{item_code}]" + (f".{path}" if path else "")] = messages
                else:
                    into[item_code] = one.validated_data
        standards = {s.code: s for s in version.standards.filter(code__in=list(answers))}
        metrics = {m.code: m for m in version.metrics.filter(code__in=list(values))}
        for item_code in answers.keys() - standards.keys():
            errors[f"answers[{item_code}]"] = [f"{item_code} is not a standard of this toolkit."]
        for item_code in values.keys() - metrics.keys():
            errors[f"metric_values[{item_code}]"] = [
                f"{item_code} is not a metric of this toolkit."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        try:
            with transaction.atomic():
                for item_code, data in answers.items():
                    with _naming(f"answers[{item_code}]"):
                        services.answer_save(
                            actor=request.user,
                            quarterly_return=ret,
                            standard=standards[item_code],
                            answer=services.AnswerInput(
                                rating=data["rating"],
                                not_applicable_reason=data["not_applicable_reason"],
                                narrative=data["narrative"],
                                explanation=data["explanation"],
                                actions=[services.ActionInput(**a) for a in data["actions"]],
                            ),
                            revision=data["revision"],
                        )
                for item_code, data in values.items():
                    with _naming(f"metric_values[{item_code}]"):
                        services.metric_value_save(
                            actor=request.user,
                            quarterly_return=ret,
                            metric=metrics[item_code],
                            value=data["value"],
                            not_available_reason=data["not_available_reason"],
                            revision=data["revision"],
                        )
        except services.AnswerConflict as conflict:
            current = {"item": conflict.item, **conflict_current(conflict)}
            raise ApiConflict(f"{conflict.item}: {conflict}", current=current) from None
        saved = {a.standard_id: a for a in _answers(ret)}
        stored = {v.metric_id: v for v in MetricValue.objects.filter(quarterly_return=ret)}
        return Response(
            BulkAnswersResultSerializer(
                {
                    "answers": [_answer_data(s, saved.get(s.pk)) for s in standards.values()],
                    "metric_values": [_metric_data(m, stored.get(m.pk)) for m in metrics.values()],
                }
            ).data
        )


@contextmanager
def _naming(item: str):
    """Put the item's name (`answers[LG3]`) on a service's refusal or conflict."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise DjangoValidationError(
                {
                    f"{item}.{name}" if name != "__all__" else item: messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        raise DjangoValidationError({item: error.messages}) from None
    except services.AnswerConflict as conflict:
        conflict.item = item
        raise


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, Word, Excel, image or text; checked by content.")
    effective_on = serializers.DateField(help_text="The day the evidence speaks for.")


class AnswerEvidenceList(GenericAPIView):
    """Add an evidence file to one standard's answer in a draft (multipart)."""

    serializer_class = EvidenceUploadSerializer
    parser_classes = [MultiPartParser]
    pagination_class = None

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **problems(400, 403, 404)},
    )
    def post(self, request, code: str, financial_year: int, quarter: int, standard: str):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        item = standard_get(ret.period.toolkit_version, standard)
        given = EvidenceUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        link = services.evidence_upload(
            actor=request.user,
            quarterly_return=ret,
            standard=item,
            uploaded=given.validated_data["file"],
            effective_on=given.validated_data["effective_on"],
        )
        return Response(EvidenceSerializer(link.evidence).data, status=status.HTTP_201_CREATED)


class AnswerEvidenceDetail(GenericAPIView):
    """Take an evidence file off one standard's answer in a draft."""

    serializer_class = EvidenceSerializer
    pagination_class = None

    @extend_schema(responses={204: None, **problems(400, 403, 404)})
    def delete(
        self, request, code: str, financial_year: int, quarter: int, standard: str, evidence: int
    ):
        ret = return_get_visible(request.user, code, financial_year, quarter)
        link = (
            AnswerEvidence.objects.filter(
                answer__quarterly_return=ret, answer__standard__code=standard, evidence_id=evidence
            )
            .select_related("answer__standard", "evidence")
            .first()
        )
        if link is None:
            raise Http404("No such file on this answer.")
        services.evidence_unlink(actor=request.user, quarterly_return=ret, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceDownload(GenericAPIView):
    """An evidence file's content, to those who may read its ICB's returns."""

    serializer_class = EvidenceSerializer
    pagination_class = None
    queryset = EvidenceFile.objects.none()

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment, in its own type."
            ),
            **problems(404),
        }
    )
    def get(self, request, evidence: int):
        found = EvidenceFile.objects.visible_to(request.user).filter(pk=evidence).first()
        if found is None:
            raise Http404("No such file.")
        try:
            handle = default_storage.open(found.storage_name, "rb")
        except FileNotFoundError:
            raise Http404("No such file.") from None
        response = FileResponse(
            handle, as_attachment=True, filename=found.display_name, content_type=found.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
