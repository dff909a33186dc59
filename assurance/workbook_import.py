"""Uploading a return's workbook (`assurance.workbook`) back into its draft.

The file is untrusted: `saaf.spreadsheets` opens it (size, content, macros,
zip and XML bombs, a cap on cells) and reads its cells as values, refusing
formulas. Then the whole file is read and checked before anything is
written: it must be for this ICB, period and toolkit version; every code
must be known; every rating, date and figure valid. Any problem refuses the
upload as a whole, with a row-by-row list (sheet, row, column, what is wrong,
what to do), and nothing is saved.

What the file says replaces the answers it holds, through the same services
as the pages (`answer_save`, `metric_value_save`: the same validation, one
audit event per changed answer), in one transaction: a blank cell clears an
answer; a sheet or row left out changes nothing. Three-way, per answer:

- the file's row equals the portal's answer now: nothing to do;
- the file's row is what was downloaded (its fingerprint in the hidden sheet
  still matches): the file did not change it, so whatever the portal holds
  now stays, and it is not a conflict;
- the file changed it and the portal's revision is still the one downloaded:
  saved;
- the file changed it and so did someone in the portal since the download (the
  revision moved on): a conflict. The upload is refused, listing each such
  standard with both texts, and nothing is saved.

Incomplete answers (red with no action yet) are saved as on the pages, and
the completeness check's words for them come back as warnings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from assurance.models import (
    ActionStatus,
    Answer,
    Metric,
    MetricUnit,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    SelfRating,
    Standard,
)
from assurance.models.returns import EXPLANATION_MAX_LENGTH, NARRATIVE_MAX_LENGTH
from assurance.permissions import return_require_editable
from assurance.services import returns as services
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
    answer_fingerprint,
    answer_input_of,
    metric_amount,
    metric_amount_words,
    metric_fingerprint,
)
from organisations.models import User
from saaf.dates import nhs_date, nhs_datetime
from saaf.spreadsheets import (
    INVALID,
    ImportReport,
    RowError,
    SheetRow,
    Spreadsheet,
    SpreadsheetRefused,
    cell_choice,
    cell_date,
    cell_number,
    cell_text,
    column_label,
    import_atomic,
    spreadsheet_open,
)

_HEADER_WIDTH = 120
_DOWNLOAD_AGAIN = (
    "Download the return's workbook again from the portal and copy your answers into it."
)
_EARLIEST_DUE = datetime.date(2022, 7, 1)
_LATEST_DUE = datetime.date(2100, 12, 31)
_MAX_FIGURE = Decimal("9999999999.99")


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class AnswerChange:
    """What the upload changed in one standard's answer or one metric."""

    code: str
    title: str
    section: str
    fields: list[FieldChange]
    is_metric: bool = False


@dataclass
class Conflict:
    """A standard (or metric) changed both in the file and in the portal since
    the file was downloaded: both versions, field by field."""

    code: str
    title: str
    where: RowError
    changed_by: str
    changed_at: datetime.datetime | None
    fields: list[FieldChange]  # old: the portal's now, new: the file's


@dataclass
class WorkbookUpload:
    report: ImportReport
    changes: list[AnswerChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        return self.report.saved


@dataclass
class _Row:
    sheet: str
    number: int
    code: str


@dataclass
class _Parsed:
    answers: dict[str, tuple[AnswerInput, _Row]] = field(default_factory=dict)
    metrics: dict[str, tuple[Decimal | None, str, _Row]] = field(default_factory=dict)
    baselines: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


# --- Reading the file --------------------------------------------------------------------


def _header_map(row: SheetRow) -> dict[str, int]:
    """Column index (from 1) by heading, for the headings present."""
    found = {}
    for index, value in enumerate(row.values, start=1):
        if isinstance(value, str) and value.strip():
            found.setdefault(value.strip(), index)
    return found


def _codes(book: Spreadsheet, ret: QuarterlyReturn, report: ImportReport, parsed: _Parsed):
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
        item = cell_text(row.values[0]) if isinstance(row.values[0], str) else ""
        code = row.values[1]
        if item in ("standard", "metric"):
            revision, fingerprint = row.values[2], row.values[3]
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
                f"The workbook is for another {words[key]} ({meta.get(key) or 'not stated'}); "
                f"this return is for {described}.",
                "Upload it into the return it was downloaded from, or download this return's "
                "workbook and copy the answers into it.",
            )


def _standards_sheet(
    book: Spreadsheet,
    name: str,
    header: SheetRow,
    standards: dict[str, Standard],
    report: ImportReport,
    parsed: _Parsed,
) -> None:
    columns = _header_map(header)
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
        rating = read(cell_choice, RATING, choices=SelfRating)
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
        parsed.answers[standard.code] = (answer, _Row(name, row.number, standard.code))


def _metrics_sheet(
    book: Spreadsheet,
    name: str,
    header: SheetRow,
    metrics: dict[str, Metric],
    report: ImportReport,
    parsed: _Parsed,
) -> None:
    columns = _header_map(header)
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
        if metric.is_computed:
            continue  # the portal's figure: never read from a file
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
            value = metric_amount(value)
        parsed.metrics[metric.code] = (value, reason, _Row(name, row.number, metric.code))


def _read(book: Spreadsheet, ret: QuarterlyReturn, report: ImportReport) -> _Parsed:
    parsed = _Parsed()
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
        columns = _header_map(header) if header else {}
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


# --- Comparing and saving -----------------------------------------------------------------


def _answer_fields(answer: AnswerInput) -> list[tuple[str, str]]:
    rating = SelfRating(answer.rating).label if answer.rating else "none"
    actions = "; ".join(services._action_words(a) for a in answer.actions) or "none"
    return [
        ("Rating", rating),
        ("Why not applicable", answer.not_applicable_reason.strip() or "none"),
        ("Narrative evidence", answer.narrative.strip() or "none"),
        ("Why green stands", answer.explanation.strip() or "none"),
        ("Actions", actions),
    ]


def _differences(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[FieldChange]:
    return [
        FieldChange(label, before, after)
        for (label, before), (_, after) in zip(old, new, strict=True)
        if before != after
    ]


def _metric_fields(metric: Metric, value: Decimal | None, reason: str) -> list[tuple[str, str]]:
    return [
        ("Value", metric_amount_words(metric, value)),
        ("Why not available", reason.strip() or "none"),
    ]


def _place(row: _Row) -> RowError:
    return RowError(row.sheet, row.number, None, "", "")


def _conflict(report, upload, *, code, title, row, current, fields) -> None:
    by = str(current.updated_by) if current and current.updated_by else "Someone"
    at = current.updated_at if current else None
    report.error(
        row.sheet,
        row.number,
        None,
        f"{code} was changed in the portal by {by}"
        + (f" on {nhs_datetime(at)}" if at else "")
        + " since this file was downloaded, and the file changes it too.",
        "Compare the two versions below, put the one to keep in the portal or in the file, "
        "then download the workbook again and upload your changes.",
    )
    upload.conflicts.append(Conflict(code, title, _place(row), by, at, fields))


def _apply(actor: User, ret: QuarterlyReturn, parsed: _Parsed, upload: WorkbookUpload):
    def apply(report: ImportReport) -> None:
        # The return's row first, as the services do: a submission racing the
        # upload waits, then the services refuse.
        QuarterlyReturn.objects.select_for_update().get(pk=ret.pk)
        current_answers = {
            a.standard.code: a
            for a in Answer.objects.filter(quarterly_return=ret)
            .select_related("standard__section", "updated_by")
            .prefetch_related(
                Prefetch("actions", queryset=ReturnAction.objects.order_by("position"))
            )
        }
        current_values = {
            v.metric.code: v
            for v in MetricValue.objects.filter(quarterly_return=ret).select_related(
                "metric", "updated_by"
            )
        }
        standards = {
            s.code: s
            for s in Standard.objects.filter(
                version=ret.period.toolkit_version, code__in=parsed.answers
            ).select_related("section")
        }
        metrics = {
            m.code: m
            for m in Metric.objects.filter(
                version=ret.period.toolkit_version, code__in=parsed.metrics
            ).select_related("section")
        }
        to_save = []
        for code, (answer, row) in parsed.answers.items():
            current = current_answers.get(code)
            now = answer_input_of(current, current.actions.all() if current else [])
            mine = answer_fingerprint(answer)
            if mine == answer_fingerprint(now):
                continue
            revision, downloaded = parsed.baselines.get(("standard", code), (0, ""))
            if mine == downloaded:
                continue  # the file did not change it: the portal's stays
            current_revision = current.revision if current else 0
            fields = _differences(_answer_fields(now), _answer_fields(answer))
            standard = standards[code]
            if current_revision != revision:
                _conflict(
                    report,
                    upload,
                    code=code,
                    title=standard.statement,
                    row=row,
                    current=current,
                    fields=fields,
                )
                continue
            to_save.append((standard, answer, current_revision, row, fields))
        metric_saves = []
        for code, (value, reason, row) in parsed.metrics.items():
            current = current_values.get(code)
            now_value = current.value if current else None
            now_reason = current.not_available_reason if current else ""
            mine = metric_fingerprint(value, reason)
            if mine == metric_fingerprint(now_value, now_reason):
                continue
            revision, downloaded = parsed.baselines.get(("metric", code), (0, ""))
            if mine == downloaded:
                continue
            metric = metrics[code]
            fields = _differences(
                _metric_fields(metric, now_value, now_reason),
                _metric_fields(metric, value, reason),
            )
            current_revision = current.revision if current else 0
            if current_revision != revision:
                _conflict(
                    report, upload, code=code, title=metric.name, row=row, current=current,
                    fields=fields,
                )  # fmt: skip
                continue
            metric_saves.append((metric, value, reason, current_revision, row, fields))
        if report.errors:
            return
        for standard, answer, revision, row, fields in to_save:
            try:
                services.answer_save(
                    actor=actor,
                    quarterly_return=ret,
                    standard=standard,
                    answer=answer,
                    revision=revision,
                )
            except ValidationError as error:
                for message in error.messages:
                    report.error(row.sheet, row.number, None, f"{standard.code}: {message}", "")
                continue
            upload.changes.append(
                AnswerChange(standard.code, standard.statement, standard.section.title, fields)
            )
        for metric, value, reason, revision, row, fields in metric_saves:
            try:
                services.metric_value_save(
                    actor=actor,
                    quarterly_return=ret,
                    metric=metric,
                    value=value,
                    not_available_reason=reason,
                    revision=revision,
                )
            except ValidationError as error:
                for message in error.messages:
                    report.error(row.sheet, row.number, None, f"{metric.code}: {message}", "")
                continue
            upload.changes.append(
                AnswerChange(metric.code, metric.name, metric.section.title, fields, True)
            )
        if not report.errors:
            _warnings(ret, parsed, upload)

    return apply


def _warnings(ret: QuarterlyReturn, parsed: _Parsed, upload: WorkbookUpload) -> None:
    """The completeness check's words for the answers the upload changed."""
    from assurance.return_check import return_problems

    changed = {c.code for c in upload.changes}
    if not changed:
        return
    rows = {code: row for code, (_, row) in parsed.answers.items()}
    rows.update({code: row for code, (_, _, row) in parsed.metrics.items()})
    for problem in return_problems(ret).problems:
        if problem.code in changed:
            row = rows[problem.code]
            upload.report.warn(
                row.sheet,
                row.number,
                None,
                problem.text,
                "Saved as a draft: put it right before the return is submitted.",
            )


def return_workbook_upload(
    *, actor: User, quarterly_return: QuarterlyReturn, upload, dry_run: bool = False
) -> WorkbookUpload:
    """Read an uploaded workbook into the draft `quarterly_return`: all of it,
    or (with any error or conflict, or on a dry run) nothing."""
    return_require_editable(actor, quarterly_return)
    result = WorkbookUpload(ImportReport())
    try:
        with spreadsheet_open(upload) as book:
            parsed = _read(book, quarterly_return, result.report)
    except SpreadsheetRefused as refused:
        result.report.errors.extend(refused.errors)
        return result
    if result.report.errors:
        return result
    import_atomic(
        _apply(actor, quarterly_return, parsed, result), dry_run=dry_run, report=result.report
    )
    if not result.saved:
        result.changes = []
    return result
