"""What an ICB submitted: an immutable copy of its return at the moment the
approver signed it off, as version 1, 2, … of that return.

A submission's answers, actions and metric values are rows (so heatmaps and
rollups aggregate them in SQL), each a copy of the draft at that moment plus
what the portal computed then: each metric's computed value and RAG, and each
register-linked standard's register check.

The register check is kept per submitted answer as two things: `register_holds`
(a column, so "green against the register" can be counted in SQL) and
`register_check`, the check's `to_dict()` (the rule's words, the counts and the
posts concerned), because that detail is only ever shown, quoted beside the
answer, never aggregated, and rows for it would be a fourth immutable table
for no query that needs them. `RegisterCheck.from_dict` reads it back.

Nothing here changes after creation: the services never update these rows,
and UPDATE and DELETE triggers (migration `0007_return_submissions`) refuse it
at the database on PostgreSQL and SQLite. The one exception is the regional
lead's validated rating on a submitted answer, which is recorded later; the
trigger on `SubmittedAnswer` refuses an update of any other column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from assurance.models.returns import QuarterlyReturn, SelfRating

# The declaration the approver ticks, kept word for word with each submission.
DECLARATION_TEXT = (
    "I confirm this return is an accurate account of the ICB's safeguarding assurance "
    "for the quarter, and that I am authorised to submit it."
)


class Submission(models.Model):
    """One sign-off of a return by the ICB's approver. Version 1 is the first;
    a return the region sends back is submitted again as the next version.
    `late` is the return's mark: its first submission came after the due date
    (a resubmission the region asked for never makes it late)."""

    quarterly_return = models.ForeignKey(
        QuarterlyReturn, on_delete=models.PROTECT, related_name="submissions"
    )
    version = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=200)
    submitted_by_role = models.CharField(max_length=200)
    declaration = models.TextField()
    late = models.BooleanField()

    class Meta:
        ordering = ["quarterly_return", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["quarterly_return", "version"], name="submission_one_per_version"
            ),
            models.CheckConstraint(name="submission_version_from_1", condition=Q(version__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.quarterly_return} version {self.version}"


class SubmittedAnswer(models.Model):
    """A standard's answer as submitted, with the register check of that day.
    `validated_*` are the regional lead's, recorded during the review."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="answers")
    standard = models.ForeignKey("assurance.Standard", on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=20, choices=SelfRating.choices, blank=True)
    not_applicable_reason = models.TextField(blank=True)
    narrative = models.TextField(blank=True)
    explanation = models.TextField(blank=True)
    register_holds = models.BooleanField(null=True, blank=True)
    register_check = models.JSONField(null=True, blank=True)
    validated_rating = models.CharField(max_length=20, blank=True, null=True)
    validated_rationale = models.TextField(blank=True, null=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "standard__section__position", "standard__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "standard"], name="submitted_answer_one_per_standard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.standard.code}"


class SubmittedSection(models.Model):
    """A submission's answers in one section counted by rating: as the ICB
    rated them (`red` … `not_applicable`), on the validated basis (the
    region's rating where recorded, else the ICB's: `validated_red` …), how
    many the region rated otherwise (`differing`), how many it rated at all
    (`validated`) and how many answers there are (`answers`).

    Kept by the database itself, not by the services: triggers on
    `SubmittedAnswer` (migration `0011_submitted_sections`) add each answer
    written and move its count when the region validates it, whoever writes
    (the submit service, the data generator, the admin). The heatmap reads a
    section's cell here instead of counting its answers again on every page."""

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="section_counts"
    )
    section = models.ForeignKey("assurance.Section", on_delete=models.PROTECT, related_name="+")
    red = models.IntegerField(default=0)
    amber = models.IntegerField(default=0)
    green = models.IntegerField(default=0)
    not_applicable = models.IntegerField(default=0)
    validated_red = models.IntegerField(default=0)
    validated_amber = models.IntegerField(default=0)
    validated_green = models.IntegerField(default=0)
    validated_not_applicable = models.IntegerField(default=0)
    differing = models.IntegerField(default=0)
    validated = models.IntegerField(default=0)  # the answers the region rated
    answers = models.IntegerField(default=0)  # every answer, rated or not

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "section"], name="submitted_section_one_per_section"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.section_id}"


class SubmittedAction(models.Model):
    """One step of a submitted answer's action plan, as it stood."""

    answer = models.ForeignKey(SubmittedAnswer, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class SubmittedMetricValue(models.Model):
    """A metric as submitted: the figure typed (or why not available), and for
    a computed metric what the portal computed; `rating` is the RAG of the one
    that counts (the computed value for a computed metric)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="metric_values"
    )
    metric = models.ForeignKey("assurance.Metric", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    not_available_reason = models.TextField(blank=True)
    computed_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    computed_detail = models.TextField(blank=True)
    rating = models.CharField(max_length=20)

    class Meta:
        ordering = ["submission", "metric__section__position", "metric__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "metric"], name="submitted_metric_one_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.metric.code}"


class SubmissionEvidence(models.Model):
    """An evidence file as it supported a submitted answer. While any row
    links a file, the file is never deleted (`evidence_unlink` keeps it)."""

    answer = models.ForeignKey(
        SubmittedAnswer, on_delete=models.PROTECT, related_name="evidence_links"
    )
    evidence = models.ForeignKey(
        "assurance.EvidenceFile", on_delete=models.PROTECT, related_name="submission_links"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "evidence"], name="submission_evidence_linked_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evidence} for {self.answer}"


# The tables the immutability triggers guard, and for each the columns an
# UPDATE may not touch (None: no column at all).
IMMUTABLE_TABLES: dict[type[models.Model], tuple[str, ...] | None] = {
    Submission: None,
    SubmittedAnswer: (
        "id",
        "submission_id",
        "standard_id",
        "rating",
        "not_applicable_reason",
        "narrative",
        "explanation",
        "register_holds",
        "register_check",
    ),
    SubmittedAction: None,
    SubmittedMetricValue: None,
    SubmissionEvidence: None,
}
