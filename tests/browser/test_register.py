"""The posts register in Chromium: an editor fills a vacant post and the
finding goes; the register pages pass axe."""

import datetime

import pytest
from playwright.sync_api import expect

from assurance.models import PostType
from assurance.services.register import post_create, post_types_load
from organisations.audit import system_actor
from organisations.models import Commissioning, Role
from tests.browser.conftest import assert_accessible
from tests.factories import ProviderFactory, enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vacant_midwife(reference):
    post_types_load(actor=system_actor())
    trust = ProviderFactory(
        code="RAL", name="Royal Free London NHS Foundation Trust", provides_maternity=True
    )
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=True)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    return post_create(
        actor=editor,
        organisation=trust,
        post_type=PostType.objects.get(code="PRV_NAMED_MIDWIFE"),
        vacant_since=datetime.date(2026, 9, 1),
    ), editor


def test_an_editor_fills_a_vacant_post_and_the_finding_goes(
    live_server, page, sign_in, vacant_midwife
):
    post, editor = vacant_midwife
    sign_in(editor)
    page.goto(f"{live_server.url}/register/")
    assert page.get_by_role("heading", level=1).inner_text() == "Posts register"
    assert_accessible(page)
    findings = page.locator("#findings + .saaf-table-scroll table")
    expect(findings.get_by_text("Vacant since 1 September 2026.")).to_be_visible()

    findings.get_by_role("link", name="Add holder for Named midwife").click()
    assert_accessible(page)
    # A mistake first: the page says what to fix and saves nothing.
    page.get_by_label("Name of the holder").fill("Jo Midwife")
    page.get_by_role("radio", name="Whole-time equivalent").check()
    page.get_by_label("Whole-time equivalent (WTE)").fill("2")
    page.get_by_role("button", name="Save holder").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Whole-time equivalent (WTE)").fill("0.8")
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("10")
    start.get_by_label("Year").fill("2026")
    today = datetime.date.today()
    supervision = page.get_by_role("group", name="Date of the last documented supervision")
    supervision.get_by_label("Day").fill(str(today.day))
    supervision.get_by_label("Month").fill(str(today.month))
    supervision.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Safeguarding training level (optional)").select_option("4")
    page.get_by_role("button", name="Save holder").click()

    expect(page.get_by_text("Jo Midwife saved as named midwife")).to_be_visible()
    assert_accessible(page)  # the post's page with its history
    page.get_by_role("link", name="Back to the register").click()
    assert (
        page.locator("#findings + .saaf-table-scroll table")
        .get_by_text("Vacant since 1 September 2026.")
        .count()
        == 0
    )
    expect(page.get_by_role("cell", name="Jo Midwife")).to_be_visible()


def test_region_and_national_overviews_are_accessible(
    live_server, page, sign_in, reference, vacant_midwife
):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(lead)
    sign_in(lead)
    page.goto(f"{live_server.url}/register/")
    assert "/register/regions/Y56/" in page.url
    expect(
        page.get_by_role("link", name="NHS West and North London Integrated Care Board")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="NHS West and North London Integrated Care Board").click()
    expect(page.get_by_text("Vacant since 1 September 2026.").first).to_be_visible()
    assert page.get_by_role("link", name="Add holder").count() == 0  # reads, changes nothing
    assert_accessible(page)
