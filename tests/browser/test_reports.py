"""The annual report journey in Chromium: London's lead writes the region's
achievements and priorities, the regional chief nurse signs the report off,
the national admin runs the rollup and watches its progress, then reads the
national report with London's section and follows a figure to its returns.
axe passes on every reporting page, errors included."""

# ruff: noqa: F811  (the fixtures are imported from the reporting tests)
import pytest
from playwright.sync_api import expect

from organisations.models import Role
from reporting.models import RegionalReport, ReportRun, RunState
from tests.assurance.conftest import submissions_purged_after  # noqa: F401
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member
from tests.reporting.conftest import YEAR, history  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_writes_chief_nurse_signs_national_admin_rolls_up(
    live_server, page, sign_in, reference, history, submissions_purged_after, real_worker
):
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    chief_nurse = member(reference["Y56"], Role.REGIONAL_CHIEF_NURSE)
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    for user in (lead, admin):
        enrol_totp(user)
    report_url = f"{live_server.url}/reports/{YEAR}/regions/Y56/"

    sign_in(lead)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Annual reports").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="London annual report 2025/26").click()
    page.get_by_role("link", name="Write the introduction, achievements and priorities").click()
    page.get_by_label("Key achievements and outcomes").fill("x" * 401)
    page.get_by_role("button", name="Save the report").click()
    expect(page.get_by_text("Item 1 is longer than 400 characters").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Introduction").fill("London's ICBs kept their assurance steady.")
    page.get_by_label("Key achievements and outcomes").fill(
        "Every ICB has a designated nurse for children in care.\nCP-IS live in all A&E units."
    )
    page.get_by_label("Priorities for next year").fill("Prepare for LPS.")
    page.get_by_role("button", name="Save the report").click()
    expect(page.get_by_text("Annual report saved.")).to_be_visible()
    expect(page.get_by_text("CP-IS live in all A&E units.")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(chief_nurse)
    page.goto(report_url)
    page.get_by_role("button", name="Sign off the report").click()
    expect(page.get_by_text("Annual report signed off.")).to_be_visible()
    assert RegionalReport.objects.get().is_signed_off
    page.get_by_role("link", name="Withdraw the sign-off").click()
    page.get_by_role("button", name="Withdraw the sign-off").click()
    expect(page.get_by_text("Say why the sign-off is withdrawn.").first).to_be_visible()
    assert_accessible(page)
    page.goto(report_url)
    assert RegionalReport.objects.get().is_signed_off

    page.context.clear_cookies()
    sign_in(admin)
    page.goto(f"{live_server.url}/reports/{YEAR}/national/")
    expect(
        page.get_by_text("The region's report has not been signed off yet.").first
    ).to_be_visible()
    with real_worker():
        page.get_by_role("button", name="Compute the figures").click()
        expect(page.get_by_role("heading", name="Computing the figures")).to_be_visible()
        assert_accessible(page)
        # The page refreshes itself (no JavaScript needed) until the run is done.
        expect(page.get_by_text("7 of 7 regions done, and England's figures")).to_be_visible(
            timeout=120_000
        )
    assert ReportRun.objects.get().state == RunState.DONE
    page.get_by_role("link", name="Read the national report").click()
    expect(
        page.get_by_text("Every ICB has a designated nurse for children in care.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Acronyms")).to_be_visible()
    expect(page.locator("#acronyms + dl")).to_contain_text("Liberty Protection Safeguards")
    assert_accessible(page)

    page.goto(report_url)
    expect(page.get_by_role("heading", name="Metric trends")).to_be_visible()
    assert_accessible(page)
    page.locator("#rag ~ div table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("answers counted, London")
    assert_accessible(page)
