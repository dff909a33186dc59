"""The forms helper (templates/jinja2/includes/forms.jinja): every kind of
Django field comes out through the NHS macro, with label, hint and errors."""

import datetime
import re

from django import forms
from django.template import engines


class ExampleForm(forms.Form):
    name = forms.CharField(label="Full name", help_text="As on their contract")
    email = forms.EmailField(label="Email address")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "Acute"), ("m", "Mental health")])
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    level = forms.ChoiceField(
        label="Training level",
        choices=[("4", "Level 4"), ("5", "Level 5")],
        widget=forms.RadioSelect,
    )
    themes = forms.MultipleChoiceField(
        label="Themes",
        choices=[("t", "Training"), ("s", "Supervision")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    vacant = forms.BooleanField(label="The post is vacant", required=False)
    started = forms.DateField(label="Start date", widget=forms.SelectDateWidget)


TEMPLATE = """{% from "includes/forms.jinja" import form_error_summary, form_field %}
{{ form_error_summary(form) }}
{% for field in form %}{{ form_field(field) }}{% endfor %}"""


def render(form):
    html = engines["jinja2"].from_string(TEMPLATE).render({"form": form})
    return re.sub(r"\s+", " ", html).replace(" >", ">")


def test_fields_render_through_the_nhs_macros_with_initial_values():
    form = ExampleForm(initial={"started": datetime.date(2026, 4, 1), "kind": "m"})

    html = render(form)

    assert 'class="nhsuk-label" for="id_name"' in html
    assert 'id="id_name-hint"' in html and "As on their contract" in html
    assert 'type="email"' in html
    assert '<option value="m" selected>' in html
    assert html.count('id="id_level"') == 1  # the first radio, not its container too
    assert "nhsuk-textarea" in html and "nhsuk-radios__input" in html
    assert "nhsuk-checkboxes__input" in html and "The post is vacant" in html
    assert 'name="started_day"' in html and 'value="1"' in html and 'value="2026"' in html
    assert "nhsuk-error-summary" not in html


def test_errors_show_on_the_field_and_in_a_summary_linking_to_it():
    form = ExampleForm(
        data={
            "name": "",
            "email": "not-an-email",
            "kind": "a",
            "level": "4",
            "started_day": "31",
            "started_month": "2",
            "started_year": "2026",
        }
    )
    assert not form.is_valid()

    html = render(form)

    assert "There is a problem" in html
    assert 'href="#id_name"' in html and 'href="#id_email"' in html
    assert 'href="#id_started_day"' in html
    assert "nhsuk-form-group--error" in html and "nhsuk-error-message" in html
    assert 'value="31"' in html  # what they typed is kept


def test_selectdate_values_round_trip_into_a_date():
    form = ExampleForm(
        data={
            "name": "A",
            "email": "a@example.nhs.uk",
            "kind": "a",
            "level": "5",
            "started_day": "1",
            "started_month": "4",
            "started_year": "2026",
            "vacant": "on",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["started"] == datetime.date(2026, 4, 1)
    assert form.cleaned_data["vacant"] is True


# The date input as the NHS macro writes it, with the parameters form_field
# passed it before it wrote the markup itself.
NHS_DATE = """{% from "nhsuk/components/date-input/macro.jinja" import dateInput %}
{%- set field = form[name] -%}
{%- set parts = nhs_date_parts(field) -%}
{%- set error_class = "nhsuk-input--error" if field.errors else "" -%}
{{ dateInput(dict({
  "id": field.auto_id,
  "name": field.html_name,
  "hint": {"text": field.help_text} if field.help_text else none,
  "errorMessage": {"text": field.errors | join(" ")} if field.errors else none,
  "attributes": {},
  "disabled": field.field.disabled,
  "fieldset": {"legend": {"text": field.label, "size": "s"}},
  "items": [
    {"id": field.auto_id ~ "_day", "name": field.html_name ~ "_day", "label": "Day",
     "value": parts.day, "width": 2, "classes": error_class},
    {"id": field.auto_id ~ "_month", "name": field.html_name ~ "_month", "label": "Month",
     "value": parts.month, "width": 2, "classes": error_class},
    {"id": field.auto_id ~ "_year", "name": field.html_name ~ "_year", "label": "Year",
     "value": parts.year, "width": 4, "classes": error_class},
  ],
}, **params)) }}"""

OURS_DATE = """{% from "includes/forms.jinja" import form_field %}
{{- form_field(form[name], params) }}"""


class DatesForm(forms.Form):
    started = forms.DateField(
        label='Start date <& "quoted">',
        help_text="For example, 31 3 2026 & later",
        widget=forms.SelectDateWidget,
    )
    ended = forms.DateField(label="End date", required=False, widget=forms.SelectDateWidget)
    fixed = forms.DateField(
        label="Fixed", required=False, disabled=True, widget=forms.SelectDateWidget
    )


def _markup(html: str) -> str:
    """The elements and attributes, whitespace between them left out."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*([<>])\s*", r"\1", html).strip()


def _both(form, name, params=None):
    env = engines["jinja2"]
    context = {"form": form, "name": name, "params": params or {}}
    return (
        _markup(env.from_string(OURS_DATE).render(context)),
        _markup(env.from_string(NHS_DATE).render(context)),
    )


def test_the_date_input_is_the_nhs_macros_markup_in_every_state():
    unbound = DatesForm(initial={"started": datetime.date(2026, 4, 1)})
    typed = DatesForm(data={"started_day": '1"><b>', "started_month": "13", "started_year": "2026"})
    missing = DatesForm(data={"ended_day": "2"})
    assert not typed.is_valid() and not missing.is_valid()
    for form in (unbound, typed, missing):
        for name in ("started", "ended", "fixed"):
            for params in (None, {"fieldset": {"legend": {"text": "As on", "size": "m"}}}):
                ours, nhs = _both(form, name, params)
                assert ours == nhs, (name, params)
    ours, _ = _both(typed, "started")
    assert "nhsuk-form-group--error" in ours and 'value="1&#34;&gt;&lt;b&gt;"' in ours


def test_a_date_field_with_other_parameters_goes_through_the_nhs_macro():
    params = {"fieldset": {"legend": {"text": "When", "isPageHeading": True}}}

    ours, nhs = _both(DatesForm(), "started", params)

    assert ours == nhs and "nhsuk-fieldset__heading" in ours
