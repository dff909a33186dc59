"""Reviews, recommendations and actions from a spreadsheet, for ICBs moving
their tracker off Excel.

The portal gives a template (`import_template`): sheets Reviews,
Recommendations and Actions, each a named table under a header row, with
drop-down lists for the kind, convening body, age group, stage and status,
and an Instructions sheet that says what goes where and that nothing
identifying may be written. An uploaded copy (`reviews_import`) is opened
by `saaf.spreadsheets` (size, content, macros, zip and XML bombs), read row
by row, and written through the tracker's own services — `review_create`,
`recommendation_create`, `action_create`, `action_complete` — so the same
rules hold as on the forms: no NHS numbers, a reference unique per convening
body, only the lead ICB's editors and approver record its reviews, an action
owned by an organisation of the review. Every row's errors are gathered
(sheet, row, column, problem, what to fix); if there is any, or on a dry run,
nothing is saved (`import_atomic`). Each created row is audited by its
service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from organisations.models import Organisation, User
from reviews import services
from reviews.imports.rows import (
    ActionRow,
    Organisations,
    RecommendationRow,
    ReviewRow,
    Sheet,
    cell_or_empty,
    collect_codes,
    read_actions,
    read_recommendations,
    read_reviews,
)
from reviews.imports.template import ACTIONS, RECOMMENDATIONS, REVIEWS, SHEETS, import_template
from reviews.models import ActionStatus, Review
from saaf.spreadsheets import ImportReport, SpreadsheetRefused, import_atomic, spreadsheet_open

__all__ = [
    "ACTIONS",
    "RECOMMENDATIONS",
    "REVIEWS",
    "SHEETS",
    "ImportOutcome",
    "ImportedReview",
    "import_template",
    "reviews_import",
]


@dataclass
class ImportedReview:
    """A review the import created (or, on a dry run, would create)."""

    row: int
    reference: str
    kind: str
    lead_icb: str
    stage: str
    recommendations: int = 0
    actions: int = 0
    completed_actions: int = 0
    pk: int | None = None


@dataclass
class ImportOutcome:
    reviews: list[ImportedReview] = field(default_factory=list)

    @property
    def recommendation_count(self) -> int:
        return sum(r.recommendations for r in self.reviews)

    @property
    def action_count(self) -> int:
        return sum(r.actions for r in self.reviews)


# --- Writing through the services ---------------------------------------------------


_REVIEW_UNIQUE = next(
    c.violation_error_message
    for c in Review._meta.constraints
    if c.name == "review_reference_unique_per_convening_body"
)


def _service_errors(sheet: Sheet, row: int, error: ValidationError | PermissionDenied) -> None:
    """A service's refusal as row errors, each on its column where it names a field."""
    if isinstance(error, PermissionDenied):
        sheet.error(row, None, str(error), "Import only reviews your ICB leads.")
        return
    by_field = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    for key, messages in by_field.items():
        for message in messages:
            if message == _REVIEW_UNIQUE:
                sheet.error(
                    row, "reference", message,
                    "If the review is already in the tracker, delete its row; otherwise "
                    "check the reference, convening body and area.",
                )  # fmt: skip
            else:
                column = key if key in sheet.positions else None
                sheet.error(row, column, message, "Correct the row and upload the file again.")


def _apply(
    *,
    actor: User,
    sheets: dict[str, Sheet],
    reviews: dict[str, ReviewRow],
    recommendations: list[RecommendationRow],
    actions: list[ActionRow],
) -> ImportOutcome:
    outcome = ImportOutcome()
    created: dict[str, tuple[Review, ImportedReview]] = {}
    for key, parsed in reviews.items():
        try:
            review = services.review_create(actor=actor, lead_icb=parsed.lead_icb, **parsed.values)
        except (ValidationError, PermissionDenied) as error:
            _service_errors(sheets[REVIEWS], parsed.row, error)
            continue
        summary = ImportedReview(
            row=parsed.row,
            reference=review.reference,
            kind=review.get_kind_display(),
            lead_icb=parsed.lead_icb.name,
            stage=review.get_stage_display(),
            pk=review.pk,
        )
        outcome.reviews.append(summary)
        created[key] = (review, summary)

    made: dict[tuple[str, int], Any] = {}
    for parsed in sorted(recommendations, key=lambda r: (r.reference.casefold(), r.number)):
        key = parsed.reference.casefold()
        if key not in created:
            continue  # its review has errors of its own
        review, summary = created[key]
        try:
            made[key, parsed.number] = services.recommendation_create(
                actor=actor, review=review, text=parsed.text
            )
        except (ValidationError, PermissionDenied) as error:
            _service_errors(sheets[RECOMMENDATIONS], parsed.row, error)
            continue
        summary.recommendations += 1

    for parsed in actions:
        key = parsed.reference.casefold()
        recommendation = made.get((key, parsed.number))
        if recommendation is None:
            if key in created and not any(
                r.reference.casefold() == key and r.number == parsed.number for r in recommendations
            ):
                sheets[ACTIONS].error(
                    parsed.row, "number",
                    f"Review {parsed.reference} has no recommendation {parsed.number} on the "
                    "Recommendations sheet.",
                    "Type the number of one of its recommendations, or add the recommendation.",
                )  # fmt: skip
            continue
        try:
            action = services.action_create(
                actor=actor,
                recommendation=recommendation,
                status=ActionStatus.IN_PROGRESS
                if parsed.status == ActionStatus.COMPLETED
                else parsed.status,
                **parsed.values,
            )
            if parsed.status == ActionStatus.COMPLETED:
                services.action_complete(
                    actor=actor,
                    action=action,
                    completed_on=parsed.completed_on,
                    evidence=parsed.evidence,
                )
                created[key][1].completed_actions += 1
            elif parsed.evidence:
                services.action_update(actor=actor, action=action, evidence=parsed.evidence)
        except (ValidationError, PermissionDenied) as error:
            _service_errors(sheets[ACTIONS], parsed.row, error)
            continue
        created[key][1].actions += 1
    outcome.reviews.sort(key=lambda r: r.row)
    return outcome


def reviews_import(
    *, actor: User, icb: Organisation, upload: IO[bytes], dry_run: bool = False
) -> ImportReport:
    """Read an uploaded workbook and create its reviews, recommendations and
    actions through the services, all or nothing. `report.errors` lists every
    problem found — in the cells, and then what the services refuse for the
    rows that read well — and then nothing is saved; on a dry run nothing is
    saved either, and `report.outcome` says what would have been created. A
    file that cannot be opened safely is one error without a row."""
    reading = ImportReport()
    try:
        with spreadsheet_open(upload) as book:
            sheets = {name: Sheet(book, name, reading) for name in SHEETS}
    except SpreadsheetRefused as refused:
        return ImportReport(errors=list(refused.errors))
    if reading.errors and not all(sheet.ok for sheet in sheets.values()):
        return reading  # a sheet or a required column is missing: nothing to go on
    codes, names = collect_codes(sheets)
    orgs = Organisations(codes, names)
    references = {
        cell_or_empty(sheets[REVIEWS].value(row, "reference")).casefold()
        for row in sheets[REVIEWS].rows
    }
    reviews = read_reviews(sheets[REVIEWS], actor=actor, icb=icb, orgs=orgs)
    recommendations = read_recommendations(sheets[RECOMMENDATIONS], references)
    actions = read_actions(sheets[ACTIONS], orgs, references)

    def apply(report: ImportReport) -> ImportOutcome:
        # The rows that read well still go through the services, so one upload
        # shows every problem; any error, from reading or writing, rolls all
        # of it back.
        return _apply(
            actor=actor,
            sheets=sheets,
            reviews=reviews,
            recommendations=recommendations,
            actions=actions,
        )

    report = import_atomic(apply, dry_run=dry_run, report=reading)
    order = [None, *SHEETS]
    # Sheet by sheet, row by row; within a row, in the order found (by column).
    report.errors.sort(key=lambda e: (order.index(e.sheet) if e.sheet in order else 0, e.row or 0))
    return report
