"""The lists of returns in Chromium: London's lead follows the header's
"Returns" link to the region's list for the latest ended quarter, opens a
return from it; a national reader reads England's list grouped by region;
an ICB viewer reads its ICB's returns across the quarters. axe finds no
serious or critical violations on any of them."""

import datetime

import pytest
from playwright.sync_api import expect

from assurance.models import ReportingPeriod
from assurance.return_lists import latest_period
from assurance.services.register import post_types_load
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import quarterly_return_submit
from organisations.audit import system_actor
from organisations.models import Role
from saaf.dates import today
from tests.assurance.test_submission import fill_clean
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

# PostgreSQL only in practice: its flush after a transactional test is a
# TRUNCATE, which the submission tables' DELETE triggers let through.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_reads_its_list_of_returns(live_server, page, sign_in, reference, toolkit):
    post_types_load(actor=system_actor())
    period = latest_period()
    # Due yesterday, open for a month: Z9B2Z's submission is late, whatever today is.
    ReportingPeriod.objects.filter(pk=period.pk).update(
        due_on=today() - datetime.timedelta(days=1),
        closes_on=today() + datetime.timedelta(days=30),
    )
    period.refresh_from_db()
    label, fy, q = period.label, period.financial_year, period.quarter
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    fill_clean(editor, ret)
    quarterly_return_submit(
        actor=member(reference["Z9B2Z"], Role.ICB_APPROVER), quarterly_return=ret, declaration=True
    )
    quarterly_return_start(actor=member(reference["QMF"], Role.ICB_EDITOR), icb=reference["QMF"],
                           period=period)  # fmt: skip

    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(lead)
    sign_in(lead)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Returns", exact=True).click()
    page.wait_for_url(f"**/periods/{fy}/q{q}/regions/Y56/returns/")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Returns for {label}")
    table = page.get_by_role("table", name=f"London: returns for {label}")
    assert table.get_by_role("row").count() == 5  # the header and four ICBs
    row = table.get_by_role("row", name="NHS West and North London")
    assert "Submitted" in row.inner_text() and "Late" in row.inner_text()
    assert "Draft" in table.get_by_role("row", name="NHS North East London").inner_text()
    assert_accessible(page)
    row.get_by_role("link").click()
    page.wait_for_url(f"**/returns/Z9B2Z/{fy}/{q}/")

    national = member(reference["X24"], Role.NSSG_MEMBER)
    sign_in(national)
    page.goto(f"{live_server.url}/periods/{fy}/q{q}/returns/")
    expect(page.get_by_role("table", name="Totals by region")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="London")).to_be_visible()
    assert_accessible(page)

    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    sign_in(viewer)
    page.goto(f"{live_server.url}/returns/")
    page.wait_for_url("**/returns/Z9B2Z/")
    expect(page.get_by_role("table", name="Returns of NHS West and North London")).to_be_visible()
    assert page.get_by_role("heading", name="Returns completed for the ICBs it succeeded").count()
    assert_accessible(page)
