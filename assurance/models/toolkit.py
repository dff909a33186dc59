"""The Safeguarding Commissioning Assurance Toolkit (Safeguarding-CAT).

ICBs assure NHS England each quarter against one toolkit version per
financial year: sections (themes) holding standards to assure, and metrics
whose values rate themselves red, amber or green. The national team prepares
next year's version as a draft copy of a published one, edits it and
publishes it; a published version never changes, because returns answer it
and what was submitted must keep meaning what it meant. Codes are stable
identifiers, unique within a version, carried from year to year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from assurance.models.periods import Quarter, financial_year_label

if TYPE_CHECKING:
    from assurance.register_rules import RegisterRule

code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9_]*$",
    "Use capital letters, digits and underscores, starting with a letter (for example LG1).",
)


def format_number(value) -> str:
    """A threshold as people write it: 85, not 85.00."""
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


class ToolkitStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class ToolkitVersionQuerySet(models.QuerySet["ToolkitVersion"]):
    def published(self) -> ToolkitVersionQuerySet:
        return self.filter(status=ToolkitStatus.PUBLISHED)

    def drafts(self) -> ToolkitVersionQuerySet:
        return self.filter(status=ToolkitStatus.DRAFT)


class ToolkitVersion(models.Model):
    """The toolkit for one financial year: a draft while the national team
    prepares it, then published and fixed for good."""

    financial_year = models.PositiveSmallIntegerField(
        unique=True,
        error_messages={"unique": "There is already a toolkit version for that financial year."},
        help_text="The year the financial year starts in: 2026 is 2026/27.",
    )
    status = models.CharField(
        max_length=20, choices=ToolkitStatus.choices, default=ToolkitStatus.DRAFT
    )
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the shipped content was loaded by command.",
    )

    objects = ToolkitVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-financial_year"]
        constraints = [
            models.CheckConstraint(
                name="toolkit_version_plausible_year",
                condition=Q(financial_year__gte=2020, financial_year__lte=2099),
                violation_error_message="A financial year starts between 2020 and 2099.",
            ),
            models.CheckConstraint(
                name="toolkit_version_published_has_date",
                condition=Q(status=ToolkitStatus.DRAFT) | Q(published_at__isnull=False),
                violation_error_message="A published version records when it was published.",
            ),
        ]

    def __str__(self) -> str:
        return f"Safeguarding-CAT {self.label}"

    @property
    def label(self) -> str:
        return financial_year_label(self.financial_year)

    @property
    def is_published(self) -> bool:
        return self.status == ToolkitStatus.PUBLISHED

    @property
    def is_draft(self) -> bool:
        return self.status == ToolkitStatus.DRAFT

    @property
    def published_on(self):
        """The day in London it was published."""
        from django.utils import timezone

        return timezone.localdate(self.published_at) if self.published_at else None


class Section(models.Model):
    """A theme of the toolkit (leadership and governance, Prevent, ...) that
    groups its standards and metrics."""

    version = models.ForeignKey(ToolkitVersion, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=20, validators=[code_validator])
    title = models.CharField(max_length=200)
    saaf_reference = models.CharField(
        "SAAF reference", max_length=100, blank=True, help_text="SAAF 2022 section numbers."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="section_unique_code_per_version",
                violation_error_message="A section with this code already exists in this "
                "toolkit version.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class RegisterScope(models.TextChoices):
    ICB = "icb", "The ICB's own posts"
    PROVIDERS = "providers", "The posts of the providers the ICB leads"
    ICB_AND_PROVIDERS = "icb_and_providers", "Both the ICB's posts and its providers'"


class Standard(models.Model):
    """A statement the ICB assures every quarter with a RAG rating, narrative
    evidence and, for red or amber, an action plan.

    Some standards cannot be green while the posts register says otherwise
    (DP1: every designated post filled). That link is a rule the portal
    evaluates (`assurance.register_rules`), held in three plain fields: the
    register groups it covers (`PostType.register_group`), the finding kinds
    that break it (`assurance.findings.FindingKind`) and whose posts count.
    Fields on the standard rather than a related table, because the rule is
    part of the standard's content: it is copied with the standard into next
    year's draft, compared by the toolkit loader, changed through the one
    standard update service and recorded in its audit event as old and new
    lists, none of which a child table would give without its own copy, diff
    and audit paths. The lists are small (six groups, four kinds) and are read
    whole, never queried into.
    """

    version = models.ForeignKey(ToolkitVersion, on_delete=models.CASCADE, related_name="standards")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="standards")
    code = models.CharField(max_length=20, validators=[code_validator])
    statement = models.TextField()
    guidance = models.TextField(blank=True)
    evidence = models.TextField(
        "evidence expected", blank=True, help_text="What an ICB is expected to hold or upload."
    )
    theme = models.PositiveSmallIntegerField(
        "quarter theme",
        choices=Quarter.choices,
        null=True,
        blank=True,
        help_text="The quarter whose national theme heatmap includes this standard.",
    )
    register_groups = models.JSONField(
        "register groups",
        default=list,
        blank=True,
        help_text="The groups of posts whose register findings a green rating depends on.",
    )
    register_findings = models.JSONField(
        "register findings that count",
        default=list,
        blank=True,
        help_text="Which kinds of register finding stand in the way of a green rating.",
    )
    register_scope = models.CharField(
        "whose posts",
        max_length=20,
        choices=RegisterScope.choices,
        default=RegisterScope.ICB_AND_PROVIDERS,
    )
    register_note = models.CharField(
        "register note",
        max_length=300,
        blank=True,
        help_text="Anything about the register rule its words do not already say.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "section__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="standard_unique_code_per_version",
                violation_error_message="A standard with this code already exists in this "
                "toolkit version.",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def register_rule(self) -> RegisterRule | None:
        """The register rule as a value (`assurance.register_rules.RegisterRule`),
        or None when the standard does not depend on the register."""
        # Imported here: the rules read the register's findings, which read models.
        from assurance.register_rules import RegisterRule

        return RegisterRule.of(self)

    def clean(self) -> None:
        from assurance.register_rules import register_rule_errors, register_rule_normalised

        errors: dict[str, str] = {}
        if self.section_id and self.version_id and self.section.version_id != self.version_id:
            errors["section"] = "The section belongs to another toolkit version."
        errors.update(
            register_rule_errors(
                groups=self.register_groups,
                kinds=self.register_findings,
                scope=self.register_scope,
                note=self.register_note,
            )
        )
        if errors:
            raise ValidationError(errors)
        self.register_groups, self.register_findings = register_rule_normalised(
            groups=self.register_groups, kinds=self.register_findings
        )


class MetricUnit(models.TextChoices):
    PERCENT = "percent", "Percentage"
    COUNT = "count", "Count"
    DAYS = "days", "Days"


class ComputedFrom(models.TextChoices):
    REPORTED = "", "Reported by the ICB"
    POSTS_REGISTER = "posts_register", "Computed from the posts register"
    REVIEWS_TRACKER = "reviews_tracker", "Computed from the reviews tracker"


class Metric(models.Model):
    """A figure each return gives for the quarter. With thresholds it rates
    itself (see `assurance.rating`); without, it is reported, not rated."""

    version = models.ForeignKey(ToolkitVersion, on_delete=models.CASCADE, related_name="metrics")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="metrics")
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=300)
    unit = models.CharField(max_length=20, choices=MetricUnit.choices)
    higher_is_better = models.BooleanField(
        "higher is better",
        default=True,
        help_text="Whether a higher value is a better one (for thresholds).",
    )
    green = models.DecimalField(
        "green threshold", max_digits=12, decimal_places=2, null=True, blank=True
    )
    amber = models.DecimalField(
        "amber threshold", max_digits=12, decimal_places=2, null=True, blank=True
    )
    computed_from = models.CharField(
        max_length=30, choices=ComputedFrom.choices, blank=True, default=ComputedFrom.REPORTED
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "section__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="metric_unique_code_per_version",
                violation_error_message="A metric with this code already exists in this "
                "toolkit version.",
            ),
            models.CheckConstraint(
                name="metric_thresholds_both_or_neither",
                condition=Q(green__isnull=True, amber__isnull=True)
                | Q(green__isnull=False, amber__isnull=False),
                violation_error_message="Give both thresholds, or neither for a figure that is "
                "reported but not rated.",
            ),
            models.CheckConstraint(
                name="metric_thresholds_follow_direction",
                condition=Q(green__isnull=True)
                | Q(amber__isnull=True)
                | Q(higher_is_better=True, amber__lte=F("green"))
                | Q(higher_is_better=False, amber__gte=F("green")),
                violation_error_message="The amber threshold must lie on the worse side of the "
                "green threshold.",
            ),
            models.CheckConstraint(
                name="metric_percentage_thresholds_0_to_100",
                condition=~Q(unit=MetricUnit.PERCENT)
                | (
                    (Q(green__isnull=True) | Q(green__gte=0, green__lte=100))
                    & (Q(amber__isnull=True) | Q(amber__gte=0, amber__lte=100))
                ),
                violation_error_message="Percentage thresholds are between 0 and 100.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_rated(self) -> bool:
        return self.green is not None and self.amber is not None

    @property
    def is_computed(self) -> bool:
        return bool(self.computed_from)

    @property
    def rating_rule(self) -> str:
        """The thresholds in words, as the pages show them."""
        if not self.is_rated:
            return "Reported, not rated"
        unit = "%" if self.unit == MetricUnit.PERCENT else ""
        side = "above" if self.higher_is_better else "below"
        return (
            f"Green at or {side} {format_number(self.green)}{unit}; amber at or {side} "
            f"{format_number(self.amber)}{unit}; otherwise red"
        )

    def clean(self) -> None:
        """Say precisely which threshold is wrong and why, before the database
        constraints refuse the row with a general message."""
        errors: dict[str, str] = {}
        if self.section_id and self.version_id and self.section.version_id != self.version_id:
            errors["section"] = "The section belongs to another toolkit version."
        if self.unit == MetricUnit.PERCENT:
            for field in ("green", "amber"):
                value = getattr(self, field)
                if value is not None and not 0 <= value <= 100:
                    errors[field] = (
                        f"The {field} threshold is a percentage: enter a number from 0 to 100."
                    )
        if self.computed_from in ComputedFrom.values and self.computed_from and self.code:
            # Which codes a source computes is known once its app is ready.
            from assurance.metric_providers import registry

            computes = registry.metric_codes(self.computed_from)
            if computes is not None and self.code not in computes:
                source = ComputedFrom(self.computed_from).label.removeprefix("Computed from ")
                errors["computed_from"] = (
                    f"{source[0].upper()}{source[1:]} computes only "
                    f"{', '.join(sorted(computes))}, not {self.code}: choose "
                    f'"{ComputedFrom.REPORTED.label}" for a figure the ICB gives.'
                )
        if (self.green is None) != (self.amber is None):
            missing = "green" if self.green is None else "amber"
            errors.setdefault(
                missing,
                f"Enter the {missing} threshold too, or leave both empty for a figure that "
                "is reported but not rated.",
            )
        elif self.green is not None and "amber" not in errors and "green" not in errors:
            if self.higher_is_better and self.amber > self.green:
                errors["amber"] = (
                    f"Higher is better for this metric, so the amber threshold must be at or "
                    f"below the green threshold ({format_number(self.green)})."
                )
            elif not self.higher_is_better and self.amber < self.green:
                errors["amber"] = (
                    f"Lower is better for this metric, so the amber threshold must be at or "
                    f"above the green threshold ({format_number(self.green)})."
                )
        if errors:
            raise ValidationError(errors)
