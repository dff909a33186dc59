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
    Answer,
    Metric,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    SelfRating,
    Standard,
)
from assurance.permissions import return_require_editable
from assurance.services import returns as services
from assurance.services.returns import AnswerInput
from assurance.workbook_content import (
    answer_fingerprint,
    answer_input_of,
    metric_amount_words,
    metric_fingerprint,
)
from assurance.workbook_read import ParsedWorkbook, RowAt, workbook_read
from organisations.models import User
from saaf.dates import nhs_datetime
from saaf.spreadsheets import (
    ImportReport,
    RowError,
    SpreadsheetRefused,
    import_atomic,
    spreadsheet_open,
)

_CORRECT = "Correct it in the workbook and upload it again."


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
    dry_run: bool = False

    @property
    def checked_only(self) -> bool:
        """A dry run that found nothing wrong: `changes` are what would change."""
        return self.dry_run and not self.report.errors

    @property
    def saved(self) -> bool:
        return self.report.saved


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


def _place(row: RowAt) -> RowError:
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


def _apply(actor: User, ret: QuarterlyReturn, parsed: ParsedWorkbook, upload: WorkbookUpload):
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
                    report.error(
                        row.sheet, row.number, None, f"{standard.code}: {message}", _CORRECT
                    )
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
                    report.error(row.sheet, row.number, None, f"{metric.code}: {message}", _CORRECT)
                continue
            upload.changes.append(
                AnswerChange(metric.code, metric.name, metric.section.title, fields, True)
            )
        if not report.errors:
            _warnings(ret, parsed, upload)

    return apply


def _warnings(ret: QuarterlyReturn, parsed: ParsedWorkbook, upload: WorkbookUpload) -> None:
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
    result = WorkbookUpload(ImportReport(), dry_run=dry_run)
    try:
        # A return's workbook is well under 2 MiB unpacked: 25 MiB leaves room
        # for long narratives and keeps what openpyxl parses in memory small.
        with spreadsheet_open(upload, max_uncompressed=25 * 1024 * 1024) as book:
            parsed = workbook_read(book, quarterly_return, result.report)
    except SpreadsheetRefused as refused:
        result.report.errors.extend(refused.errors)
        return result
    if result.report.errors:
        return result
    import_atomic(
        _apply(actor, quarterly_return, parsed, result), dry_run=dry_run, report=result.report
    )
    if result.report.errors:
        result.changes = []
    return result
