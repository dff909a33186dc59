"""The heatmap's switches and filters, read from the query string."""

from __future__ import annotations

from django import forms

from assurance.heatmap import RATING_FILTERS, Basis, View
from saaf.nhs_forms import PortalForm


class HeatmapFilterForm(PortalForm):
    """What the heatmap shows: which columns, on which basis, for which
    section, and only the ICBs with a given rating. Every choice is optional:
    a blank one takes the default (sections, validated)."""

    view = forms.ChoiceField(
        label="Show", choices=View.choices, required=False, widget=forms.Select
    )
    section = forms.ChoiceField(
        label="Section",
        required=False,
        help_text="For the standards of one section.",
    )
    basis = forms.ChoiceField(
        label="Ratings", choices=Basis.choices, required=False, widget=forms.Select
    )
    rating = forms.ChoiceField(
        label="Only ICBs with",
        choices=[("", "Any rating"), *RATING_FILTERS.items()],
        required=False,
    )

    def __init__(self, data, *, sections, **kwargs):
        super().__init__(data, **kwargs)
        self.sections = {s.code: s for s in sections}
        self.fields["section"].choices = [("", "Choose a section")] + [
            (s.code, f"{s.code} {s.title}") for s in sections
        ]
        self.fields["view"].error_messages["invalid_choice"] = (
            "Choose what to show: sections, the standards of one section, metrics or the "
            "quarter's theme."
        )
        self.fields["basis"].error_messages["invalid_choice"] = (
            "Choose self-assessed, validated or where they differ."
        )
        self.fields["section"].error_messages["invalid_choice"] = (
            "Choose a section of this quarter's toolkit."
        )
        self.fields["rating"].error_messages["invalid_choice"] = (
            "Choose red, amber, green, not applicable, missing or draft."
        )

    def clean(self):
        data = super().clean()
        data["view"] = data.get("view") or View.SECTIONS
        data["basis"] = data.get("basis") or Basis.VALIDATED
        if data["view"] == View.STANDARDS and not data.get("section"):
            self.add_error("section", "Choose the section whose standards to show.")
        return data

    def choices(self) -> dict:
        """The choices to build the heatmap with: the defaults where a choice
        was wrong (its error is shown above the heatmap)."""
        data = getattr(self, "cleaned_data", {})
        view = data.get("view") or View.SECTIONS
        section = self.sections.get(data.get("section") or "")
        if view == View.STANDARDS and section is None:
            view = View.SECTIONS
        return {
            "view": view,
            "basis": data.get("basis") or Basis.VALIDATED,
            "section": section,
            "rating": data.get("rating") or "",
        }
