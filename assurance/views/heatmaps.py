"""RAG heatmaps: England's and a region's for a period (sections, the
standards of one section, metrics or the quarter's theme; self-assessed,
validated or where they differ), their CSV and .xlsx exports, the answers
behind a cell, and an ICB's section ratings across the last eight quarters.

Every page starts from the user's scope: England's heatmap shows the rows a
user may read (every ICB for national roles, the region's for its team, the
ICB's own for its team), a region or ICB out of scope is answered as
missing (404). The matrices are built in `assurance.heatmap`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from markupsafe import Markup, escape

from assurance.completeness import completeness_counted
from assurance.exports import table_response
from assurance.forms.heatmaps import HeatmapFilterForm
from assurance.heatmap import (
    Basis,
    CellState,
    Heatmap,
    View,
    heatmap_build,
    heatmap_period,
    summary_text,
)
from assurance.heatmap_detail import cell_detail_get, icb_history
from assurance.heatmap_export import (
    TREND_SYMBOLS,
    filters_text,
    heatmap_table,
    legend_lines,
    row_state_text,
    trend_text,
)
from assurance.models import ReportingPeriod, Section
from assurance.permissions import can_review_return, period_get
from organisations.models import ICB_ROLES, NATIONAL_ROLES, REGIONAL_ROLES, Organisation
from organisations.permissions import is_national, organisation_get_visible_by_code
from organisations.scoping import memberships_of
from saaf import dates

EXPORT_FORMATS = ("csv", "xlsx")
_PARAMS = ("view", "section", "basis", "rating")
QUARTERS_LINKED = 8


def _export_format(fmt: str | None) -> str | None:
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    return fmt


@require_GET
def heatmap_start(request: HttpRequest) -> HttpResponse:
    """Each role's heatmap for the latest quarter that has ended with
    submitted returns: England's, the region's, or the ICB's own quarters."""
    for membership in memberships_of(request.user):
        if membership.role in ICB_ROLES:
            return redirect("assurance:heatmap_icb", code=membership.organisation.code)
        period = heatmap_period()
        if period is None:
            raise Http404("No reporting period has opened yet.")
        args = [period.financial_year, period.quarter]
        if membership.role in NATIONAL_ROLES:
            return redirect("assurance:heatmap_national", *args)
        if membership.role in REGIONAL_ROLES:
            return redirect("assurance:heatmap_region", *args, membership.organisation.code)
    raise Http404("You have no role that gives you a heatmap.")


def _query(choices: dict, **changes) -> str:
    """The query string of the current choices with `changes` applied."""
    values = {
        "view": choices["view"],
        "section": choices["section"].code if choices["section"] else "",
        "basis": choices["basis"],
        "rating": choices["rating"],
    }
    values.update(changes)
    values = {k: v for k, v in values.items() if v and k in _PARAMS}
    return "?" + urlencode(values) if values else ""


def _switches(choices, here, periods, period, region, sections) -> list[tuple[str, list[dict]]]:
    """The page's switches as links that keep the other choices: what to
    show, on which basis, and which quarter."""
    view, basis = choices["view"], choices["basis"]
    section = choices["section"] or (sections[0] if sections else None)
    shows = [
        {"text": "Sections", "href": here + _query(choices, view=View.SECTIONS, section="")},
        {
            "text": f"Standards of {section.code}" if section else "Standards",
            "href": here + _query(choices, view=View.STANDARDS, section=section.code),
        }
        if section
        else None,
        {"text": "Metrics", "href": here + _query(choices, view=View.METRICS)},
        {"text": f"Theme: {period.theme}", "href": here + _query(choices, view=View.THEME)},
    ]
    for item, key in zip(shows, View.values, strict=True):
        if item:
            item["current"] = key == view
    bases = [
        {"text": label, "href": here + _query(choices, basis=key), "current": key == basis}
        for key, label in Basis.choices
    ]

    def period_url(p: ReportingPeriod) -> str:
        args = [p.financial_year, p.quarter]
        if region is not None:
            return reverse("assurance:heatmap_region", args=[*args, region.code])
        return reverse("assurance:heatmap_national", args=args)

    quarters = [
        {
            "text": p.label,
            "href": period_url(p) + _query(choices, section="", view=_portable(view)),
            "current": p.pk == period.pk,
        }
        for p in periods
    ]
    return [
        ("Show", [item for item in shows if item]),
        ("Ratings", bases),
        ("Quarter", quarters),
    ]


def _portable(view: str) -> str:
    # A section's code may not exist in another year's toolkit: go to its sections.
    return View.SECTIONS if view == View.STANDARDS else view


# Each rated cell is written here, every value through markupsafe's
# `escape`, rather than by the template: a national heatmap has 600 cells,
# and template expressions (or `format_html`) cost several times a plain
# string format. A row's cells reach the template as one piece of markup.
_CELL_OPEN = '<td class="nhsuk-table__cell {}">'
_CELL_CLOSE = "</td>\n"
_WORD = '<span class="saaf-rag__word">{}</span>'
_LINK = '<a class="saaf-rag__link" href="'  # then the address, then _LINKED
_LINKED = (
    '"><span class="saaf-rag__word">{}</span>'
    '<span class="nhsuk-u-visually-hidden"> – {}, the answers behind it</span></a>'
)
_DETAIL = '<span class="saaf-rag__counts">{}</span>'
_TREND = (
    '<span class="saaf-trend saaf-trend--{}"><span aria-hidden="true">{}</span> '
    '<span class="saaf-trend__word">{}</span><span class="saaf-more">{}</span></span>'
)
_AGREED = '<span class="saaf-differs saaf-differs--agreed">No difference</span>'
_DIFFERS = (
    '<span class="saaf-differs"><span aria-hidden="true">≠</span> Differs'
    '<span class="saaf-more">: {}</span></span>'
)


# A cell's markup but its link, by what it shows: the same few hundred
# cells come back on every heatmap (same column, counts and trend), so each
# is written once per process. Keyed by content only, so never stale;
# bounded, as the counts are small numbers.
_WRITTEN: dict[tuple, tuple[str, str] | str] = {}
_WRITTEN_MAX = 20_000


def _cell_html(cell, heatmap: Heatmap, href: str, compared: str) -> str:
    """One cell's `<td>`: its word linked to the answers behind it (`href`,
    already escaped), its counts (or value), its change since last quarter
    and the "differs" marker (`compared`: the quarter its trend is against)."""
    if cell.counted is None and not cell.value:
        key = ("word", cell.word)
        shown = _WRITTEN.get(key)
        if shown is None:
            word = _WORD.format(escape(cell.word))
            shown = _CELL_OPEN.format("saaf-rag saaf-rag--none") + word + _CELL_CLOSE
            _remember(key, shown)
        return shown
    differs = cell.differs
    key = (
        heatmap.basis,
        compared,
        cell.column.label,
        cell.shown.rating,
        cell.shown.text,
        cell.self_rating.text if differs else None,
        cell.value,
        cell.trend,
    )
    found = _WRITTEN.get(key)
    if found is None:
        differs = differs and heatmap.basis != Basis.SELF
        agreed = heatmap.basis == Basis.DIFFER and not cell.differs
        detail = cell.value or cell.shown.text
        parts = [_LINKED.format(escape(cell.word), escape(cell.column.label))]
        if detail:
            parts.append(_DETAIL.format(escape(detail)))
        if cell.trend:
            word, _, more = trend_text(cell, heatmap).partition(" ")
            more = (": " if word.endswith(":") else " ") + more if more else ""
            symbol = TREND_SYMBOLS[cell.trend]
            parts.append(_TREND.format(cell.trend, symbol, escape(word.rstrip(":")), escape(more)))
        if agreed:
            parts.append(_AGREED)
        if differs:
            parts.append(_DIFFERS.format(escape(cell.differs_text.partition(": ")[2])))
        rating = "none" if agreed else (cell.rating or "none")
        css = f"saaf-rag saaf-rag--{rating}" + (" saaf-rag--differs" if differs else "")
        found = (_CELL_OPEN.format(css) + _LINK, "".join(parts) + _CELL_CLOSE)
        _remember(key, found)
    head, rest = found
    return head + href + rest


def _remember(key: tuple, markup) -> None:
    if len(_WRITTEN) >= _WRITTEN_MAX:
        _WRITTEN.clear()
    _WRITTEN[key] = markup


_ROW = (
    '<tr class="nhsuk-table__row"><th class="nhsuk-table__header saaf-heatmap__icb" scope="row">'
    '<a href="{}">{}</a> <span class="nhsuk-body-s">({})</span> '
    '<span class="saaf-heatmap__marks">{}</span>{}</th>'
)
_COMPARED = (
    '<span class="saaf-heatmap__compared">{}</span><span class="saaf-heatmap__compared-short"'
    ' aria-hidden="true">Trend against {}</span>'
)
_UNRATED = (
    '<td class="nhsuk-table__cell saaf-rag saaf-rag--{}" colspan="{}">'
    '<span class="saaf-rag__word">{}</span>{}</td>'
)
_UNRATED_MORE = {
    CellState.DRAFT: ": started, never submitted",
    CellState.MISSING: ": no return started",
}


def _row_html(row, heatmap: Heatmap, href: str, cells: str) -> str:
    """One ICB's `<tr>`: its name linked to its quarters, its code, its state
    or marks (and version), which returns its trend compared with where not
    its own, then its cells (or its state across them)."""
    marks = row_state_text(row) + (f", version {row.version}" if row.version else "")
    compared = ""
    if heatmap.previous and row.rated and row.compared_with and row.compared_with != [row.icb]:
        codes = " + ".join(o.code for o in row.compared_with)
        compared = _COMPARED.format(escape(row.compared_text), escape(codes))
    if not row.rated:
        more = _UNRATED_MORE.get(row.state, "")
        cells = _UNRATED.format(row.state, len(heatmap.columns), escape(row.state_word), more)
    name, code = escape(row.icb.name), escape(row.icb.code)
    return _ROW.format(escape(href), name, code, escape(marks), compared) + cells + "</tr>\n"


def rows_show(heatmap: Heatmap) -> None:
    """Give each region's group its rows' markup (`group.rows_html`), as the
    tables in `heatmaps/_groups.jinja` show them (the page and the annual
    report): written here, every value escaped, rather than by the template,
    which costs several times a string format per expression."""
    period = heatmap.period
    # One reverse for every row and one for every cell: the ICB's and the
    # section's codes go in their place, each escaped once (per row, per column).
    quarters = reverse("assurance:heatmap_icb", args=["_I_"])
    base = reverse(
        "assurance:heatmap_cell", args=[period.financial_year, period.quarter, "_I_", "_S_"]
    )
    before_section, _, after_section = base.partition("_S_")
    anchor = {View.METRICS: "#metric-", View.SECTIONS: ""}.get(heatmap.view, "#standard-")
    to_column = [
        str(escape(column.section_code + after_section + (anchor + column.key if anchor else "")))
        for column in heatmap.columns
    ]
    compared = heatmap.previous.label if heatmap.previous else ""
    for group in heatmap.groups:
        rows = []
        for row in group.rows:
            to_row = str(escape(before_section.replace("_I_", row.icb.code)))
            cells = "".join(
                [
                    _cell_html(cell, heatmap, to_row + to_column[index], compared)
                    for index, cell in enumerate(row.cells)
                ]
            )
            href = quarters.replace("_I_", row.icb.code)
            rows.append(_row_html(row, heatmap, href, cells))
        group.rows_html = Markup("".join(rows))  # noqa: S704 (each value escaped)


def _heatmap_page(
    request: HttpRequest,
    period: ReportingPeriod,
    region: Organisation | None,
    fmt: str | None,
) -> HttpResponse:
    sections = list(
        Section.objects.filter(version_id=period.toolkit_version_id).order_by("position")
    )
    form = HeatmapFilterForm(
        request.GET or None,
        sections=sections,
        initial={"view": View.SECTIONS, "basis": Basis.VALIDATED},
    )
    if form.is_bound:
        form.is_valid()  # a wrong choice is shown as an error; its default is used
    choices = form.choices()
    # The quarters to link to; the one before this is the trend's.
    periods = list(
        ReportingPeriod.objects.filter(opens_on__lte=dates.today()).order_by(
            "-financial_year", "-quarter"
        )[:QUARTERS_LINKED]
    )
    heatmap = heatmap_build(
        user=request.user,
        period=period,
        region=region,
        sections=sections,
        periods=periods,
        **choices,
    )
    place = region.name if region else ("England" if is_national(request.user) else "your scope")
    what = {
        View.THEME: f"theme heatmap ({period.theme})",
        View.METRICS: "metrics heatmap",
        View.STANDARDS: f"standards of {choices['section'].code}" if choices["section"] else "",
    }.get(choices["view"], "heatmap")
    title = f"{period.label} {what}: {place}"
    if fmt:
        name = region.code if region else "england"
        return table_response(
            heatmap_table(f"SAAF {title}", heatmap),
            filename=f"heatmap-{name}-{period.financial_year}-q{period.quarter}-{choices['view']}",
            fmt=fmt,
        )
    rows_show(heatmap)
    # Counted from the returns the heatmap read (as `period_completeness`
    # would read them again): a region's for its page, England's for those
    # who read every ICB, none for a page that shows only some.
    if region is not None or is_national(request.user):
        totals = completeness_counted(heatmap.expected, region=region)
    else:
        totals = []
    here = (
        reverse(
            "assurance:heatmap_region", args=[period.financial_year, period.quarter, region.code]
        )
        if region
        else reverse("assurance:heatmap_national", args=[period.financial_year, period.quarter])
    )
    return render(
        request,
        "assurance/heatmaps/heatmap.jinja",
        {
            "period": period,
            "periods": periods,
            "region": region,
            "place": place,
            "title": title,
            "heatmap": heatmap,
            "form": form,
            "choices": choices,
            "query": lambda **changes: _query(choices, **changes),
            "here": here,
            "totals": totals,
            "legend": legend_lines(heatmap),
            "filters": filters_text(heatmap),
            "row_state_text": row_state_text,
            "basis_label": Basis(choices["basis"]).label,
            "summary": summary_text,
            "switch_groups": _switches(choices, here, periods, period, region, sections),
            "national": region is None,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def heatmap_national(
    request: HttpRequest, financial_year: int, quarter: int, fmt: str | None = None
) -> HttpResponse:
    """England's heatmap grouped by region, of the rows the user may read."""
    fmt = _export_format(fmt)
    return _heatmap_page(request, period_get(financial_year, quarter), None, fmt)


@require_GET
def heatmap_region(
    request: HttpRequest, financial_year: int, quarter: int, code: str, fmt: str | None = None
) -> HttpResponse:
    """A region's heatmap: its ICBs the user may read (404 for a region out of scope)."""
    fmt = _export_format(fmt)
    region = organisation_get_visible_by_code(request.user, code)
    if region.kind != "region":
        raise Http404("No such region.")
    return _heatmap_page(request, period_get(financial_year, quarter), region, fmt)


@require_GET
def heatmap_cell(
    request: HttpRequest, financial_year: int, quarter: int, code: str, section: str
) -> HttpResponse:
    """The answers behind one ICB's cell for one section: standards, both
    ratings, narrative, actions, evidence names and comments."""
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    period = period_get(financial_year, quarter)
    found = Section.objects.filter(version_id=period.toolkit_version_id, code=section).first()
    if found is None:
        raise Http404("No such section in this quarter's toolkit.")
    detail = cell_detail_get(user=request.user, period=period, icb=icb, section=found)
    ret = detail.quarterly_return
    # Back to the region's heatmap for those who read the region; an ICB's
    # team reads England's, which shows it its own row.
    args = [period.financial_year, period.quarter]
    if Organisation.objects.visible_to(request.user).filter(pk=icb.parent_id).exists():
        heatmap_href = reverse("assurance:heatmap_region", args=[*args, icb.parent.code])
    else:
        heatmap_href = reverse("assurance:heatmap_national", args=args)
    return render(
        request,
        "assurance/heatmaps/cell.jinja",
        {
            "detail": detail,
            "period": period,
            "icb": icb,
            "section": found,
            "heatmap_href": heatmap_href,
            "can_validate": bool(
                ret
                and ret.status == "under_review"
                and detail.submission
                and can_review_return(request.user, ret)
            ),
        },
    )


@require_GET
def heatmap_icb(request: HttpRequest, code: str) -> HttpResponse:
    """An ICB's section ratings across the last eight quarters, with its
    predecessors' quarters before it was established marked as theirs."""
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    basis = request.GET.get("basis") or Basis.VALIDATED
    if basis not in (Basis.SELF, Basis.VALIDATED):
        basis = Basis.VALIDATED
    history = icb_history(user=request.user, icb=icb, basis=basis)
    return render(
        request,
        "assurance/heatmaps/icb.jinja",
        {"history": history, "icb": icb, "basis": basis, "bases": Basis},
    )
