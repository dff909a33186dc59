"""The quarterly return in Chromium: the Z9B2Z editor fills two sections,
uploads a PDF as evidence and marks a standard red with an action; the
approver sees the progress; a stale save shows the conflict page; axe passes
on the task list, a section page, the conflict page and the history page."""

import pytest
from playwright.sync_api import expect

from assurance.models import Answer, EvidenceFile, ReportingPeriod
from assurance.services.returns import AnswerInput, answer_save, quarterly_return_start
from organisations.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import enrol_totp, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _answer(section, code, rating):
    standard = section.locator(f"#standard-{code}")
    standard.get_by_role("radio", name=rating).check()
    return standard


def test_an_editor_fills_two_sections_and_the_approver_sees_progress(
    live_server, page, sign_in, reference, toolkit, tmp_path
):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    version = period.toolkit_version
    first, second = list(version.sections.order_by("position")[:2])
    sign_in(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    base = f"{live_server.url}/returns/Z9B2Z/2026/3/"

    page.goto(base)
    page.get_by_role("button", name="Start the return").click()
    expect(page.get_by_text("0 of").first).to_be_visible()
    assert_accessible(page)

    # First section: every standard green except one red with an action.
    page.get_by_role("link", name=f"{first.code} {first.title}").click()
    assert_accessible(page)
    standards = list(first.standards.order_by("position", "code"))
    for st in standards[1:]:
        _answer(page, st.code, "Green").get_by_label("Narrative evidence").fill(
            f"Assured for {st.code}.\nSee the board minutes."
        )
    red = _answer(page, standards[0].code, "Red")
    red.get_by_label("Narrative evidence").fill("The post is vacant.")
    red.get_by_label("What will be done").fill("Recruit to the vacant post")
    red.get_by_label("Owner").fill("Deputy chief nurse")
    due = red.get_by_role("group", name="Due date")
    due.get_by_label("Day").fill("31")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2027")
    pdf = tmp_path / "Board minutes.pdf"
    pdf.write_bytes(PDF)
    red.get_by_label(f"Add an evidence file for {standards[0].code}").set_input_files(str(pdf))
    effective = red.get_by_role("group", name="Date the evidence speaks for")
    effective.get_by_label("Day").fill("14")
    effective.get_by_label("Month").fill("10")
    effective.get_by_label("Year").fill("2026")
    for metric in first.metrics.all():
        if not metric.is_computed:
            page.locator(f"#id_{metric.code}-value").fill("90")
    page.get_by_role("button", name="Save and continue").click()

    # Second section: answered in full.
    assert page.get_by_role("heading", level=1).inner_text().find(second.code) >= 0
    for st in second.standards.all():
        _answer(page, st.code, "Amber" if st == second.standards.first() else "Green")
        page.locator(f"#standard-{st.code}").get_by_label("Narrative evidence").fill("Assured.")
    page.locator(f"#standard-{second.standards.first().code}").get_by_label(
        "What will be done"
    ).fill("Audit the pathway")
    for metric in second.metrics.all():
        if not metric.is_computed:
            page.locator(f"#id_{metric.code}-value").fill("5")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text(f"{second.title}: saved.")).to_be_visible()

    red_answer = Answer.objects.get(quarterly_return__icb__code="Z9B2Z", standard=standards[0])
    assert red_answer.rating == "red" and red_answer.actions.get().owner == "Deputy chief nurse"
    assert EvidenceFile.objects.get().display_name == "Board minutes.pdf"

    # The approver sees the progress on the task list and on their home page.
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    enrol_totp(approver)
    page.context.clear_cookies()
    sign_in(approver)
    page.goto(base)
    sections = version.sections.count()
    expect(page.get_by_text(f"2 of {sections} sections complete")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(
        page.get_by_role("link", name=f"Q3 2026/27 return: {reference['Z9B2Z'].name}")
    ).to_be_visible()

    page.goto(f"{base}history/")
    expect(page.get_by_text("Evidence file added").first).to_be_visible()
    assert_accessible(page)


def test_a_stale_save_shows_the_conflict_page(live_server, page, sign_in, reference, toolkit):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    first = period.toolkit_version.sections.order_by("position").first()
    standard = first.standards.order_by("position", "code").first()
    sign_in(editor)
    page.goto(f"{live_server.url}/returns/Z9B2Z/2026/3/sections/{first.code}/")
    box = page.locator(f"#standard-{standard.code}").get_by_label("Narrative evidence")
    box.fill("My version")
    # Meanwhile the approver saves the same standard.
    answer_save(
        actor=member(reference["Z9B2Z"], Role.ICB_APPROVER),
        quarterly_return=ret,
        standard=standard,
        answer=AnswerInput(rating="amber", narrative="Their version"),
        revision=0,
    )
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", name="Nothing has been lost")).to_be_visible()
    expect(page.get_by_text("Their version").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Narrative to save (yours: edit to merge)").fill("Merged version")
    page.get_by_role("button", name="Save this version").click()
    assert Answer.objects.get(quarterly_return=ret, standard=standard).narrative == (
        "Merged version"
    )
