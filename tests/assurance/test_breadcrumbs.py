"""No breadcrumb repeats the page's own title or an item ("Reporting periods ›
Reporting periods"); every trail starts at one "Home"."""

import re

import pytest
from django.urls import reverse

from organisations.models import Role
from tests.factories import enrol_totp, member


def breadcrumb_items(html: str) -> list[str]:
    nav = re.search(r'<nav class="nhsuk-breadcrumb".*?</nav>', html, re.S)
    assert nav, "the page has a breadcrumb"
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'class="nhsuk-breadcrumb__link"[^>]*>(.*?)</a>', nav.group(0), re.S)
    ]


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("assurance:period_detail", [2026, 3], ["Home", "Reporting periods"]),
        ("assurance:toolkit_version_detail", [2026], ["Home", "Toolkit versions"]),
        ("assurance:section_detail", [2026, "LG"], ["Home", "Toolkit versions", "2026/27"]),
        ("mfa_index", [], ["Home"]),
        ("usersessions_list", [], ["Home", "Security"]),
        ("account_change_password", [], ["Home", "Security"]),
    ],
)
def test_breadcrumbs_start_at_home_and_never_repeat(
    client, reference, toolkit, name, args, expected
):
    user = member(reference["X24"], Role.NSSG_MEMBER)
    enrol_totp(user)
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    items = breadcrumb_items(response.content.decode())
    assert items == expected
    assert len(set(items)) == len(items)
