"""Tables that a page shows and exports to CSV and Excel alike: the page and
its export are built from the same rows, so they cannot disagree.

Cells that a spreadsheet would run as a formula (starting =, +, -, @, tab or
carriage return) are prefixed with an apostrophe on export.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from assurance.findings import FindingKind, IcbRegister, Register

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    # What each row is about, for the page's links (not exported).
    subjects: list | None = None


def escape_formula(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _date(value) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


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
        cells = [
            org.name,
            org.code,
            row.post_type.name,
            _holders_text(row) or ("Vacant" if row.post else "Not set up"),
            capacity,
            "; ".join(_date(t.start_date) for t in row.holders),
            "; ".join(
                _date(t.last_supervision) or "None recorded"
                for t in row.holders
                if row.post_type.supervision_applies
            ),
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
    )


OVERVIEW_HEADER = [
    "ICB", "ODS code", "Required posts", "Filled", "Missing", "Vacant",
    "Supervision overdue", "Below training level",
]  # fmt: skip


def overview_rows(rollups: list[IcbRegister]) -> list[list[str]]:
    out = []
    for rollup in rollups:
        counts = rollup.counts()
        out.append(
            [rollup.icb.name, rollup.icb.code]
            + [
                str(counts.get(key, 0))
                for key in (
                    "required",
                    "filled",
                    FindingKind.MISSING,
                    FindingKind.VACANT,
                    FindingKind.SUPERVISION_OVERDUE,
                    FindingKind.BELOW_LEVEL,
                )
            ]
        )
    return out


def table_response(table: Table, *, filename: str, fmt: str) -> HttpResponse:
    """The table as a CSV or Excel download."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.header)
        writer.writerows([[escape_formula(cell) for cell in row] for row in table.rows])
        response = HttpResponse(
            buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Register"[:31]
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([escape_formula(cell) for cell in row])
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10), 60)
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
