"""Forms of the reviews tracker. They translate input and say, on every
free-text field, that nothing identifying may be written; the services
decide (and refuse NHS numbers again, whoever calls them)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from organisations.models import Commissioning, Organisation, OrganisationKind
from reviews.identifiers import NO_IDENTIFIERS_HINT, refuse_nhs_numbers
from reviews.models import (
    AbuseTheme,
    ActionStatus,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    Review,
    ReviewKind,
    Stage,
)
from reviews.selectors import action_owner_choices
from saaf.uploads import ACCEPTED_IN_WORDS

# saaf.nhs_forms.date_parts shows the day, month and year as typed after an error.
_date = forms.SelectDateWidget
_DATE_ERRORS = {"invalid": "Enter a real date, for example 4 5 2026."}


def _optional_date(label: str, hint: str = "") -> forms.DateField:
    return forms.DateField(
        required=False, widget=_date, label=f"{label} (optional)", help_text=hint,
        error_messages=_DATE_ERRORS,
    )  # fmt: skip


def _free_text(
    label: str, *, required: bool, hint: str = "", textarea: bool = True, missing: str = ""
):
    return forms.CharField(
        required=required,
        error_messages={"required": missing} if missing else None,
        label=label if required else f"{label} (optional)",
        widget=forms.Textarea if textarea else forms.TextInput,
        validators=[refuse_nhs_numbers],
        help_text=f"{hint} {NO_IDENTIFIERS_HINT}".strip(),
    )


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.code})"


class OrganisationsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.code})"


class ReviewsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Review) -> str:
        return f"{obj.reference}: {obj.get_kind_display()}"


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "Choose the kind of review"), *ReviewKind.choices],
        label="Kind of review",
        error_messages={"required": "Choose the kind of review."},
    )
    reference = _free_text(
        "Reference",
        required=True,
        textarea=False,
        hint="The convening body's reference for the review, for example CAMDEN-SAR-2026-01.",
    )
    convening_body = forms.ChoiceField(
        choices=[("", "Choose the convening body"), *ConveningBody.choices],
        label="Convening body",
        error_messages={"required": "Choose the body that convened the review."},
    )
    area = OrganisationChoiceField(
        queryset=Organisation.objects.none(),
        label="Local authority area",
        empty_label="Choose the area",
        error_messages={"required": "Choose the local authority area of the convening body."},
    )
    age_group = forms.ChoiceField(
        choices=AgeGroup.choices,
        widget=forms.RadioSelect,
        label="Age group",
        error_messages={"required": "Choose the age group of the person the review is about."},
    )
    steis_number = forms.CharField(
        required=False,
        max_length=10,
        label="StEIS number (optional)",
        help_text="The year, a slash and five digits, for example 2025/12345.",
    )
    stage = forms.ChoiceField(choices=Stage.choices, label="Stage")
    notified_on = forms.DateField(
        widget=_date,
        label="Date of notification",
        error_messages={"required": "Enter the date of notification.", **_DATE_ERRORS},
    )
    decision_on = _optional_date("Date of the decision to review")
    panel_on = _optional_date("Date of the panel")
    report_on = _optional_date("Date of the report")
    expected_publication_on = _optional_date(
        "Expected date of publication", "Slippage is counted from this date."
    )
    published_on = _optional_date("Date of publication")
    delay_reason = _free_text(
        "Reason for delay", required=False, hint="If the review is later than expected, why."
    )
    icbs = OrganisationsChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Other ICBs involved (optional)",
        help_text="They can read the review; only your ICB changes it.",
    )
    providers = OrganisationsChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Providers involved (optional)",
    )
    abuse_themes = forms.MultipleChoiceField(
        choices=AbuseTheme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Abuse or vulnerability themes (optional)",
        help_text="Up to three.",
    )
    learning_themes = forms.MultipleChoiceField(
        choices=LearningTheme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Learning themes (optional)",
    )
    continues = forms.ModelChoiceField(
        queryset=Review.objects.none(),
        required=False,
        label="Rapid review this continues (optional)",
        empty_label="It does not continue a rapid review",
        help_text="For a child safeguarding practice review that grew out of a rapid review.",
    )
    parallel_reviews = ReviewsChoiceField(
        queryset=Review.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Parallel reviews (optional)",
        help_text="Reviews of the same events run by other bodies, for example a DHR and a SAR.",
    )

    def __init__(self, *args, user, lead_icb: Organisation, review: Review | None = None, **kw):
        super().__init__(*args, **kw)
        self.fields["area"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.PLACE
        ).order_by("name")
        chosen_icbs = review.icb_links.values("icb") if review else []
        # ICBs of the lead's region, and any already involved from elsewhere.
        self.fields["icbs"].queryset = (
            Organisation.objects.icbs()
            .filter(
                Q(parent=lead_icb.parent_id, pk__in=Organisation.objects.current().values("pk"))
                | Q(pk__in=chosen_icbs)
            )
            .exclude(pk=lead_icb.pk)
            .order_by("name")
        )
        chosen_providers = review.provider_links.values("provider") if review else []
        self.fields["providers"].queryset = Organisation.objects.filter(
            Q(pk__in=Commissioning.objects.filter(icb=lead_icb).values("provider"))
            | Q(pk__in=chosen_providers)
        ).order_by("name")
        readable = Review.objects.visible_to(user).select_related("lead_icb")
        if review is not None:
            readable = readable.exclude(pk=review.pk)
        self.fields["continues"].queryset = readable.filter(kind=ReviewKind.RAPID_REVIEW)
        self.fields["parallel_reviews"].queryset = readable.order_by("reference")

    def clean_steis_number(self) -> str:
        return self.cleaned_data["steis_number"].strip()


class RecommendationForm(forms.Form):
    text = _free_text(
        "Recommendation for health",
        required=True,
        hint="As the review wrote it, or a summary of what it asks of health.",
        missing="Enter the recommendation.",
    )


class ActionForm(forms.Form):
    description = _free_text("What will be done", required=True, missing="Describe the action.")
    owner = OrganisationChoiceField(
        queryset=Organisation.objects.none(),
        label="Owner",
        empty_label="Choose who will carry it out",
        help_text="The lead ICB, an ICB or provider involved, or a provider the lead ICB "
        "commissions.",
        error_messages={"required": "Choose the organisation that owns the action."},
    )
    due_on = forms.DateField(
        widget=_date,
        label="Due date",
        error_messages={"required": "Enter the date the action is due.", **_DATE_ERRORS},
    )
    status = forms.ChoiceField(
        choices=[
            (ActionStatus.NOT_STARTED, ActionStatus.NOT_STARTED.label),
            (ActionStatus.IN_PROGRESS, ActionStatus.IN_PROGRESS.label),
        ],
        widget=forms.RadioSelect,
        label="Progress",
        help_text="To complete an action, use “Complete” on the review page: it needs evidence.",
    )

    def __init__(self, *args, review: Review, completed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        owners = action_owner_choices(review=review)
        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in owners]
        ).order_by("-kind", "name")
        if completed:
            self.fields["status"].choices = [
                (ActionStatus.COMPLETED, "Completed: keep it completed"),
                (ActionStatus.IN_PROGRESS, "In progress: reopen it"),
                (ActionStatus.NOT_STARTED, "Not started: reopen it"),
            ]
            self.fields["status"].help_text = ""
            self.fields["evidence"] = _free_text(
                "Evidence of completion",
                required=False,
                hint="It may be left empty if the action has evidence files.",
            )


_FILE_HINT = (
    f"A {ACCEPTED_IN_WORDS} file of at most 20 MiB, with no personal identifiers in it. "
    "Only people who can read the action can download it."
)


class ActionCompleteForm(forms.Form):
    completed_on = forms.DateField(
        widget=_date,
        label="Date completed",
        error_messages={"required": "Enter the date the action was completed.", **_DATE_ERRORS},
    )
    evidence = _free_text(
        "Evidence of completion",
        required=False,
        hint="What was done and where the evidence is kept, for example an audit report "
        "presented to the safeguarding committee. Describe it, upload a file, or both.",
    )
    evidence_file = forms.FileField(required=False, label="Evidence file", help_text=_FILE_HINT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not optional: text or a file is needed (the service decides which).
        self.fields["evidence"].label = "Evidence of completion"


class ActionEvidenceForm(forms.Form):
    file = forms.FileField(
        label="Evidence file",
        help_text=_FILE_HINT,
        error_messages={"required": "Choose the file to upload."},
    )
