"""The region's review in Chromium: London's lead records a validated rating
that differs, with its rationale, and comments on the return; the approver
replies in the thread; the national admin reopens a locked return. axe
passes on the validated ratings page, the task list with its comments, the
section page's comments, the reopen page (with its errors) and the period
page's completeness table."""

import datetime

import pytest
from playwright.sync_api import expect

from assurance.models import ReportingPeriod, ReturnComment, SubmittedAnswer
from assurance.services.register import post_types_load
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import (
    quarterly_return_review_start,
    quarterly_return_submit,
)
from organisations.audit import system_actor
from organisations.models import Role
from saaf.dates import today
from tests.assurance.test_submission import fill_clean
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_validates_and_comments_and_the_approver_replies(
    live_server, page, sign_in, reference, toolkit
):
    post_types_load(actor=system_actor())
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)

    enrol_totp(lead)
    sign_in(lead)
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"
    page.goto(base)
    page.get_by_role("link", name="Record validated ratings").click()
    assert_accessible(page)
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("Red").check()
    lg1.get_by_role("button", name="Record validated rating for LG1").click()
    expect(page.get_by_text("Say why you rate the standard this way.").first).to_be_visible()
    assert_accessible(page)
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("Rationale for LG1").fill("The minutes do not show the board's review.")
    lg1.get_by_role("button", name="Record validated rating for LG1").click()
    expect(page.get_by_text("LG1: validated rating recorded.")).to_be_visible()
    answer = SubmittedAnswer.objects.get(standard__code="LG1")
    assert (answer.rating, answer.validated_rating) == ("green", "red")

    page.goto(base)
    page.get_by_label("Comment on the return").fill("Line one\nLine <two>")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()
    expect(page.get_by_text("Line <two>", exact=False)).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    enrol_totp(approver)
    sign_in(approver)
    page.goto(base)
    page.get_by_text("Reply to", exact=False).first.click()
    page.get_by_label("Your reply").first.fill("Board minutes attached to LG1.")
    assert_accessible(page)
    page.get_by_role("button", name="Post reply").first.click()
    reply = ReturnComment.objects.get(text="Board minutes attached to LG1.")
    assert reply.parent.text == "Line one\nLine <two>" and reply.author == approver
    expect(page.get_by_text("Board minutes attached to LG1.")).to_be_visible()

    page.goto(base + "sections/LG/")
    page.get_by_label("Standard", exact=True).select_option("LG1")
    page.get_by_label("Comment on a standard").fill("Which minutes do you mean?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Which minutes do you mean?")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/periods/2026/q3/")
    expect(page.get_by_role("heading", name="Completeness and timeliness")).to_be_visible()
    assert_accessible(page)


def test_the_national_admin_reopens_a_locked_return(live_server, page, sign_in, reference, toolkit):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    yesterday = today() - datetime.timedelta(days=1)
    ReportingPeriod.objects.filter(pk=period.pk).update(due_on=yesterday, closes_on=yesterday)

    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    enrol_totp(admin)
    sign_in(admin)
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"
    page.goto(base)
    reopen_hint = page.get_by_text("ask the national team to reopen it", exact=False)
    expect(reopen_hint.first).to_be_visible()
    page.get_by_role("link", name="Reopen this return").click()
    page.get_by_role("button", name="Reopen the return").click()
    expect(page.get_by_text("Say why the return is reopened.").first).to_be_visible()
    assert_accessible(page)
    new = today() + datetime.timedelta(days=7)
    page.get_by_label("Why the return is reopened").fill("The ICB's system was down.")
    page.locator("#id_closes_on_day").fill(str(new.day))
    page.locator("#id_closes_on_month").fill(str(new.month))
    page.locator("#id_closes_on_year").fill(str(new.year))
    page.get_by_role("button", name="Reopen the return").click()
    expect(page.get_by_text("Reopened by the national team until", exact=False)).to_be_visible()
    assert_accessible(page)
