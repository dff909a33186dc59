"""A heatmap as a table for CSV and .xlsx: exactly what the page shows, in
words (each cell's rating, counts, change and "differs" marker), with the
filters and the legend in a header above the columns. Written through the
shared escaping (`assurance.exports`), so a narrative or a name that looks
like a formula is never run."""

from __future__ import annotations

from assurance.exports import Table
from assurance.heatmap import (
    LATE_MARK,
    RATING_FILTERS,
    STATUS_MARKS,
    Basis,
    Cell,
    CellState,
    Heatmap,
    Row,
    Trend,
    View,
    summary_text,
)

TREND_SYMBOLS = {Trend.BETTER: "▲", Trend.WORSE: "▼", Trend.SAME: "=", Trend.NEW: "★"}


def trend_text(cell: Cell, heatmap: Heatmap) -> str:
    """ "Worse than Q4 2025/26", "New: no rating to compare with"."""
    if not cell.trend:
        return ""
    if cell.trend == Trend.NEW:
        return "New: no rating to compare with last quarter"
    label = heatmap.previous.label if heatmap.previous else "last quarter"
    if cell.trend == Trend.SAME:
        return f"Same as {label}"
    return f"{Trend(cell.trend).label} than {label}"


def cell_text(cell: Cell, heatmap: Heatmap) -> str:
    """One cell in words, as the page shows it."""
    if cell.counted is None and not cell.value:
        return cell.word
    parts = [cell.word]
    if cell.value:
        parts.append(cell.value)
    elif cell.shown.text:
        parts.append(cell.shown.text)
    text = " – ".join(parts)
    marker = ""
    if heatmap.basis != Basis.SELF:
        marker = cell.differs_text or ("No difference" if heatmap.basis == Basis.DIFFER else "")
    extra = [t for t in (trend_text(cell, heatmap), marker) if t]
    return f"{text} ({'; '.join(extra)})" if extra else text


def legend_lines(heatmap: Heatmap) -> list[tuple[str, str]]:
    """Every word, state, mark and symbol the heatmap uses, and what it means."""
    basis = (
        "the ICB's self-assessment"
        if heatmap.basis == Basis.SELF
        else "the regional lead's validated rating where recorded, else the ICB's self-assessment"
    )
    previous = heatmap.previous.label if heatmap.previous else "the previous quarter"
    return [
        (
            "Rating",
            f"Worst rating among the applicable standards ({basis}): red worse than amber "
            "worse than green; not applicable ignored; all not applicable: Not applicable. "
            "The counts say how many standards have each rating.",
        ),
        ("Missing", "No return was started for the quarter (state, shown instead of a rating)."),
        ("Not started", "No return yet, and the quarter is not yet due."),
        ("Draft", "A return was started but never submitted (state, no rating)."),
        (LATE_MARK, "The return's first submission came after the due date (mark)."),
        (STATUS_MARKS["submitted"], "Submitted; the region has not yet started its review."),
        (STATUS_MARKS["under_review"], "The region is reviewing the return."),
        (
            STATUS_MARKS["returned"],
            "The region sent the return back; ratings are those of the last submission.",
        ),
        ("▲ Better / ▼ Worse / = Same", f"The rating against {previous}."),
        (
            "★ New",
            "No rating to compare with last quarter (no return then, or nothing applicable).",
        ),
        (
            "≠ Differs",
            "The regional lead validated at least one standard differently from the ICB.",
        ),
    ]


def filters_text(heatmap: Heatmap) -> str:
    parts = [f"Show: {View(heatmap.view).label}", f"Ratings: {Basis(heatmap.basis).label}"]
    if heatmap.section is not None:
        parts.append(f"Section: {heatmap.section.code} {heatmap.section.title}")
    if heatmap.rating_filter:
        parts.append(f"Only ICBs with: {RATING_FILTERS[heatmap.rating_filter]}")
    return "; ".join(parts)


def row_state_text(row: Row) -> str:
    if row.state != CellState.RATED:
        return row.state_word
    return ", ".join(row.marks) or "Accepted"


def heatmap_table(title: str, heatmap: Heatmap) -> Table:
    """The heatmap as one table: a header of title, filters and legend, then
    a row per ICB and a summary row per region."""
    columns = [f"{c.label} {c.title}" for c in heatmap.columns]
    header = ["Region", "ODS code", "ICB", "State or marks", *columns, "Trend compared with"]
    rows: list[list] = [
        ["Filters", filters_text(heatmap)],
        *[["Legend", f"{word}: {meaning}"] for word, meaning in legend_lines(heatmap)],
        [],
        header,
    ]
    for group in heatmap.groups:
        for row in group.rows:
            cells = (
                [cell_text(cell, heatmap) for cell in row.cells]
                if row.rated
                else [row.state_word] * len(heatmap.columns)
            )
            rows.append(
                [
                    group.region.name,
                    row.icb.code,
                    row.icb.name,
                    row_state_text(row),
                    *cells,
                    row.compared_text if heatmap.previous else "",
                ]
            )
        rows.append(
            [
                group.region.name,
                "",
                f"{group.region.name} summary (answers counted)",
                "",
                *[summary_text(counts) for counts in group.summary.counts],
                "",
            ]
        )
    if len(heatmap.groups) > 1:
        rows.append(
            [
                "England",
                "",
                "England summary (answers counted)",
                "",
                *[summary_text(counts) for counts in heatmap.total.counts],
                "",
            ]
        )
    return Table(title, [title], rows, widths=[26, 10, 40, 24, *([28] * len(columns)), 40])
