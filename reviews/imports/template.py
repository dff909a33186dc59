"""The import's workbook layout and the template the portal hands out:
sheets Reviews, Recommendations and Actions, each an empty named table under
its header row, with drop-down lists for the kind, convening body, age group,
stage and status (from a Lists sheet), and an Instructions sheet that says
what goes where and that nothing identifying may be written."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from organisations.models import Organisation, User
from reviews.identifiers import NO_IDENTIFIERS_HINT
from reviews.models import (
    AbuseTheme,
    ActionStatus,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    ReviewKind,
    Stage,
)
from reviews.permissions import can_record_reviews_for

REVIEWS, RECOMMENDATIONS, ACTIONS = "Reviews", "Recommendations", "Actions"
INSTRUCTIONS, LISTS = "Instructions", "Lists"
TEMPLATE_ROWS = 500  # rows the drop-down lists cover
TEXT_MAX = 10_000


@dataclass(frozen=True)
class Column:
    heading: str
    key: str
    required: bool = False
    hint: str = ""
    choices: Any = None  # a TextChoices class: a drop-down in the template
    width: int = 18

    @property
    def title(self) -> str:
        return f"{self.heading} (required)" if self.required else self.heading


_THEME_HINT = "separate several with semicolons"
REVIEW_COLUMNS = (
    Column("Reference", "reference", True, "The convening body's reference", width=20),
    Column("Kind", "kind", True, choices=ReviewKind, width=30),
    Column("Convening body", "convening_body", True, choices=ConveningBody, width=30),
    Column("Local authority area", "area", True, "ONS code or name of the place", width=22),
    Column("Lead ICB", "lead_icb", False, "ODS code; empty for the ICB you import into"),
    Column("Other ICBs involved", "icbs", False, "ODS codes, separated by commas"),
    Column("Providers involved", "providers", False, "ODS codes, separated by commas"),
    Column("Age group", "age_group", True, choices=AgeGroup, width=24),
    Column("Stage", "stage", False, "Empty for Notified", choices=Stage),
    Column("Date of notification", "notified_on", True, "Day/month/year"),
    Column("Date of the decision to review", "decision_on"),
    Column("Date of the panel", "panel_on"),
    Column("Date of the report", "report_on"),
    Column("Date of publication", "published_on"),
    Column("Expected date of publication", "expected_publication_on"),
    Column("Reason for delay", "delay_reason", width=30),
    Column("StEIS number", "steis_number", False, "For example 2025/12345"),
    Column("Abuse or vulnerability themes", "abuse_themes", False, f"Up to 3; {_THEME_HINT}"),
    Column("Learning themes", "learning_themes", False, _THEME_HINT.capitalize(), width=30),
)
RECOMMENDATION_COLUMNS = (
    Column("Review reference", "reference", True, "As on the Reviews sheet", width=20),
    Column("Recommendation number", "number", True, "1, 2, 3… within the review"),
    Column("Recommendation", "text", True, width=60),
)
ACTION_COLUMNS = (
    Column("Review reference", "reference", True, "As on the Reviews sheet", width=20),
    Column("Recommendation number", "number", True, "As on the Recommendations sheet"),
    Column("Action", "description", True, width=50),
    Column("Owner", "owner", True, "ODS code of the ICB or provider"),
    Column("Due date", "due_on", True, "Day/month/year"),
    Column("Status", "status", False, "Empty for Not started", choices=ActionStatus),
    Column("Date completed", "completed_on", False, "For a completed action"),
    Column("Evidence of completion", "evidence", False, "Needed for a completed action", width=40),
)
SHEETS = {REVIEWS: REVIEW_COLUMNS, RECOMMENDATIONS: RECOMMENDATION_COLUMNS, ACTIONS: ACTION_COLUMNS}
DATE_KEYS = {
    "notified_on", "decision_on", "panel_on", "report_on", "published_on",
    "expected_publication_on", "due_on", "completed_on",
}  # fmt: skip
FREE_TEXT_KEYS = {"reference", "delay_reason", "text", "description", "evidence"}
MAX_LENGTHS = {"reference": 60, "steis_number": 10}


# --- The template ---------------------------------------------------------------------


def _instructions(icb: Organisation) -> list[tuple[str, str]]:
    return [
        ("Importing reviews into the SAAF portal", "title"),
        (f"Template for {icb.name} ({icb.code}).", ""),
        (
            "No personal identifiers. " + NO_IDENTIFIERS_HINT + " A cell with an NHS number "
            "in it (ten digits, also written as 943 476 5919) is refused.",
            "bold",
        ),
        ("", ""),
        ("How to fill it in", "heading"),
        (
            "Reviews: one row per review. Its reference must be unique on the sheet and, "
            "in the tracker, for its convening body.",
            "",
        ),
        (
            "Recommendations: one row per recommendation for health, numbered 1, 2, 3… "
            "within its review, naming the review by its reference.",
            "",
        ),
        (
            "Actions: one row per action, naming the review and recommendation number, "
            "with its owner (the ODS code of the lead ICB, an ICB or provider involved, or "
            "a provider the lead ICB commissions) and its due date. A completed action "
            "needs the date completed and evidence of completion.",
            "",
        ),
        (
            "Kind, convening body, age group, stage and status: choose from the cell's "
            "drop-down list. Themes: the names on the Lists sheet, separated by semicolons.",
            "",
        ),
        ("Dates: type them as day/month/year, for example 31/03/2026.", ""),
        ("Columns marked (required) must be filled in on every row.", ""),
        ("", ""),
        ("Uploading", "heading"),
        (
            "Check the file first: the portal lists what would be created, or every "
            "problem by sheet, row and column. If there is any problem nothing is saved: "
            "fix them all and upload the file again.",
            "",
        ),
        (
            "Save as Excel Workbook (.xlsx), at most 10 MiB, without macros. Links between "
            "reviews (a CSPR continuing a rapid review, parallel reviews) are added on each "
            "review's page afterwards.",
            "",
        ),
    ]


def _lists(icb: Organisation, lead_codes: list[str]) -> dict[str, list[str]]:
    return {
        "Kind": [c.label for c in ReviewKind],
        "Convening body": [c.label for c in ConveningBody],
        "Age group": [c.label for c in AgeGroup],
        "Stage": [c.label for c in Stage],
        "Status": [c.label for c in ActionStatus],
        "Lead ICB": lead_codes,
        "Abuse or vulnerability themes": [c.label for c in AbuseTheme],
        "Learning themes": [c.label for c in LearningTheme],
    }


def import_template(*, user: User, icb: Organisation) -> bytes:
    """The .xlsx template for importing into `icb`'s tracker: the three data
    sheets (empty named tables with drop-downs), instructions and the lists."""
    book = Workbook()
    guide = book.active
    guide.title = INSTRUCTIONS
    guide.column_dimensions["A"].width = 110
    for number, (text, style) in enumerate(_instructions(icb), start=1):
        cell = guide.cell(row=number, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "title":
            cell.font = Font(bold=True, size=16)
        elif style in ("heading", "bold"):
            cell.font = Font(bold=True)

    lead_codes = [icb.code] + sorted(
        o.code
        for o in Organisation.objects.icbs().exclude(pk=icb.pk)
        if can_record_reviews_for(user, o)
    )
    lists_sheet = book.create_sheet(LISTS)
    ranges: dict[str, str] = {}
    for index, (heading, values) in enumerate(_lists(icb, lead_codes).items(), start=1):
        letter = get_column_letter(index)
        lists_sheet.cell(row=1, column=index, value=heading).font = Font(bold=True)
        lists_sheet.column_dimensions[letter].width = 36
        for row, value in enumerate(values, start=2):
            lists_sheet.cell(row=row, column=index, value=value)
        ranges[heading] = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${len(values) + 1}"

    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.cell(row=1, column=index, value=column.title)
            sheet.column_dimensions[letter].width = max(column.width, len(column.title) + 2)
            list_name = column.heading if column.heading in ranges else None
            if column.choices is not None or list_name == "Lead ICB":
                validation = DataValidation(
                    type="list",
                    formula1=f"={ranges[column.heading]}",
                    allow_blank=not column.required,
                    showErrorMessage=column.key != "lead_icb",
                    errorTitle=column.heading,
                    error=f"Choose the {column.heading.lower()} from the list.",
                    promptTitle=column.heading,
                    prompt=column.hint or "Choose from the list.",
                    showInputMessage=True,
                )
            elif column.hint:
                validation = DataValidation(
                    showInputMessage=True, promptTitle=column.heading, prompt=column.hint
                )
            else:
                continue
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(validation)
        table = Table(
            displayName=f"{name}Table",
            ref=f"A1:{get_column_letter(len(columns))}2",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True),
        )
        sheet.add_table(table)
        sheet.freeze_panes = "A2"
    book.move_sheet(LISTS, offset=3)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
