"""Tables that a page shows and exports to CSV and Excel alike: the page and
its export are built from the same rows, so they cannot disagree.

Every export goes through one escaping helper, `export_text`, and the two
cell writers built on it:

- C0 control characters (all but tab and newline) are stripped: text stored
  before such characters were refused must never break an export (openpyxl
  refuses them outright).
- Text a spreadsheet would run as a formula (starting =, +, -, @, tab or
  carriage return) gets a leading apostrophe in CSV, the convention
  spreadsheets read as "text"; in .xlsx it is stored as a text cell with
  Excel's quote prefix style, so it shows without an apostrophe and is never
  run.
- In .xlsx, dates are dates and numbers are numbers, so that they sort and
  filter. A cell can carry its typed value alongside the text the page and
  the CSV show (`Typed`).

Large exports stream: CSV through `StreamingHttpResponse` row by row, .xlsx
through openpyxl's write-only mode into a temporary file, so memory stays
flat in the number of rows.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assurance.findings import IcbRegister, Register
from assurance.register_counts import COUNT_KEYS
from organisations.models import OrganisationKind, ProviderKind
from saaf.dates import nhs_date

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab and newline (a carriage return goes too: "\r\n" becomes
# "\n"), and DEL.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "d mmmm yyyy"
_CSV_CHUNK_ROWS = 500


class Typed(str):
    """Text as the page and the CSV show it ("1 April 2024"), carrying the
    value a spreadsheet should hold (the date itself)."""

    value: object

    def __new__(cls, text: str, value: object) -> Typed:
        cell = super().__new__(cls, text)
        cell.value = value
        return cell


@dataclass
class Table:
    title: str
    header: list[str]
    # A list for a page; any iterable for a streamed export.
    rows: Iterable[list]
    # What each row is about, for the page's links (not exported).
    subjects: list | None = None
    # Column widths in the .xlsx, in characters (default: from the header).
    widths: list[int] | None = None


def export_text(value: str) -> str:
    """Text as it may be exported: without control characters. Printable text
    (checked in C) has none and is returned as it is, as a plain `str`: the
    national export cleans about 10,000 cells."""
    if value.isprintable():
        return str(value)
    return _CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n"))


def looks_like_formula(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def escape_formula(value: str) -> str:
    """The CSV form of a text cell: cleaned, and with an apostrophe before
    anything a spreadsheet would run as a formula."""
    text = export_text(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_cell(value) -> str:
    if isinstance(value, str):  # Typed included: the CSV shows its text
        return escape_formula(value)
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def xlsx_cell(sheet, value):
    """A value or cell for a write-only sheet: typed values as themselves,
    text cleaned and, where it looks like a formula, stored as text with the
    quote prefix. (Plain values need no cell of their own: openpyxl makes one.)"""
    if isinstance(value, Typed):
        value = value.value
    if isinstance(value, str):
        text = export_text(value)
        if not looks_like_formula(text):
            return text
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime.date):
        if isinstance(value, datetime.datetime):
            value = value.replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    return xlsx_cell(sheet, str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """The CSV (UTF-8 with a byte order mark, for Excel) in chunks of rows."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([csv_cell(h) for h in header])).encode("utf-8")
    rows = iter(rows)
    while chunk := list(islice(rows, _CSV_CHUNK_ROWS)):
        # Whole numbers as they are: the writer writes them as `csv_cell` would.
        yield "".join(
            writer.writerow([c if type(c) is int else csv_cell(c) for c in row]) for row in chunk
        ).encode("utf-8")


def xlsx_write(table: Table, target) -> None:
    """Write the table to `target` (a path or binary file) as a one-sheet
    workbook, in openpyxl's write-only mode: rows go to disk as they come."""
    workbook = Workbook(write_only=True)
    # Sheet names are at most 31 characters, without \ / * ? : [ ].
    title = re.sub(r"[\\/*?:\[\]]", "", export_text(table.title)).strip()
    sheet = workbook.create_sheet(re.sub(r"\s+", " ", title)[:31].strip() or "Export")
    widths = table.widths or [min(max(len(h) + 2, 12), 60) for h in table.header]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading in table.header:
        cell = WriteOnlyCell(sheet, value=export_text(heading))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(target)


def table_response(
    table: Table, *, filename: str, fmt: str, stream: bool = False
) -> HttpResponse | StreamingHttpResponse:
    """The table as a CSV or Excel download. With `stream`, the rows are read
    as they are written (`table.rows` may be a generator)."""
    if fmt == "csv":
        chunks = csv_chunks(table.header, table.rows)
        content_type = "text/csv; charset=utf-8"
        if stream:
            response = StreamingHttpResponse(chunks, content_type=content_type)
        else:
            response = HttpResponse(b"".join(chunks), content_type=content_type)
    elif fmt == "xlsx":
        if stream:
            spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
            xlsx_write(table, spool)
            spool.seek(0)
            response = FileResponse(spool, content_type=XLSX_CONTENT_TYPE)
        else:
            buffer = io.BytesIO()
            xlsx_write(table, buffer)
            response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    else:
        # Whatever the URL let through, an unknown format is not found, not an error.
        raise Http404("Exports are .csv or .xlsx.")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# --- The register's tables --------------------------------------------------------


def _dates(values: list) -> str:
    """One date as a real date for the spreadsheet; several (a job share) as text."""
    text = "; ".join(nhs_date(v) if v else "None recorded" for v in values)
    if len(values) == 1 and values[0]:
        return Typed(text, values[0])
    return text


def _holders_text(row) -> str:
    return "; ".join(t.holder_name + (" (acting)" if t.acting else "") for t in row.holders)


def _row_status(row) -> str:
    if not row.required:
        return "Not required"
    if not row.findings:
        return "Filled"
    return "; ".join(
        f.detail if f.detail.startswith(f.label) else f"{f.label}: {f.detail}" for f in row.findings
    )


REGISTER_HEADER = [
    "Organisation", "ODS code", "Post", "Holder(s)", "WTE / sessions", "In post since",
    "Last supervision", "Training level", "Hosted by", "Status",
]  # fmt: skip
REGISTER_WIDTHS = [40, 12, 40, 30, 16, 18, 18, 16, 30, 60]


def register_rows(registers: list[Register]) -> list[tuple[list[str], object]]:
    """One row per post line of each register, findings first, with the
    register line (PostRow) it shows."""
    lines = [(register.organisation, row) for register in registers for row in register.rows]
    lines.sort(
        key=lambda line: (not line[1].findings, line[0].name, line[1].post_type.display_order)
    )
    out = []
    for org, row in lines:
        capacity = "; ".join(
            (
                f"{t.whole_time_equivalent} WTE"
                if t.whole_time_equivalent is not None
                else f"{t.sessions_per_week} sessions"
            )
            for t in row.holders
        )
        supervised = row.post_type.supervision_applies
        cells = [
            org.name,
            org.code,
            row.post_type.name,
            _holders_text(row) or ("Vacant" if row.post else "Not set up"),
            capacity,
            _dates([t.start_date for t in row.holders]),
            _dates([t.last_supervision for t in row.holders]) if supervised else "",
            "; ".join(
                f"Level {t.training_level}" if t.training_level else "Not recorded"
                for t in row.holders
            ),
            row.post.hosted_by.name if row.post and row.post.hosted_by else "",
            _row_status(row),
        ]
        out.append((cells, row))
    return out


def icb_register_table(rollup: IcbRegister) -> Table:
    lines = register_rows(rollup.all)
    return Table(
        f"Posts register: {rollup.icb.name}",
        REGISTER_HEADER,
        [cells for cells, _ in lines],
        [row for _, row in lines],
        REGISTER_WIDTHS,
    )


OVERVIEW_HEADER = [
    "ICB", "ODS code", "Required posts", "Filled", "Missing", "Vacant",
    "Supervision overdue", "Below training level",
]  # fmt: skip
OVERVIEW_WIDTHS = [50, 12, 10, 10, 10, 10, 12, 12]


def overview_rows(icbs: list, counts: dict[int, dict[str, int]]) -> list[list]:
    """One row per ICB: its name, code and rolled-up counts (numbers)."""
    empty = dict.fromkeys(COUNT_KEYS, 0)
    return [
        [icb.name, icb.code, *(counts.get(icb.pk, empty)[key] for key in COUNT_KEYS)]
        for icb in icbs
    ]


ORGANISATION_HEADER = [
    "Region", "ICB", "ICB ODS code", "Organisation", "ODS code", "Kind",
    "Required posts", "Filled", "Missing", "Vacant", "Supervision overdue",
    "Below training level",
]  # fmt: skip
ORGANISATION_WIDTHS = [26, 40, 12, 50, 12, 24, 10, 10, 10, 10, 12, 12]


def organisation_rows(count_rows: Iterable[dict]) -> Iterator[list]:
    """The national export's rows: one per organisation, from
    `register_counts.organisation_count_rows`."""
    providers, organisations = dict(ProviderKind.choices), dict(OrganisationKind.choices)
    for row in count_rows:
        kind = (
            providers[row["provider_kind"]] if row["provider_kind"] else organisations[row["kind"]]
        )
        yield [
            row["region_name"],
            row["icb_name"],
            row["icb_code"],
            row["name"],
            row["code"],
            kind,
            *(row[key] for key in COUNT_KEYS),
        ]
