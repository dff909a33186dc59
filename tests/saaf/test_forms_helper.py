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
