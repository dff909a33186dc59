"""Forms for the national admin's toolkit and period pages. They translate
what was typed; the services decide what may change."""

from __future__ import annotations

from django import forms

from assurance.models import (
    Metric,
    RegisterGroup,
    RegisterScope,
    ReportingPeriod,
    Section,
    Standard,
    ToolkitVersion,
    financial_year_label,
)
from assurance.models.periods import QUARTER_THEMES
from assurance.register_rules import finding_kind_choices
from saaf.nhs_forms import PortalForm, PortalModelForm


class CodeCleaningMixin:
    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class ToolkitCopyForm(PortalForm):
    source = forms.ModelChoiceField(
        label="Copy from",
        queryset=ToolkitVersion.objects.published(),
        empty_label=None,
        help_text="A published version: it stays as it is.",
    )
    financial_year = forms.TypedChoiceField(label="For the financial year", coerce=int)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].label_from_instance = lambda v: v.label
        taken = set(ToolkitVersion.objects.values_list("financial_year", flat=True))
        latest = max(taken, default=2025)
        years = [y for y in range(latest - 1, latest + 3) if y not in taken]
        self.fields["financial_year"].choices = [(y, financial_year_label(y)) for y in years]


class SectionForm(CodeCleaningMixin, PortalModelForm):
    class Meta:
        model = Section
        fields = ["code", "title", "saaf_reference"]


class _InVersionForm(CodeCleaningMixin, PortalModelForm):
    def __init__(self, *args, version: ToolkitVersion, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.version = version
        self.fields["section"].queryset = version.sections.all()
        self.fields["section"].empty_label = None


class StandardForm(_InVersionForm):
    theme = forms.TypedChoiceField(
        label="Quarter theme",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "None")] + [(q.value, f"{q.label}: {t}") for q, t in QUARTER_THEMES.items()],
        help_text="The quarter whose national theme heatmap includes this standard.",
    )
    register_groups = forms.MultipleChoiceField(
        label="Register groups a green rating depends on",
        choices=RegisterGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for a standard that does not depend on the posts register.",
    )
    register_findings = forms.MultipleChoiceField(
        label="Register findings that stand in the way of green",
        choices=finding_kind_choices(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    register_scope = forms.ChoiceField(
        label="Whose posts count",
        choices=RegisterScope.choices,
        initial=RegisterScope.ICB_AND_PROVIDERS,
        required=False,
        widget=forms.RadioSelect,
        help_text="Only for a standard with register groups.",
    )

    class Meta:
        model = Standard
        fields = [
            "section",
            "code",
            "statement",
            "guidance",
            "evidence",
            "theme",
            "register_groups",
            "register_findings",
            "register_scope",
            "register_note",
        ]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 3}),
            "guidance": forms.Textarea(attrs={"rows": 3}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_register_scope(self) -> str:
        return self.cleaned_data["register_scope"] or RegisterScope.ICB_AND_PROVIDERS


class MetricForm(_InVersionForm):
    higher_is_better = forms.TypedChoiceField(
        label="Direction",
        coerce=lambda v: v == "True",
        choices=[("True", "Higher is better"), ("False", "Lower is better")],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Metric
        fields = [
            "section",
            "code",
            "name",
            "unit",
            "higher_is_better",
            "green",
            "amber",
            "computed_from",
        ]
        help_texts = {
            "green": "Leave both thresholds empty for a figure that is reported, not rated.",
            "amber": "Between green and red: at or beyond it is amber.",
        }


class ReportingPeriodForm(PortalModelForm):
    class Meta:
        model = ReportingPeriod
        fields = ["opens_on", "due_on", "closes_on"]
        widgets = {
            "opens_on": forms.SelectDateWidget,
            "due_on": forms.SelectDateWidget,
            "closes_on": forms.SelectDateWidget,
        }
