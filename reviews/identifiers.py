"""No personal identifiers in the reviews tracker.

Reviews concern children and adults who died or were seriously harmed; the
tracker records the review, never who it is about. Every free-text field is
checked for NHS-number-shaped strings: ten digits whose last is a valid
modulus-11 check digit of the first nine, written together or in groups split
by spaces or hyphens (`9434765919`, `943 476 5919`, `943-476-5919`). Ten
digits with a wrong check digit are not an NHS number and pass, so a StEIS
number, a date or a phone number is not refused by accident.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Runs of digit groups joined by single spaces, hyphens, non-breaking spaces or dashes.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ \u00a0\-\u2010-\u2013]\d+)*(?!\d)")
_SEPARATOR = re.compile(r"[ \u00a0\-\u2010-\u2013]")

NO_IDENTIFIERS_HINT = (
    "Do not write names, dates of birth, addresses, NHS numbers or anything else that "
    "identifies the person or their family."
)


def nhs_number_is_valid(digits: str) -> bool:
    """Whether ten digits form a valid NHS number (modulus 11 check digit)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_numbers_in(text: str) -> list[str]:
    """The NHS-number-shaped strings in `text`, as written there."""
    found: list[str] = []
    for run in _DIGIT_RUN.finditer(text or ""):
        groups = _SEPARATOR.split(run.group())
        # Any consecutive groups making ten digits: "ref 12 943 476 5919" holds one.
        for start in range(len(groups)):
            digits = ""
            for end in range(start, len(groups)):
                digits += groups[end]
                if len(digits) >= 10:
                    break
            if len(digits) == 10 and nhs_number_is_valid(digits):
                found.append(_written(run.group(), groups, start, end))
    return found


def _written(run: str, groups: list[str], start: int, end: int) -> str:
    # Recover the candidate as typed (with its separators) from the run.
    position = 0
    spans = []
    for group in groups:
        index = run.index(group, position)
        spans.append((index, index + len(group)))
        position = index + len(group)
    return run[spans[start][0] : spans[end][1]]


def refuse_nhs_numbers(value: str) -> None:
    """The validator on every free-text field of the tracker."""
    numbers = nhs_numbers_in(value)
    if numbers:
        raise ValidationError(
            f"Remove the NHS number ({numbers[0]}): the tracker must not hold anything that "
            "identifies the person. Describe the review without personal identifiers.",
            code="nhs_number",
        )
