"""The return as a workbook in Chromium: the Z9B2Z editor downloads the
blank template from the return's page, the test fills it in as a colleague
would in Excel (openpyxl), the editor uploads it and sees what changed; a
bad file is refused with its list. axe passes on the upload and result pages."""

import openpyxl
import pytest
from playwright.sync_api import expect

from assurance.models import Answer, ReportingPeriod
from assurance.services.returns import quarterly_return_start
from organisations.models import Role
from tests.browser.conftest import assert_accessible
from tests.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill(path, answers: dict[str, dict[str, object]]) -> None:
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        headings = {c.value: c.column for c in sheet[1]}
        for row in sheet.iter_rows(min_row=2):
            for heading, value in answers.get(row[0].value, {}).items():
                sheet.cell(row=row[0].row, column=headings[heading]).value = value
    book.save(path)


def test_an_editor_downloads_the_template_fills_it_and_uploads_it(
    live_server, page, sign_in, reference, toolkit, tmp_path
):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    editor = sign_in(member(reference["Z9B2Z"], Role.ICB_EDITOR))
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    page.goto(f"{live_server.url}/returns/Z9B2Z/2026/3/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a blank template (.xlsx)").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    assert download_info.value.suggested_filename == "Z9B2Z-2026-Q3-template.xlsx"

    _fill(
        template,
        {
            "LG1": {"Rating": "Green", "Narrative evidence": "Board minutes, 12 March."},
            "LG2": {
                "Rating": "Red",
                "Action 1": "Recruit a named GP",
                "Action 1 owner": "Deputy chief nurse",
            },
            "PREVENT_TRAINED": {"Value": 88},
        },
    )
    page.get_by_role("link", name="Upload a filled-in workbook").click()
    assert_accessible(page)
    page.get_by_label("Workbook to upload").set_input_files(str(template))
    page.get_by_role("button", name="Upload the workbook").click()

    expect(page.get_by_role("heading", name="Workbook uploaded")).to_be_visible()
    expect(page.get_by_text("3 answers changed")).to_be_visible()
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
    expect(page.get_by_text("Board minutes, 12 March.")).to_be_visible()
    expect(page.get_by_text("no due date", exact=False).first).to_be_visible()  # LG2's warning too
    assert_accessible(page)
    assert Answer.objects.get(quarterly_return=ret, standard__code="LG1").rating == "green"

    # A bad file: refused with its row-by-row list, nothing saved.
    _fill(template, {"LG1": {"Rating": "Purple"}, "LG3": {"Rating": "Green"}})
    page.get_by_role("link", name="Upload another workbook").click()
    page.get_by_label("Workbook to upload").set_input_files(str(template))
    page.get_by_role("button", name="Upload the workbook").click()
    expect(page.get_by_role("heading", name="The workbook was not uploaded")).to_be_visible()
    expect(page.get_by_role("table", name="What to fix, row by row")).to_be_visible()
    expect(page.get_by_text("“Purple” is not one of the choices.").first).to_be_visible()
    assert_accessible(page)
    assert not Answer.objects.filter(quarterly_return=ret, standard__code="LG3").exists()
