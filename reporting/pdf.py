"""The annual reports as PDF documents, by WeasyPrint, from the same HTML as
their pages (the page's partials inside a print document with a cover,
`reporting/print/`) and a print stylesheet of their own
(`static/print/report.css`).

The PDF is tagged (PDF/UA-1: its structure, language and title for screen
readers) and has a bookmark per section. It is rendered in a task
(`reporting.tasks.published_report_render`), never in a request: a national
report runs to dozens of pages. WeasyPrint reads only the portal's static
files, from disk: any other address in the HTML (a network image, a
stylesheet on another host) is refused, never fetched. WeasyPrint renders
them with its own stylesheet less the rules the reports never need
(`ReportHTML`): see docs/performance.md, "Where the render's time goes".
"""

from __future__ import annotations

import datetime
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML, URLFetcher
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA, UA_FORM_STYLESHEET, UA_STYLESHEET
from weasyprint.urls import URLFetcherResponse

from organisations.audit import system_actor
from organisations.models import Organisation
from reporting.selectors import national_report_document, regional_report_document

logger = logging.getLogger(__name__)

CLASSIFICATION = "Official"
# PDF/UA-1 turns WeasyPrint's tags on (pdf_tags) and declares the variant.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def base_url() -> str:
    """Where the PDF's links point: the portal, so a reader can follow a
    figure to its returns."""
    return settings.SAAF_BASE_URL.rstrip("/") + "/"


class StaticFilesFetcher(URLFetcher):
    """Serves the portal's static files (`/static/…` under the base URL) from
    disk and refuses every other address, so rendering never touches the
    network. Refused addresses are kept in `refused` and logged."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []
        self.static_prefix = urljoin(base_url(), settings.STATIC_URL)

    def fetch(self, url, headers=None):
        if not url.startswith(self.static_prefix):
            return self._refuse(url, "not one of the portal's static files")
        name = unquote(urlsplit(url).path)[len(urlsplit(self.static_prefix).path) :]
        try:
            found = finders.find(name)
        except SuspiciousFileOperation:
            found = None
        if not found:
            return self._refuse(url, "no such static file")
        path = Path(found)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": content_type})

    def _refuse(self, url: str, why: str):
        self.refused.append(url)
        logger.warning("PDF rendering refused to fetch %s: %s", url, why)
        raise ValueError(f"Refused to fetch {url}: {why}.")


def _lean_user_agent_stylesheet() -> CSS:
    """WeasyPrint's own stylesheet (html5_ua.css) less its universal
    pseudo-element rules: `::marker` for every element, and `::footnote-call`,
    `::footnote-marker`, `::note-call`, `::note-marker`, `::note-callback`.
    With them WeasyPrint computes six pseudo-elements' styles for every
    element (10,700 styles for the national report's 1,800 elements, most of
    its styling and of the garbage each render leaves), though the reports
    have no footnotes or notes and markers only on list items. Markers are
    kept for `li` and `summary`; if WeasyPrint's stylesheet no longer reads
    as expected, it is used as it is."""
    text = UA.replace("\n::marker {", "\nli::marker, summary::marker {", 1)
    text, notes = re.subn(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", "", text, flags=re.MULTILINE)
    if text.count("li::marker, summary::marker {") != 1 or notes != 5:
        logger.warning("WeasyPrint's user agent stylesheet has changed: used as it is")
        return UA_STYLESHEET
    # Its counter styles are WeasyPrint's own (HTML._ua_counter_style), kept.
    return CSS(string=text, counter_style=CounterStyle())


class ReportHTML(HTML):
    """WeasyPrint's HTML with the lean user agent stylesheet above."""

    def _ua_stylesheets(self, forms=False):
        return [LEAN_UA_STYLESHEET, UA_FORM_STYLESHEET] if forms else [LEAN_UA_STYLESHEET]


LEAN_UA_STYLESHEET = _lean_user_agent_stylesheet()


@dataclass
class RenderedPdf:
    content: bytes
    pages: int
    refused: list[str]


Progress = Callable[[str], None]


def pdf_from_html(html: str, *, progress: Progress | None = None) -> RenderedPdf:
    """Lay `html` out as pages, then write the tagged PDF."""
    fetcher = StaticFilesFetcher()
    if progress:
        progress("Laying out the pages")
    document = ReportHTML(string=html, base_url=base_url(), url_fetcher=fetcher).render(
        **PDF_OPTIONS
    )
    if progress:
        progress(f"Writing the PDF ({len(document.pages)} pages)")
    content = document.write_pdf(**PDF_OPTIONS)
    return RenderedPdf(content, len(document.pages), fetcher.refused)


def _document_context(title: str, year_label: str, as_of: datetime.date, note: str) -> dict:
    return {
        "document_title": title,
        "classification": CLASSIFICATION,
        "as_of": as_of,
        "cover_note": note,
        "year_label": year_label,
        # The shared bodies leave out what only the page needs (folded tables).
        "for_print": True,
    }


def national_report_html(*, financial_year: int, as_of: datetime.date | None = None) -> str:
    context = national_report_document(financial_year)
    context |= _document_context(
        "National annual safeguarding assurance report",
        context["year_label"],
        as_of or timezone.localdate(),
        "Prepared by the National Safeguarding Steering Group (NSSG) from the regions' "
        "annual reports and the integrated care boards' quarterly assurance returns.",
    )
    return render_to_string("reporting/print/national.jinja", context)


def regional_report_html(
    *, region: Organisation, financial_year: int, user=None, as_of: datetime.date | None = None
) -> str:
    context = regional_report_document(
        user=user or system_actor(), region=region, financial_year=financial_year
    )
    context |= _document_context(
        f"{region.name} annual safeguarding assurance report",
        context["year_label"],
        as_of or timezone.localdate(),
        f"Written by {region.name}'s regional safeguarding lead and signed off by its "
        "regional chief nurse, with the figures of the region's quarterly assurance returns.",
    )
    return render_to_string("reporting/print/regional.jinja", context)


def report_pdf(
    *,
    financial_year: int,
    region: Organisation | None = None,
    user=None,
    as_of: datetime.date | None = None,
    progress: Progress | None = None,
) -> RenderedPdf:
    """The national report's PDF, or `region`'s, from the stored figures."""
    if progress:
        progress("Building the report's HTML")
    if region is None:
        html = national_report_html(financial_year=financial_year, as_of=as_of)
    else:
        html = regional_report_html(
            region=region, financial_year=financial_year, user=user, as_of=as_of
        )
    return pdf_from_html(html, progress=progress)
