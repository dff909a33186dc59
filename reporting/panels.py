"""The annual reports' home-page panel: the reports a regional team or the
national team works on, and the published national reports for the NSSG."""

from __future__ import annotations

from django.urls import reverse

from assurance.models.periods import financial_year_label, financial_year_of
from organisations.panels import HomePanel
from organisations.permissions import is_national_admin
from organisations.scoping import scope_of
from reporting.models import NationalReport
from reporting.selectors import regions, report_years
from saaf import dates


def reports_panel(user) -> HomePanel | None:
    years = report_years()
    if not years:
        return None
    scope = scope_of(user)
    links = []
    # The last complete year is the one being reported on, then the current one.
    current = financial_year_of(dates.today())
    for year in [y for y in (current - 1, current) if y in years]:
        label = financial_year_label(year)
        if is_national_admin(user):
            links.append((f"National report {label}", reverse("reporting:national", args=[year])))
        for region in regions():
            if region.pk in scope.region_ids:
                links.append(
                    (
                        f"{region.name} annual report {label}",
                        reverse("reporting:regional", args=[year, region.code]),
                    )
                )
    if scope.is_national and not is_national_admin(user):
        for report in NationalReport.objects.filter(published=True).order_by("-financial_year")[:2]:
            links.append(
                (
                    f"National report {report.year_label}",
                    reverse("reporting:national", args=[report.financial_year]),
                )
            )
    if scope.is_national or links:
        # Where the published PDFs are, every version (whatever the year).
        links.append(("Archive of published reports", reverse("reporting:archive")))
    if not links:
        return None
    return HomePanel(
        name="reports",
        title="Annual reports",
        template="reporting/panels/reports.jinja",
        context={"links": links},
    )
