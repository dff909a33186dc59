"""Django forms rendered through the NHS.UK macros.

The Jinja macros in `templates/jinja2/includes/forms.jinja` call these helpers
to turn a bound field into the parameters of the matching nhsuk-frontend
macro (input, select, textarea, radios, checkboxes, date input) and a form's
errors into the error summary's list of links. Kept in Python so that the
mapping from Django's widgets is written, and tested, once.

Every portal form is a `PortalForm` or `PortalModelForm`: each of their text
fields refuses control characters (a test checks every form of the project
derives from them) and says in the portal's words how long a text may be.
"""

from __future__ import annotations

import contextlib
import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

# C0 control characters and DEL, except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {0: "NUL", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "escape", 0x7F: "DEL"}
# A text area without a length of its own takes at most this many characters.
TEXTAREA_MAX_LENGTH = 10_000


def _control_name(char: str) -> str:
    code = ord(char)
    return _CONTROL_NAMES.get(code, f"U+{code:04X}")


def refuse_control_characters(value) -> None:
    """Refuse the invisible control characters that a paste from another program
    can carry (NUL, vertical tab, escape…): tab and new lines are fine."""
    if not isinstance(value, str):
        return
    found = sorted({_control_name(c) for c in _CONTROL.findall(value)})
    if found:
        raise ValidationError(
            "Remove the control characters from this text (%(found)s): they are invisible "
            "and cannot be stored. Type the text again rather than pasting it.",
            code="control_characters",
            params={"found": ", ".join(found)},
        )


class PortalFormMixin:
    """What every portal form does to its text fields: control characters refused,
    text areas given a length, and length errors in the portal's words."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                _portal_text_field(field)


def _portal_text_field(field: forms.CharField) -> None:
    # Our validator names every control character, NUL included: Django's own
    # "Null characters are not allowed." would be a second, vaguer message.
    field.validators = [
        v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
    ]
    if refuse_control_characters not in field.validators:
        field.validators.append(refuse_control_characters)
    if field.max_length is None and isinstance(field.widget, forms.Textarea):
        field.max_length = TEXTAREA_MAX_LENGTH
        field.widget.attrs.setdefault("maxlength", str(TEXTAREA_MAX_LENGTH))
        field.validators.append(MaxLengthValidator(TEXTAREA_MAX_LENGTH))
    label = str(field.label or "This text").removesuffix(" (optional)")
    field.error_messages.setdefault(
        "max_length",
        f"{label} must be %(limit_value)s characters or fewer: shorten it (it has %(show_value)s).",
    )
    field.error_messages.setdefault(
        "min_length", f"{label} must be at least %(limit_value)s characters."
    )


class PortalForm(PortalFormMixin, forms.Form):
    pass


class PortalModelForm(PortalFormMixin, forms.ModelForm):
    pass


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
    """Day, month and year for a SelectDateWidget field: as typed into its three
    boxes when the form was posted, otherwise from its value (a date, a date in the
    input format, or the "y-m-d" text Django keeps for invalid input)."""
    names = {part: f"{bound_field.html_name}_{part}" for part in ("day", "month", "year")}
    data = bound_field.form.data if bound_field.form.is_bound else {}
    if any(name in data for name in names.values()):
        return {part: str(data.get(name) or "") for part, name in names.items()}
    value = bound_field.value()
    if isinstance(value, str) and value:
        with contextlib.suppress(ValidationError):
            value = bound_field.field.to_python(value) or value
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


def plain_date_params(params: dict) -> bool:
    """Whether a date field's `params` are ones the forms helper's own date input
    writes (at most the legend's text and size); anything else goes through the
    NHS macro."""
    if set(params) - {"fieldset"}:
        return False
    fieldset = params.get("fieldset", {"legend": {}})
    return set(fieldset) == {"legend"} and not set(fieldset["legend"]) - {"text", "size"}


def error_list(form: forms.BaseForm) -> list[dict]:
    """Every error of the form, as the error summary's links: non-field errors
    first (no link), then each field's errors linking to its first input."""
    errors = [{"text": str(message)} for message in form.non_field_errors()]
    for bound_field in form:
        for message in bound_field.errors:
            errors.append({"text": str(message), "href": f"#{field_target_id(bound_field)}"})
    return errors


def service_errors_apply(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's refusal on the form that asked for it: each field's
    messages on that field, anything else on the form as a whole."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for e in errors:
                form.add_error(target, e)
    else:
        for message in error.messages:
            form.add_error(None, message)
