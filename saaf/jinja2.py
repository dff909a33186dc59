"""The Jinja2 environment for portal pages: our templates first, then the
NHS.UK component macros from nhsuk-frontend-jinja."""

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, PackageLoader


def environment(**options) -> Environment:
    loader = options.pop("loader", None)
    loaders = [loader] if loader else []
    options["loader"] = ChoiceLoader([*loaders, PackageLoader("nhsuk_frontend_jinja", "templates")])
    env = Environment(**options)  # noqa: S701  (Django's backend turns autoescape on)
    env.globals.update({"static": static, "url": reverse, "get_messages": get_messages})
    return env
