"""Template tags for the Django-template pages (allauth's sign-in, MFA and
sessions pages), so they wear the same NHS.UK markup as the Jinja pages."""

from django import template
from django.forms import BoundField

from organisations.scoping import memberships_of

register = template.Library()

_WIDGET_CLASS = {
    "select": "nhsuk-select",
    "textarea": "nhsuk-textarea",
    "checkbox": "nhsuk-checkboxes__input",
    "radio": "nhsuk-radios__input",
}


@register.filter
def nhs_widget(bound_field: BoundField) -> str:
    """The field's widget with NHS classes and aria-describedby for its hint
    and error message (ids `<auto_id>-hint` and `<auto_id>-error`)."""
    css = _WIDGET_CLASS.get(bound_field.widget_type, "nhsuk-input")
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        css += f" {css}--error" if css in {"nhsuk-input", "nhsuk-select", "nhsuk-textarea"} else ""
        described_by.append(f"{bound_field.auto_id}-error")
    attrs = {"class": css}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def saaf_memberships(user) -> list:
    """The signed-in user's roles, for the header."""
    return memberships_of(user)
