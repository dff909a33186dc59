"""The reviews tracker in Chromium: an ICB editor records a SAR (an NHS number
is refused first), adds a recommendation and an action, completes it with
evidence (text and a PDF, then downloaded); the tracker, the forms and the
review page pass axe."""

import datetime

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from reviews.models import Action, ActionStatus, Review
from tests.browser.conftest import assert_accessible
from tests.factories import PlaceFactory, member

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _date(page, legend: str, day: datetime.date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_an_editor_records_a_sar_and_completes_an_action(live_server, page, sign_in, reference):
    PlaceFactory(code="E09000019", name="Islington", parent=reference["Z9B2Z"])
    editor = sign_in(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    page.goto(f"{live_server.url}/reviews/")
    assert page.get_by_role("heading", level=1).inner_text() == "Reviews tracker"
    assert_accessible(page)

    page.get_by_role("button", name="Record a review").click()
    page.get_by_label("Kind of review").select_option(label="Safeguarding adults review")
    page.get_by_label("Reference").fill("SAR for 943 476 5919")
    page.get_by_label("Convening body").select_option(label="Safeguarding adults board")
    page.get_by_label("Local authority area").select_option(label="Islington (E09000019)")
    page.get_by_label("Adult", exact=True).check()
    _date(page, "Date of notification", datetime.date(2026, 5, 4))
    page.get_by_label("Self-neglect").check()
    page.get_by_label("Mental capacity").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text("Remove the NHS number (943 476 5919)").first).to_be_visible()
    assert_accessible(page)
    assert not Review.objects.exists()

    page.get_by_label("Reference").fill("ISLINGTON-SAR-2026-01")
    page.get_by_role("button", name="Record review").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("ISLINGTON-SAR-2026-01")
    assert_accessible(page)

    page.get_by_role("button", name="Add a recommendation").click()
    page.get_by_label("Recommendation for health").fill("Record capacity assessments.")
    page.get_by_role("button", name="Add recommendation").click()
    page.get_by_role("link", name="Add an action to recommendation 1").click()
    page.get_by_label("What will be done").fill("Audit capacity assessments.")
    page.get_by_label("Owner").select_option(index=1)
    _date(page, "Due date", datetime.date(2026, 6, 1))
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Overdue", exact=True)).to_be_visible()

    page.get_by_role("link", name="Complete action due 1 June 2026").click()
    _date(page, "Date completed", datetime.date(2026, 6, 10))
    page.get_by_label("Evidence of completion").fill("Audit report to the committee.")
    page.get_by_label("Evidence file").set_input_files(
        {"name": "audit.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert_accessible(page)
    page.get_by_role("button", name="Complete action").click()
    expect(page.get_by_text("Action completed.")).to_be_visible()
    action = Action.objects.get()
    assert action.status == ActionStatus.COMPLETED and action.evidence
    link = page.get_by_role("link", name="audit.pdf", exact=True)
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "audit.pdf"
    assert editor.pk == action.recommendation.review.lead_icb.memberships.get().user_id
