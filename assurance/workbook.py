"""A quarterly return as an Excel workbook, for teams that gather assurance
from colleagues in spreadsheets: the draft, any submitted version, or a blank
template for an ICB and period. What it shows is gathered by
`assurance.workbook_content`; the upload that brings it back is
`assurance.workbook_read` and `assurance.workbook_import`; the layout they
share is defined here once.

The workbook holds:

- **Cover**: the ICB, period, toolkit version, what the file holds, when and by
  whom it was downloaded, and how to fill it in;
- one sheet per **section**: a row per standard (code, statement, evidence
  expected, rating from a drop-down list, why not applicable, narrative,
  explanation, and action slots with owner, due date and status);
- **Metrics**: unit, thresholds, the value or why it is not available;
  computed metrics are marked, show the portal's value and are locked;
- **Portal codes**, hidden and protected: the ICB, period and toolkit the
  file is for, and per standard and metric the answer's revision at download
  and a fingerprint of what the file showed. On upload, an answer the file
  did not change (its fingerprint still matches) is left alone, whatever
  happened in the portal since; one the file changed while the portal's
  revision moved on is a conflict.

Every data sheet is a named table with a header row (screen readers announce
the columns); dates are dates and numbers numbers; text goes through the
exports' escaping helper (`assurance.exports`), so text that looks like a
formula is stored as text and never run.
"""

from __future__ import annotations

import copy
import datetime
import io
import re
import zipfile

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from assurance.exports import XLSX_DATE_FORMAT, export_text, looks_like_formula
from assurance.models import (
    ActionStatus,
    Metric,
    MetricUnit,
    Section,
    SelfRating,
)
from assurance.services.returns import AnswerInput
from assurance.workbook_content import (
    MetricShown,
    WorkbookContent,
    answer_fingerprint,
    metric_fingerprint,
)
from organisations.models import User

FORMAT_VERSION = "1"
COVER_SHEET = "Cover"
METRICS_SHEET = "Metrics"
CODES_SHEET = "Portal codes"
# Sheet protection keeps codes and headings from being changed by accident;
# it is not a secret (the upload trusts nothing in the file it cannot check).
_CODES_PASSWORD = "saaf-portal"  # noqa: S105

# The standards' columns, by heading: the upload finds columns by these words.
CODE = "Code"
STATEMENT = "Standard"
EVIDENCE = "Evidence expected"
RATING = "Rating"
NA_REASON = "Why not applicable"
NARRATIVE = "Narrative evidence"
EXPLANATION = "Why green stands despite the posts register"
FILES = "Evidence files in the portal"
STANDARD_COLUMNS = [
    (CODE, 10),
    (STATEMENT, 60),
    (EVIDENCE, 40),
    (RATING, 16),
    (NA_REASON, 30),
    (NARRATIVE, 60),
    (EXPLANATION, 30),
    (FILES, 30),  # shown, never read: files are added on the section's page
]
ACTION_FIELDS = [("", 40), (" owner", 24), (" due date", 16), (" status", 14)]
ACTION_HEADING = re.compile(r"^Action (\d+)( owner| due date| status)?$")
MIN_ACTION_SLOTS = 3

M_CODE = "Code"
M_SECTION = "Section"
M_NAME = "Metric"
M_UNIT = "Unit"
M_GREEN = "Green threshold"
M_AMBER = "Amber threshold"
M_RULE = "Rating rule"
M_HOW = "How it is filled"
M_VALUE = "Value"
M_REASON = "Why not available"
METRIC_COLUMNS = [
    (M_CODE, 14),
    (M_SECTION, 24),
    (M_NAME, 50),
    (M_UNIT, 12),
    (M_GREEN, 12),
    (M_AMBER, 12),
    (M_RULE, 40),
    (M_HOW, 36),
    (M_VALUE, 12),
    (M_REASON, 40),
]
CODES_COLUMNS = [("Item", 16), ("Code", 20), ("Revision", 10), ("Fingerprint", 20)]

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_UNLOCKED = Protection(locked=False)


# --- Writing ----------------------------------------------------------------------


def _put(sheet, row: int, column: int, value, *, wrap: bool = False, unlocked: bool = False):
    """One cell: text cleaned and, where it looks like a formula, stored as
    text with the quote prefix; dates as dates."""
    cell = sheet.cell(row=row, column=column)
    number_format = None
    formula_like = False
    if isinstance(value, str):
        text = export_text(value)
        cell.value = text
        if looks_like_formula(text):
            cell.data_type = "s"
            formula_like = True
    elif isinstance(value, datetime.datetime):
        cell.value = timezone.localtime(value).replace(tzinfo=None)
        number_format = XLSX_DATE_FORMAT + " hh:mm"
    elif isinstance(value, datetime.date):
        cell.value = value
        number_format = XLSX_DATE_FORMAT
    else:
        cell.value = value
    _style(cell, number_format, wrap, unlocked)
    if formula_like:
        cell.quotePrefix = True
    return cell


def _style(cell, number_format: str | None, wrap: bool, unlocked: bool) -> None:
    """The cell's format, alignment and protection. openpyxl looks each
    style up in the workbook's lists by its hash on every assignment, so a
    combination's resulting style (its indexes in those lists) is kept on the
    workbook once made and copied to the next cell with the same."""
    workbook = cell.parent.parent
    made = workbook.__dict__.setdefault("_saaf_styles", {})
    key = (number_format, wrap, unlocked)
    if key in made:
        cell._style = copy.copy(made[key])
        return
    if number_format:
        cell.number_format = number_format
    cell.alignment = _WRAP if wrap else _TOP
    if unlocked:
        cell.protection = _UNLOCKED
    made[key] = copy.copy(cell._style)


def _header(sheet, columns: list[tuple[str, int]]) -> None:
    for index, (heading, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=heading)
        cell.font = _BOLD
        cell.alignment = _WRAP
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _table(sheet, name: str, columns: int, rows: int) -> None:
    """Name the range as an Excel table: a header row screen readers announce."""
    last = max(rows, 1) + 1
    if rows == 0:  # a table needs a data row
        for index in range(1, columns + 1):
            sheet.cell(row=2, column=index).protection = _UNLOCKED
    table = Table(displayName=name, ref=f"A1:{get_column_letter(columns)}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)


def _protect(sheet) -> None:
    """Lock all but the cells to fill in, while letting people filter, sort
    and resize as they read."""
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.autoFilter = False
    protection.sort = False


def _list_validation(options: list[str], title: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=f"Choose one of: {', '.join(options)} (or leave it blank).",
        promptTitle=title,
        prompt=f"Choose {', '.join(options)}.",
        showInputMessage=True,
    )


def _sheet_title(section: Section, taken: set[str]) -> str:
    title = re.sub(r"[\\/*?:\[\]']", "", f"{section.code} {section.title}")
    title = re.sub(r"\s+", " ", title).strip()
    if len(title) > 31:  # Excel's limit: cut at a word
        title = title[:32].rsplit(" ", 1)[0].strip()[:31]
    candidate, n = title, 2
    while candidate.lower() in taken or candidate.lower() in (
        COVER_SHEET.lower(),
        METRICS_SHEET.lower(),
        CODES_SHEET.lower(),
    ):
        candidate = f"{title[:27]} ({n})"
        n += 1
    taken.add(candidate.lower())
    return candidate


def _table_name(prefix: str, code: str, taken: set[str]) -> str:
    # Table names: letters, digits, underscores; never like a cell address.
    name = f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', code)}"
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate = f"{name}_{n}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def _cover(workbook, content: WorkbookContent, actor: User) -> None:
    sheet = workbook.active
    sheet.title = COVER_SHEET
    _header(sheet, [("Item", 30), ("Detail", 100)])
    period = content.period
    rows = [
        ("Integrated care board", content.icb.name),
        ("ICB ODS code", content.icb.code),
        ("Reporting period", period.label),
        ("Toolkit version", f"Safeguarding-CAT {period.toolkit_version.label}"),
        ("This workbook holds", content.description),
        ("Downloaded", timezone.now()),
        ("Downloaded by", actor.get_full_name()),
        ("Due", period.due_on),
        (
            "How to fill it in",
            "Each section has its own sheet, one row per standard. Choose the rating from "
            "the cell's list (Red, Amber, Green or Not applicable). Give a reason when a "
            "standard does not apply, and an action with an owner and a due date for red or "
            "amber.",
        ),
        (
            "Dates and figures",
            "Type dates as dates, such as 31/03/2026, and figures as numbers. Formulas are not "
            "accepted where a value belongs: type or paste values only.",
        ),
        (
            "Clearing and leaving out",
            "A blank cell clears that answer when you upload. A sheet you delete changes "
            "nothing in the portal. Only the cells you can edit are read.",
        ),
        (
            "Codes and headings",
            "Do not change the codes, the column headings or the sheet names: the portal uses "
            "them, and a hidden sheet, to match your answers and to spot answers changed in "
            "the portal since you downloaded this file.",
        ),
        (
            "Uploading",
            "On the return's page, choose “Upload a workbook”. The whole file is checked "
            "first: if anything is wrong, nothing is saved and you get a list of what to fix, "
            "row by row.",
        ),
    ]
    for number, (item, detail) in enumerate(rows, start=2):
        _put(sheet, number, 1, item)
        _put(sheet, number, 2, detail, wrap=True)
    _table(sheet, "About_this_workbook", 2, len(rows))
    _protect(sheet)


def _action_slots(content: WorkbookContent, section: Section) -> int:
    most = max(
        (len(content.answers.get(s.code, AnswerInput()).actions) for s in section.standards.all()),
        default=0,
    )
    # Always one empty slot more than the longest plan, so a plan is never cut
    # short (a cut plan would read back as actions deleted).
    return max(MIN_ACTION_SLOTS, most + 1)


def standard_columns(slots: int) -> list[tuple[str, int]]:
    columns = list(STANDARD_COLUMNS)
    for number in range(1, slots + 1):
        columns += [(f"Action {number}{suffix}", width) for suffix, width in ACTION_FIELDS]
    return columns


def _section_sheet(workbook, content: WorkbookContent, section: Section, titles, tables) -> None:
    sheet = workbook.create_sheet(_sheet_title(section, titles))
    slots = _action_slots(content, section)
    columns = standard_columns(slots)
    _header(sheet, columns)
    standards = list(section.standards.all())
    ratings = _list_validation([label for _, label in SelfRating.choices], "Rating")
    statuses = _list_validation([label for _, label in ActionStatus.choices], "Action status")
    due = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2022,7,1)",
        formula2="DATE(2100,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Due date",
        error="Type a date such as 31/03/2026.",
    )
    for validation in (ratings, statuses, due):
        sheet.add_data_validation(validation)
    for row, standard in enumerate(standards, start=2):
        answer = content.answers.get(standard.code, AnswerInput())
        _put(sheet, row, 1, standard.code)
        _put(sheet, row, 2, standard.statement, wrap=True)
        _put(sheet, row, 3, standard.evidence, wrap=True)
        _put(
            sheet, row, 4, SelfRating(answer.rating).label if answer.rating else None, unlocked=True
        )
        _put(sheet, row, 5, answer.not_applicable_reason, wrap=True, unlocked=True)
        _put(sheet, row, 6, answer.narrative, wrap=True, unlocked=True)
        _put(sheet, row, 7, answer.explanation, wrap=True, unlocked=True)
        _put(sheet, row, 8, content.files.get(standard.code, ""), wrap=True)
        for slot in range(slots):
            action = answer.actions[slot] if slot < len(answer.actions) else None
            first = len(STANDARD_COLUMNS) + 1 + slot * len(ACTION_FIELDS)
            status = ActionStatus(action.status).label if action else None
            _put(
                sheet, row, first, action.description if action else None, wrap=True, unlocked=True
            )
            _put(sheet, row, first + 1, action.owner if action else None, unlocked=True)
            _put(sheet, row, first + 2, action.due_on if action else None, unlocked=True)
            _put(sheet, row, first + 3, status, unlocked=True)
    last = max(len(standards), 1) + 1
    ratings.add(f"D2:D{last}")
    for slot in range(slots):
        first = len(STANDARD_COLUMNS) + 1 + slot * len(ACTION_FIELDS)
        due.add(f"{get_column_letter(first + 2)}2:{get_column_letter(first + 2)}{last}")
        statuses.add(f"{get_column_letter(first + 3)}2:{get_column_letter(first + 3)}{last}")
    _table(sheet, _table_name("Section", section.code, tables), len(columns), len(standards))
    _protect(sheet)


def _metrics_sheet(workbook, content: WorkbookContent) -> None:
    sheet = workbook.create_sheet(METRICS_SHEET)
    _header(sheet, METRIC_COLUMNS)
    row = 1
    value_column = len(METRIC_COLUMNS) - 1
    for section in content.sections:
        for metric in section.metrics.all():
            row += 1
            shown = content.metrics.get(metric.code, MetricShown())
            reported = not metric.is_computed
            _put(sheet, row, 1, metric.code)
            _put(sheet, row, 2, section.title, wrap=True)
            _put(sheet, row, 3, metric.name, wrap=True)
            _put(sheet, row, 4, metric.get_unit_display())
            _put(sheet, row, 5, metric.green)
            _put(sheet, row, 6, metric.amber)
            _put(sheet, row, 7, metric.rating_rule, wrap=True)
            how = (
                "Reported by the ICB"
                if reported
                else f"{metric.get_computed_from_display()}: the portal fills it, "
                "it is not uploaded"
                + (f" ({shown.computed_detail})" if shown.computed_detail else "")
            )
            _put(sheet, row, 8, how, wrap=True)
            value = _put(sheet, row, value_column, shown.value, unlocked=reported)
            if shown.value is not None:
                value.number_format = "0" if metric.unit == MetricUnit.COUNT else "0.##"
            _put(sheet, row, value_column + 1, shown.reason, wrap=True, unlocked=reported)
            if reported:
                _metric_validation(sheet, metric, f"{get_column_letter(value_column)}{row}")
    _table(sheet, "Metric_values", len(METRIC_COLUMNS), row - 1)
    _protect(sheet)


def _metric_validation(sheet, metric: Metric, cell: str) -> None:
    if metric.unit == MetricUnit.PERCENT:
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100"
        )
        validation.error = "A percentage is a number from 0 to 100."
    elif metric.unit == MetricUnit.COUNT:
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        validation.error = "A count is a whole number, 0 or more."
    else:
        validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        validation.error = "Days are a number, 0 or more."
    validation.allow_blank = True
    validation.showErrorMessage = True
    validation.errorTitle = metric.code
    sheet.add_data_validation(validation)
    validation.add(cell)


def _codes_sheet(workbook, content: WorkbookContent) -> None:
    sheet = workbook.create_sheet(CODES_SHEET)
    _header(sheet, CODES_COLUMNS)
    period = content.period
    rows: list[tuple] = [
        ("format", FORMAT_VERSION, None, None),
        ("icb", content.icb.code, None, None),
        ("period", f"{period.financial_year} Q{period.quarter}", None, None),
        ("toolkit", str(period.toolkit_version.financial_year), None, None),
        ("source", content.source, None, None),
    ]
    for section in content.sections:
        for standard in section.standards.all():
            answer = content.answers.get(standard.code, AnswerInput())
            rows.append(
                (
                    "standard",
                    standard.code,
                    content.answer_revisions.get(standard.code, 0),
                    answer_fingerprint(answer),
                )
            )
        for metric in section.metrics.all():
            shown = content.metrics.get(metric.code, MetricShown())
            # A computed metric's too: so an upload can say a changed figure was not read.
            fingerprint = metric_fingerprint(shown.value, shown.reason)
            rows.append(
                ("metric", metric.code, content.metric_revisions.get(metric.code, 0), fingerprint)
            )
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            _put(sheet, number, column, value)
    _table(sheet, "Portal_codes", len(CODES_COLUMNS), len(rows))
    sheet.protection.sheet = True
    sheet.protection.password = _CODES_PASSWORD
    sheet.sheet_state = "hidden"


def workbook_build(content: WorkbookContent, *, actor: User) -> bytes:
    """The .xlsx file for `content`, as bytes."""
    workbook = Workbook()
    _cover(workbook, content, actor)
    titles: set[str] = set()
    tables: set[str] = {"about_this_workbook", "metric_values", "portal_codes"}
    for section in content.sections:
        _section_sheet(workbook, content, section, titles, tables)
    _metrics_sheet(workbook, content)
    _codes_sheet(workbook, content)
    workbook.properties.title = f"{content.icb.name}: {content.period.label} return"
    workbook.properties.creator = "SAAF portal"
    return _xlsx_bytes(workbook)


class _InMemoryExcelWriter(ExcelWriter):
    """openpyxl's writer with each sheet's XML kept in memory: openpyxl's own
    writes every sheet to a temporary file, zips it and deletes it, and on a
    busy disk creating and deleting twenty files cost more than the sheets.
    `WorksheetWriter` takes a `BytesIO` for this; the rest is
    `ExcelWriter.write_worksheet` (openpyxl 3.1) as it is."""

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def _xlsx_bytes(workbook: Workbook) -> bytes:
    """`workbook.save()` to bytes, without temporary files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        workbook.properties.modified = timezone.now().replace(tzinfo=None)
        _InMemoryExcelWriter(workbook, archive).save()
    return buffer.getvalue()
