"""The Jinja2 environment for portal pages: our templates first, then the
NHS.UK component macros from nhsuk-frontend-jinja."""

import datetime

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from organisations.scoping import memberships_of
from saaf import nhs_forms


def nhs_date(value: datetime.date | None, empty: str = "") -> str:
    """A date as the NHS style guide writes it: 1 July 2022."""
    return f"{value.day} {value:%B %Y}" if value else empty


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
            "nhs_form_errors": nhs_forms.error_list,
        }
    )
    env.filters["nhs_date"] = nhs_date
    return env
