"""Forms for the posts register. They translate input; the services decide."""

from __future__ import annotations

from django import forms

from assurance.models.register import Post, PostType, Tenure
from assurance.selectors import hosting_candidates
from organisations.models import Organisation

_date = forms.SelectDateWidget


class PostForm(forms.Form):
    post_type = forms.ModelChoiceField(
        queryset=PostType.objects.none(),
        label="Post",
        empty_label="Choose a post",
        error_messages={"required": "Choose which post to set up."},
    )
    hosted_by = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Hosted by (optional)",
        empty_label="Not hosted: it is this organisation's own post",
        help_text="For a designated MCA lead or named GP the ICB has access to through "
        "another organisation.",
    )
    job_share = forms.BooleanField(required=False, label="This post is a job share")
    vacant_since = forms.DateField(
        required=False,
        widget=_date,
        label="Vacant since (optional)",
        help_text="If nobody holds the post now, when it became vacant.",
        error_messages={"invalid": "Enter a real date, for example 1 4 2026."},
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea,
        label="Notes (optional)",
        help_text="No names or details of children or adults at risk.",
    )

    def __init__(self, *args, organisation: Organisation, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # a post's type is what it is: to change it, set up another post
            del self.fields["post_type"]
        else:
            existing = Post.objects.filter(organisation=organisation).values("post_type")
            self.fields["post_type"].queryset = PostType.objects.filter(
                required_for=organisation.kind
            ).exclude(pk__in=existing)
        self.fields["hosted_by"].queryset = hosting_candidates(organisation=organisation)


class TenureForm(forms.ModelForm):
    class Meta:
        model = Tenure
        fields = [
            "holder_name", "holder_email", "whole_time_equivalent", "sessions_per_week",
            "start_date", "end_date", "acting", "last_supervision", "training_level",
            "training_date",
        ]  # fmt: skip
        labels = {
            "holder_name": "Name of the holder",
            "holder_email": "Work email (optional)",
            "whole_time_equivalent": "Whole-time equivalent (optional)",
            "sessions_per_week": "Sessions per week (optional)",
            "start_date": "Start date",
            "end_date": "End date (optional)",
            "acting": "Acting or interim",
            "last_supervision": "Date of the last documented supervision (optional)",
            "training_level": "Safeguarding training level (optional)",
            "training_date": "Date of that training (optional)",
        }
        help_texts = {
            "whole_time_equivalent": "Above 0 and at most 1.5, for example 0.6 for three days "
            "a week.",
            "end_date": "Only when the holder has left or is leaving the post.",
            "training_level": "The intercollegiate level, 1 to 5. Designated professionals need "
            "level 5, named professionals level 4.",
        }
        widgets = dict.fromkeys(
            ("start_date", "end_date", "last_supervision", "training_date"), _date
        )
        error_messages = {
            "holder_name": {"required": "Enter the name of the holder."},
            "start_date": {
                "required": "Enter the date they started in the post.",
                "invalid": "Enter a real start date.",
            },
        }

    training_level = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=Meta.labels["training_level"],
        help_text=Meta.help_texts["training_level"],
        choices=[("", "Not recorded"), *[(i, f"Level {i}") for i in range(1, 6)]],
    )

    def clean(self):
        data = super().clean()
        if data.get("whole_time_equivalent") is None and data.get("sessions_per_week") is None:
            self.add_error(
                "whole_time_equivalent", "Enter the whole-time equivalent or the sessions per week."
            )
        return data

    def _post_clean(self):
        # Model validation runs in the service, which reports errors per field.
        pass
