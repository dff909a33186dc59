"""The annual reports' forms: the narrative parts are short items, one a line."""

from __future__ import annotations

from django import forms

from saaf.nhs_forms import PortalForm

ONE_A_LINE = "One item a line, each a sentence or two."


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class _ItemsForm(PortalForm):
    def items_initial(self, name: str, items: list[str]) -> None:
        self.initial[name] = "\n".join(items)


class RegionalNarrativeForm(_ItemsForm):
    introduction = forms.CharField(
        label="Introduction (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A short introduction to the region's year.",
    )
    achievements = forms.CharField(
        label="Key achievements and outcomes (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=ONE_A_LINE,
    )
    priorities = forms.CharField(
        label="Priorities for next year (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=ONE_A_LINE,
    )


class NationalReportForm(_ItemsForm):
    foreword = forms.CharField(
        label="Foreword (optional)", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    achievements = forms.CharField(
        label="National key achievements and outcomes (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=ONE_A_LINE,
    )
    priorities = forms.CharField(
        label="National priorities for next year (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=ONE_A_LINE,
    )
    health_and_justice = forms.CharField(
        label="Health & Justice (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The directly commissioned secure and detained estate has no returns: "
        "this section is narrative only.",
    )


class UnsignForm(PortalForm):
    reason = forms.CharField(
        label="Why is the sign-off withdrawn?",
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the sign-off is withdrawn."},
        help_text="The regional lead sees this reason; it is kept in the report's history.",
    )
