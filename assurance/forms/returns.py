"""Forms of a return's section page: one answer form per standard, its action
rows, and one form per metric, each with its own prefix (the standard's or
metric's code) so a section saves them side by side. They translate what was
typed; `assurance.services.returns` decides what is kept."""

from __future__ import annotations

from django import forms

from assurance.models import ActionStatus, SelfRating
from assurance.models.returns import EXPLANATION_MAX_LENGTH, NARRATIVE_MAX_LENGTH
from assurance.services.returns import ActionInput, AnswerInput
from saaf.nhs_forms import PortalForm
from saaf.uploads import upload_check

_date = forms.SelectDateWidget


class AnswerForm(PortalForm):
    rating = forms.ChoiceField(
        label="Self-assessed rating",
        choices=SelfRating.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose red, amber, green or not applicable."},
    )
    not_applicable_reason = forms.CharField(
        label="Why this standard does not apply",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2_000,
        error_messages={"max_length": "Say why in 2,000 characters or fewer."},
    )
    narrative = forms.CharField(
        label="Narrative evidence",
        help_text="What assures you, in plain text. No names or details of children or "
        "adults at risk.",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        strip=False,
        max_length=NARRATIVE_MAX_LENGTH,
        error_messages={
            "max_length": "Narrative evidence must be 10,000 characters or fewer "
            "(this is %(show_value)s)."
        },
    )
    explanation = forms.CharField(
        label="Why green stands despite the posts register",
        help_text="Only needed when the rating is green and the register check above does "
        "not hold: the region reads it beside the finding.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=EXPLANATION_MAX_LENGTH,
        error_messages={"max_length": "Explain it in 2,000 characters or fewer."},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def answer_input(self, actions: list[ActionInput]) -> AnswerInput:
        data = self.cleaned_data
        return AnswerInput(
            rating=data["rating"] or "",
            not_applicable_reason=data["not_applicable_reason"].strip(),
            narrative=data["narrative"].rstrip(),
            explanation=data.get("explanation", "").strip(),
            actions=actions,
        )


class ActionForm(PortalForm):
    description = forms.CharField(
        label="Action",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2_000,
        error_messages={"max_length": "Describe the action in 2,000 characters or fewer."},
    )
    owner = forms.CharField(
        label="Owner",
        help_text="A role or team, never a patient.",
        required=False,
        max_length=200,
        error_messages={"max_length": "Name the owner in 200 characters or fewer."},
    )
    due_on = forms.DateField(
        label="Due date",
        required=False,
        widget=_date,
        error_messages={"invalid": "Enter a real due date, for example 31 3 2027."},
    )
    status = forms.ChoiceField(label="Status", choices=ActionStatus.choices, required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            not (data.get("description") or "").strip()
            and not (data.get("owner") or "").strip()
            and data.get("due_on") is None
        )

    def action_input(self) -> ActionInput:
        data = self.cleaned_data
        return ActionInput(
            description=data["description"],
            owner=data["owner"],
            due_on=data["due_on"],
            status=data["status"] or ActionStatus.NOT_STARTED,
        )


class MetricValueForm(PortalForm):
    value = forms.DecimalField(
        label="Value",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        error_messages={
            "invalid": "Enter a number, such as 85 or 12.5.",
            "min_value": "A figure cannot be negative.",
            "max_digits": "Enter a number of up to 10 digits before the decimal point.",
            "max_decimal_places": "Enter at most 2 decimal places.",
        },
    )
    not_available_reason = forms.CharField(
        label="Or why it is not available",
        required=False,
        max_length=1_000,
        error_messages={"max_length": "Say why in 1,000 characters or fewer."},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class EvidenceForm(PortalForm):
    """A file to add to one standard's answer, and files to take off it."""

    file = forms.FileField(
        label="Add an evidence file (optional)",
        required=False,
        help_text="PDF, Word, Excel, PowerPoint, CSV, plain text, PNG or JPEG, up to 20 MiB.",
        error_messages={"empty": "The file is empty. Choose it again."},
    )
    effective_on = forms.DateField(
        label="Date the evidence speaks for",
        required=False,
        widget=_date,
        help_text="For example the date of the meeting or audit, 15 9 2026.",
        error_messages={"invalid": "Enter a real date, for example 15 9 2026."},
    )
    remove = forms.MultipleChoiceField(
        label="Remove files", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, links=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].choices = [(str(link.pk), str(link.evidence)) for link in links]

    def clean_file(self):
        # Checked here too (the service checks again), so a bad file refuses
        # the standard's whole answer before anything is saved.
        uploaded = self.cleaned_data.get("file")
        if uploaded:
            upload_check(uploaded)
        return uploaded

    def clean(self):
        data = super().clean()
        if data.get("file") and not data.get("effective_on") and "effective_on" not in self.errors:
            self.add_error("effective_on", "Enter the date the evidence speaks for.")
        return data


class ValidatedRatingForm(PortalForm):
    """The regional lead's rating of one submitted standard. Both fields are
    checked by `submitted_answer_validate` (its words); the form refuses only
    what is invalid as text (control characters, length)."""

    rating = forms.CharField(required=False, max_length=20)
    rationale = forms.CharField(
        required=False, max_length=5_000, widget=forms.Textarea, label="Rationale"
    )


class CommentForm(PortalForm):
    """A comment on a return, on one of its standards, or a reply."""

    text = forms.CharField(
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Comment",
        error_messages={"required": "Write the comment before posting it."},
    )


class ReopenForm(PortalForm):
    """The national team reopens a locked return: why, and until when."""

    reason = forms.CharField(
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why the return is reopened",
        help_text="The ICB and its region read it.",
        error_messages={"required": "Say why the return is reopened."},
    )
    closes_on = forms.DateField(
        widget=forms.SelectDateWidget,
        label="New closing date",
        help_text="The return locks again after this day.",
        error_messages={
            "required": "Enter the new closing date.",
            "invalid": "Enter a real date, for example 29 May 2027.",
        },
    )
