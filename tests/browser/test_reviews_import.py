"""Importing reviews from Excel in Chromium: an ICB editor downloads the
template, uploads a file with one bad row and sees the row-by-row error
table (nothing saved), fixes it, checks it (dry run), then imports it; each
page passes axe."""

import datetime

import pytest
from playwright.sync_api import expect

from organisations.models import Role
from reviews.models import Action, Review
from tests.browser.conftest import assert_accessible
from tests.factories import PlaceFactory, member
from tests.reviews.test_import import XLSX, workbook_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEW = {
    "Reference": "CAMDEN-SAR-2026-07",
    "Kind": "Safeguarding adults review",
    "Convening body": "Safeguarding adults board",
    "Local authority area": "Camden",
    "Age group": "Adult",
    "Date of notification": datetime.date(2026, 5, 4),
    "Learning themes": "Mental capacity; Professional curiosity",
}
RECOMMENDATION = {
    "Review reference": "CAMDEN-SAR-2026-07",
    "Recommendation number": 1,
    "Recommendation": "Record capacity assessments in the GP record.",
}
ACTION = {
    "Review reference": "CAMDEN-SAR-2026-07",
    "Recommendation number": 1,
    "Action": "Audit capacity assessments in ten practices.",
    "Owner": "Z9B2Z",
    "Due date": datetime.date(2026, 12, 31),
}


def _upload(page, content: bytes, mode: str) -> None:
    page.get_by_label("Workbook").set_input_files(
        {"name": "reviews.xlsx", "mimeType": XLSX, "buffer": content}
    )
    page.get_by_label(mode).check()
    page.get_by_role("button", name="Upload").click()


def test_an_editor_imports_reviews_after_fixing_a_bad_row(live_server, page, sign_in, reference):
    z9 = reference["Z9B2Z"]
    PlaceFactory(code="E09000007", name="Camden", parent=z9)
    editor = sign_in(member(z9, Role.ICB_EDITOR))
    page.goto(f"{live_server.url}/reviews/icbs/Z9B2Z/")
    page.get_by_role("link", name="Import reviews, recommendations and actions from Excel").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import reviews from a spreadsheet"
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template (Excel, .xlsx)").click()
    assert download.value.suggested_filename == "reviews-import-Z9B2Z.xlsx"

    bad = dict(REVIEW, **{"Date of notification": "31/02/2026"})
    _upload(page, workbook_bytes(editor, z9, [bad], [RECOMMENDATION], [ACTION]), "Check the file")
    expect(
        page.get_by_role("heading", name="The file has 1 problem: nothing has been saved")
    ).to_be_visible()
    table = page.get_by_role("table", name="Problems by sheet, row and column")
    expect(table).to_be_visible()
    cells = table.get_by_role("row").nth(1).get_by_role("cell").all_inner_texts()
    assert cells[:3] == ["Reviews", "2", "J (Date of notification)"]
    assert "not a date" in cells[3]
    assert_accessible(page)
    assert not Review.objects.exists()

    good = workbook_bytes(editor, z9, [REVIEW], [RECOMMENDATION], [ACTION])
    _upload(page, good, "Check the file")
    expect(page.get_by_role("heading", name="The file is ready to import")).to_be_visible()
    created = page.get_by_role("table", name="Reviews that would be created")
    assert "CAMDEN-SAR-2026-07" in created.inner_text()
    assert_accessible(page)
    assert not Review.objects.exists()

    # After a check that passed, the form offers the import.
    assert page.get_by_label("Import: create").is_checked()
    _upload(page, good, "Import: create")
    expect(page.get_by_text("Imported 1 review, 1 recommendation and 1 action.")).to_be_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Reviews tracker"
    expect(page.get_by_role("link", name="CAMDEN-SAR-2026-07")).to_be_visible()
    review = Review.objects.get()
    assert review.lead_icb == z9 and Action.objects.get().owner == z9
