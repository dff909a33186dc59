"""The Jinja2 environment for portal pages: our templates first, then the
NHS.UK component macros from nhsuk-frontend-jinja."""

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from organisations.scoping import memberships_of
from saaf import nhs_forms
from saaf.dates import nhs_date, nhs_datetime


def history_value(change) -> str:
    """An audit event's [old, new] pair in words: "none → Level 3"."""

    def word(value) -> str:
        if value is None or value == "":
            return "none"
        if isinstance(value, dict):  # a related object: {"id", "code", "name"}
            return str(value.get("name") or value.get("code") or value.get("id"))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    if isinstance(change, (list, tuple)) and len(change) == 2:
        return f"{word(change[0])} → {word(change[1])}"
    return word(change)


def environment(**options) -> Environment:
    loader = options.pop("loader", None)
    loaders = [loader] if loader else []
    options["loader"] = ChoiceLoader([*loaders, PackageLoader("nhsuk_frontend_jinja", "templates")])
    # The NHS macros read nested optional parameters (params.navigation.colour),
    # which only a chainable undefined allows.
    options["undefined"] = ChainableUndefined
    env = Environment(**options)  # noqa: S701  (Django's backend turns autoescape on)
    env.globals.update(
        {
            "static": static,
            "url": reverse,
            "get_messages": get_messages,
            # The layout's header: the signed-in user's roles and organisations.
            "memberships_of": memberships_of,
            # The forms helper (templates/jinja2/includes/forms.jinja).
            "nhs_field_macro": nhs_forms.field_macro,
            "nhs_field_items": nhs_forms.field_items,
            "nhs_date_parts": nhs_forms.date_parts,
            "nhs_plain_date_params": nhs_forms.plain_date_params,
            "nhs_form_errors": nhs_forms.error_list,
            # The history include (templates/jinja2/includes/history.jinja).
            "history_value": history_value,
        }
    )
    env.filters["nhs_date"] = nhs_date
    env.filters["nhs_datetime"] = nhs_datetime
    return env
