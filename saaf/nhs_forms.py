"""Django forms rendered through the NHS.UK macros.

The Jinja macros in `templates/jinja2/includes/forms.jinja` call these helpers
to turn a bound field into the parameters of the matching nhsuk-frontend
macro (input, select, textarea, radios, checkboxes, date input) and a form's
errors into the error summary's list of links. Kept in Python so that the
mapping from Django's widgets is written, and tested, once.
"""

from __future__ import annotations

import datetime

from django import forms

# Django widget_type → the nhsuk-frontend macro that renders it.
_MACRO_BY_WIDGET = {
    "select": "select",
    "nullbooleanselect": "select",
    "textarea": "textarea",
    "radioselect": "radios",
    "checkboxselectmultiple": "checkboxes",
    "checkbox": "checkbox",
    "selectdate": "date",
    "password": "password",
}


def field_macro(bound_field: forms.BoundField) -> str:
    """The NHS macro for this field: "input" unless the widget says otherwise."""
    return _MACRO_BY_WIDGET.get(bound_field.widget_type, "input")


def field_target_id(bound_field: forms.BoundField) -> str:
    """The id an error summary link should jump to: the field's first input."""
    if field_macro(bound_field) == "date":
        return f"{bound_field.auto_id}_day"
    return bound_field.auto_id


def _selected_values(bound_field: forms.BoundField) -> set[str]:
    value = bound_field.value()
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


def field_items(bound_field: forms.BoundField) -> list[dict]:
    """Choices as NHS macro items, with the current value selected or checked."""
    chosen = _selected_values(bound_field)
    items = []
    for value, label in bound_field.field.choices:
        if isinstance(label, list | tuple):  # option groups: flattened
            for sub_value, sub_label in label:
                items.append(_item(sub_value, sub_label, chosen))
        else:
            items.append(_item(value, label, chosen))
    return items


def _item(value, label, chosen: set[str]) -> dict:
    value = "" if value is None else str(value)
    return {
        "value": value,
        "text": str(label),
        "selected": value in chosen,
        "checked": value in chosen,
    }


def date_parts(bound_field: forms.BoundField) -> dict[str, str]:
    """Day, month and year for a SelectDateWidget field, whether its value is a
    date (initial data) or the "y-m-d" text Django keeps for invalid input."""
    value = bound_field.value()
    if isinstance(value, datetime.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    if isinstance(value, str) and value.count("-") == 2:
        year, month, day = value.split("-")
        return {
            "day": day if day != "0" else "",
            "month": month if month != "0" else "",
            "year": year if year != "0" else "",
        }
    return {"day": "", "month": "", "year": ""}


def error_list(form: forms.BaseForm) -> list[dict]:
    """Every error of the form, as the error summary's links: non-field errors
    first (no link), then each field's errors linking to its first input."""
    errors = [{"text": str(message)} for message in form.non_field_errors()]
    for bound_field in form:
        for message in bound_field.errors:
            errors.append({"text": str(message), "href": f"#{field_target_id(bound_field)}"})
    return errors
