"""Reading the sheets of an uploaded import workbook into rows the services
can take, through `saaf.spreadsheets`' cell parsers: every problem recorded
with its sheet, row and column, and what to fix."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from organisations.models import Organisation, OrganisationKind, User
from reviews.identifiers import nhs_numbers_in
from reviews.imports.template import (
    ACTIONS,
    DATE_KEYS,
    FREE_TEXT_KEYS,
    MAX_LENGTHS,
    REVIEWS,
    SHEETS,
    TEXT_MAX,
    Column,
)
from reviews.models import MAX_ABUSE_THEMES, AbuseTheme, ActionStatus, LearningTheme, Stage
from reviews.permissions import can_record_reviews_for
from saaf.spreadsheets import (
    INVALID,
    CellInvalid,
    ImportReport,
    Spreadsheet,
    cell_choice,
    cell_date,
    cell_number,
    cell_text,
    column_label,
)


@dataclass
class ReviewRow:
    row: int
    reference: str
    lead_icb: Organisation
    values: dict[str, Any]


@dataclass
class RecommendationRow:
    row: int
    reference: str
    number: int
    text: str


@dataclass
class ActionRow:
    row: int
    reference: str
    number: int
    values: dict[str, Any]
    status: str
    completed_on: Any
    evidence: str


def _heading_key(text) -> str:
    text = str(text or "").strip().casefold()
    return re.sub(r"\s+", " ", text.removesuffix("(required)").rstrip(" *")).strip()


class Sheet:
    """One data sheet of the upload: where each expected column is, and its rows."""

    def __init__(self, book: Spreadsheet, name: str, report: ImportReport) -> None:
        self.name = name
        self.columns = SHEETS[name]
        self.report = report
        self.positions: dict[str, int] = {}
        self.ok = False
        self.rows: list = []
        if name not in book.sheet_names:
            report.error(
                name, None, None, f"The workbook has no sheet called “{name}”.",
                "Use the portal's template, which has sheets Reviews, Recommendations and "
                "Actions, and keep their names.",
            )  # fmt: skip
            return
        rows = book.rows(name, max_col=max(len(self.columns) + 10, 30))
        header = next(rows, None)
        found = {_heading_key(v): i for i, v in enumerate(header.values if header else ()) if v}
        for column in self.columns:
            index = found.get(_heading_key(column.heading))
            if index is None:
                if column.required:
                    report.error(
                        name, 1, None, f"The column “{column.heading}” is missing.",
                        f"Add a column headed “{column.title}” in row 1, as in the template.",
                    )  # fmt: skip
                continue
            self.positions[column.key] = index
        self.ok = all(c.key in self.positions for c in self.columns if c.required)
        self.rows = [r for r in rows if not r.empty] if self.ok else []

    def label(self, key: str) -> str | None:
        index = self.positions.get(key)
        if index is None:
            return None
        heading = next(c.heading for c in self.columns if c.key == key)
        return column_label(index + 1, heading)

    def value(self, row, key: str):
        index = self.positions.get(key)
        return None if index is None else row.values[index]

    def cell(self, parse: Callable, row, key: str, **options):
        return self.report.cell(
            parse, self.value(row, key), sheet=self.name, row=row.number,
            column=self.label(key), **options,
        )  # fmt: skip

    def error(self, row: int, key: str | None, problem: str, fix: str) -> None:
        self.report.error(self.name, row, self.label(key) if key else None, problem, fix)

    def read(self, row, column: Column):
        """A cell by its column's rules: choice, date, or checked text."""
        if column.choices is not None:
            value = self.cell(cell_choice, row, column.key, choices=column.choices)
        elif column.key in DATE_KEYS:
            value = self.cell(cell_date, row, column.key)
        else:
            value = self.cell(
                _free_text if column.key in FREE_TEXT_KEYS else cell_text,
                row, column.key, max_length=MAX_LENGTHS.get(column.key, TEXT_MAX),
                label=column.heading,
            )  # fmt: skip
        if value is not INVALID and column.required and value in ("", None):
            self.error(
                row.number, column.key, f"{column.heading} is empty.",
                f"Fill in the {column.heading.lower()}: every row needs one.",
            )  # fmt: skip
            return INVALID
        return value


def _free_text(value, **options) -> str:
    """Text through the shared cell parser, then the tracker's identifier check."""
    text = cell_text(value, **options)
    numbers = nhs_numbers_in(text)
    if numbers:
        raise CellInvalid(
            f"The cell holds an NHS number ({numbers[0]}): the tracker must not hold anything "
            "that identifies the person.",
            "Delete the NHS number from the cell; refer to the review by its reference only.",
        )
    return text


_SPLIT = re.compile(r"[;,\n]+")


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


class Organisations:
    """The ICBs, places and providers an upload names (by ODS or ONS code,
    places also by name), read in two queries however many rows name them."""

    def __init__(self, codes: Iterable[str], names: Iterable[str]) -> None:
        codes = {c.upper() for c in codes}
        self.by_code = {
            o.code.upper(): o
            for o in Organisation.objects.filter(code__in=codes | {c.lower() for c in codes})
        }
        self.places_by_name: dict[str, list[Organisation]] = defaultdict(list)
        named = Q()
        for name in names:
            named |= Q(name__iexact=name)
        if named:
            for place in Organisation.objects.filter(named, kind=OrganisationKind.PLACE):
                self.places_by_name[place.name.casefold()].append(place)

    def get(self, code: str, kinds: tuple[str, ...]) -> Organisation | None:
        found = self.by_code.get(code.strip().upper())
        return found if found is not None and found.kind in kinds else None

    def place(self, text: str) -> Organisation | None:
        found = self.get(text, (OrganisationKind.PLACE,))
        if found is not None:
            return found
        named = self.places_by_name.get(text.strip().casefold(), [])
        return named[0] if len(named) == 1 else None


def collect_codes(sheets: dict[str, Sheet]) -> tuple[set[str], set[str]]:
    codes: set[str] = set()
    names: set[str] = set()
    reviews, actions = sheets[REVIEWS], sheets[ACTIONS]
    for row in reviews.rows:
        for key in ("lead_icb", "icbs", "providers"):
            codes.update(_split(cell_or_empty(reviews.value(row, key))))
        area = cell_or_empty(reviews.value(row, "area"))
        codes.add(area)
        names.add(area)
    for row in actions.rows:
        codes.add(cell_or_empty(actions.value(row, "owner")))
    return {c for c in codes if c}, {n for n in names if n}


def cell_or_empty(value) -> str:
    try:
        return cell_text(value)
    except CellInvalid:
        return ""


def read_reviews(
    sheet: Sheet, *, actor: User, icb: Organisation, orgs: Organisations
) -> dict[str, ReviewRow]:
    parsed: dict[str, ReviewRow] = {}
    seen: dict[str, int] = {}
    for row in sheet.rows:
        values: dict[str, Any] = {}
        ok = True
        for column in sheet.columns:
            if column.key in ("area", "lead_icb", "icbs", "providers", "abuse_themes",
                              "learning_themes"):  # fmt: skip
                continue
            value = sheet.read(row, column)
            ok &= value is not INVALID
            values[column.key] = value
        if not values.get("stage"):
            values["stage"] = Stage.NOTIFIED
        reference = values.get("reference")
        if reference not in (INVALID, ""):
            key = reference.casefold()
            if key in seen:
                sheet.error(
                    row.number, "reference",
                    f"The reference {reference} is on row {seen[key]} of this sheet already.",
                    "Give each review one row; if they are two reviews, use each one's own "
                    "reference.",
                )  # fmt: skip
                ok = False
            seen.setdefault(key, row.number)

        area_text = sheet.cell(cell_text, row, "area")
        area = orgs.place(area_text) if area_text not in (INVALID, "") else None
        if area_text not in (INVALID, "") and area is None:
            sheet.error(
                row.number, "area", f"No single local authority area is called “{area_text}”.",
                "Type the ONS code of the place (for example E09000007) or its name as the "
                "portal spells it.",
            )  # fmt: skip
        elif area_text == "":
            sheet.error(row.number, "area", "Local authority area is empty.",
                        "Fill in the area of the convening body.")  # fmt: skip
        ok &= area is not None
        values["area"] = area

        lead_code = sheet.cell(cell_text, row, "lead_icb")
        lead = icb if lead_code == "" else None
        if lead_code not in (INVALID, ""):
            lead = orgs.get(lead_code, (OrganisationKind.ICB,))
            if lead is None:
                sheet.error(
                    row.number, "lead_icb", f"There is no ICB with the code “{lead_code}”.",
                    "Type the ICB's ODS code (for example QMF), or leave it empty for "
                    f"{icb.name}.",
                )  # fmt: skip
        if lead is not None and not can_record_reviews_for(actor, lead):
            sheet.error(
                row.number, "lead_icb",
                f"You cannot record reviews led by {lead.name}: only its editors and "
                "approver can.",
                "Import only the reviews your ICB leads; ask the lead ICB to record this "
                "one, and to list your ICB among the other ICBs involved.",
            )  # fmt: skip
            lead = None
        ok &= lead is not None

        for key, kind, what in (
            ("icbs", OrganisationKind.ICB, "ICB"),
            ("providers", OrganisationKind.PROVIDER, "provider"),
        ):
            text = sheet.cell(cell_text, row, key)
            found = []
            for code in _split(text) if text is not INVALID else []:
                organisation = orgs.get(code, (kind,))
                if organisation is None:
                    sheet.error(
                        row.number, key, f"There is no {what} with the code “{code}”.",
                        f"Type the {what}'s ODS code; separate several with commas.",
                    )  # fmt: skip
                    ok = False
                else:
                    found.append(organisation)
            values[key] = found
            ok &= text is not INVALID

        for key, choices in (("abuse_themes", AbuseTheme), ("learning_themes", LearningTheme)):
            text = sheet.cell(cell_text, row, key)
            codes = []
            for part in _split(text) if text is not INVALID else []:
                code = sheet.report.cell(
                    cell_choice, part, sheet=sheet.name, row=row.number,
                    column=sheet.label(key), choices=choices,
                )  # fmt: skip
                ok &= code is not INVALID
                if code is not INVALID:
                    codes.append(code)
            if key == "abuse_themes" and len(codes) > MAX_ABUSE_THEMES:
                sheet.error(
                    row.number, key, f"{len(codes)} abuse or vulnerability themes are given.",
                    f"Keep the main {MAX_ABUSE_THEMES} at most.",
                )  # fmt: skip
                ok = False
            values[key] = codes
            ok &= text is not INVALID

        if ok:
            parsed[reference.casefold()] = ReviewRow(row.number, reference, lead, values)
    return parsed


def _whole_number(value) -> int:
    number = cell_number(value, minimum=1, maximum=999, whole=True)
    if number is None:
        raise CellInvalid("The recommendation number is empty.", "Type its number, such as 1.")
    return int(number)


def read_recommendations(sheet: Sheet, references: set[str]) -> list[RecommendationRow]:
    parsed = []
    numbers: dict[str, dict[int, int]] = defaultdict(dict)
    for row in sheet.rows:
        reference = sheet.read(row, sheet.columns[0])
        number = sheet.cell(_whole_number, row, "number")
        text = sheet.read(row, sheet.columns[2])
        if reference not in (INVALID, "") and reference.casefold() not in references:
            sheet.error(
                row.number, "reference",
                f"No review on the Reviews sheet has the reference {reference}.",
                "Type the reference exactly as on the Reviews sheet, or add the review there.",
            )  # fmt: skip
            continue
        if INVALID in (reference, number, text):
            continue
        key = reference.casefold()
        if number in numbers[key]:
            sheet.error(
                row.number, "number",
                f"Recommendation {number} of {reference} is on row {numbers[key][number]} "
                "already.",
                "Number a review's recommendations 1, 2, 3… once each.",
            )  # fmt: skip
            continue
        numbers[key][number] = row.number
        parsed.append(RecommendationRow(row.number, reference, number, text))
    for found in numbers.values():
        expected = list(range(1, len(found) + 1))
        if sorted(found) != expected:
            last = max(found, key=lambda n: found[n])
            sheet.error(
                found[last], "number",
                "The recommendations of a review are numbered "
                f"{', '.join(str(n) for n in sorted(found))}.",
                "Number them 1, 2, 3… without gaps, as the tracker will.",
            )  # fmt: skip
    return parsed


def read_actions(sheet: Sheet, orgs: Organisations, references: set[str]) -> list[ActionRow]:
    parsed = []
    for row in sheet.rows:
        values = {}
        ok = True
        for column in sheet.columns:
            if column.key in ("owner", "number"):
                continue
            values[column.key] = value = sheet.read(row, column)
            ok &= value is not INVALID
        number = sheet.cell(_whole_number, row, "number")
        owner_code = sheet.read(row, next(c for c in sheet.columns if c.key == "owner"))
        owner = None
        if owner_code not in (INVALID, ""):
            owner = orgs.get(owner_code, (OrganisationKind.ICB, OrganisationKind.PROVIDER))
            if owner is None:
                sheet.error(
                    row.number, "owner", f"There is no ICB or provider with the code "
                    f"“{owner_code}”.",
                    "Type the ODS code of the ICB or provider that owns the action.",
                )  # fmt: skip
        if not ok or number is INVALID or owner is None:
            continue
        status = values.pop("status") or ActionStatus.NOT_STARTED
        completed_on = values.pop("completed_on")
        evidence = values.pop("evidence")
        reference = values.pop("reference")
        if reference.casefold() not in references:
            sheet.error(
                row.number, "reference",
                f"No review on the Reviews sheet has the reference {reference}.",
                "Type the reference exactly as on the Reviews sheet, or add the review there.",
            )  # fmt: skip
            continue
        if status == ActionStatus.COMPLETED and completed_on is None:
            sheet.error(
                row.number, "completed_on", "The action is completed but has no date completed.",
                "Type the date it was completed, or change its status.",
            )  # fmt: skip
            continue
        if status != ActionStatus.COMPLETED and completed_on is not None:
            sheet.error(
                row.number, "completed_on", "Only a completed action has a date completed.",
                "Set its status to Completed, or clear the date.",
            )  # fmt: skip
            continue
        values["owner"] = owner
        parsed.append(
            ActionRow(row.number, reference, number, values, status, completed_on, evidence)
        )
    return parsed
