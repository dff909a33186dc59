"""A return's whole journey in Chromium, from the last answer to acceptance,
with the differences between its versions: the editor finishes LG1 (an
action with no due date yet); the approver sees that one problem, follows
its link, gives the date and submits with the declaration; London's lead
starts the review, records a validated rating that differs from the ICB's
with a rationale, comments on LG1 and returns the return; the approver
replies, changes one word of LG1's narrative and resubmits; the lead reads
the versions, opens what changed from version 1 to version 2 (the changed
word marked) and accepts. axe finds nothing serious or critical on any page
of the journey.

test_submission.py and test_review.py try each step's refusals and errors;
this is the whole path through, once."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assurance.models import ReportingPeriod, ReturnComment, ReturnStatus, Submission
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


def _everything_but_lg1(ret, editor) -> None:
    """Every other standard answered green, every typed metric given."""
    version = ret.period.toolkit_version
    for standard in version.standards.exclude(code="LG1"):
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=standard,
            answer=AnswerInput(
                rating="green",
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


def _as(page, sign_in, user) -> None:
    page.context.clear_cookies()
    sign_in(user)


def test_from_the_last_answer_to_acceptance_with_the_differences(
    live_server, page, sign_in, reference, toolkit
):
    post_types_load(actor=system_actor())
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    icb = reference["Z9B2Z"]
    editor = member(icb, Role.ICB_EDITOR)
    approver = enrol_member(icb, Role.ICB_APPROVER)
    lead = enrol_member(reference["Y56"], Role.REGIONAL_LEAD)
    ret = quarterly_return_start(actor=editor, icb=icb, period=period)
    _everything_but_lg1(ret, editor)
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"

    # The editor answers the last standard; its action has no date yet.
    sign_in(editor)
    page.goto(base + "sections/LG/")
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("Amber").check()
    lg1.get_by_label("Narrative evidence").fill(
        "The board reviews safeguarding quarterly.\nMinutes are kept by the board secretary."
    )
    lg1.get_by_label("What will be done").fill("Recruit a named nurse for adults")
    lg1.get_by_label("Owner").fill("Deputy chief nurse")
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Leadership and governance: saved.")).to_be_visible()
    page.goto(base)
    expect(page.get_by_text("1 problem in Leadership and governance")).to_be_visible()
    expect(page.get_by_text("Your ICB's approver submits the return.")).to_be_visible()
    assert_accessible(page)

    # The approver sees the one problem, puts it right and submits.
    _as(page, sign_in, approver)
    page.goto(base)
    page.get_by_role("link", name="See what to put right before submitting").click()
    problem = page.get_by_role("link", name="LG1: Action 1 has no due date: give one.")
    expect(problem.first).to_be_visible()
    assert_accessible(page)
    problem.first.click()
    due = page.locator("#standard-LG1").get_by_role("group", name="Due date").first
    due.get_by_label("Day").fill("31")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Save as draft").click()
    page.goto(base + "submit/")
    expect(page.get_by_text("The completeness check finds nothing to put right.")).to_be_visible()
    page.get_by_label("I confirm this return is an accurate account", exact=False).check()
    assert_accessible(page)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("awaiting the regional review").first).to_be_visible()
    assert_accessible(page)

    # London's lead reviews: a validated rating that differs, a comment, returned.
    _as(page, sign_in, lead)
    page.goto(base)
    page.get_by_role("button", name="Start review").click()
    assert_accessible(page)
    page.get_by_role("link", name="Record validated ratings").click()
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("Red").check()
    lg1.get_by_label("Rationale for LG1").fill("No date for the recruitment yet.")
    lg1.get_by_role("button", name="Record validated rating for LG1").click()
    expect(page.get_by_text("LG1: validated rating recorded.")).to_be_visible()
    assert_accessible(page)
    page.goto(base + "sections/LG/")
    page.get_by_label("Standard", exact=True).select_option("LG1")
    page.get_by_label("Comment on a standard").fill("How often does the board review it?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("How often does the board review it?")).to_be_visible()
    assert_accessible(page)
    page.goto(base)
    page.get_by_label("Comments for the ICB").fill("LG1: say how often the board reviews it.")
    page.get_by_role("button", name="Return with comments").click()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED
    assert_accessible(page)

    # The approver replies, changes one word and resubmits.
    _as(page, sign_in, approver)
    page.goto(base + "sections/LG/")
    page.get_by_text("Reply to", exact=False).first.click()
    page.get_by_label("Your reply").first.fill("Monthly since October: narrative corrected.")
    page.get_by_role("button", name="Post reply").first.click()
    reply = ReturnComment.objects.get(text="Monthly since October: narrative corrected.")
    assert reply.parent.text == "How often does the board review it?"
    lg1 = page.locator("#standard-LG1")
    lg1.get_by_label("Narrative evidence").fill(
        "The board reviews safeguarding monthly.\nMinutes are kept by the board secretary."
    )
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()
    page.goto(base)
    page.get_by_role("link", name="What the draft changes since version 1").click()
    expect(page.get_by_text("1 standard changed in 1 section.")).to_be_visible()
    assert_accessible(page)
    page.goto(base + "submit/")
    page.get_by_label("I confirm this return is an accurate account", exact=False).check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("version 2", exact=False).first).to_be_visible()
    assert_accessible(page)
    assert list(Submission.objects.values_list("version", flat=True)) == [1, 2]

    # The lead reads the versions, sees the changed word, and accepts.
    _as(page, sign_in, lead)
    page.goto(base)
    page.get_by_role("link", name="Every version of this return").click()
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    expect(page.get_by_text("LG1: say how often the board reviews it.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Read version 1").click()
    expect(page.get_by_text("No date for the recruitment yet.")).to_be_visible()
    assert_accessible(page)
    page.goto(base)
    page.get_by_role("link", name="Compare version 2 with the previous version").click()
    compared = "What changed from version 1 to version 2"
    expect(page.get_by_role("heading", name=compared)).to_be_visible()
    expect(page.get_by_text("1 standard changed in 1 section.")).to_be_visible()
    narrative = page.locator("#standard-LG1 .saaf-diff")
    assert narrative.locator("del").text_content() == "[removed: quarterly]"
    assert narrative.locator("ins").text_content() == "[added: monthly]"
    assert "Minutes are kept by the board secretary." in narrative.inner_text()
    assert_accessible(page)
    page.goto(base)
    page.get_by_role("button", name="Start review").click()
    page.get_by_role("button", name="Accept").click()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.ACCEPTED
    expect(page.get_by_text("Accepted", exact=False).first).to_be_visible()
    assert_accessible(page)


def enrol_member(organisation, role):
    user = member(organisation, role)
    enrol_totp(user)
    return user
