"""Carrying last quarter forward in Chromium: an ICB editor starts Q3 from
the accepted Q2 return, confirms the first section's carried answers with
one button, changes one answer in another section, and the submit page
counts what was confirmed unchanged and what changed. axe passes on the
carry-forward page and the confirmation page."""

import pytest
from playwright.sync_api import expect

from assurance.models import Answer, ReportingPeriod, Section
from assurance.services.register import post_types_load
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_submit,
)
from organisations.audit import system_actor
from organisations.models import Role
from tests.assurance.test_submission import fill_clean
from tests.browser.conftest import assert_accessible
from tests.factories import member

# PostgreSQL only in practice: its flush after a transactional test is a
# TRUNCATE, which the submission tables' DELETE triggers let through.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_starts_the_next_quarter_from_the_last_accepted_return(
    live_server, page, sign_in, reference, toolkit
):
    post_types_load(actor=system_actor())
    q2 = ReportingPeriod.objects.get(financial_year=2026, quarter=2)
    q3 = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    last = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q2)
    fill_clean(editor, last)
    quarterly_return_submit(actor=approver, quarterly_return=last, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=last)
    quarterly_return_accept(actor=lead, quarterly_return=last)
    sections = list(Section.objects.filter(version=q3.toolkit_version).order_by("position"))
    first, second = sections[0], sections[1]
    first_count = first.standards.count()
    total = q3.toolkit_version.standards.count()
    changed = second.standards.order_by("position", "code").first()

    sign_in(editor)
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"
    page.goto(base)
    page.get_by_role("link", name="Start from the last accepted return's answers instead").click()
    expect(page.get_by_role("heading", name="Start from an earlier return")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Q2 2026/27 return (version 1, accepted)", exact=False).check()
    page.get_by_role("button", name="Start from these answers").click()
    expect(page.get_by_text(f"{total} answers carried forward from")).to_be_visible()
    expect(page.get_by_text(f"{total} still to confirm or change")).to_be_visible()

    # Confirm the first section with one button.
    page.goto(f"{base}sections/{first.code}/")
    expect(page.get_by_text("Carried forward — confirm or change").first).to_be_visible()
    page.get_by_role("link", name="carried-forward answers in this section unchanged").click()
    expect(page.get_by_role("heading", name=f"Confirm {first.code}", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Confirm {first_count} answers unchanged").click()
    confirmed = f"{first_count} carried-forward answers confirmed unchanged"
    expect(page.get_by_text(confirmed)).to_be_visible()
    assert page.get_by_text("Carried forward — confirm or change").count() == 0

    # Change one answer in the second section.
    page.goto(f"{base}sections/{second.code}/")
    block = page.locator(f"#standard-{changed.code}")
    block.get_by_label("Narrative evidence", exact=False).fill("Re-audited in Q3: still met.")
    page.get_by_role("button", name="Save as draft").click()
    changed_note = page.locator(f"#standard-{changed.code}").get_by_text("Changed by", exact=False)
    expect(changed_note).to_be_visible()

    page.goto(f"{base}submit/")
    counts = page.locator("#carried-forward")
    assert f"{total} answers were carried forward from" in counts.inner_text()
    assert f"{first_count} confirmed unchanged" in counts.inner_text()
    assert "1 changed" in counts.inner_text()
    assert f"{total - first_count - 1} not yet confirmed or changed" in counts.inner_text()
    answer = Answer.objects.get(quarterly_return__period=q3, standard=changed)
    assert answer.carried_changed and answer.narrative == "Re-audited in Q3: still met."
