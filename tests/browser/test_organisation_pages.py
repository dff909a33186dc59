"""Journeys through the home pages and organisation pages in a real browser,
with an accessibility check on each page."""

import re

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_london_regional_lead_sees_the_regions_icbs_past_and_present(
    live_server, page, sign_in, reference
):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD, full_name="Rhiannon Lead")
    enrol_totp(lead)
    sign_in(lead)

    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("banner")).to_contain_text("Safeguarding assurance portal")
    expect(page.get_by_role("banner")).to_contain_text("Regional safeguarding lead, London")
    icbs = page.get_by_role("table", name=re.compile("Integrated care boards in London"))
    for name in [
        "NHS North East London Integrated Care Board",
        "NHS West and North London Integrated Care Board",
        "NHS North Central London Integrated Care Board",
        "NHS North West London Integrated Care Board",
    ]:
        expect(icbs.get_by_role("link", name=name)).to_be_visible()
    expect(icbs).to_contain_text("Closed")
    expect(icbs).not_to_contain_text("Birmingham")
    assert_accessible(page)

    response = page.goto(f"{live_server.url}/organisations/QHL/")
    assert response.status == 404


def test_successor_approver_reads_history_but_not_a_neighbour(
    live_server, page, sign_in, reference
):
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER, full_name="Ada Approver")
    enrol_totp(approver)
    sign_in(approver)

    page.goto(f"{live_server.url}/")
    expect(
        page.get_by_role("heading", level=2, name=re.compile("West and North London"))
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="NHS North Central London Integrated Care Board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "NHS North Central London Integrated Care Board"
    )
    expect(page.get_by_role("table", name="Successors")).to_contain_text("Merger")
    assert_accessible(page)

    response = page.goto(f"{live_server.url}/organisations/QMF/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("code", "role"), [("X24", Role.NSSG_MEMBER), ("X24", Role.NATIONAL_ADMIN)]
)
def test_national_home_is_accessible(live_server, page, sign_in, reference, code, role):
    user = member(reference[code], role)
    enrol_totp(user)
    sign_in(user)

    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("table", name="Regions")).to_contain_text("Midlands")
    assert_accessible(page)


def test_icb_viewer_home_and_organisation_page_are_accessible(
    live_server, page, sign_in, reference
):
    sign_in(member(reference["QMF"], Role.ICB_VIEWER))

    page.goto(f"{live_server.url}/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/organisations/QMF/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "NHS North East London Integrated Care Board"
    )
    assert_accessible(page)


def test_sign_in_page_is_accessible_and_anonymous_users_land_on_it(live_server, page, reference):
    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page)
