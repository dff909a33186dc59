"""Publishing in Chromium: the national admin publishes the national report
and watches the worker make its PDF; an NSSG member finds it in the archive
and downloads it, the very file whose checksum was recorded. axe passes on
the progress and archive pages."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from reporting.models import PublishedReport, PublishState
from reporting.rollup import year_figures_write
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member
from tests.reporting.conftest import YEAR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_admin_publishes_and_an_nssg_member_downloads(
    live_server, page, sign_in, reference, toolkit, real_worker
):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    enrol_totp(admin)
    nssg = member(reference["X24"], Role.NSSG_MEMBER)
    # The year's figures (no returns in this year: a short report).
    year_figures_write(financial_year=YEAR)

    sign_in(admin)
    page.goto(f"{live_server.url}/reports/{YEAR}/national/")
    with real_worker():
        page.get_by_role("button", name="Publish the report").click()
        expect(page.get_by_role("heading", name="Publishing version 1")).to_be_visible()
        assert_accessible(page)
        expect(page.get_by_text("Published on")).to_be_visible(timeout=120_000)
    published = PublishedReport.objects.get()
    assert published.state == PublishState.PUBLISHED
    page.get_by_role("link", name="See it in the archive").click()
    expect(page.get_by_role("heading", name="Archive of published annual reports")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(nssg)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Annual reports").first.click()
    page.get_by_role("link", name="Archive of published reports").click()
    expect(page.get_by_text(published.sha256)).to_be_visible()
    expect(page.get_by_text("Current")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as downloading:
        page.get_by_role("link", name=re.compile(r"^PDF.*National annual safeguarding")).click()
    download = downloading.value
    assert download.suggested_filename == published.filename
    with open(download.path(), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == published.sha256
