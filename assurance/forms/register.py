"""Forms for the posts register. They translate input; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from assurance.models.register import Post, PostType, Tenure
from assurance.selectors import hosting_candidates
from organisations.models import Organisation
from saaf.nhs_forms import PortalForm, PortalModelForm

_date = forms.SelectDateWidget

# The first day of the register: ICBs were established on 1 July 2022.
REGISTER_FIRST_DAY = datetime.date(2022, 7, 1)


def _nhs_date(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


class AsOfForm(PortalForm):
    """The register's "as it was on" date: three boxes (on_day, on_month, on_year),
    or `?on=YYYY-MM-DD` from a link. Refuses impossible dates and dates outside
    the register's life (or the ICB's, for a closed or new ICB)."""

    on = forms.DateField(
        required=False,
        widget=_date,
        label="Show the register as it was on",
        help_text="For example, 31 3 2026.",
        error_messages={
            "invalid": "Enter a real date as numbers in the day, month and year boxes, "
            "for example 31 3 2026."
        },
    )

    def __init__(
        self,
        *args,
        first: datetime.date | None = None,
        last: datetime.date | None = None,
        default: datetime.date | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.first = max(first or REGISTER_FIRST_DAY, REGISTER_FIRST_DAY)
        self.last = min(last or timezone.localdate(), timezone.localdate())
        self.default = default or self.last
        self.fields["on"].initial = self.default

    def clean_on(self) -> datetime.date | None:
        on = self.cleaned_data.get("on")
        parts = [self.data.get(f"on_{part}") for part in ("day", "month", "year")]
        if any(parts) and not all(parts):
            raise forms.ValidationError(
                "The date must include a day, a month and a year, for example 31 3 2026."
            )
        if on is None:
            return None
        if on < self.first:
            why = (
                "when ICBs were established"
                if self.first == REGISTER_FIRST_DAY
                else "when this ICB was established"
            )
            raise forms.ValidationError(f"Enter a date on or after {_nhs_date(self.first)}, {why}.")
        if on > self.last:
            why = "today" if self.last == timezone.localdate() else "the ICB's last day"
            raise forms.ValidationError(f"Enter a date on or before {_nhs_date(self.last)}, {why}.")
        return on

    @property
    def day(self) -> datetime.date:
        """The date to show: the one asked for when valid, otherwise the default."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("on"):
            return self.cleaned_data["on"]
        return self.default


class PostForm(PortalForm):
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


CAPACITY_CHOICES = [("wte", "Whole-time equivalent"), ("sessions", "Sessions per week")]


class TenureForm(PortalModelForm):
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
            "whole_time_equivalent": "Whole-time equivalent (WTE)",
            "sessions_per_week": "Number of sessions per week",
            "start_date": "Start date",
            "end_date": "End date (optional)",
            "acting": "Acting or interim",
            "last_supervision": "Date of the last documented supervision (optional)",
            "training_level": "Safeguarding training level (optional)",
            "training_date": "Date of that training (optional)",
        }
        help_texts = {
            "whole_time_equivalent": "If you chose whole-time equivalent: above 0 and at most "
            "1.5, for example 0.6 for three days a week.",
            "sessions_per_week": "If you chose sessions per week: above 0 and at most 20, for "
            "example 4.",
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
                "invalid": "Enter a real start date, for example 1 4 2026.",
            },
            "end_date": {"invalid": "Enter a real end date, for example 31 3 2027."},
            "last_supervision": {
                "invalid": "Enter a real date of the last supervision, for example 1 10 2026."
            },
            "training_date": {"invalid": "Enter a real training date, for example 1 10 2026."},
            "holder_email": {
                "invalid": "Enter a work email address in the right format, like name@nhs.net."
            },
            "whole_time_equivalent": {
                "invalid": "Enter the whole-time equivalent as a number, for example 0.6.",
                "max_digits": "Enter the whole-time equivalent as a number above 0 and at "
                "most 1.5, for example 0.6.",
                "max_whole_digits": "Enter the whole-time equivalent as a number above 0 and "
                "at most 1.5, for example 0.6.",
                "max_decimal_places": "Enter the whole-time equivalent with at most 2 decimal "
                "places, for example 0.75.",
            },
            "sessions_per_week": {
                "invalid": "Enter the sessions per week as a number, for example 4.",
                "max_digits": "Enter the sessions per week as a number above 0 and at most 20.",
                "max_whole_digits": "Enter the sessions per week as a number above 0 and at "
                "most 20.",
                "max_decimal_places": "Enter the sessions per week with at most 1 decimal "
                "place, for example 4.5.",
            },
        }

    capacity = forms.ChoiceField(
        label="Whole-time equivalent or sessions",
        help_text="Sessional posts, such as named GPs, are recorded in sessions per week.",
        choices=CAPACITY_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )

    training_level = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=Meta.labels["training_level"],
        help_text=Meta.help_texts["training_level"],
        choices=[("", "Not recorded"), *[(i, f"Level {i}") for i in range(1, 6)]],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choice before its figures, so the error summary follows the page's order.
        self.order_fields(["holder_name", "holder_email", "capacity"])
        if self.instance.pk and not self.is_bound:
            self.initial["capacity"] = (
                "sessions" if self.instance.sessions_per_week is not None else "wte"
            )

    @property
    def capacity_chosen(self) -> str:
        """The choice to show checked: as chosen, as inferred from a single figure, or
        as the holder's record has it."""
        cleaned = getattr(self, "cleaned_data", {}).get("capacity")
        if cleaned:
            return cleaned
        return str(self["capacity"].value() or "")

    def clean(self):
        """One required choice: the holder's time as a whole-time equivalent or as
        sessions per week, and the figure for the one chosen (the other is cleared).
        The rule itself, exactly one of the two, is the model's."""
        data = super().clean()
        capacity = data.get("capacity")
        wte, sessions = data.get("whole_time_equivalent"), data.get("sessions_per_week")
        if not capacity and "whole_time_equivalent" not in self.errors:
            if "sessions_per_week" in self.errors:
                return data
            # Without a choice (no JavaScript, or an older page), a single figure says which.
            if wte is not None and sessions is None:
                capacity = "wte"
            elif sessions is not None and wte is None:
                capacity = "sessions"
            else:
                self.add_error(
                    "capacity",
                    "Enter the whole-time equivalent or the sessions per week: choose one and "
                    "enter the figure.",
                )
                return data
            data["capacity"] = capacity
        if capacity == "wte":
            data["sessions_per_week"] = None
            if wte is None and "whole_time_equivalent" not in self.errors:
                self.add_error(
                    "whole_time_equivalent", "Enter the whole-time equivalent, for example 0.6."
                )
        elif capacity == "sessions":
            data["whole_time_equivalent"] = None
            if sessions is None and "sessions_per_week" not in self.errors:
                self.add_error("sessions_per_week", "Enter the sessions per week, for example 4.")
        return data

    def _post_clean(self):
        # Model validation runs in the service, which reports errors per field.
        pass
