"""Reading one cell of an uploaded spreadsheet as the value a service
needs: text, a date, a number, a choice. Each parser takes the value
`saaf.spreadsheets` read (formulas as `Formula`, Excel errors as
`CellErrorValue`, percentage-formatted numbers as `Percentage`) and returns
the value, or raises `CellInvalid(problem, fix)`, which
`ImportReport.cell` records with the sheet, row and column."""

from __future__ import annotations

import datetime
import re
from contextlib import suppress
from decimal import Decimal, InvalidOperation

from django.db.models import TextChoices

from saaf.dates import nhs_date

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


class CellInvalid(Exception):
    """A cell's value cannot be used: what is wrong and what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class Formula(str):
    """A formula cell's text (“=HYPERLINK(…)”), never its cached result."""


class CellErrorValue(str):
    """A cell showing an Excel error (#N/A, #DIV/0!…)."""


class Percentage(float):
    """A number in a cell formatted as a percentage: Excel stores 85% as 0.85.
    `cell_number(percent=True)` reads it as 85; elsewhere it is refused, as
    nobody means 0.85 of a count."""


def _refuse_non_values(value) -> None:
    if isinstance(value, Formula):
        raise CellInvalid(
            f"The cell holds a formula ({value[:60]}) where a value belongs.",
            "Type the value itself, or copy the cell and paste it as values only.",
        )
    if isinstance(value, CellErrorValue):
        raise CellInvalid(
            f"The cell shows the Excel error {value}.",
            "Type the value itself in the cell.",
        )


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value, *, max_length: int | None = None, label: str = "The text") -> str:
    """Text, stripped; "" for an empty cell. Numbers a cell holds become their
    text (“2024”, not “2024.0”). Control characters are refused."""
    _refuse_non_values(value)
    if _is_blank(value):
        return ""
    if isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime.datetime):
        text = nhs_date(value.date())
    elif isinstance(value, datetime.date):
        text = nhs_date(value)
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").strip()
    if _CONTROL.search(text):
        raise CellInvalid(
            f"{label} contains invisible control characters.",
            "Type the text again rather than pasting it.",
        )
    if max_length is not None and len(text) > max_length:
        raise CellInvalid(
            f"{label} has {len(text):,} characters: at most {max_length:,} are allowed.",
            "Shorten it.",
        )
    return text


def cell_date(value) -> datetime.date | None:
    """A date, or None for an empty cell. A number (a date Excel turned into
    a number) or text that is not a date is refused."""
    _refuse_non_values(value)
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise CellInvalid("This is not a date.", "Type a date such as 31/03/2026.")
    if isinstance(value, int | float | Decimal):
        guess = ""
        with suppress(Exception):
            from openpyxl.utils.datetime import from_excel

            as_date = from_excel(float(value))
            if isinstance(as_date, datetime.datetime) and 1990 <= as_date.year <= 2100:
                guess = f" (perhaps {nhs_date(as_date.date())})"
        raise CellInvalid(
            f"The date is a number, {value:g}{guess}: Excel turned it into a number.",
            "Format the cell as a date and type the date again, such as 31/03/2026.",
        )
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        with suppress(ValueError):
            return datetime.datetime.strptime(text, fmt).date()
    raise CellInvalid(
        f"“{text[:40]}” is not a date the portal can read.",
        "Type a real date as day/month/year, such as 31/03/2026.",
    )


def cell_number(
    value,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    whole: bool = False,
    unit: str = "",
    percent: bool = False,
) -> Decimal | None:
    """A number as a Decimal, or None for an empty cell; text that is not a
    number, and numbers out of range, are refused. With `percent`, a cell
    Excel formatted as a percentage (85% stored as 0.85) reads as 85."""
    _refuse_non_values(value)
    if _is_blank(value):
        return None
    if isinstance(value, bool | datetime.date):
        raise CellInvalid("This is not a number.", "Type a number, such as 42.")
    if isinstance(value, Percentage):
        shown = Decimal(repr(float(value))) * 100
        if not percent:
            raise CellInvalid(
                f"The cell holds a percentage ({shown.normalize():f}%) where a number belongs.",
                "Type the number itself, without %, and format the cell as a number.",
            )
        value = shown
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellInvalid(
            f"“{str(value)[:40]}” is not a number.",
            "Type the number only, without words or symbols such as %.",
        ) from None
    if not number.is_finite():
        raise CellInvalid(f"“{value}” is not a number.", "Type a number, such as 42.")
    suffix = f" {unit}" if unit else ""
    if whole and number != number.to_integral_value():
        raise CellInvalid(f"{number:f} is not a whole number.", "Type a whole number.")
    if minimum is not None and number < minimum:
        raise CellInvalid(
            f"{number:f}{suffix} is below the lowest allowed, {minimum}{suffix}.",
            f"Type a number from {minimum}{' to ' + str(maximum) if maximum is not None else ''}.",
        )
    if maximum is not None and number > maximum:
        raise CellInvalid(
            f"{number:f}{suffix} is above the highest allowed, {maximum}{suffix}.",
            f"Type a number{' from ' + str(minimum) if minimum is not None else ''} up to "
            f"{maximum}.",
        )
    return number


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def cell_choice(
    value,
    choices: type[TextChoices] | list[tuple[str, str]],
    aliases: dict[str, str] | None = None,
) -> str:
    """A choice's stored value from its label or value, case-insensitively;
    "" for an empty cell. `aliases` maps other words people use (“N/A”) to
    stored values; the error message lists only the labels."""
    _refuse_non_values(value)
    if _is_blank(value):
        return ""
    pairs = choices.choices if isinstance(choices, type) else choices
    wanted = _folded(str(value))
    for stored, label in pairs:
        if wanted in (_folded(str(stored)), _folded(str(label))):
            return stored
    for alias, stored in (aliases or {}).items():
        if wanted == _folded(alias):
            return stored
    labels = [str(label) for _, label in pairs]
    listed = ", ".join(labels[:-1]) + (" or " if len(labels) > 1 else "") + labels[-1]
    raise CellInvalid(
        f"“{str(value)[:40]}” is not one of the choices.",
        f"Choose {listed} (the cell's drop-down list has them).",
    )
