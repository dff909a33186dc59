"""The NHS components written out by hand (templates/jinja2/includes/nhs.jinja)
give the same markup as the NHS macros they stand in for, whitespace aside."""

import re

import pytest
from django.template import engines

CALL = """{% from "MODULE" import NAME %}{{ NAME(params) }}"""
NHS = {
    "breadcrumb": "nhsuk/components/breadcrumb/macro.jinja",
    "details": "nhsuk/components/details/macro.jinja",
}


def render(module: str, name: str, params: dict) -> str:
    template = CALL.replace("MODULE", module).replace("NAME", name)
    html = engines["jinja2"].from_string(template).render({"params": params})
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*([<>])\s*", r"\1", html).strip()


HOME = {"href": "/", "text": "Home"}
PERIOD = {"href": "/periods/2026/q1/", "text": " Q1 2026/27 "}
BREADCRUMBS = [
    {"items": [HOME]},
    {"items": [HOME, PERIOD]},
    {"items": [HOME, {"href": "", "text": "Not a link"}, PERIOD]},
    {"items": [HOME], "href": "/returns/", "text": "O'Brien's <return>"},
    {"items": [HOME, {"href": "/a?b=1&c=2", "text": "A & B"}]},
]
DETAILS = [
    {"summaryText": "What the words mean", "text": "Red is <worst>."},
    {"summaryText": "Guidance for LG", "html": "<p>Evidence: <strong>minutes</strong></p>"},
]


@pytest.mark.parametrize("params", BREADCRUMBS)
def test_the_breadcrumb_is_the_nhs_macros(params):
    ours = render("includes/nhs.jinja", "breadcrumb", params)
    assert ours == render(NHS["breadcrumb"], "breadcrumb", params)
    assert 'aria-label="Breadcrumb"' in ours and "nhsuk-back-link" in ours


@pytest.mark.parametrize("params", DETAILS)
def test_the_details_are_the_nhs_macros(params):
    ours = render("includes/nhs.jinja", "details", params)
    assert ours == render(NHS["details"], "details", params)
    assert "&lt;worst&gt;" in ours or "<strong>minutes</strong>" in ours
