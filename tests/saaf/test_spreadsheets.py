"""The shared spreadsheet-import module: hostile files refused before
openpyxl parses them, cells read as typed values, errors row by row, and
all-or-nothing writes."""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import TextChoices

from saaf import spreadsheets as sheets
from saaf.spreadsheets import (
    INVALID,
    CellInvalid,
    Formula,
    ImportReport,
    SpreadsheetRefused,
    cell_choice,
    cell_date,
    cell_number,
    cell_text,
    import_atomic,
    spreadsheet_open,
)


def workbook_bytes(rows=(("Code", "Narrative"), ("S1.1", "Fine")), title="Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """The workbook with some members replaced or added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def upload(data: bytes, name="return.xlsx"):
    return SimpleUploadedFile(name, data, content_type=sheets.XLSX_MIME)


def refusal(data: bytes, name="return.xlsx", **options) -> str:
    with pytest.raises(SpreadsheetRefused) as refused:
        spreadsheet_open(upload(data, name), **options)
    assert refused.value.errors, "a refusal always says what is wrong"
    error = refused.value.errors[0]
    assert error.fix, "and what to do"
    return str(error)


def test_a_real_workbook_opens_and_reads_typed_rows():
    data = workbook_bytes([("Code", "Due", "Score"), ("S1", datetime.date(2026, 3, 31), 42)])
    with spreadsheet_open(upload(data)) as book:
        assert book.sheet_names == ["Sheet1"]
        rows = list(book.rows("Sheet1", max_col=3))
    assert rows[0].values == ("Code", "Due", "Score")
    assert rows[1].number == 2
    assert rows[1].values[1] == datetime.datetime(2026, 3, 31)
    assert rows[1].values[2] == 42


def test_a_csv_renamed_xlsx_is_refused_as_text():
    message = refusal(b'Code,Narrative\nS1.1,=HYPERLINK("http://x")\n')
    assert "not an Excel workbook" in message and "text file" in message


def test_an_old_xls_or_other_office_file_is_refused():
    message = refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "old-style Excel" in message


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not an Excel workbook" in refusal(out.getvalue())


def test_a_libreoffice_spreadsheet_is_refused_with_how_to_save_it():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    message = refusal(out.getvalue(), name="return.ods")
    assert "OpenDocument" in message and "Excel 2007-365 (.xlsx)" in message


def test_an_oversize_file_is_refused_by_its_size():
    assert "must be 10 MiB or smaller" in refusal(b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024))
    assert "must be 1 KiB or smaller" in refusal(workbook_bytes(), max_bytes=1024)


def test_an_xlsm_with_a_vba_project_is_refused_whatever_its_name():
    data = rezip(workbook_bytes(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert "macros" in refusal(data)
    assert "macro-enabled" in refusal(workbook_bytes(), name="return.xlsm")


def test_a_macro_enabled_content_type_is_refused():
    data = workbook_bytes()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert "macro-enabled" in refusal(rezip(data, replace={"[Content_Types].xml": types}))


def test_excel_4_macro_sheets_are_refused():
    data = rezip(workbook_bytes(), add={"xl/macrosheets/sheet1.xml": b"<xm/>"})
    assert "macros" in refusal(data)


def _patch_uncompressed_size(data: bytes, member: str, size: int) -> bytes:
    """Claim, in the zip's local header and central directory, that `member`
    expands to `size` bytes (no need to build 2 GB to test the guard)."""
    data = bytearray(data)
    encoded = member.encode()
    for signature, size_at, name_length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) != -1:
            (name_length,) = struct.unpack_from("<H", data, start + name_length_at)
            if bytes(data[start + name_at : start + name_at + name_length]) == encoded:
                struct.pack_into("<I", data, start + size_at, size)
            start += 4
    return bytes(data)


def test_a_member_claiming_to_expand_past_2_gb_is_refused_from_the_directory():
    data = _patch_uncompressed_size(workbook_bytes(), "xl/worksheets/sheet1.xml", 2_500_000_000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size > 2**31
    assert "expands to 2384.2 MiB" in refusal(data)


def test_a_highly_compressed_member_is_refused_by_its_ratio():
    zeros = b"<x>" + b"0" * (8 * 1024 * 1024) + b"</x>"  # ~8 KiB compressed
    data = rezip(workbook_bytes(), add={"xl/media/padding.xml": zeros})
    assert "zip bomb" in refusal(data)


def test_too_much_data_in_total_is_refused():
    data = rezip(workbook_bytes(), add={"xl/media/big.xml": b"<x/>" * 300_000})
    message = refusal(data, max_uncompressed=1024 * 1024)
    assert "expands to" in message


def test_a_directory_that_understates_a_member_is_refused_as_damaged():
    big = b"<sheetData>" + b"<row/>" * 50_000 + b"</sheetData>"
    data = rezip(workbook_bytes(), add={"xl/media/lie.xml": big})
    data = _patch_uncompressed_size(data, "xl/media/lie.xml", 100)
    assert "damaged" in refusal(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>
</worksheet>"""


def test_a_billion_laughs_sheet_is_refused_before_parsing():
    data = rezip(workbook_bytes(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    assert "declares XML entities" in refusal(data)


def test_an_entity_declaration_in_utf16_is_refused_too():
    part = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16")
    data = rezip(workbook_bytes(), replace={"xl/worksheets/sheet1.xml": part})
    assert "declares XML entities" in refusal(data)


def test_without_the_scan_defusedxml_still_refuses_billion_laughs(monkeypatch):
    """The second lock, should the first ever miss a spelling."""
    monkeypatch.setattr(sheets, "_ENTITY_MARKERS", ())
    data = rezip(workbook_bytes(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    with pytest.raises(SpreadsheetRefused) as refused, spreadsheet_open(upload(data)) as book:
        list(book.rows("Sheet1", max_col=1))
    assert "declares XML entities" in str(refused.value)


def test_openpyxl_parses_through_defusedxml():
    """The second lock: openpyxl picks defusedxml up when it is installed."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True, "install defusedxml (pyproject.toml pins it)"


def test_a_formula_is_read_as_a_formula_and_refused_where_a_value_belongs():
    data = workbook_bytes([("Narrative",), ('=HYPERLINK("http://evil.example","Click")',)])
    with spreadsheet_open(upload(data)) as book:
        value = list(book.rows("Sheet1", max_col=1))[1].values[0]
    assert isinstance(value, Formula)
    with pytest.raises(CellInvalid) as invalid:
        cell_text(value)
    assert "formula" in invalid.value.problem and "HYPERLINK" in invalid.value.problem


def test_text_stored_with_a_quote_prefix_is_text_not_a_formula():
    workbook = openpyxl.Workbook()
    cell = workbook.active["A1"]
    cell.value = "=not a formula"
    cell.data_type = "s"
    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    with spreadsheet_open(upload(buffer.getvalue())) as book:
        value = list(book.rows("Sheet", max_col=1))[0].values[0]
    assert not isinstance(value, Formula)
    assert cell_text(value) == "=not a formula"


def test_a_dimension_that_understates_the_sheet_hides_no_rows():
    data = workbook_bytes([("Code",), ("S1",), ("S2",), ("S3",)])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b'<dimension ref="A1:A4"', b'<dimension ref="A1:A1"')
    assert b'<dimension ref="A1:A1"' in sheet
    data = rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})
    with spreadsheet_open(upload(data)) as book:
        rows = list(book.rows("Sheet1", max_col=1))
    assert [r.values[0] for r in rows] == ["Code", "S1", "S2", "S3"]


def test_the_cell_cap_stops_reading():
    data = workbook_bytes([(i, i) for i in range(100)])
    with spreadsheet_open(upload(data), max_cells=50) as book, pytest.raises(SpreadsheetRefused):
        list(book.rows("Sheet1", max_col=2))


def test_a_damaged_sheet_is_refused_with_what_to_do():
    data = rezip(workbook_bytes(), replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData"})
    with pytest.raises(SpreadsheetRefused) as refused, spreadsheet_open(upload(data)) as book:
        list(book.rows("Sheet1", max_col=2))
    assert "could not be read" in str(refused.value) or "damaged" in str(refused.value)


# --- cells ---


class Colour(TextChoices):
    RED = "R", "Red"
    NOT_APPLICABLE = "NA", "Not applicable"


def test_cell_date():
    assert cell_date(datetime.datetime(2026, 3, 31, 0, 0)) == datetime.date(2026, 3, 31)
    assert cell_date("31/03/2026") == datetime.date(2026, 3, 31)
    assert cell_date("2026-03-31") == datetime.date(2026, 3, 31)
    assert cell_date(" ") is None
    with pytest.raises(CellInvalid) as as_number:
        cell_date(46112)
    assert "Excel turned it into a number" in as_number.value.problem
    assert "31 March 2026" in as_number.value.problem
    assert "Format the cell as a date" in as_number.value.fix
    with pytest.raises(CellInvalid) as impossible:
        cell_date("31/02/2026")
    assert "not a date" in impossible.value.problem
    with pytest.raises(CellInvalid):
        cell_date(Formula("=TODAY()"))


def test_cell_number():
    assert cell_number(42) == Decimal("42")
    assert cell_number(" 12.5 ") == Decimal("12.5")
    assert cell_number(None) is None
    with pytest.raises(CellInvalid) as words:
        cell_number("about ten")
    assert "not a number" in words.value.problem
    with pytest.raises(CellInvalid) as high:
        cell_number(140, minimum=0, maximum=100, unit="%")
    assert "above the highest allowed" in high.value.problem
    with pytest.raises(CellInvalid):
        cell_number(2.5, whole=True)
    with pytest.raises(CellInvalid):
        cell_number("NaN")
    with pytest.raises(CellInvalid):
        cell_number(True)


def test_a_percentage_formatted_cell_reads_as_the_percentage_it_shows():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = 0.855
    sheet["A1"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with spreadsheet_open(upload(buffer.getvalue())) as book:
        (value,) = next(book.rows("Sheet", max_col=1)).values
    assert cell_number(value, percent=True, maximum=100) == Decimal("85.5")
    with pytest.raises(CellInvalid) as invalid:
        cell_number(value)
    assert "85.5%" in invalid.value.problem


def test_cell_choice_takes_labels_or_values_in_any_case():
    assert cell_choice("red", Colour) == "R"
    assert cell_choice(" NOT  applicable ", Colour) == "NA"
    assert cell_choice("na", Colour) == "NA"
    assert cell_choice(None, Colour) == ""
    with pytest.raises(CellInvalid) as invalid:
        cell_choice("Purple", Colour)
    assert "Red or Not applicable" in invalid.value.fix
    assert cell_choice("n/a", Colour, aliases={"N/A": "NA"}) == "NA"
    with pytest.raises(CellInvalid) as invalid:
        cell_choice("x", Colour, aliases={"N/A": "NA"})
    assert "N/A" not in invalid.value.fix


def test_cell_text():
    assert cell_text("  hello \r\nworld ") == "hello \nworld"
    assert cell_text(2024.0) == "2024"
    assert cell_text(None) == ""
    with pytest.raises(CellInvalid) as control:
        cell_text("bell\x07")
    assert "control characters" in control.value.problem
    with pytest.raises(CellInvalid):
        cell_text("x" * 11, max_length=10)


def test_report_cell_records_where_and_returns_invalid():
    report = ImportReport()
    assert report.cell(cell_number, "ten", sheet="Metrics", row=4, column="C (Value)") is INVALID
    assert report.cell(cell_number, "10", sheet="Metrics", row=5, column="C (Value)") == 10
    (error,) = report.errors
    assert (error.sheet, error.row, error.column) == ("Metrics", 4, "C (Value)")
    assert str(error).startswith("Sheet “Metrics”, row 4, column C (Value): “ten” is not a number.")


# --- all or nothing ---


def _write_event(note: str) -> None:
    Group.objects.create(name=f"test.import {note}")


@pytest.mark.django_db
def test_import_atomic_keeps_writes_without_errors():
    report = import_atomic(lambda report: _write_event("kept") or "done")
    assert report.saved and report.outcome == "done"
    assert Group.objects.filter(name__startswith="test.import").count() == 1


@pytest.mark.django_db
def test_import_atomic_rolls_back_on_any_error_and_on_a_dry_run():
    def with_error(report):
        _write_event("first row fine")
        report.error("Sheet1", 3, "B", "Bad.", "Fix it.")

    report = import_atomic(with_error)
    assert not report.saved and len(report.errors) == 1
    dry = import_atomic(lambda report: _write_event("dry"), dry_run=True)
    assert not dry.saved and dry.ok
    assert not Group.objects.filter(name__startswith="test.import").exists()
