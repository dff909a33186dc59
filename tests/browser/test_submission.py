"""Signing the return off in Chromium: the approver sees the one problem left,
follows its link to the field, puts it right and submits with the
declaration; the task list then reads "Submitted on …, version 1"; London's
regional lead starts the review and returns it with a comment, which the
ICB then sees. axe passes on the submit page, the task list and the region's
view."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assurance.models import ReportingPeriod, ReturnStatus, Submission
from assurance.services.register import post_types_load
from assurance.services.returns import (
    AnswerInput,
    answer_save,
    metric_value_save,
    quarterly_return_start,
)
from organisations.audit import system_actor
from organisations.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

# PostgreSQL only in practice: its flush after a transactional test is a
# TRUNCATE, which the submission tables' DELETE triggers let through.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_approver_puts_the_last_problem_right_and_submits(
    live_server, page, sign_in, reference, toolkit
):
    post_types_load(actor=system_actor())
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    version = period.toolkit_version
    for standard in version.standards.all():
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=standard,
            answer=AnswerInput(
                rating="red" if standard.code == "LG1" else "green",
                narrative=f"Assured for {standard.code}.",
                explanation="Interim cover agreed." if standard.register_groups else "",
            ),
            revision=0,
        )
    for metric in version.metrics.all():
        if not metric.is_computed:
            metric_value_save(
                actor=editor, quarterly_return=ret, metric=metric, value=Decimal("4"), revision=0
            )

    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    enrol_totp(approver)
    sign_in(approver)
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"
    page.goto(base)
    expect(page.get_by_text("1 problem in Leadership and governance")).to_be_visible()
    page.get_by_role("link", name="See what to put right before submitting").click()
    assert_accessible(page)
    page.get_by_role("link", name="LG1: Rated red with no action").first.click()
    expect(page.locator("#id_LG1-a0-description")).to_be_visible()
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("What will be done").fill("Recruit to the vacant post")
    lg1.get_by_label("Owner").fill("Deputy chief nurse")
    due = lg1.get_by_role("group", name="Due date")
    due.get_by_label("Day").fill("31")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Save as draft").click()

    page.goto(base + "submit/")
    expect(page.get_by_text("The completeness check finds nothing to put right.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Tick the declaration").first).to_be_visible()
    page.get_by_label("I confirm this return is an accurate account", exact=False).check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("version 1", exact=False).first).to_be_visible()
    expect(page.get_by_text("awaiting the regional review").first).to_be_visible()
    assert_accessible(page)
    submission = Submission.objects.get()
    assert submission.submitted_by == approver and not submission.late

    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(lead)
    page.context.clear_cookies()
    sign_in(lead)
    page.goto(base)
    page.get_by_role("button", name="Start review").click()
    assert_accessible(page)
    page.get_by_label("Comments for the ICB").fill("LG1: attach the recruitment plan.")
    page.get_by_role("button", name="Return with comments").click()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED

    page.context.clear_cookies()
    sign_in(approver)
    page.goto(base)
    expect(page.get_by_text("LG1: attach the recruitment plan.")).to_be_visible()
    expect(page.get_by_text("it will be version 2", exact=False)).to_be_visible()
