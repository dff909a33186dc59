"""The national admin prepares next year's toolkit in a real browser: starts
the 2027/28 draft from 2026/27, changes a threshold, publishes it; each page
is checked for accessibility, and 2026/27 is unchanged."""

import pytest
from playwright.sync_api import expect

from assurance.models import ReportingPeriod, ToolkitVersion
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_admin_prepares_and_publishes_2027_28(live_server, page, sign_in, reference):
    toolkit_content_load(actor=system_actor())
    admin = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN, full_name="Nia Admin")
    enrol_totp(admin)
    sign_in(admin)

    page.goto(f"{live_server.url}/toolkit/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assurance Toolkit")
    expect(page.get_by_role("table", name="Toolkit versions")).to_contain_text("2026/27")
    assert_accessible(page)

    page.get_by_role("button", name="Start next year's draft").click()
    page.get_by_label("Copy from").select_option(label="2026/27")
    page.get_by_label("For the financial year").select_option(label="2027/28")
    assert_accessible(page)
    page.get_by_role("button", name="Start the draft").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("2027/28")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    assert_accessible(page)

    page.get_by_role("link", name="Change metric PREVENT_TRAINED").click()
    page.get_by_label("Amber threshold").fill("95")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "the amber threshold must be at or below the green threshold (85)"
    )
    assert_accessible(page)
    page.get_by_label("Green threshold").fill("90")
    page.get_by_label("Amber threshold").fill("80")
    page.get_by_role("button", name="Save").click()
    metrics = page.get_by_role("table", name="Metrics of the 2027/28 toolkit")
    expect(metrics).to_contain_text("Green at or above 90%; amber at or above 80%")

    page.get_by_role("button", name="Publish 2027/28").click()
    assert_accessible(page)
    page.get_by_role("button", name="Publish 2027/28").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published")
    assert_accessible(page)

    new = ToolkitVersion.objects.get(financial_year=2027)
    assert new.is_published
    assert new.metrics.get(code="PREVENT_TRAINED").green == 90
    assert (
        ToolkitVersion.objects.get(financial_year=2026).metrics.get(code="PREVENT_TRAINED").green
        == 85
    )
    assert ReportingPeriod.objects.of_year(2027).count() == 4

    page.goto(f"{live_server.url}/toolkit/2027/metrics/PREVENT_TRAINED/edit/")
    expect(page.get_by_role("main")).to_contain_text("is published and can no longer change")

    page.goto(f"{live_server.url}/periods/")
    expect(page.get_by_role("table")).to_contain_text("Q1 2027/28")
    assert_accessible(page)
