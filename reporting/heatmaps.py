"""The heatmaps a regional report embeds: the region's Q4 heatmap of
sections and each quarter's theme heatmap, built by the heatmap issue's
selector (`assurance.heatmap.heatmap_build`) and shown by its template
(`assurance/heatmaps/_groups.jinja`), not copies of them."""

from __future__ import annotations

from dataclasses import dataclass

from assurance.heatmap import Basis, Heatmap, View, heatmap_build, summary_text
from assurance.heatmap_export import filters_text, row_state_text
from assurance.models import ReportingPeriod
from assurance.views.heatmaps import rows_show
from organisations.models import Organisation


@dataclass
class ReportHeatmap:
    title: str
    period: ReportingPeriod
    view: str
    heatmap: Heatmap

    @property
    def context(self) -> dict:
        """What the heatmap's table template reads."""
        return {
            "heatmap": self.heatmap,
            "period": self.period,
            "view": self.view,
            "national": False,
            "title": self.title,
            "filters": filters_text(self.heatmap),
            "basis_label": Basis.VALIDATED.label,
            "row_state_text": row_state_text,
            "summary": summary_text,
            "columns": self.heatmap.columns,
            "heading_level": 4,
            # Several heatmaps on one page: their headings' ids must differ.
            "heading_suffix": f"-q{self.period.quarter}-{self.view}",
        }


def report_heatmaps(*, user, region: Organisation, financial_year: int) -> list[ReportHeatmap]:
    periods = list(ReportingPeriod.objects.of_year(financial_year).order_by("quarter"))
    shown = []
    for period in periods:
        if period.quarter == 4:
            shown.append((period, View.SECTIONS, f"{period.label} heatmap: {region.name}"))
        shown.append(
            (period, View.THEME, f"{period.label} theme heatmap ({period.theme}): {region.name}")
        )
    found = []
    for period, view, title in shown:
        heatmap = heatmap_build(
            user=user, period=period, region=region, view=view, basis=Basis.VALIDATED
        )
        rows_show(heatmap)
        found.append(ReportHeatmap(title, period, view, heatmap))
    return found
