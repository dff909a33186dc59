"""Statutory and mandatory reviews (SAAF 4.5), as the Safeguarding Case
Review Tracker (S-CRT, DCB3124) records them.

A review is convened by a partnership for a local authority area (a place);
one ICB leads the health contribution and keeps the record (its editors and
approver change it), other ICBs and providers may be involved. The other
involved ICBs read it; a provider's involvement gives no other ICB sight of
it. A rapid review that becomes a child safeguarding practice review stays
one chain: the CSPR `continues` the rapid review.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from organisations.models import Commissioning, Organisation, OrganisationKind
from organisations.scoping import ScopedQuerySet, scope_of
from reviews.identifiers import refuse_nhs_numbers
from reviews.models.choices import (
    MAX_ABUSE_THEMES,
    OPEN_STAGES,
    AbuseTheme,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    ReviewKind,
    Stage,
    ThemeCategory,
)
from saaf.dates import today

STEIS_PATTERN = r"^[0-9]{4}/[0-9]{5}$"
steis_validator = RegexValidator(
    STEIS_PATTERN,
    "Enter the StEIS number as the year, a slash and five digits, for example 2025/12345.",
)


def visible_icb_ids(user) -> models.QuerySet:
    """A subquery of the ICBs whose reviews `user` reads: their own ICB (and the
    ICBs it succeeded), their region's ICBs, or every ICB."""
    return Organisation.objects.icbs().filter(pk__in=scope_of(user).visible_ids()).values("pk")


class ReviewQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> ReviewQuerySet:
        """Reviews an ICB leads or is involved in, for readers of that ICB.
        A provider's involvement does not count: it would show a review to
        every ICB commissioning the provider."""
        if scope_of(user).sees_everything:
            return self.all()
        return self.involving(visible_icb_ids(user))

    def involving(self, icb_ids) -> ReviewQuerySet:
        """Reviews led by, or involving, any of `icb_ids` (ids or a subquery)."""
        involved = ReviewICB.objects.filter(icb__in=icb_ids).values("review")
        return self.filter(Q(lead_icb__in=icb_ids) | Q(pk__in=involved))

    def open(self) -> ReviewQuerySet:
        return self.filter(stage__in=OPEN_STAGES)


class Review(models.Model):
    """One statutory or mandatory review, from notification to closure."""

    kind = models.CharField(max_length=20, choices=ReviewKind.choices)
    reference = models.CharField(
        max_length=60,
        validators=[refuse_nhs_numbers],
        help_text="The convening body's reference for the review.",
    )
    convening_body = models.CharField(max_length=30, choices=ConveningBody.choices)
    area = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reviews_in_area",
        limit_choices_to={"kind": OrganisationKind.PLACE},
        help_text="The local authority area of the convening body.",
    )
    lead_icb = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reviews_led",
        limit_choices_to={"kind": OrganisationKind.ICB},
    )
    icbs = models.ManyToManyField(
        Organisation, through="ReviewICB", related_name="reviews_involved_in", blank=True
    )
    providers = models.ManyToManyField(
        Organisation, through="ReviewProvider", related_name="reviews_as_provider", blank=True
    )
    steis_number = models.CharField(
        "StEIS number", max_length=10, blank=True, validators=[steis_validator]
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NOTIFIED)
    age_group = models.CharField(max_length=20, choices=AgeGroup.choices)

    notified_on = models.DateField("date of notification")
    decision_on = models.DateField("date of the decision to review", null=True, blank=True)
    panel_on = models.DateField("date of the panel", null=True, blank=True)
    report_on = models.DateField("date of the report", null=True, blank=True)
    published_on = models.DateField("date of publication", null=True, blank=True)
    expected_publication_on = models.DateField(
        "expected date of publication", null=True, blank=True
    )
    delay_reason = models.TextField("reason for delay", blank=True, validators=[refuse_nhs_numbers])

    parallel_reviews = models.ManyToManyField("self", symmetrical=True, blank=True)
    continues = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="continued_by",
        help_text="For a CSPR: the rapid review it grew out of.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()
    # Who may change a review: the lead ICB's editors and approver.
    scope_path = "lead_icb"

    class Meta:
        ordering = ["-notified_on", "reference"]
        constraints = [
            models.UniqueConstraint(
                Lower("reference"),
                "convening_body",
                "area",
                name="review_reference_unique_per_convening_body",
                violation_error_message="That convening body already has a review with this "
                "reference.",
            ),
            models.CheckConstraint(
                name="review_steis_number_format",
                condition=Q(steis_number="") | Q(steis_number__regex=STEIS_PATTERN),
                violation_error_message="A StEIS number is the year, a slash and five digits.",
            ),
            *[
                models.CheckConstraint(
                    name=f"review_{name}_not_before_notification",
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": F("notified_on")}),
                    violation_error_message="Dates of a review cannot be before its notification.",
                )
                for name in (
                    "decision_on",
                    "panel_on",
                    "report_on",
                    "published_on",
                    "expected_publication_on",
                )
            ],
            models.CheckConstraint(
                name="review_published_has_date",
                condition=~Q(stage=Stage.PUBLISHED) | Q(published_on__isnull=False),
                violation_error_message="A published review needs its date of publication.",
            ),
            models.CheckConstraint(
                name="review_publication_date_only_when_published",
                condition=Q(published_on__isnull=True)
                | Q(stage__in=[Stage.PUBLISHED, Stage.CLOSED]),
                violation_error_message="A review with a date of publication is published or "
                "closed.",
            ),
            models.CheckConstraint(
                name="review_does_not_continue_itself",
                condition=~Q(continues=F("pk")),
                violation_error_message="A review cannot continue itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_kind_display()})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.area_id and self.area.kind != OrganisationKind.PLACE:
            errors["area"] = "Choose the local authority area (a place) of the convening body."
        if self.lead_icb_id and self.lead_icb.kind != OrganisationKind.ICB:
            errors["lead_icb"] = "The lead must be an ICB."
        now = today()
        for name in ("notified_on", "decision_on", "published_on"):
            value = getattr(self, name)
            if value and value > now:
                label = self._meta.get_field(name).verbose_name
                errors[name] = f"The {label} cannot be in the future."
        for name in ("decision_on", "panel_on", "report_on", "published_on"):
            value = getattr(self, name)
            if value and self.notified_on and value < self.notified_on:
                label = self._meta.get_field(name).verbose_name
                errors[name] = f"The {label} cannot be before the date of notification."
        if self.stage == Stage.PUBLISHED and not self.published_on:
            errors["published_on"] = "Enter the date the review was published."
        if self.published_on and self.stage not in (Stage.PUBLISHED, Stage.CLOSED):
            errors["stage"] = "A review with a date of publication is published or closed."
        if self.continues_id:
            if self.continues_id == self.pk:
                errors["continues"] = "A review cannot continue itself."
            elif self.continues.kind != ReviewKind.RAPID_REVIEW or self.kind != ReviewKind.CSPR:
                errors["continues"] = (
                    "Only a child safeguarding practice review continues a review, and what it "
                    "continues is a rapid review."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED

    def slippage_days(self, on: datetime.date | None = None) -> int | None:
        """Days past the expected date of publication: at publication if
        published, otherwise as of `on` (today in London). None without an
        expected date, or for a review closed unpublished."""
        if self.expected_publication_on is None:
            return None
        if self.published_on is not None:
            end = self.published_on
        elif self.stage == Stage.CLOSED:
            return None
        else:
            end = on or today()
        return max(0, (end - self.expected_publication_on).days)

    def themes_of(self, category: str) -> list[ReviewTheme]:
        # Read from `themes` (prefetch it on lists) in the order they were given.
        return sorted(
            (t for t in self.themes.all() if t.category == category),
            key=lambda t: (t.slot or 0, t.pk or 0),
        )

    @property
    def abuse_themes(self) -> list[ReviewTheme]:
        return self.themes_of(ThemeCategory.ABUSE)

    @property
    def learning_themes(self) -> list[ReviewTheme]:
        return self.themes_of(ThemeCategory.LEARNING)


class ReviewICB(models.Model):
    """An ICB involved in a review it does not lead: it reads the review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="icb_links")
    icb = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.ICB},
    )

    class Meta:
        ordering = ["icb__name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "icb"], name="review_icb_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.icb} in {self.review}"


class ReviewProvider(models.Model):
    """A provider involved in a review. It gives no ICB sight of the review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="provider_links")
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.PROVIDER},
    )

    class Meta:
        ordering = ["provider__name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "provider"], name="review_provider_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} in {self.review}"


class ReviewTheme(models.Model):
    """A theme a review carries: up to three abuse or vulnerability themes (in
    slots 1 to 3, so the database holds the limit) and any number of learning
    themes."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="themes")
    category = models.CharField(max_length=10, choices=ThemeCategory.choices)
    code = models.CharField(max_length=40)
    slot = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["category", "slot", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "category", "code"], name="review_theme_once_per_review"
            ),
            models.UniqueConstraint(
                fields=["review", "category", "slot"], name="review_theme_one_per_slot"
            ),
            models.CheckConstraint(
                name="review_theme_code_in_its_list",
                condition=Q(
                    category=ThemeCategory.ABUSE,
                    code__in=AbuseTheme.values,
                    slot__gte=1,
                    slot__lte=MAX_ABUSE_THEMES,
                )
                | Q(category=ThemeCategory.LEARNING, code__in=LearningTheme.values, slot=None),
                violation_error_message="A theme comes from its shipped list; a review has at "
                "most three abuse or vulnerability themes.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        choices = AbuseTheme if self.category == ThemeCategory.ABUSE else LearningTheme
        try:
            return choices(self.code).label
        except ValueError:
            return self.code


def lead_commissioned_provider_ids(icb_ids) -> models.QuerySet:
    """A subquery of the providers whose lead commissioner is one of `icb_ids`."""
    return Commissioning.objects.filter(icb__in=icb_ids, is_lead=True).values("provider")
