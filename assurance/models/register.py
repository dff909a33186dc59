"""The safeguarding posts register (SAAF section 4).

Every ICB must have its designated professionals and strategic leaders; every
NHS trust, foundation trust and independent provider its named professionals;
every GP practice a lead for safeguarding and MCA. A required post that is
missing or vacant, a holder without recent documented supervision, or one
trained below the post's level is an assurance finding in its own right:
the findings are computed from these records (`assurance.register`), never
typed in. History is kept: a holder who leaves keeps their tenure, ended.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from organisations.models import Organisation
from organisations.scoping import ScopedQuerySet
from saaf.dates import nhs_date

# Names that keep their capital mid-sentence.
_PROPER_NOUNS = ("Prevent", "Mental Capacity Act", "CP-IS")


def _not_after_today(values: dict[str, datetime.date | None], messages: dict[str, str]) -> None:
    """Refuse dates after today (in London), each with a message that says what to enter."""
    today = timezone.localdate()
    errors = {
        name: f"{messages[name]} must be today or in the past: enter a date on or before "
        f"{nhs_date(today)}."
        for name, value in values.items()
        if value is not None and value > today
    }
    if errors:
        raise ValidationError(errors)


class Network(models.TextChoices):
    NNDHP = "NNDHP", "National Network of Designated Healthcare Professionals"
    SANN = "SANN", "Safeguarding Adults National Network"


class PostRequiredFor(models.TextChoices):
    ICB = "icb", "ICB"
    PROVIDER = "provider", "Provider"


class PostCondition(models.TextChoices):
    ALWAYS = "", "Always"
    MATERNITY = "maternity", "Where maternity services are provided"


class RegisterGroup(models.TextChoices):
    """The groups of posts a toolkit standard's register rule can name
    (`Standard.register_groups`); each post type belongs to one."""

    DESIGNATED = "designated", "Designated professionals (ICB)"
    NAMED_GP = "named_gp", "Named GPs (ICB)"
    NAMED = "named", "Named professionals (providers)"
    MCA = "mca", "MCA leads"
    PREVENT = "prevent", "Prevent leads"
    LEADERSHIP = "leadership", "Executive leads"


class PostType(models.Model):
    """A kind of safeguarding post the SAAF requires, and of whom."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    required_for = models.CharField(max_length=20, choices=PostRequiredFor.choices)
    provider_kinds = models.JSONField(
        default=list, blank=True, help_text="Kinds of provider it applies to; empty for ICBs."
    )
    condition = models.CharField(
        max_length=20, choices=PostCondition.choices, blank=True, default=""
    )
    training_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Intercollegiate safeguarding level the holder needs (designated 5, named 4).",
    )
    supervision_applies = models.BooleanField(default=True)
    hosted_allowed = models.BooleanField(
        default=False,
        help_text="An ICB may meet it through access to a post another organisation hosts.",
    )
    network = models.CharField(max_length=10, choices=Network.choices, blank=True, default="")
    saaf_reference = models.CharField(max_length=40, blank=True)
    register_group = models.CharField(
        max_length=20,
        choices=RegisterGroup.choices,
        blank=True,
        help_text="Which group a toolkit standard's register rule counts the post in.",
    )
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["required_for", "display_order", "name"]
        constraints = [
            models.CheckConstraint(
                name="post_type_training_level_1_to_5",
                condition=Q(training_level__isnull=True)
                | Q(training_level__gte=1, training_level__lte=5),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name_in_sentence(self) -> str:
        """The name as it reads mid-sentence: "designated MCA lead", "named GP for …"
        (the first letter lowered, unless it starts with an abbreviation or a proper
        noun: "Prevent lead", "Mental Capacity Act (MCA) lead")."""
        first = self.name.split(" ", 1)[0]
        if (len(first) > 1 and first[1].isupper()) or self.name.startswith(_PROPER_NOUNS):
            return self.name
        return self.name[:1].lower() + self.name[1:]

    def is_required_for(self, organisation: Organisation) -> bool:
        """Whether `organisation` must have this post, by its kind and attributes."""
        if organisation.kind != self.required_for:
            return False
        if self.required_for == PostRequiredFor.PROVIDER:
            if organisation.provider_kind not in self.provider_kinds:
                return False
            if self.condition == PostCondition.MATERNITY and not organisation.provides_maternity:
                return False
        return True


class Post(models.Model):
    """One safeguarding post of an organisation, filled by one holder or, as a
    job share, by several at once. Where the SAAF allows it, an ICB's post may
    be hosted by another organisation that employs the holder."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="safeguarding_posts"
    )
    post_type = models.ForeignKey(PostType, on_delete=models.PROTECT, related_name="posts")
    hosted_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_safeguarding_posts",
        help_text="The organisation that employs the holder, where it is not this one.",
    )
    job_share = models.BooleanField(default=False)
    vacant_since = models.DateField(
        null=True,
        blank=True,
        help_text="When the post became vacant, if it has never had a holder recorded here.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation"

    class Meta:
        ordering = ["organisation__name", "post_type__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "post_type"],
                name="post_one_per_type",
                violation_error_message="This organisation already has that post: add a "
                "holder to it instead.",
            ),
            models.CheckConstraint(
                name="post_not_hosted_by_itself",
                condition=Q(hosted_by__isnull=True) | ~Q(hosted_by=F("organisation")),
                violation_error_message="A post cannot be hosted by its own organisation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_type.name}, {self.organisation.name}"

    def existed_on(self, day: datetime.date, tenures=None) -> bool:
        """Whether the register had this post on `day`: from the earliest of the day it
        was set up, the day it was recorded vacant from and its first holder's start."""
        starts = [t.start_date for t in (self.tenures.all() if tenures is None else tenures)]
        if self.vacant_since:
            starts.append(self.vacant_since)
        if starts and min(starts) <= day:
            return True
        # The day it was set up only when the others do not answer: converting
        # the time to London's date is most of the cost of a register's rows.
        if self.created_at:
            return timezone.localdate(self.created_at) <= day
        return not starts

    def clean(self) -> None:
        _not_after_today(
            {"vacant_since": self.vacant_since}, {"vacant_since": "The vacant since date"}
        )
        if self.hosted_by_id and self.post_type_id and not self.post_type.hosted_allowed:
            raise ValidationError(
                {
                    "hosted_by": f"{self.post_type.name} must be the organisation's own post: "
                    "it cannot be hosted elsewhere."
                }
            )
        if (
            self.organisation_id
            and self.post_type_id
            and self.organisation.kind != self.post_type.required_for
        ):
            raise ValidationError(
                {
                    "post_type": f"{self.post_type.name} is a post for "
                    f"{self.post_type.get_required_for_display()}s, not for "
                    f"{self.organisation.name}."
                }
            )


class Tenure(models.Model):
    """A person holding a post for a time. Ending a tenure keeps it as history."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tenures")
    holder_name = models.CharField(max_length=200)
    holder_email = models.EmailField(blank=True)
    whole_time_equivalent = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Between 0.01 and 1.5.",
    )
    sessions_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="For sessional posts such as named GPs.",
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    acting = models.BooleanField(default=False, help_text="Acting or interim.")
    last_supervision = models.DateField(
        null=True, blank=True, help_text="Date of the last documented supervision."
    )
    training_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    training_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "post__organisation"

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                name="tenure_ends_after_it_starts",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                name="tenure_wte_above_0_up_to_1_5",
                condition=Q(whole_time_equivalent__isnull=True)
                | Q(whole_time_equivalent__gt=0, whole_time_equivalent__lte=Decimal("1.5")),
                violation_error_message="The whole-time equivalent must be above 0 and at "
                "most 1.5.",
            ),
            models.CheckConstraint(
                name="tenure_training_level_1_to_5",
                condition=Q(training_level__isnull=True)
                | Q(training_level__gte=1, training_level__lte=5),
                violation_error_message="The training level is between 1 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.post.post_type.name})"

    def is_current_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def status_on(self, day: datetime.date) -> tuple[str, str]:
        """The holder's status on `day` and its tag colour: in post, ended or starting later."""
        if self.is_current_on(day):
            return "In post", "green"
        if self.end_date and self.end_date < day:
            return "Ended", "grey"
        return "Starts later", "grey"

    @property
    def capacity(self) -> str:
        """Whole-time equivalent or sessions, in words."""
        if self.whole_time_equivalent is not None:
            return f"{self.whole_time_equivalent} WTE"
        if self.sessions_per_week is not None:
            return f"{self.sessions_per_week} sessions a week"
        return "–"

    def clean(self) -> None:
        _not_after_today(
            {
                "start_date": self.start_date,
                "last_supervision": self.last_supervision,
                "training_date": self.training_date,
            },
            {
                "start_date": "The start date",
                "last_supervision": "The date of the last supervision",
                "training_date": "The training date",
            },
        )
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date cannot be before the start date."})
        # Exactly one of the two: a post is held either by whole-time equivalent or in sessions.
        if self.whole_time_equivalent is None and self.sessions_per_week is None:
            raise ValidationError(
                {
                    "whole_time_equivalent": "Enter the whole-time equivalent or the sessions "
                    "per week, for example 0.6 or 4."
                }
            )
        if self.whole_time_equivalent is not None and self.sessions_per_week is not None:
            raise ValidationError(
                {
                    "whole_time_equivalent": "Enter either the whole-time equivalent or the "
                    "sessions per week, not both."
                }
            )
        wte = self.whole_time_equivalent
        if wte is not None and not (Decimal("0") < wte <= Decimal("1.5")):
            raise ValidationError(
                {
                    "whole_time_equivalent": "The whole-time equivalent must be above 0 and at "
                    "most 1.5 (for example 0.6 for three days a week)."
                }
            )
        if self.sessions_per_week is not None and not (0 < self.sessions_per_week <= 20):
            raise ValidationError(
                {"sessions_per_week": "Sessions per week must be above 0 and at most 20."}
            )
