"""The reports as PDF: what the NSSG reads (each region's name, achievements
and the figures the returns imply), its shape (cover, contents whose page
numbers are right, "Page X of Y", bookmarks), what screen readers need (a
title, a language, tags), the same pages when built twice, and no network.

The national PDF is Board-sized, in the shape of the NSSG's reports: England's
figures, then per region its narrative and one table of its key figures (the
region's own PDF has every figure). It is built once for the module, from the
generated national history, inside a transaction that is rolled back
afterwards, and the tests read the result."""

from __future__ import annotations

import datetime
import io
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from pypdf import PdfReader

from assurance.models import MetricUnit
from organisations.models import Organisation, OrganisationKind, Role
from organisations.reference_data import NATIONAL_CODE
from reporting.figures import rated_metrics
from reporting.models import FigureKind, ReportFigure
from reporting.pdf import national_report_html, pdf_from_html, report_pdf
from reporting.rollup import year_figures_write
from reporting.services import (
    national_report_save,
    regional_report_narrative_save,
    regional_report_sign_off,
)
from reporting.spc_svg import _number
from tests.factories import member
from tests.reporting.conftest import HISTORY_GROUP, YEAR

# Every test is marked so that a process running only some of them (xdist)
# still sets up the test database the module's fixture builds in. The
# national PDF takes half a minute to build: the module runs once, in the
# PostgreSQL pass, with the other readers of the shared history.
pytestmark = [pytest.mark.django_db, pytest.mark.heavy, pytest.mark.xdist_group(HISTORY_GROUP)]

AS_OF = datetime.date(2026, 9, 30)
ACHIEVEMENTS = {
    "Y56": ["Every London ICB now has a named nurse for looked after children."],
    "Y63": ["North East and Yorkshire trained 400 GPs in Level 3 safeguarding adults."],
}
PRIORITIES = {
    "Y56": ["CP-IS coverage of every unscheduled care setting."],
    "Y63": ["Embed the MCA in discharge planning."],
}
FOREWORD = "This year the NSSG asked every region to show its figures alongside its narrative."


def _text(page) -> str:
    return " ".join(page.extract_text().split())


@dataclass
class Built:
    national: bytes
    national_pages: int
    national_html_twice_equal: bool
    regional: bytes
    regional_again: bytes
    regions: list[str]
    rag_texts: list[str]
    returns_rows: list[str]
    chart_means: list[str]
    region_key_figures: dict[str, list[str]]
    national_after_rollup: bytes = b""


@pytest.fixture(scope="module")
def built(shared_history, django_db_blocker) -> Built:
    """On the shared national history, two regions' signed-off narratives,
    the national parts, the rollup, and the PDFs: built once, rolled back
    after (a savepoint within the history's transaction)."""
    with django_db_blocker.unblock(), transaction.atomic():
        for code in ACHIEVEMENTS:
            region = Organisation.objects.get(code=code)
            lead = member(region, Role.REGIONAL_LEAD)
            report = regional_report_narrative_save(
                actor=lead,
                region=region,
                financial_year=YEAR,
                introduction=f"{region.name}'s year in safeguarding.",
                achievements=ACHIEVEMENTS[code],
                priorities=PRIORITIES[code],
            )
            regional_report_sign_off(actor=member(region, Role.REGIONAL_CHIEF_NURSE), report=report)
        national = Organisation.objects.get(code=NATIONAL_CODE)
        national_report_save(
            actor=member(national, Role.NATIONAL_ADMIN),
            financial_year=YEAR,
            foreword=FOREWORD,
            achievements=["A national annual report built from the returns."],
            priorities=["Publish the report to the Board each June."],
            health_and_justice="Health & Justice commissioners joined the regional forums.",
        )
        year_figures_write(financial_year=YEAR)
        rag = ReportFigure.objects.filter(
            financial_year=YEAR, area=national, kind=FigureKind.RAG
        ).select_related("period")
        returns = ReportFigure.objects.filter(
            financial_year=YEAR, area=national, kind=FigureKind.COMPLETENESS
        ).select_related("period")
        from reporting.selectors import area_figures_read

        england = area_figures_read(area=national, financial_year=YEAR)
        rendered = report_pdf(financial_year=YEAR, as_of=AS_OF)
        london = Organisation.objects.get(code="Y56")
        built = Built(
            national=rendered.content,
            national_pages=rendered.pages,
            national_html_twice_equal=national_report_html(financial_year=YEAR, as_of=AS_OF)
            == national_report_html(financial_year=YEAR, as_of=AS_OF),
            regional=report_pdf(financial_year=YEAR, region=london, as_of=AS_OF).content,
            regional_again=report_pdf(financial_year=YEAR, region=london, as_of=AS_OF).content,
            regions=list(
                Organisation.objects.filter(kind=OrganisationKind.REGION).values_list(
                    "name", flat=True
                )
            ),
            rag_texts=[
                f"{c['red']} red, {c['amber']} amber, {c['green']} green, "
                f"{c['not_applicable']} not applicable"
                for c in (f.counts for f in rag)
            ],
            returns_rows=[
                f"{f.period.label} {f.counts['expected']} {f.counts['on_time']} "
                f"{f.counts['late']} {f.counts['not_submitted']}"
                for f in returns
            ],
            chart_means=[
                f"Mean {_number(m.chart.limits.mean)}" for m in england.charts if m.chart.limits
            ],
            region_key_figures={
                region.name: _key_figures(region)
                for region in Organisation.objects.filter(kind=OrganisationKind.REGION)
            },
        )
        # The rollup again (every figure's row rewritten), then the PDF again.
        year_figures_write(financial_year=YEAR)
        built.national_after_rollup = report_pdf(financial_year=YEAR, as_of=AS_OF).content
        transaction.set_rollback(True)
    return built


def _key_figures(region: Organisation) -> list[str]:
    """What a region's key figures must say, from its stored figures: each
    quarter's returns, its answers by rating summed over the sections, and
    its metrics' values in the year."""
    figures = ReportFigure.objects.filter(financial_year=YEAR, area=region)
    texts = [
        f"{c['on_time']} on time, {c['late']} late, {c['not_submitted']} not submitted, "
        f"of {c['expected']}"
        for c in figures.filter(kind=FigureKind.COMPLETENESS).values_list("counts", flat=True)
    ]
    totals: dict[int, dict[str, int]] = {}
    for period, counts in figures.filter(kind=FigureKind.RAG).values_list("period", "counts"):
        total = totals.setdefault(period, dict.fromkeys(("red", "amber", "green", "na"), 0))
        for rating in ("red", "amber", "green"):
            total[rating] += counts[rating]
        total["na"] += counts["not_applicable"]
    texts += [
        f"{t['red']} red, {t['amber']} amber, {t['green']} green, {t['na']} not applicable"
        for t in totals.values()
    ]
    # A count whole (the ICBs' sum), a percentage or days to two places.
    counts = {m.code for m in rated_metrics(YEAR) if m.unit == MetricUnit.COUNT}
    texts += [
        f"{value:,.0f}" if code in counts else f"{value:.2f}"
        for code, value in figures.filter(
            kind=FigureKind.METRIC, period__financial_year=YEAR
        ).values_list("code", "value")
    ]
    return texts


@pytest.fixture(scope="module")
def national(built) -> PdfReader:
    return PdfReader(io.BytesIO(built.national))


@pytest.fixture(scope="module")
def national_text(national) -> str:
    return " ".join(_text(page) for page in national.pages)


def test_the_pdf_holds_each_regions_name_achievements_and_figures(built, national_text):
    for name in built.regions:
        assert name in national_text
    for items in [*ACHIEVEMENTS.values(), *PRIORITIES.values()]:
        for item in items:
            assert item in national_text
    assert FOREWORD in national_text
    assert built.rag_texts and all(t in national_text for t in built.rag_texts)
    assert built.returns_rows and all(row in national_text for row in built.returns_rows)
    # The SPC charts are inline SVG whose labels stay text.
    assert built.chart_means and all(mean in national_text for mean in built.chart_means)
    assert "Health & Justice commissioners joined the regional forums." in national_text
    assert "Mental Capacity Act" in national_text  # MCA, in the acronyms it uses


def test_each_region_has_its_key_figures_and_points_to_its_full_report(built, national):
    """A region's section: its narrative, one table of its key figures, and a
    line saying its full report is its own PDF; not its detailed tables."""
    pages = [_text(page) for page in national.pages]
    for name, texts in built.region_key_figures.items():
        # The region's pages: those whose footer names its section.
        section = " ".join(
            text
            for number, text in enumerate(pages, start=1)
            if text.endswith(f"{name} Page {number} of {len(pages)}")
        )
        assert f"Key figures, {name}, by quarter" in section, name
        assert texts and all(t in section for t in texts), name
        # Counts are whole numbers: "428", never "428.00".
        assert not re.search(r"\(count\) (?:[\d,]+ (?:improvement |concern )?)*[\d,]+\.00", section)
        assert (
            f"The region's full report, “{name} annual safeguarding assurance report 2025/26”, "
            "with every figure by section, SPC chart, ICB and heatmap, is published separately "
            "as its own PDF" in section
        ), name
    text = " ".join(pages)
    # The detail is each region's own PDF's (and the page's), not the Board's.
    for detail in ("Register findings by ICB", "Statutory reviews by ICB", "Figures of this chart"):
        assert detail not in text
    regional = " ".join(_text(p) for p in PdfReader(io.BytesIO(built.regional)).pages)
    assert "Register findings by ICB" in regional and "Figures of this chart" in regional


def test_the_cover_says_what_it_is_and_the_pages_are_numbered(built, national):
    cover = _text(national.pages[0])
    assert "National annual safeguarding assurance report" in cover
    assert "2025/26" in cover and "OFFICIAL" in cover.upper() and "30 September 2026" in cover
    total = len(national.pages)
    # Board-sized: the seeds' reports run to 20-25 pages.
    assert total == built.national_pages and 12 <= total <= 40
    assert f"Page 1 of {total}" in cover
    assert f"Page {total} of {total}" in _text(national.pages[-1])
    assert "Official" in _text(national.pages[total // 2])  # the running header


def test_the_contents_page_numbers_are_where_the_sections_start(built, national):
    contents = national.pages[1].extract_text()
    assert contents.startswith("Contents")
    listed = {
        title.strip(): int(page)
        for title, page in re.findall(r"^([^\n.]+?)[ .]+ (\d+)$", contents, re.MULTILINE)
    }
    assert {"Foreword", "National update", "London", "Acronyms"} <= set(listed)
    assert len(listed) == 5 + len(built.regions)
    for title, page in listed.items():
        assert national.pages[page - 1].extract_text().startswith(title), title
    bookmarks = {
        item.title: national.get_destination_page_number(item) + 1
        for item in national.outline
        if not isinstance(item, list)
    }
    assert bookmarks == listed  # a bookmark per section, at the same page


def test_the_pdf_has_a_title_a_language_and_tags(national):
    assert national.metadata.title == "National annual safeguarding assurance report"
    root = national.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    roles = set()
    alts = []

    def walk(node, depth=0):
        node = node.get_object()
        if depth > 40:
            return
        if isinstance(node, dict):
            if "/S" in node:
                roles.add(str(node["/S"]))
                if node["/S"] == "/Figure" and "/Alt" in node:
                    alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    if hasattr(kid, "get_object") or isinstance(kid, (dict, list)):
                        walk(kid, depth + 1)
        elif isinstance(node, list):
            for kid in node:
                walk(kid, depth + 1)

    walk(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/H3", "/P", "/Table", "/TH", "/TD", "/L", "/LI", "/Figure"} <= roles
    # Each chart is a figure whose alternative text is its title.
    assert any(alt.startswith("Required designated posts filled: NHS England") for alt in alts)
    assert national.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]
    # Bookmarks nest the regions' subsections under their section.
    assert any(isinstance(item, list) for item in national.outline)


def test_the_same_data_gives_the_same_document(built):
    assert built.national_html_twice_equal
    first = PdfReader(io.BytesIO(built.regional))
    again = PdfReader(io.BytesIO(built.regional_again))
    assert len(first.pages) == len(again.pages) > 3
    assert [_text(p) for p in first.pages] == [_text(p) for p in again.pages]
    text = " ".join(_text(p) for p in first.pages)
    assert ACHIEVEMENTS["Y56"][0] in text and "London annual safeguarding assurance report" in text
    assert "Heatmaps" in text
    contents = first.pages[1].extract_text()
    listed = {
        title.strip(): int(page)
        for title, page in re.findall(r"^([^\n.]+?)[ .]+ (\d+)$", contents, re.MULTILINE)
    }
    assert set(listed) == {
        "Introduction",
        "Key achievements and outcomes",
        "Priorities for next year",
        "What the returns show",
        "Heatmaps",
    }
    assert first.pages[listed["Introduction"] - 1].extract_text().startswith("Introduction")
    assert "Heatmaps" in first.pages[listed["Heatmaps"] - 1].extract_text()


def test_the_same_figures_give_the_same_pdf_byte_for_byte(built):
    """Built again after the rollup has rewritten every figure's row, the PDF
    is the same file: its links name each figure by what it is (year, area,
    kind, code, quarter), never by its row, so a published PDF's links keep
    reaching their figures."""
    assert built.national_after_rollup == built.national
    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in PdfReader(io.BytesIO(built.national)).pages
        for annotation in page.get("/Annots") or []
        if "/URI" in annotation.get_object().get("/A", {})
    ]
    figures = [link for link in links if "/figures/" in link]
    assert len(figures) > 100
    assert all(re.search(rf"/reports/{YEAR}/figures/(X24|Y\d\d)/[a-z]+/", f) for f in figures)


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_network_address_in_the_html_is_never_fetched():
    server = HTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    here = f"http://127.0.0.1:{server.server_port}"
    try:
        html = (
            '<html lang="en-GB"><head><title>T</title>'
            f'<link rel="stylesheet" href="{here}/evil.css">'
            '<link rel="stylesheet" href="/static/print/report.css"></head>'
            f'<body><p>Text</p><img src="{here}/tracker.png" alt="">'
            '<img src="file:///etc/hostname" alt=""></body></html>'
        )
        rendered = pdf_from_html(html)
    finally:
        server.shutdown()
        server.server_close()
    assert _Counting.hits == []
    assert set(rendered.refused) == {
        f"{here}/evil.css",
        f"{here}/tracker.png",
        "file:///etc/hostname",
    }
    assert rendered.pages == 1
    assert "Text" in PdfReader(io.BytesIO(rendered.content)).pages[0].extract_text()


def test_annual_report_writes_the_file(reference, toolkit, tmp_path):
    out = tmp_path / "london.pdf"
    call_command("annual_report", str(YEAR), "--region", "Y56", "--pdf", str(out))
    reader = PdfReader(out)
    assert reader.metadata.title == "London annual safeguarding assurance report"
    assert ReportFigure.objects.filter(financial_year=YEAR, area__code=NATIONAL_CODE).exists()
    # With a date given, the same data give the same file: a scripted build
    # can be checked against the one before.
    dated = [tmp_path / "again-1.pdf", tmp_path / "again-2.pdf"]
    for path in dated:
        call_command(
            *("annual_report", str(YEAR), "--region", "Y56"),
            *("--pdf", str(path), "--date", "2026-06-30"),
        )
    assert dated[0].read_bytes() == dated[1].read_bytes()
    assert "30 June 2026" in PdfReader(dated[0]).pages[0].extract_text()
    with pytest.raises(
        CommandError, match="--date 30/06/2026 is not a date: give it as YYYY-MM-DD"
    ):
        call_command("annual_report", str(YEAR), "--pdf", str(out), "--date", "30/06/2026")
    with pytest.raises(CommandError, match="not a region's code"):
        call_command("annual_report", str(YEAR), "--region", "QMF", "--pdf", str(out))
    with pytest.raises(CommandError, match="No reporting periods in 1999"):
        call_command("annual_report", "1999", "--pdf", str(out))


def test_pdf_national_is_measured_against_a_plain_pdf_of_as_many_pages(reference, toolkit):
    from assurance.benchmark import run_benchmark

    report = run_benchmark(runs=1, only=["pdf_national"])
    measured = next(m for m in report.entries if m.name == "pdf_national")
    assert measured.pages > 10 and measured.plain_ms > 0 and measured.median_ms > 0
    assert measured.ratio == pytest.approx(measured.median_ms / measured.plain_ms)
    assert measured.peak_rss_mb > 50
    wording = next(iter(measured.targets))
    assert wording.startswith("≤ 2× a plain text PDF of") and f"{measured.pages} pages" in wording
    entry = report.as_json()["entries"]["pdf_national"]
    assert {"pages", "plain_ms", "ratio", "peak_rss_mb"} <= set(entry)
    assert "pdf_national" in report.table()


def test_a_table_split_across_pages_repeats_its_header():
    """The print stylesheet's tables: a long one (a region's findings by ICB
    in its own report) runs over pages with its header repeated above the
    rows that follow, and no page starts or ends on a lone row."""
    rows = "".join(
        f'<tr><th scope="row">NHS Region {n:02d} Integrated Care Board</th>'
        f"<td>{n}</td><td>{n + 1}</td></tr>"
        for n in range(90)
    )
    html = (
        '<html lang="en-GB"><head><title>T</title>'
        '<link rel="stylesheet" href="/static/print/report.css"></head><body><main>'
        '<table class="nhsuk-table"><caption>Findings by ICB</caption>'
        '<thead><tr><th scope="col">ICB</th><th scope="col">Missing</th>'
        f'<th scope="col">Vacant</th></tr></thead><tbody>{rows}</tbody></table>'
        "</main></body></html>"
    )
    rendered = pdf_from_html(html)
    pages = [_text(p) for p in PdfReader(io.BytesIO(rendered.content)).pages]
    assert rendered.pages == len(pages) >= 2
    for text in pages[1:]:
        assert text.startswith("ICB Missing Vacant NHS Region")
    assert "NHS Region 89 Integrated Care Board 89 90" in pages[-1]


def test_the_user_agent_stylesheet_is_lean_and_lists_keep_their_markers():
    """WeasyPrint's own stylesheet without its universal ::marker, footnote
    and note rules (six pseudo-elements' styles for every element otherwise):
    the reports' numbered and bulleted lists keep their markers, and the
    page reads as with WeasyPrint's whole stylesheet."""
    from weasyprint import HTML
    from weasyprint.html import UA_STYLESHEET

    from reporting.pdf import (
        LEAN_UA_STYLESHEET,
        PDF_OPTIONS,
        ReportHTML,
        StaticFilesFetcher,
        base_url,
    )

    assert LEAN_UA_STYLESHEET is not UA_STYLESHEET
    html = (
        '<html lang="en-GB"><head><title>T</title>'
        '<link rel="stylesheet" href="/static/print/report.css"></head><body><main>'
        "<ol><li>Foreword</li><li>National update</li></ol>"
        "<ul><li>Achievement</li></ul></main></body></html>"
    )

    def text(html_class) -> str:
        fetcher = StaticFilesFetcher()
        document = html_class(string=html, base_url=base_url(), url_fetcher=fetcher)
        document = document.render(**PDF_OPTIONS)
        assert fetcher.refused == []
        return _text(PdfReader(io.BytesIO(document.write_pdf(**PDF_OPTIONS))).pages[0])

    lean = text(ReportHTML)
    assert lean == text(HTML)
    assert all(marker in lean.split() for marker in ("1.", "2.", "•"))
