"""The London lead's overview in Chromium: the recurring learning themes as
an SVG bar chart (an image with a name and text labels) beside a table of
the same figures; axe finds no serious or critical violations."""

import datetime

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from reviews import services
from reviews.models import AgeGroup, ConveningBody, ReviewKind
from tests.browser.conftest import assert_accessible
from tests.factories import PlaceFactory, enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_london_lead_sees_the_theme_chart(live_server, page, sign_in, reference):
    z9 = reference["Z9B2Z"]
    camden = PlaceFactory(code="E09000007", name="Camden", parent=z9)
    editor = member(z9, Role.ICB_EDITOR)
    for number, themes in enumerate(
        [["supervision", "training"], ["supervision"], ["information_sharing"]], start=1
    ):
        services.review_create(
            actor=editor,
            lead_icb=z9,
            kind=ReviewKind.SAR,
            reference=f"CAMDEN-SAR-{number}",
            convening_body=ConveningBody.SAB,
            area=camden,
            age_group=AgeGroup.ADULT,
            notified_on=datetime.date(2026, 5, number),
            learning_themes=themes,
        )
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(lead)
    sign_in(lead)
    page.goto(f"{live_server.url}/reviews/")
    page.get_by_role("link", name="overview of the reviews you can read").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Reviews overview"
    chart = page.get_by_role("img", name="How often each learning theme appears in reviews")
    expect(chart).to_be_visible()
    assert chart.locator("text", has_text="Supervision").count() == 1
    table = page.get_by_role("table", name="Learning themes")
    expect(table.get_by_role("row", name="Supervision 2")).to_be_visible()
    recurring = page.get_by_role("table", name="Recurring themes by ICB")
    expect(recurring.get_by_role("cell", name="Supervision")).to_be_visible()
    assert_accessible(page)


def test_a_national_reader_narrows_the_overview_to_london(live_server, page, sign_in, reference):
    national = member(reference["X24"], Role.NSSG_MEMBER)
    enrol_totp(national)
    sign_in(national)
    page.goto(f"{live_server.url}/reviews/overview/")
    page.get_by_label("Region").select_option(label="London")
    page.get_by_role("button", name="Show").click()
    assert "region=Y56" in page.url
    expect(page.get_by_text("led by ICBs in London")).to_be_visible()
    assert_accessible(page)
