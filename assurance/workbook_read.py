"""Reading an uploaded return workbook (`assurance.workbook`): every cell
the upload uses, checked, into plain inputs for the services, with each
problem recorded row by row on the import's report. Nothing is written here;
`assurance.workbook_import` compares and saves."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from assurance.models import ActionStatus, Metric, MetricUnit, QuarterlyReturn, SelfRating, Standard
from assurance.models.returns import EXPLANATION_MAX_LENGTH, NARRATIVE_MAX_LENGTH
from assurance.services.returns import ActionInput, AnswerInput
from assurance.workbook import (
    ACTION_HEADING,
    CODE,
    CODES_SHEET,
    COVER_SHEET,
    EXPLANATION,
    FORMAT_VERSION,
    M_CODE,
    M_REASON,
    M_VALUE,
    METRICS_SHEET,
    NA_REASON,
    NARRATIVE,
    RATING,
)
from assurance.workbook_content import metric_amount, metric_fingerprint
from saaf.dates import nhs_date
from saaf.spreadsheets import (
    INVALID,
    CellErrorValue,
    CellInvalid,
    Formula,
    ImportReport,
    SheetRow,
    Spreadsheet,
    cell_choice,
    cell_date,
    cell_number,
    cell_text,
    column_label,
    header_columns,
)

_HEADER_WIDTH = 120
_DOWNLOAD_AGAIN = (
    "Download the return's workbook again from the portal and copy your answers into it."
)
# What teams moving from their own spreadsheets type for a rating.
RATING_ALIASES = {
    "R": SelfRating.RED,
    "A": SelfRating.AMBER,
    "G": SelfRating.GREEN,
    "NA": SelfRating.NOT_APPLICABLE,
    "N/A": SelfRating.NOT_APPLICABLE,
    "N A": SelfRating.NOT_APPLICABLE,
}
_EARLIEST_DUE = datetime.date(2022, 7, 1)
_LATEST_DUE = datetime.date(2100, 12, 31)
_MAX_FIGURE = Decimal("9999999999.99")


@dataclass
class RowAt:
    """Where in the file a standard's or metric's row is."""

    sheet: str
    number: int
    code: str


@dataclass
class ParsedWorkbook:
    """What the file says, by code, and what it held at download: the
    revision and fingerprint of each answer (`baselines`, from the hidden
    sheet)."""

    answers: dict[str, tuple[AnswerInput, RowAt]] = field(default_factory=dict)
    metrics: dict[str, tuple[Decimal | None, str, RowAt]] = field(default_factory=dict)
    baselines: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


def _codes(book: Spreadsheet, ret: QuarterlyReturn, report: ImportReport, parsed: ParsedWorkbook):
    """The hidden sheet: what the file is for, and the revisions at download."""
    if CODES_SHEET not in book.sheet_names:
        report.error(
            None,
            None,
            None,
            f"The workbook has no hidden “{CODES_SHEET}” sheet: it was not downloaded from "
            "the portal, or that sheet was deleted.",
            _DOWNLOAD_AGAIN,
        )
        return
    meta: dict[str, str] = {}
    for row in book.rows(CODES_SHEET, max_col=4, min_row=2):
        if row.empty:
            continue
        item, code, revision, fingerprint = row.values
        if any(isinstance(v, Formula | CellErrorValue) for v in row.values) or not isinstance(
            item, str
        ):
            report.error(
                CODES_SHEET,
                row.number,
                None,
                "The hidden sheet of codes has been changed.",
                _DOWNLOAD_AGAIN,
            )
            return
        item = item.strip()
        if item in ("standard", "metric"):
            if not isinstance(code, str) or not isinstance(revision, int | float):
                report.error(
                    CODES_SHEET,
                    row.number,
                    None,
                    "The hidden sheet of codes has been changed.",
                    _DOWNLOAD_AGAIN,
                )
                return
            parsed.baselines[(item, code)] = (int(revision), str(fingerprint or ""))
        elif item:
            meta[item] = str(code or "")
    period = ret.period
    expected = {
        "icb": (ret.icb.code, f"{ret.icb.name} ({ret.icb.code})"),
        "period": (f"{period.financial_year} Q{period.quarter}", period.label),
        "toolkit": (
            str(period.toolkit_version.financial_year),
            f"toolkit version {period.toolkit_version.label}",
        ),
    }
    if meta.get("format") != FORMAT_VERSION:
        report.error(None, None, None, "The workbook is not one this portal made.", _DOWNLOAD_AGAIN)
        return
    words = {"icb": "ICB", "period": "reporting period", "toolkit": "toolkit version"}
    for key, (value, described) in expected.items():
        if meta.get(key) != value:
            report.error(
                None,
                None,
                None,
                f"The workbook is for another {words[key]} ({_said(key, meta.get(key))}); "
                f"this return is for {described}.",
                "Upload it into the return it was downloaded from, or download this return's "
                "workbook and copy the answers into it.",
            )


def _said(key: str, value: str | None) -> str:
    """What the file says it is for, in the words the pages use."""
    from assurance.models.periods import financial_year_label
    from organisations.models import Organisation

    if not value:
        return "not stated"
    if key == "icb":
        icb = Organisation.objects.filter(code=value).first()
        return f"{icb.name} ({value})" if icb else value
    match = re.fullmatch(r"(\d{4})(?: Q([1-4]))?", value)
    if match and key == "period" and match.group(2):
        return f"Q{match.group(2)} {financial_year_label(int(match.group(1)))}"
    if match and key == "toolkit":
        return financial_year_label(int(match.group(1)))
    return value


def _standards_sheet(
    book: Spreadsheet,
    name: str,
    header: SheetRow,
    standards: dict[str, Standard],
    report: ImportReport,
    parsed: ParsedWorkbook,
) -> None:
    columns = header_columns(header)
    missing = [h for h in (CODE, RATING, NA_REASON, NARRATIVE, EXPLANATION) if h not in columns]
    slots: dict[int, dict[str, int]] = {}
    for heading, index in columns.items():
        match = ACTION_HEADING.match(heading)
        if match:
            slots.setdefault(int(match.group(1)), {})[match.group(2) or ""] = index
    for number, found in sorted(slots.items()):
        missing += [
            f"Action {number}{part}"
            for part in ("", " owner", " due date", " status")
            if part not in found
        ]
    if missing:
        for heading in missing:
            report.error(
                name,
                1,
                None,
                f"The column “{heading}” is missing.",
                "Put the column and its heading back as downloaded (the portal finds columns "
                "by their headings).",
            )
        return
    width = max(columns.values())

    def where(index: int) -> str:
        heading = next((h for h, i in columns.items() if i == index), "")
        return column_label(index, heading)

    for row in book.rows(name, max_col=width, min_row=2):
        if row.empty:
            continue

        def read(parse, heading, row=row, **options):
            index = columns[heading]
            return report.cell(
                parse,
                row.values[index - 1],
                sheet=name,
                row=row.number,
                column=where(index),
                **options,
            )

        code = read(cell_text, CODE, label="The code")
        if code is INVALID:
            continue
        if not code:
            report.error(
                name,
                row.number,
                where(columns[CODE]),
                "This row has answers but no standard code.",
                "Put the standard's code back, or clear the row.",
            )
            continue
        standard = standards.get(code.upper())
        if standard is None:
            report.error(
                name,
                row.number,
                where(columns[CODE]),
                f"“{code}” is not a standard of this return's toolkit.",
                "Use the codes as downloaded; to answer a standard, fill in its own row.",
            )
            continue
        if standard.code in parsed.answers:
            first = parsed.answers[standard.code][1]
            report.error(
                name,
                row.number,
                where(columns[CODE]),
                f"{standard.code} is answered twice (also on sheet “{first.sheet}”, row "
                f"{first.number}).",
                "Keep one row per standard.",
            )
            continue
        errors_before = len(report.errors)
        rating = read(cell_choice, RATING, choices=SelfRating, aliases=RATING_ALIASES)
        reason = read(cell_text, NA_REASON, max_length=NARRATIVE_MAX_LENGTH, label="The reason")
        narrative = read(
            cell_text, NARRATIVE, max_length=NARRATIVE_MAX_LENGTH, label="The narrative"
        )
        explanation = read(
            cell_text, EXPLANATION, max_length=EXPLANATION_MAX_LENGTH, label="The explanation"
        )
        actions = []
        for number, found in sorted(slots.items()):
            heading = f"Action {number}"
            description = read(cell_text, heading, max_length=2_000, label="The action")
            owner = read(cell_text, heading + " owner", max_length=200, label="The owner")
            due = read(cell_date, heading + " due date")
            status = read(cell_choice, heading + " status", choices=ActionStatus)
            if INVALID in (description, owner, due, status):
                continue
            if not (description or owner or due or status):
                continue
            if not description:
                report.error(
                    name,
                    row.number,
                    where(found[""]),
                    f"Action {number} has an owner, due date or status but no description.",
                    "Say what will be done, or clear the action's cells.",
                )
                continue
            if due and not (_EARLIEST_DUE <= due <= _LATEST_DUE):
                report.error(
                    name,
                    row.number,
                    where(found[" due date"]),
                    f"The due date {nhs_date(due)} cannot be right.",
                    "Type a date after 1 July 2022, such as 31/03/2027.",
                )
                continue
            actions.append(
                ActionInput(
                    description=description,
                    owner=owner,
                    due_on=due,
                    status=status or ActionStatus.NOT_STARTED,
                )
            )
        if len(report.errors) > errors_before:
            continue
        answer = AnswerInput(
            rating=rating,
            not_applicable_reason=reason,
            narrative=narrative,
            explanation=explanation,
            actions=actions,
        )
        parsed.answers[standard.code] = (answer, RowAt(name, row.number, standard.code))


def _metrics_sheet(
    book: Spreadsheet,
    name: str,
    header: SheetRow,
    metrics: dict[str, Metric],
    report: ImportReport,
    parsed: ParsedWorkbook,
) -> None:
    columns = header_columns(header)
    missing = [h for h in (M_CODE, M_VALUE, M_REASON) if h not in columns]
    for heading in missing:
        report.error(
            name,
            1,
            None,
            f"The column “{heading}” is missing.",
            "Put the column and its heading back as downloaded.",
        )
    if missing:
        return
    width = max(columns.values())
    value_at, reason_at, code_at = columns[M_VALUE], columns[M_REASON], columns[M_CODE]
    for row in book.rows(name, max_col=width, min_row=2):
        if row.empty:
            continue
        code = report.cell(
            cell_text,
            row.values[code_at - 1],
            sheet=name,
            row=row.number,
            column=column_label(code_at, M_CODE),
        )
        if code is INVALID:
            continue
        metric = metrics.get(code.upper()) if code else None
        if metric is None:
            report.error(
                name,
                row.number,
                column_label(code_at, M_CODE),
                f"“{code}” is not a metric of this return's toolkit."
                if code
                else "This row has a figure but no metric code.",
                "Use the metric codes as downloaded.",
            )
            continue
        if metric.is_computed:  # the portal's figure: never read from a file
            _computed_typed_over(report, parsed, metric, row, value_at, name)
            continue
        if metric.code in parsed.metrics:
            report.error(
                name,
                row.number,
                column_label(code_at, M_CODE),
                f"{metric.code} is given twice.",
                "Keep one row per metric.",
            )
            continue
        percent = metric.unit == MetricUnit.PERCENT
        value = report.cell(
            cell_number,
            row.values[value_at - 1],
            sheet=name,
            row=row.number,
            column=column_label(value_at, M_VALUE),
            minimum=0,
            maximum=100 if percent else _MAX_FIGURE,
            whole=metric.unit == MetricUnit.COUNT,
            unit="%" if percent else "",
            percent=percent,
        )
        reason = report.cell(
            cell_text,
            row.values[reason_at - 1],
            sheet=name,
            row=row.number,
            column=column_label(reason_at, M_REASON),
            max_length=NARRATIVE_MAX_LENGTH,
            label="The reason",
        )
        if value is INVALID or reason is INVALID:
            continue
        if value is not None and reason:
            report.error(
                name,
                row.number,
                column_label(reason_at, M_REASON),
                f"{metric.code} has both a figure and why it is not available.",
                "Give either the figure or the reason, and clear the other cell.",
            )
            continue
        if value is not None and metric_amount(value) != value:
            report.warn(
                name,
                row.number,
                column_label(value_at, M_VALUE),
                f"{value:f} is stored with two decimal places, as {metric_amount(value):f}.",
                "Nothing to do, unless you meant another figure.",
            )
        value = metric_amount(value)  # 92.500 is 92.50: two places, as stored
        parsed.metrics[metric.code] = (value, reason, RowAt(name, row.number, metric.code))


def _computed_typed_over(report, parsed, metric: Metric, row: SheetRow, value_at, name) -> None:
    """Say so when the file changed a computed metric's figure: it is not read."""
    try:
        typed = cell_number(row.values[value_at - 1], percent=metric.unit == MetricUnit.PERCENT)
    except CellInvalid:
        typed = INVALID
    _, downloaded = parsed.baselines.get(("metric", metric.code), (0, ""))
    if typed is INVALID or (downloaded and metric_fingerprint(typed, "") != downloaded):
        report.warn(
            name,
            row.number,
            column_label(value_at, M_VALUE),
            f"{metric.code} is {metric.get_computed_from_display().lower()}: the figure in the "
            "file was not read.",
            "Nothing to do: the portal's figure stands.",
        )


def workbook_read(book: Spreadsheet, ret: QuarterlyReturn, report: ImportReport) -> ParsedWorkbook:
    """Every sheet of the file: the hidden codes first (is it for this
    return?), then each section's sheet and the metrics, found by their
    headings; a sheet the portal did not make is reported and skipped."""
    parsed = ParsedWorkbook()
    _codes(book, ret, report, parsed)
    if report.errors:
        return parsed
    version = ret.period.toolkit_version
    standards = {s.code: s for s in Standard.objects.filter(version=version)}
    metrics = {m.code: m for m in Metric.objects.filter(version=version)}
    for name in book.sheet_names:
        if name in (COVER_SHEET, CODES_SHEET):
            continue
        header = next(iter(book.rows(name, max_col=_HEADER_WIDTH)), None)
        columns = header_columns(header)
        if name == METRICS_SHEET or (M_VALUE in columns and M_REASON in columns):
            _metrics_sheet(book, name, header, metrics, report, parsed)
        elif CODE in columns and RATING in columns:
            _standards_sheet(book, name, header, standards, report, parsed)
        elif header is not None and not header.empty:
            report.warn(
                name,
                None,
                None,
                "This sheet is not one the portal made, so it was not read.",
                "Nothing to do, unless it holds answers: copy them into their section's sheet.",
            )
    return parsed
