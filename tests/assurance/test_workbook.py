"""The return as an Excel workbook: what a download holds, read back with
openpyxl as Excel would see it."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from assurance.models import ReportingPeriod
from assurance.services.returns import (
    ActionInput,
    AnswerInput,
    answer_save,
    metric_value_save,
    quarterly_return_start,
)
from assurance.workbook import (
    CODES_SHEET,
    METRICS_SHEET,
    workbook_build,
)
from assurance.workbook_content import workbook_content_draft, workbook_content_template
from organisations.models import Role
from tests.factories import enrol_totp, member

HOSTILE = '=HYPERLINK("http://evil.example/steal","Click me")'


@pytest.fixture
def period(toolkit):
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def ret(editor, reference, period):
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)


def standard(ret, code):
    return ret.period.toolkit_version.standards.get(code=code)


def metric(ret, code):
    return ret.period.toolkit_version.metrics.get(code=code)


def book_of(data: bytes, **options):
    return openpyxl.load_workbook(io.BytesIO(data), **options)


def row_of(sheet, code):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            return {sheet.cell(row=1, column=c.column).value: c for c in row}
    raise AssertionError(f"{code} not on {sheet.title}")


def sheet_with(book, code):
    for sheet in book.worksheets:
        if sheet.title not in (CODES_SHEET,) and any(
            c.value == code for c in next(sheet.iter_cols(min_col=1, max_col=1))
        ):
            return sheet
    raise AssertionError(code)


@pytest.fixture
def filled(ret, editor):
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=standard(ret, "LG1"),
        answer=AnswerInput(
            rating="amber",
            narrative=HOSTILE,
            actions=[
                ActionInput("Audit the policy", "Designated nurse", datetime.date(2027, 1, 31)),
                ActionInput("+Report to board", "", None, "in_progress"),
            ],
        ),
        revision=0,
    )
    metric_value_save(
        actor=editor,
        quarterly_return=ret,
        metric=metric(ret, "PREVENT_TRAINED"),
        value=__import__("decimal").Decimal("87.50"),
        revision=0,
    )
    return ret


def test_the_draft_workbook_has_cover_sections_metrics_and_the_hidden_codes(filled, editor):
    data = workbook_build(workbook_content_draft(filled), actor=editor)
    book = book_of(data)
    sections = list(filled.period.toolkit_version.sections.order_by("position"))
    assert book.sheetnames[0] == "Cover"
    assert len(book.sheetnames) == len(sections) + 3
    assert book.sheetnames[-2:] == [METRICS_SHEET, CODES_SHEET]
    cover = {r[0].value: r[1].value for r in book["Cover"].iter_rows(min_row=2)}
    assert cover["ICB ODS code"] == "Z9B2Z"
    assert cover["Reporting period"] == filled.period.label
    assert isinstance(cover["Downloaded"], datetime.datetime)
    assert cover["Downloaded by"] == editor.get_full_name()

    codes = book[CODES_SHEET]
    assert codes.sheet_state == "hidden"
    assert codes.protection.sheet and codes.protection.password
    revisions = {r[1].value: r[2].value for r in codes.iter_rows(min_row=2) if r[0].value}
    assert revisions["LG1"] == 1 and revisions["LG2"] == 0 and revisions["PREVENT_TRAINED"] == 1

    # Every sheet is a named table with a header row, names unique in the workbook.
    names = []
    for sheet in book.worksheets:
        assert len(sheet.tables) == 1, sheet.title
        table = next(iter(sheet.tables.values()))
        names.append(table.displayName.lower())
        assert table.ref.startswith("A1:")
        assert [c.name for c in table.tableColumns] == [c.value for c in sheet[1]]
        assert sheet.freeze_panes == "A2"
    assert len(set(names)) == len(names)
    assert "section_lg" in names and "metric_values" in names and "portal_codes" in names


def test_answers_are_typed_and_formula_looking_text_stays_text(filled, editor):
    book = book_of(workbook_build(workbook_content_draft(filled), actor=editor))
    sheet = sheet_with(book, "LG1")
    row = row_of(sheet, "LG1")
    assert row["Rating"].value == "Amber"
    narrative = row["Narrative evidence"]
    assert narrative.value == HOSTILE
    assert narrative.data_type == "s" and narrative.quotePrefix
    assert row["Action 2"].data_type == "s" and row["Action 2"].quotePrefix
    assert row["Action 1 due date"].value == datetime.datetime(2027, 1, 31)
    assert row["Action 1 due date"].is_date
    assert row["Action 2 status"].value == "In progress"
    # Rating and status come from drop-down lists.
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert any("Red,Amber,Green,Not applicable" in dv.formula1 for dv in lists)
    assert any("D2" in str(dv.sqref) for dv in lists)
    # Inputs unlocked, the rest locked, the sheet protected.
    assert sheet.protection.sheet
    assert row["Code"].protection.locked and not row["Rating"].protection.locked

    metrics = book[METRICS_SHEET]
    prevent = row_of(metrics, "PREVENT_TRAINED")
    assert prevent["Value"].value == 87.5 and prevent["Value"].data_type == "n"
    assert not prevent["Value"].protection.locked
    computed = row_of(metrics, "DESIGNATED_FILLED")
    assert "the portal fills it" in computed["How it is filled"].value
    assert computed["Value"].protection.locked


def test_the_formula_is_never_written_as_a_formula_in_the_file(filled, editor):
    import zipfile

    data = workbook_build(workbook_content_draft(filled), actor=editor)
    archive = zipfile.ZipFile(io.BytesIO(data))
    xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml  # no formula anywhere
    assert b't="inlineStr"><is><t>=HYPERLINK(' in xml  # the text, as text


def test_the_blank_template_has_no_answers(ret, reference, period, editor):
    book = book_of(workbook_build(workbook_content_template(ret.icb, period, None), actor=editor))
    row = row_of(sheet_with(book, "LG1"), "LG1")
    assert row["Rating"].value is None and row["Narrative evidence"].value is None
    source = {r[0].value: r[1].value for r in book[CODES_SHEET].iter_rows(min_row=2)}
    assert source["source"] == "template" and source["icb"] == "Z9B2Z"


def test_download_pages(client, filled, editor, reference, period, django_assert_max_num_queries):
    enrol_totp(editor)
    client.force_login(editor)
    args = ["Z9B2Z", 2026, 3]
    with django_assert_max_num_queries(40):
        response = client.get(reverse("assurance:return_workbook", args=args))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="Z9B2Z-2026-Q3-draft.xlsx"' in response["Content-Disposition"]
    template = client.get(reverse("assurance:return_workbook_template", args=args))
    assert template.status_code == 200
    missing = client.get(reverse("assurance:return_workbook_version", args=[*args, 1]))
    assert missing.status_code == 404
    page = client.get(reverse("assurance:return_detail", args=args)).content.decode()
    assert reverse("assurance:return_workbook_upload", args=args) in page


def test_another_icbs_team_cannot_download(client, filled, reference):
    outsider = member(reference["QMF"], Role.ICB_EDITOR)
    enrol_totp(outsider)
    client.force_login(outsider)
    for name in ("return_workbook", "return_workbook_upload"):
        assert client.get(reverse(f"assurance:{name}", args=["Z9B2Z", 2026, 3])).status_code == 404


def test_the_download_query_count_does_not_grow_with_answers(ret, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            workbook_content_draft(ret)
        return len(queries)

    def red(code):
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=standard(ret, code),
            answer=AnswerInput(rating="red", actions=[ActionInput("Do it"), ActionInput("More")]),
            revision=0,
        )

    red("LG1")
    few = count()
    for code in ("LG2", "LG3", "DP1", "DP2"):
        red(code)
    assert count() == few


@pytest.mark.parametrize(
    ("org", "role", "download", "upload"),
    [
        ("Z9B2Z", Role.ICB_APPROVER, 200, 200),
        ("Z9B2Z", Role.ICB_EDITOR, 200, 200),
        ("Z9B2Z", Role.ICB_VIEWER, 200, 302),  # reads, never uploads
        ("Y56", Role.REGIONAL_LEAD, 200, 302),  # London's lead: Z9B2Z is a London ICB
        ("Y61", Role.REGIONAL_LEAD, 404, 404),  # another region's lead
        ("QMF", Role.ICB_APPROVER, 404, 404),  # another ICB
        ("NATIONAL", Role.NATIONAL_ADMIN, 200, 302),
    ],
)
def test_who_downloads_and_uploads(client, ret, reference, org, role, download, upload):
    from organisations.reference_data import NATIONAL_CODE

    user = member(reference[NATIONAL_CODE if org == "NATIONAL" else org], role)
    enrol_totp(user)
    client.force_login(user)
    args = ["Z9B2Z", 2026, 3]
    for name in ("return_workbook", "return_workbook_template"):
        assert client.get(reverse(f"assurance:{name}", args=args)).status_code == download, name
    page = client.get(reverse("assurance:return_workbook_upload", args=args))
    assert page.status_code == upload


def test_signed_out_nothing_downloads(client, ret):
    for name in ("return_workbook", "return_workbook_template", "return_workbook_upload"):
        response = client.get(reverse(f"assurance:{name}", args=["Z9B2Z", 2026, 3]))
        assert response.status_code in (302, 404)
        assert not response.get("Content-Type", "").startswith("application/vnd")


def test_evidence_files_are_listed_but_never_read_back(filled, editor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assurance.services.returns import evidence_upload
    from assurance.workbook_import import return_workbook_upload

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    evidence_upload(
        actor=editor,
        quarterly_return=filled,
        standard=standard(filled, "LG1"),
        uploaded=SimpleUploadedFile("Board minutes.pdf", pdf, content_type="application/pdf"),
        effective_on=datetime.date(2026, 10, 14),
    )
    book = book_of(workbook_build(workbook_content_draft(filled), actor=editor))
    cell = row_of(sheet_with(book, "LG1"), "LG1")["Evidence files in the portal"]
    assert cell.value == "Board minutes.pdf (14 October 2026)"
    assert cell.protection.locked
    cell.value = "Something else.pdf"
    out = io.BytesIO()
    book.save(out)
    result = return_workbook_upload(
        actor=editor, quarterly_return=filled, upload=SimpleUploadedFile("r.xlsx", out.getvalue())
    )
    assert result.saved and result.changes == []
