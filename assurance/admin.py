"""The Django admin's window on quarterly returns: returns, their draft
answers and metric values, the submissions with what was submitted, and the
comments — read-only, like everything in the admin that a service owns
(`organisations.admin`). A return changes only through
`assurance.services` (with its audit event and its checks), and what was
submitted never changes at all: the database refuses it too. Audit events
are registered, read-only, in `organisations.admin`.

Evidence files are not shown here: they are downloaded only through the
view that checks scope (`assurance.views.returns.evidence_download`).
"""

from django.contrib import admin

from assurance.models import (
    Answer,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    ReturnComment,
    Submission,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
)
from organisations.admin import ReadOnlyAdminMixin


class _ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True
    # The related rows each inline names, read with the rows themselves.
    related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)


# --- Returns and their drafts -----------------------------------------------------


class SubmissionInline(_ReadOnlyInline):
    model = Submission
    fields = ["version", "submitted_at", "submitted_by_name", "submitted_by_role", "late"]


@admin.register(QuarterlyReturn)
class QuarterlyReturnAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One ICB's return for one period, and its submissions."""

    list_display = ["icb", "period", "status", "completed_by", "started_at"]
    list_filter = ["status", "period"]
    list_select_related = ["icb", "period", "completed_by"]
    search_fields = ["icb__name", "icb__code"]
    fields = [
        "icb",
        "period",
        "status",
        "completed_by",
        "started_at",
        "started_by",
        "returned_on",
        "returned_comment",
        "reopened_until",
        "reopened_reason",
    ]
    readonly_fields = fields
    inlines = [SubmissionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("icb", "period", "completed_by")


class ReturnActionInline(_ReadOnlyInline):
    model = ReturnAction
    fields = ["position", "description", "owner", "due_on", "status"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A draft answer to one standard, with its action plan."""

    list_display = ["quarterly_return", "standard", "rating", "revision", "updated_at"]
    list_filter = ["rating"]
    list_select_related = ["quarterly_return__icb", "quarterly_return__period", "standard"]
    search_fields = ["quarterly_return__icb__code", "standard__code"]
    fields = [
        "quarterly_return",
        "standard",
        "rating",
        "not_applicable_reason",
        "narrative",
        "explanation",
        "revision",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = fields
    inlines = [ReturnActionInline]


@admin.register(MetricValue)
class MetricValueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["quarterly_return", "metric", "value", "revision", "updated_at"]
    list_select_related = ["quarterly_return__icb", "quarterly_return__period", "metric"]
    search_fields = ["quarterly_return__icb__code", "metric__code"]
    fields = [
        "quarterly_return",
        "metric",
        "value",
        "not_available_reason",
        "computed_note",
        "revision",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = fields


# --- What was submitted -------------------------------------------------------------


class SubmittedAnswerInline(_ReadOnlyInline):
    model = SubmittedAnswer
    fields = ["standard", "rating", "register_holds", "validated_rating"]
    related = ("standard",)


class SubmittedMetricValueInline(_ReadOnlyInline):
    model = SubmittedMetricValue
    fields = ["metric", "value", "not_available_reason", "computed_value", "rating"]
    related = ("metric",)
    show_change_link = False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A version of a return as the approver signed it off, with its answers
    and metric values as submitted (open an answer for its action plan)."""

    list_display = ["quarterly_return", "version", "submitted_at", "submitted_by_name", "late"]
    list_filter = ["late"]
    list_select_related = ["quarterly_return__icb", "quarterly_return__period"]
    search_fields = ["quarterly_return__icb__code", "quarterly_return__icb__name"]
    fields = [
        "quarterly_return",
        "version",
        "submitted_at",
        "submitted_by",
        "submitted_by_name",
        "submitted_by_role",
        "declaration",
        "late",
    ]
    readonly_fields = fields
    inlines = [SubmittedAnswerInline, SubmittedMetricValueInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("quarterly_return__icb", "quarterly_return__period")
        )


class SubmittedActionInline(_ReadOnlyInline):
    model = SubmittedAction
    fields = ["position", "description", "owner", "due_on", "status"]
    show_change_link = False


@admin.register(SubmittedAnswer)
class SubmittedAnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A submitted answer, the register check of that day, the region's
    validated rating, and the action plan as submitted."""

    list_display = ["submission", "standard", "rating", "validated_rating"]
    list_filter = ["rating", "validated_rating"]
    list_select_related = [
        "submission__quarterly_return__icb",
        "submission__quarterly_return__period",
        "standard",
    ]
    search_fields = ["submission__quarterly_return__icb__code", "standard__code"]
    fields = [
        "submission",
        "standard",
        "rating",
        "not_applicable_reason",
        "narrative",
        "explanation",
        "register_holds",
        "register_check",
        "validated_rating",
        "validated_rationale",
        "validated_by",
        "validated_at",
    ]
    readonly_fields = fields
    inlines = [SubmittedActionInline]


# --- Comments -----------------------------------------------------------------------


@admin.register(ReturnComment)
class ReturnCommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Comments are never edited or deleted: a correction is a new comment."""

    list_display = ["created_at", "quarterly_return", "standard", "author_name", "author_role"]
    list_select_related = ["quarterly_return__icb", "quarterly_return__period", "standard"]
    search_fields = ["quarterly_return__icb__code", "author_name", "text"]
    fields = [
        "quarterly_return",
        "standard",
        "parent",
        "author",
        "author_name",
        "author_organisation",
        "author_role",
        "text",
        "created_at",
    ]
    readonly_fields = fields
