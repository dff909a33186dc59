"""Spreadsheets people upload to fill the portal (a return's workbook, the
reviews tracker): the one place that opens them safely, reads their cells as
typed values, and collects what is wrong row by row.

An uploaded workbook is untrusted. Before openpyxl reads a byte of XML:

- the file must be at most `max_bytes` (10 MiB by default) and be an .xlsx by
  its content (a zip holding `xl/workbook.xml`): a CSV or an old .xls renamed
  .xlsx, a Word file, anything else is refused, saying what it is;
- macros are refused: a VBA project, Excel 4.0 macro sheets, ActiveX
  controls, a macro-enabled content type (a .xlsm renamed .xlsx);
- a zip bomb is refused from the zip's directory (total uncompressed size
  and each member's compression ratio), then every member is decompressed
  once, in chunks, counting the bytes actually produced (a directory that
  lies is refused by zipfile's size and CRC checks);
- an XML part declaring a DOCTYPE or entities (billion laughs, external
  entities) is refused. openpyxl also parses through defusedxml when it is
  installed (it is a dependency), which refuses the same: two locks.

Then cells are read with openpyxl's read-only mode, formulas kept as formulas
(`data_only=False`) so that a formula where a value belongs is refused rather
than its cached result trusted, with a cap on the number of cells read.

Reading a cell goes through the `cell_*` parsers (text, date, number, choice;
in `saaf.spreadsheet_cells`, and importable from here), which raise
`CellInvalid(problem, fix)`; `ImportReport.cell` turns that into a `RowError`
naming the sheet, row and column. `import_atomic` runs the writes
in one transaction and rolls all of them back if any error was recorded or on
a dry run: nothing is ever half-saved.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction

from saaf.spreadsheet_cells import (  # noqa: F401 (the module's API: one import for an import)
    CellErrorValue,
    CellInvalid,
    Formula,
    Percentage,
    cell_choice,
    cell_date,
    cell_number,
    cell_text,
)

MAX_BYTES = 10 * 1024 * 1024  # 10 MiB, as uploaded
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # all members, decompressed
# A member that expands more than this many times is a bomb, not a workbook
# (real sheets compress 5–30 times). Small members are let off: a 1 KiB part
# of repeated tags can legitimately compress very well.
MAX_RATIO = 200
_RATIO_APPLIES_FROM = 1024 * 1024
MAX_MEMBERS = 2000
MAX_CELLS = 500_000
_CHUNK = 64 * 1024

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MACRO_PARTS = re.compile(
    r"(vbaproject\.bin|vbadata\.xml|(^|/)macrosheets/|(^|/)activex/|(^|/)dialogsheets/)",
    re.IGNORECASE,
)
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"ms-office.activex", b"ms-excel.intl")
_ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)


# --- What is wrong, where ----------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One thing wrong with an uploaded spreadsheet: where (sheet, row and
    column when it is about a cell; none of them for the file as a whole),
    what is wrong, and what to do about it."""

    sheet: str | None
    row: int | None
    column: str | None
    problem: str
    fix: str

    @property
    def place(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"Sheet “{self.sheet}”")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = f"{self.place}: " if self.place else ""
        return f"{where}{self.problem} {self.fix}".strip()


class SpreadsheetRefused(Exception):
    """The file as a whole cannot be read (not a workbook, too big, a bomb,
    macros…), or an import found errors: `errors` says what, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _refuse(problem: str, fix: str) -> SpreadsheetRefused:
    return SpreadsheetRefused([RowError(None, None, None, problem, fix)])


INVALID = object()  # what ImportReport.cell returns for a cell it recorded an error on


@dataclass
class ImportReport:
    """Errors (which stop the import: nothing is saved) and warnings (saved,
    but worth a look) gathered while reading a spreadsheet."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    saved: bool = False
    outcome: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, sheet, row, column, problem: str, fix: str) -> None:
        self.errors.append(RowError(sheet, row, column, problem, fix))

    def warn(self, sheet, row, column, problem: str, fix: str) -> None:
        self.warnings.append(RowError(sheet, row, column, problem, fix))

    def cell(self, parse: Callable[..., Any], value, *, sheet, row, column, **options) -> Any:
        """`parse(value, **options)`, or INVALID with the error recorded."""
        try:
            return parse(value, **options)
        except CellInvalid as invalid:
            self.error(sheet, row, column, invalid.problem, invalid.fix)
            return INVALID


def column_label(index: int, heading: str = "") -> str:
    """“C (Rating)” for the third column headed Rating (index from 1)."""
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(index)
    return f"{letter} ({heading})" if heading else letter


class _Rollback(Exception):
    pass


def import_atomic(
    apply: Callable[[ImportReport], Any],
    *,
    dry_run: bool = False,
    report: ImportReport | None = None,
) -> ImportReport:
    """Run `apply(report)` in one transaction; keep its writes only if it
    recorded no error (before or during) and this is not a dry run.
    `report.saved` says which; `report.outcome` is what `apply` returned.
    Pass `report` to carry on one that reading the file began. An exception
    from `apply` rolls back and propagates."""
    report = report if report is not None else ImportReport()
    with suppress(_Rollback), transaction.atomic():
        report.outcome = apply(report)
        if report.errors or dry_run:
            raise _Rollback
        report.saved = True
    return report


# --- Opening a workbook -------------------------------------------------------------


def _in_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MiB"
    return f"{max(size // 1024, 1)} KiB"


def _size_of(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    return size


def _describe_head(head: bytes) -> str:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old-style Excel (.xls) or other Office 97 file"
    if head.startswith(b"%PDF"):
        return "a PDF"
    if head.startswith(b"PK"):
        return "a zip archive"
    if b"\x00" not in head[:4096]:
        return "a text file (such as a CSV)"
    return "not a spreadsheet"


def _check_archive(archive: zipfile.ZipFile, max_uncompressed: int) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _refuse(
            f"The file holds {len(members)} parts: more than a workbook ever has.",
            "Upload the workbook the portal gave you, saved from Excel as .xlsx.",
        )
    names = {m.filename for m in members}
    if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
        raise _refuse(
            "The file is an OpenDocument file (such as LibreOffice's .ods), not an Excel workbook.",
            "Save it as “Excel 2007-365 (.xlsx)” and upload that copy.",
        )
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _refuse(
            "The file is a zip archive but not an Excel workbook.",
            "Upload an Excel workbook (.xlsx).",
        )
    for member in members:
        if _MACRO_PARTS.search(member.filename):
            raise _refuse(
                "The workbook contains macros or ActiveX controls, which the portal never runs "
                "or accepts.",
                "In Excel, save it as “Excel Workbook (.xlsx)”, which removes them, and upload "
                "that copy.",
            )
        if member.flag_bits & 0x1:
            raise _refuse(
                "The workbook is encrypted or password-protected.",
                "Remove the password in Excel (File, Info, Protect Workbook) and upload it again.",
            )
    total = sum(m.file_size for m in members)
    if total > max_uncompressed:
        raise _refuse(
            f"The workbook expands to {_in_words(total)} when opened: more than the "
            f"{_in_words(max_uncompressed)} a workbook may hold.",
            "Upload only the sheets the portal asks for, without images or extra data.",
        )
    for member in members:
        if member.file_size > _RATIO_APPLIES_FROM and (
            member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise _refuse(
                f"Part “{member.filename}” of the file expands {member.file_size // max(member.compress_size, 1):,} "  # noqa: E501
                "times when opened, as a zip bomb does.",
                "Upload the workbook the portal gave you, saved from Excel as .xlsx.",
            )
    # The content types say what the workbook is, whatever its name.
    content_types = archive.read("[Content_Types].xml").lower()
    if any(marker in content_types for marker in _MACRO_CONTENT_TYPES):
        raise _refuse(
            "The workbook is macro-enabled (.xlsm or similar), which the portal does not accept.",
            "In Excel, save it as “Excel Workbook (.xlsx)” and upload that copy.",
        )
    # Decompress every member once, counting what actually comes out (the
    # directory may lie) and looking for entity declarations in XML parts.
    produced = 0
    for member in members:
        is_xml = member.filename.lower().endswith((".xml", ".rels", ".vml"))
        tail = b""
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                produced += len(chunk)
                if produced > max_uncompressed:
                    raise _refuse(
                        f"The workbook expands to more than {_in_words(max_uncompressed)} "
                        "when opened.",
                        "Upload only the sheets the portal asks for.",
                    )
                if is_xml:
                    window = tail + chunk
                    if any(marker in window for marker in _ENTITY_MARKERS):
                        raise _refuse(
                            f"Part “{member.filename}” of the workbook declares XML entities, "
                            "which Excel never writes and which can be used to attack a server.",
                            "Upload a workbook saved by Excel as .xlsx.",
                        )
                    tail = chunk[-32:]


def header_columns(row: SheetRow | None) -> dict[str, int]:
    """A header row's columns: index (from 1) by heading, stripped; the first
    of two columns with the same heading wins."""
    found: dict[str, int] = {}
    for index, value in enumerate(row.values if row else (), start=1):
        if isinstance(value, str) and not isinstance(value, Formula) and value.strip():
            found.setdefault(value.strip(), index)
    return found


@dataclass
class SheetRow:
    """One row of a sheet: its number (from 1, as Excel shows it) and its
    values, formulas as `Formula`, errors as `CellErrorValue`."""

    number: int
    values: tuple

    @property
    def empty(self) -> bool:
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in self.values)


class Spreadsheet:
    """An uploaded workbook that passed the checks, open for reading. Use
    `spreadsheet_open` as a context manager."""

    def __init__(self, workbook, max_cells: int) -> None:
        self._workbook = workbook
        self._cells_left = max_cells
        self.max_cells = max_cells

    @property
    def sheet_names(self) -> list[str]:
        return list(self._workbook.sheetnames)

    def sheet_state(self, name: str) -> str:
        return self._workbook[name].sheet_state

    def rows(self, sheet: str, *, max_col: int, min_row: int = 1) -> Iterator[SheetRow]:
        """The sheet's rows from `min_row`, each `max_col` values wide. Stops
        the whole import once more than the cap of cells has been read."""
        worksheet = self._workbook[sheet]
        # The sheet's own dimension may lie (openpyxl would stop at its last
        # row): read the rows that are there.
        worksheet.reset_dimensions()
        number = min_row
        try:
            for cells in worksheet.iter_rows(min_row=min_row, max_col=max_col):
                self._cells_left -= max_col
                if self._cells_left < 0:
                    raise _refuse(
                        f"The workbook has more than {self.max_cells:,} cells to read.",
                        "Delete the rows and sheets the portal does not ask for, and upload "
                        "it again.",
                    )
                values = tuple(_cell_value(c) for c in cells)
                values += (None,) * (max_col - len(values))
                yield SheetRow(number, values)
                number += 1
        except SpreadsheetRefused:
            raise
        except Exception as exc:  # openpyxl raises many kinds on a malformed sheet
            raise _unreadable(exc) from exc

    def close(self) -> None:
        self._workbook.close()

    def __enter__(self) -> Spreadsheet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _cell_value(cell):
    value = cell.value
    data_type = getattr(cell, "data_type", None)
    if data_type == "f":
        return Formula(getattr(value, "text", None) or str(value))
    if data_type == "e":
        return CellErrorValue(str(value))
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and "%" in (getattr(cell, "number_format", "") or "")
    ):
        return Percentage(value)
    return value


def _unreadable(exc: Exception) -> SpreadsheetRefused:
    # openpyxl wraps the parser's error in its own: look down the chain for
    # defusedxml's (EntitiesForbidden, DTDForbidden, ExternalReferenceForbidden).
    causes = []
    while exc is not None and len(causes) < 10:
        causes.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    if any("Forbidden" in name for name in causes):
        return _refuse(
            "The workbook declares XML entities, which Excel never writes.",
            "Upload a workbook saved by Excel as .xlsx.",
        )
    return _refuse(
        "The workbook could not be read: it is damaged or was not saved by a spreadsheet program.",
        "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload that copy.",
    )


def spreadsheet_open(
    upload: IO[bytes],
    *,
    name: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_cells: int = MAX_CELLS,
) -> Spreadsheet:
    """Check an uploaded .xlsx (size, content, macros, bombs) and open it for
    reading; raises SpreadsheetRefused saying what is wrong and what to do."""
    from openpyxl import load_workbook

    name = name if name is not None else getattr(upload, "name", "") or ""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension in ("xlsm", "xlsb", "xltm"):
        raise _refuse(
            f"“{name}” is a macro-enabled or binary workbook, which the portal does not accept.",
            "In Excel, save it as “Excel Workbook (.xlsx)” and upload that copy.",
        )
    if extension == "xls":
        raise _refuse(
            f"“{name}” is an old-style Excel file (.xls).",
            "In Excel, save it as “Excel Workbook (.xlsx)” and upload that copy.",
        )
    size = _size_of(upload)
    if size > max_bytes:
        raise _refuse(
            f"The file is {_in_words(size)}: workbooks must be {_in_words(max_bytes)} or smaller.",
            "Delete sheets, images or rows the portal does not ask for, and upload it again.",
        )
    if size == 0:
        raise _refuse("The file is empty.", "Choose the workbook again.")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        described = _describe_head(upload.read(4096))
        upload.seek(0)
        raise _refuse(
            f"The file is not an Excel workbook: it is {described}.",
            "Upload the workbook as .xlsx (in Excel: File, Save As, “Excel Workbook (.xlsx)”).",
        )
    try:
        with zipfile.ZipFile(upload) as archive:
            _check_archive(archive, max_uncompressed)
    except SpreadsheetRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError):
        # Includes a member whose data does not match the directory (size or CRC).
        raise _refuse(
            "The file is damaged: it is not a readable Excel workbook.",
            "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload that copy.",
        ) from None
    upload.seek(0)
    try:
        workbook = load_workbook(
            upload, read_only=True, data_only=False, keep_vba=False, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many kinds on a malformed workbook
        raise _unreadable(exc) from exc
    return Spreadsheet(workbook, max_cells)
