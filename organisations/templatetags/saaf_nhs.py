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
    # allauth's placeholders repeat the label in Title Case, and the NHS style
    # does without placeholders: the label and hint say what to enter.
    bound_field.field.widget.attrs.pop("placeholder", None)
    attrs = {"class": css}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def saaf_memberships(user) -> list:
    """The signed-in user's roles, for the header."""
    return memberships_of(user)


@register.simple_tag(takes_context=True)
def saaf_layout_block(context, name: str) -> str:
    """A block of the portal's Jinja layout (`templates/jinja2/layout.jinja`),
    rendered for this request: allauth's Django-template pages wear exactly
    the same header, with its navigation, and footer as every portal page."""
    from django.template import engines
    from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
    from django.utils.safestring import mark_safe

    request = context.get("request")
    environment = engines["jinja2"].env
    layout = environment.get_template("layout.jinja")
    # The layout's blocks use the macros it imports at its top, which a block
    # rendered on its own does not run: import them here.
    macros = {
        name: getattr(environment.get_template(f"nhsuk/components/{path}/macro.jinja").module, name)
        for name, path in (("header", "header"), ("footer", "footer"))
    }
    variables = {
        **macros,
        "request": request,
        "csrf_input": csrf_input_lazy(request) if request else "",
        "csrf_token": csrf_token_lazy(request) if request else "",
    }
    block = layout.blocks[name]
    return mark_safe("".join(block(layout.new_context(variables))))  # noqa: S308  (our own template)


@register.filter
def browser_in_words(user_agent: str) -> str:
    """ "Chrome on Windows" for the sessions page."""
    from organisations.user_agents import user_agent_words

    return user_agent_words(user_agent)


@register.filter
def mfa_required(user) -> bool:
    """Whether `user`'s role requires two-factor authentication (so it cannot be turned off)."""
    from organisations.permissions import requires_mfa

    return requires_mfa(user)


@register.simple_tag
def mfa_required_reason() -> str:
    from organisations.adapters import MFA_REQUIRED_REASON

    return MFA_REQUIRED_REASON


@register.filter
def sentence_case(label) -> str:
    """allauth's field labels in the NHS style's sentence case ("New Password
    (again)" → "New password (again)"); words in capitals (TOTP) stay so."""
    words = str(label).split(" ")
    return " ".join(
        [words[0], *(w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:])]
    )


@register.simple_tag
def session_idle_minutes() -> int:
    """How long a session lasts without activity (SAAF_SESSION_IDLE_SECONDS)."""
    from django.conf import settings

    return settings.SESSION_COOKIE_AGE // 60
