"""What the API shows of the toolkit, periods and returns, and what it takes
in: explicit serializers, one per shape, never a model serializer that would
expose a field by accident. Input serializers check only the shape (types,
choices, lengths a client can fix); the rules stay in the services."""

from __future__ import annotations

from rest_framework import serializers

from assurance.models import ActionStatus, ReturnStatus, SelfRating
from assurance.models.returns import EXPLANATION_MAX_LENGTH, NARRATIVE_MAX_LENGTH
from assurance.services.submissions import COMMENT_MAX_LENGTH, VALIDATED_RATINGS
from organisations.api.serializers import OrganisationLinkSerializer
from saaf.api import TEXT_VALIDATORS

# The pages' text fields refuse invisible control characters: so does the API.
_TEXT = TEXT_VALIDATORS


class OneOf(serializers.ChoiceField):
    """A choice whose refusal names every value allowed."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(c) for c in self.choices if c != "") or "nothing"
        blank = " (or empty)" if "" in self.choices else ""
        self.error_messages["invalid_choice"] = f'"{{input}}" is not one of {allowed}{blank}.'


# --- Toolkit ------------------------------------------------------------------------


class ToolkitVersionSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField(help_text="The year the financial year starts.")
    label = serializers.CharField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    section_count = serializers.IntegerField()
    standard_count = serializers.IntegerField()
    metric_count = serializers.IntegerField()


class StandardSerializer(serializers.Serializer):
    code = serializers.CharField()
    statement = serializers.CharField()
    guidance = serializers.CharField(allow_blank=True)
    evidence = serializers.CharField(allow_blank=True)
    theme = serializers.IntegerField(allow_null=True)
    register_scope = serializers.CharField(allow_blank=True)
    register_note = serializers.CharField(allow_blank=True)


class MetricSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    green = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    amber = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    computed_from = serializers.CharField(
        allow_blank=True, help_text="Set when the portal computes it: it is never typed."
    )


class SectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    saaf_reference = serializers.CharField(allow_blank=True)
    standards = StandardSerializer(many=True)
    metrics = MetricSerializer(many=True)


class ToolkitVersionDetailSerializer(ToolkitVersionSerializer):
    sections = SectionSerializer(many=True)


# --- Periods --------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    financial_year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    label = serializers.CharField()
    theme = serializers.CharField(allow_blank=True)
    toolkit_version = serializers.IntegerField(source="toolkit_version.financial_year")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    opens_on = serializers.DateField()
    due_on = serializers.DateField()
    closes_on = serializers.DateField()


class ExpectedIcbSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="The return's status, or `not_started`.")


class PeriodDetailSerializer(PeriodSerializer):
    state = serializers.CharField()
    expected_count = serializers.IntegerField(help_text="ICBs that must return, nationally.")
    expected_icbs = ExpectedIcbSerializer(
        many=True, help_text="The expected ICBs you may read, with their return's status."
    )


class CompletenessSerializer(serializers.Serializer):
    """Expected ICBs against submitted, on time and late, by region and for
    England (`region_code` null): the selector the lists and reports read."""

    region_code = serializers.CharField(allow_null=True)
    region_name = serializers.CharField()
    expected = serializers.IntegerField()
    submitted = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    not_submitted = serializers.IntegerField()
    accepted = serializers.IntegerField()
    missing = serializers.IntegerField()
    draft = serializers.IntegerField()
    awaiting_review = serializers.IntegerField()
    under_review = serializers.IntegerField()
    returned = serializers.IntegerField()


# --- Returns --------------------------------------------------------------------------


class ActionSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=2_000, validators=_TEXT)
    owner = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default="", validators=_TEXT
    )
    due_on = serializers.DateField(allow_null=True, required=False, default=None)
    status = OneOf(choices=ActionStatus.choices, required=False, default=ActionStatus.NOT_STARTED)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Download it from /api/v1/evidence/{id}/.")
    name = serializers.CharField(source="display_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    effective_on = serializers.DateField()


class AnswerSerializer(serializers.Serializer):
    standard = serializers.CharField()
    rating = serializers.CharField(allow_blank=True)
    not_applicable_reason = serializers.CharField(allow_blank=True)
    narrative = serializers.CharField(allow_blank=True)
    explanation = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField(help_text="Send it back when you save.")
    actions = ActionSerializer(many=True)
    evidence_files = EvidenceSerializer(many=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    """One standard's answer, saved whole: what is left out is saved empty."""

    rating = OneOf(choices=["", *SelfRating.values], allow_blank=True, required=False, default="")
    not_applicable_reason = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=5_000, validators=_TEXT
    )
    narrative = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=NARRATIVE_MAX_LENGTH,
        validators=_TEXT,
    )
    explanation = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=EXPLANATION_MAX_LENGTH,
        validators=_TEXT,
    )
    actions = ActionSerializer(many=True, required=False, default=list, max_length=50)
    revision = serializers.IntegerField(
        min_value=0, help_text="The revision you read; 0 for a standard not yet answered."
    )


class MetricValueSerializer(serializers.Serializer):
    metric = serializers.CharField()
    value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    not_available_reason = serializers.CharField(allow_blank=True)
    computed_note = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField()


class AsTyped(serializers.DecimalField):
    """A decimal checked for its digits and kept as typed ("3" stays 3, not
    3.00), as the page's form keeps it: the audit trail reads the same."""

    def quantize(self, value):
        return value


class MetricValueInputSerializer(serializers.Serializer):
    value = AsTyped(max_digits=12, decimal_places=2, allow_null=True, required=False, default=None)
    not_available_reason = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=5_000, validators=_TEXT
    )
    revision = serializers.IntegerField(min_value=0)


class ReturnSerializer(serializers.Serializer):
    icb = OrganisationLinkSerializer()
    financial_year = serializers.IntegerField(source="period.financial_year")
    quarter = serializers.IntegerField(source="period.quarter")
    period = serializers.CharField(source="period.label")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    completed_by = OrganisationLinkSerializer(allow_null=True)
    started_at = serializers.DateTimeField()
    returned_comment = serializers.CharField(allow_blank=True)
    closes_on = serializers.DateField(help_text="The last day it can be changed and submitted.")


class ReturnPermissionsSerializer(serializers.Serializer):
    can_edit = serializers.BooleanField()
    can_submit = serializers.BooleanField()
    can_review = serializers.BooleanField()
    can_comment = serializers.BooleanField()
    refusal = serializers.CharField(
        allow_null=True, help_text="Why it cannot be changed now, as the page says."
    )


class ReturnDetailSerializer(ReturnSerializer):
    allowed = ReturnPermissionsSerializer()
    answers = AnswerSerializer(many=True)
    metric_values = MetricValueSerializer(many=True)


class ReturnStartSerializer(serializers.Serializer):
    icb = serializers.CharField(max_length=20, help_text="The ICB's ODS code.")
    financial_year = serializers.IntegerField(min_value=2022, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class CheckProblemSerializer(serializers.Serializer):
    section = serializers.CharField()
    code = serializers.CharField(help_text="The standard's or metric's code.")
    kind = serializers.CharField()
    message = serializers.CharField()


class ReturnCheckSerializer(serializers.Serializer):
    passes = serializers.BooleanField()
    count = serializers.IntegerField()
    problems = CheckProblemSerializer(many=True)


def check_problems(check) -> list[dict]:
    """The completeness check's problems, each with its section and code."""
    return [
        {
            "section": s.section.section.code,
            "code": p.code,
            "kind": str(p.kind.value if hasattr(p.kind, "value") else p.kind),
            "message": p.message,
        }
        for s in check.sections
        for p in s.problems
    ]


class SubmitSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(
        help_text="True to confirm the return is accurate, as the approver's declaration."
    )


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH, validators=_TEXT)
    standard = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A standard's code, or empty."
    )
    parent = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The id of the comment answered."
    )


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    standard = serializers.CharField(allow_null=True)
    parent = serializers.IntegerField(allow_null=True)
    author_name = serializers.CharField()
    author_organisation = serializers.CharField()
    author_role = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        validators=_TEXT,
    )


class ValidatedRatingInputSerializer(serializers.Serializer):
    rating = OneOf(choices=list(VALIDATED_RATINGS))
    rationale = serializers.CharField(max_length=COMMENT_MAX_LENGTH, validators=_TEXT)


class SubmittedActionSerializer(serializers.Serializer):
    description = serializers.CharField()
    owner = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class SubmittedAnswerSerializer(serializers.Serializer):
    standard = serializers.CharField(source="standard.code")
    rating = serializers.CharField(allow_blank=True)
    not_applicable_reason = serializers.CharField(allow_blank=True)
    narrative = serializers.CharField(allow_blank=True)
    explanation = serializers.CharField(allow_blank=True)
    register_holds = serializers.BooleanField(allow_null=True)
    validated_rating = serializers.CharField(allow_null=True)
    validated_rationale = serializers.CharField(allow_null=True)
    actions = SubmittedActionSerializer(many=True)


class SubmittedMetricValueSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.code")
    value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    not_available_reason = serializers.CharField(allow_blank=True)
    computed_value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    rating = serializers.CharField(allow_blank=True)


class SubmissionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    submitted_by_name = serializers.CharField()
    submitted_by_role = serializers.CharField()
    declaration = serializers.CharField()
    late = serializers.BooleanField()


class SubmissionDetailSerializer(SubmissionSerializer):
    answers = SubmittedAnswerSerializer(many=True)
    metric_values = SubmittedMetricValueSerializer(many=True)
