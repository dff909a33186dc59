"""The quarterly return: an ICB's assurance against the toolkit for one period.

One return per ICB per reporting period (the ICB that existed on the
quarter's last day). Its answers are rows — one per standard, one per metric —
so heatmaps, rollups and the API aggregate them in SQL; never a JSON blob.
Drafts save what is typed: an incomplete answer (red with no action yet, not
applicable with no reason yet, an empty metric) is kept and shown with a
warning; only what is invalid in itself (a rating that does not exist, a
percentage of 140, an impossible date) is refused. Each answer carries a
revision, so two people saving the same standard cannot overwrite each other
unseen (see `assurance.services.returns`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from organisations.models import Organisation
from organisations.scoping import ScopedQuerySet

NARRATIVE_MAX_LENGTH = 10_000
EXPLANATION_MAX_LENGTH = 2_000


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned for changes"


class QuarterlyReturn(models.Model):
    """What one ICB tells NHS England about one quarter. A dissolved ICB's
    outstanding return stays its own (it belongs to the ICB of its period) and
    is completed by the successor named in `completed_by`: set at once where
    the ICB had one successor, by the national admin where it split."""

    icb = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="quarterly_returns",
        limit_choices_to={"kind": "icb"},
    )
    period = models.ForeignKey(
        "assurance.ReportingPeriod", on_delete=models.PROTECT, related_name="returns"
    )
    status = models.CharField(
        max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    completed_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns_completed_for_predecessors",
        help_text="For a dissolved ICB: the successor whose team completes this return.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_comment = models.TextField(
        blank=True, help_text="The region's covering comment when it last returned the return."
    )
    returned_on = models.DateField(
        null=True, blank=True, help_text="The day (Europe/London) the region last returned it."
    )
    reopened_until = models.DateField(
        null=True,
        blank=True,
        help_text="The closing date the national team set when it last reopened the return.",
    )
    reopened_reason = models.TextField(
        blank=True, help_text="Why the national team last reopened the return."
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "icb"
    scope_path_is_icb = True  # an ICB's, never another kind's (organisations.scoping)

    class Meta:
        ordering = ["period__financial_year", "period__quarter", "icb__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["icb", "period"],
                name="return_one_per_icb_per_period",
                violation_error_message="This ICB already has a return for that period.",
            ),
            models.CheckConstraint(
                name="return_not_completed_by_itself",
                condition=Q(completed_by__isnull=True) | ~Q(completed_by=models.F("icb")),
                violation_error_message="An ICB completes its own return without naming itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icb.code} {self.period.label}"

    @property
    def toolkit_version(self):
        return self.period.toolkit_version

    @property
    def is_draft(self) -> bool:
        return self.status in (ReturnStatus.DRAFT, ReturnStatus.RETURNED)


class SelfRating(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Answer(models.Model):
    """The ICB's answer to one standard: its self-assessed rating, why a
    standard does not apply, and the narrative evidence. Saved whole with its
    actions or not at all; `revision` counts the saves."""

    quarterly_return = models.ForeignKey(
        QuarterlyReturn, on_delete=models.CASCADE, related_name="answers"
    )
    standard = models.ForeignKey(
        "assurance.Standard", on_delete=models.PROTECT, related_name="answers"
    )
    rating = models.CharField(max_length=20, choices=SelfRating.choices, blank=True)
    not_applicable_reason = models.TextField(blank=True)
    narrative = models.TextField(blank=True, validators=[MaxLengthValidator(NARRATIVE_MAX_LENGTH)])
    explanation = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(EXPLANATION_MAX_LENGTH)],
        help_text="Why green stands although the posts register shows a finding the "
        "standard's rule counts (shown to the region beside the finding).",
    )
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Carried forward (`assurance.services.carry_forward`): the accepted
    # submission the answer was copied from — the ICB's own or, across the
    # April 2026 reorganisation, a predecessor's. Until someone confirms it or
    # changes it (`confirmed_at`), it is "carried forward — confirm or change"
    # and the completeness check counts it as a problem.
    carried_from = models.ForeignKey(
        "assurance.Submission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The accepted submission this answer was carried forward from.",
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a carried-forward answer was confirmed or changed."
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    carried_changed = models.BooleanField(
        default=False, help_text="A carried-forward answer someone has since changed."
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "quarterly_return__icb"

    class Meta:
        ordering = ["standard__section__position", "standard__position", "standard__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["quarterly_return", "standard"], name="answer_one_per_standard"
            ),
            models.CheckConstraint(
                name="answer_rating_known",
                condition=Q(rating__in=["", *SelfRating.values]),
                violation_error_message="A rating is red, amber, green or not applicable.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarterly_return} {self.standard.code}"

    @property
    def awaits_confirmation(self) -> bool:
        """Carried forward and neither confirmed nor changed since."""
        return self.carried_from_id is not None and self.confirmed_at is None

    @property
    def confirmed_unchanged(self) -> bool:
        return (
            self.carried_from_id is not None
            and self.confirmed_at is not None
            and not self.carried_changed
        )


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class ReturnAction(models.Model):
    """One step of the action plan a red or amber answer needs. The owner is a
    role or team ("Designated nurse, safeguarding children"), never a patient."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(validators=[MaxLengthValidator(2_000)])
    owner = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:80]

    def is_overdue_on(self, day: datetime.date) -> bool:
        return self.status != ActionStatus.DONE and self.due_on is not None and self.due_on < day


class MetricValue(models.Model):
    """The return's figure for one metric: a value in the metric's unit, or
    why it is not available. Computed metrics are filled by the portal and
    say how (`computed_note`)."""

    quarterly_return = models.ForeignKey(
        QuarterlyReturn, on_delete=models.CASCADE, related_name="metric_values"
    )
    metric = models.ForeignKey("assurance.Metric", on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    not_available_reason = models.TextField(blank=True)
    computed_note = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "quarterly_return__icb"

    class Meta:
        ordering = ["metric__section__position", "metric__position", "metric__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["quarterly_return", "metric"], name="metric_value_one_per_metric"
            ),
            models.CheckConstraint(
                name="metric_value_not_negative",
                condition=Q(value__isnull=True) | Q(value__gte=0),
                violation_error_message="A figure cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarterly_return} {self.metric.code}"

    def clean(self) -> None:
        from assurance.models.toolkit import MetricUnit

        if self.value is None or not self.metric_id:
            return
        unit = self.metric.unit
        if unit == MetricUnit.PERCENT and not (0 <= self.value <= 100):
            raise ValidationError({"value": "A percentage is between 0 and 100."})
        if unit == MetricUnit.COUNT and self.value != self.value.to_integral_value():
            raise ValidationError({"value": "A count is a whole number, such as 3."})
        if self.value < 0:
            raise ValidationError(
                {"value": f"{self.metric.get_unit_display()} cannot be negative."}
            )


class EvidenceFile(models.Model):
    """A file an ICB holds as evidence (minutes, audits, training reports).
    It belongs to the ICB, not to one answer: rows in `AnswerEvidence` link it
    to the answers it supports, so one file can support several standards and
    a later quarter's answers can link it again. Stored under a random name
    (`saaf.uploads`); `display_name` is the sanitised original."""

    icb = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="evidence_files")
    storage_name = models.CharField(max_length=300, unique=True)
    display_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    effective_on = models.DateField(
        help_text="The date the evidence speaks for (a meeting, an audit), not the upload."
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "icb"

    class Meta:
        ordering = ["-effective_on", "display_name"]
        constraints = [
            models.CheckConstraint(
                name="evidence_file_at_most_20_mib",
                condition=Q(size__lte=20 * 1024 * 1024),
                violation_error_message="Evidence files are at most 20 MiB.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def effective_quarter(self) -> str:
        """The quarter its effective date falls in, "Q2 2026/27": a file carried
        forward into a later return is shown as "from Q2 2026/27"."""
        from assurance.models.periods import financial_year_label, financial_year_of

        quarter = (self.effective_on.month - 4) % 12 // 3 + 1
        return f"Q{quarter} {financial_year_label(financial_year_of(self.effective_on))}"


class AnswerEvidence(models.Model):
    """An evidence file supporting one answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(
        EvidenceFile, on_delete=models.PROTECT, related_name="answer_links"
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "evidence"], name="answer_evidence_linked_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evidence} for {self.answer}"
