"""What a review asks of health, and what health does about it.

Each recommendation for health has actions, each owned by one organisation
(an ICB or a provider) with a due date. An action is overdue from the day
after its due date (in Europe/London) until it is completed; completing it
needs evidence of what was done. An ICB answers for the actions owned by
itself and by the providers it leads as lead commissioner, so that nationally
each action is counted once, whichever ICB leads the review.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from organisations.models import Organisation, OrganisationKind
from organisations.scoping import ScopedQuerySet, scope_of
from reviews.identifiers import refuse_nhs_numbers
from reviews.models.choices import ActionStatus
from reviews.models.reviews import Review, lead_commissioned_provider_ids, visible_icb_ids
from saaf.dates import nhs_date, today


class RecommendationQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> RecommendationQuerySet:
        if scope_of(user).sees_everything:
            return self.all()
        return self.filter(review__in=Review.objects.visible_to(user).values("pk"))


class Recommendation(models.Model):
    """A recommendation of a review for health, numbered within the review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="recommendations")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(validators=[refuse_nhs_numbers])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecommendationQuerySet.as_manager()
    scope_path = "review__lead_icb"

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number"],
                name="recommendation_number_unique_per_review",
                violation_error_message="The review already has a recommendation with this number.",
            ),
            models.CheckConstraint(name="recommendation_number_from_1", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"Recommendation {self.number} of {self.review.reference}"


class ActionQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> ActionQuerySet:
        """Actions of the reviews the user reads, and the actions their ICBs
        answer for (owned by the ICB or a provider it leads) on any review."""
        if scope_of(user).sees_everything:
            return self.all()
        icb_ids = visible_icb_ids(user)
        return self.filter(
            Q(recommendation__review__in=Review.objects.visible_to(user).values("pk"))
            | Q(owner__in=icb_ids)
            | Q(owner__in=lead_commissioned_provider_ids(icb_ids))
        )

    def answered_for_by(self, icb_ids) -> ActionQuerySet:
        """The actions `icb_ids` answer for: owned by the ICB or a provider it leads."""
        return self.filter(
            Q(owner__in=icb_ids) | Q(owner__in=lead_commissioned_provider_ids(icb_ids))
        )

    def open(self) -> ActionQuerySet:
        return self.exclude(status=ActionStatus.COMPLETED)

    def overdue_on(self, day: datetime.date) -> ActionQuerySet:
        """Past their due date on `day` and not completed by then."""
        return self.filter(overdue_on_q(day))


def overdue_on_q(day: datetime.date, prefix: str = "") -> Q:
    """The condition "overdue on `day`", for filters and conditional counts."""
    return Q(**{f"{prefix}due_on__lt": day}) & (
        Q(**{f"{prefix}completed_on__isnull": True}) | Q(**{f"{prefix}completed_on__gt": day})
    )


class Action(models.Model):
    """One action towards a recommendation, owned by an ICB or a provider."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField(validators=[refuse_nhs_numbers])
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="review_actions",
        help_text="The ICB or provider that must carry the action out.",
    )
    due_on = models.DateField("due date")
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    completed_on = models.DateField("date completed", null=True, blank=True)
    evidence = models.TextField(
        "evidence of completion", blank=True, validators=[refuse_nhs_numbers]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()
    scope_path = "recommendation__review__lead_icb"

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            # Evidence (text or a file, `ActionEvidenceFile`) is checked by
            # `clean()` and `action_complete`: a file lives in another table.
            models.CheckConstraint(
                name="action_completed_has_date",
                condition=~Q(status=ActionStatus.COMPLETED) | Q(completed_on__isnull=False),
                violation_error_message="A completed action needs the date it was completed.",
            ),
            models.CheckConstraint(
                name="action_completion_date_only_when_completed",
                condition=Q(status=ActionStatus.COMPLETED) | Q(completed_on__isnull=True),
                violation_error_message="Only a completed action has a date completed.",
            ),
        ]
        indexes = [models.Index(fields=["owner", "due_on"])]

    def __str__(self) -> str:
        return f"Action for {self.owner} due {nhs_date(self.due_on)}" if self.due_on else "Action"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.owner_id and self.owner.kind not in (
            OrganisationKind.ICB,
            OrganisationKind.PROVIDER,
        ):
            errors["owner"] = "An action is owned by an ICB or a provider."
        if self.status == ActionStatus.COMPLETED:
            if not self.completed_on:
                errors["completed_on"] = "Enter the date the action was completed."
            elif self.completed_on > today():
                errors["completed_on"] = "The date completed cannot be in the future."
            if not self.evidence.strip() and not (self.pk and self.evidence_files.exists()):
                errors["evidence"] = (
                    "Describe the evidence that the action is complete, or upload a file."
                )
        elif self.completed_on:
            errors["completed_on"] = "Only a completed action has a date completed."
        if errors:
            raise ValidationError(errors)

    @property
    def is_completed(self) -> bool:
        return self.status == ActionStatus.COMPLETED

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        """Overdue on `on` (today in London): past the due date and not completed by then."""
        day = on or today()
        return self.due_on < day and (self.completed_on is None or self.completed_on > day)


class ActionEvidenceFileQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> ActionEvidenceFileQuerySet:
        """Whoever reads the action reads its evidence: the readers of the
        review, and the ICBs answering for the action."""
        if scope_of(user).sees_everything:
            return self.all()
        return self.filter(action__in=Action.objects.visible_to(user).values("pk"))


class ActionEvidenceFile(models.Model):
    """A file showing an action was done (minutes, an audit, a training
    report). It belongs to the action, and so to the review's lead ICB, whose
    editors and approver are the only people who change actions and so the
    only ones who upload; it is read by whoever reads the action (`visible_to`).
    Stored under a random name (`saaf.uploads`); `display_name` is the
    sanitised original name."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="evidence_files")
    storage_name = models.CharField(max_length=300, unique=True)
    display_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ActionEvidenceFileQuerySet.as_manager()
    scope_path = "action__recommendation__review__lead_icb"

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="action_evidence_file_at_most_20_mib",
                condition=Q(size__lte=20 * 1024 * 1024),
                violation_error_message="Evidence files are at most 20 MiB.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name
