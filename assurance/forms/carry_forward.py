"""The carry-forward page's one question: which accepted return to start from."""

from __future__ import annotations

from django import forms

from saaf.nhs_forms import PortalForm


class CarryForwardForm(PortalForm):
    source = forms.TypedChoiceField(
        label="Start from",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which accepted return to carry forward from."},
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s.submission.pk, s.words) for s in sources]
        if len(sources) == 1:
            self.fields["source"].initial = sources[0].submission.pk
