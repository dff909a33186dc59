"""Lists of quarterly returns: a region's for one period, England's grouped
by region (both with CSV and .xlsx exports), and one ICB's across the
periods. Every list starts from the user's scope: an ICB's team reads its
ICB's list, a region its region's and its ICBs', national roles everything;
a list out of scope is answered as missing (404)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from assurance.exports import table_response
from assurance.permissions import period_get
from assurance.return_lists import (
    icb_return_rows,
    latest_period,
    list_table,
    national_return_rows,
    period_return_rows,
    region_totals,
)
from assurance.selectors import period_state
from organisations.models import ICB_ROLES, NATIONAL_ROLES, REGIONAL_ROLES, Organisation
from organisations.permissions import is_national, organisation_get_visible_by_code
from organisations.scoping import memberships_of
from saaf import dates

EXPORT_FORMATS = ("csv", "xlsx")


def _export_format(fmt: str | None) -> str | None:
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    return fmt


@require_GET
def returns_start(request: HttpRequest) -> HttpResponse:
    """Send each user to the list of returns of their role."""
    for membership in memberships_of(request.user):
        if membership.role in ICB_ROLES:
            return redirect("assurance:icb_returns", code=membership.organisation.code)
        period = latest_period()
        if period is None:
            raise Http404("No reporting period has opened yet.")
        if membership.role in NATIONAL_ROLES:
            return redirect("assurance:period_returns", period.financial_year, period.quarter)
        if membership.role in REGIONAL_ROLES:
            return redirect(
                "assurance:region_returns",
                period.financial_year,
                period.quarter,
                membership.organisation.code,
            )
    raise Http404("You have no role that gives you a list of returns.")


@require_GET
def period_returns(
    request: HttpRequest, financial_year: int, quarter: int, fmt: str | None = None
) -> HttpResponse:
    """England's returns for a period, grouped by region with each region's totals."""
    fmt = _export_format(fmt)
    if not is_national(request.user):
        raise Http404("The national list of returns is for national roles.")
    period = period_get(financial_year, quarter)
    regions, england = national_return_rows(user=request.user, period=period)
    if fmt:
        rows = [row for region in regions for row in region.rows]
        table = list_table(f"Returns {period.label} England", rows)
        return table_response(
            table, filename=f"returns-england-{period.financial_year}-q{period.quarter}", fmt=fmt
        )
    return render(
        request,
        "assurance/returns/list_national.jinja",
        {
            "period": period,
            "state": period_state(period),
            "regions": regions,
            "england": england,
            "today": dates.today(),
        },
    )


@require_GET
def region_returns(
    request: HttpRequest, financial_year: int, quarter: int, code: str, fmt: str | None = None
) -> HttpResponse:
    """A region's returns for a period: every ICB expected to return."""
    fmt = _export_format(fmt)
    region = organisation_get_visible_by_code(request.user, code)
    if region.kind != "region":
        raise Http404("No such region.")
    period = period_get(financial_year, quarter)
    rows = period_return_rows(user=request.user, period=period, region=region)
    if fmt:
        table = list_table(f"Returns {period.label} {region.name}", rows)
        return table_response(
            table,
            filename=f"returns-{region.code}-{period.financial_year}-q{period.quarter}",
            fmt=fmt,
        )
    return render(
        request,
        "assurance/returns/list_region.jinja",
        {
            "period": period,
            "state": period_state(period),
            "region": region,
            "rows": rows,
            "totals": region_totals(period, region),
            "today": dates.today(),
            "can_read_national": is_national(request.user),
        },
    )


@require_GET
def icb_returns(request: HttpRequest, code: str) -> HttpResponse:
    """An ICB's returns across the periods, newest first."""
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    lists = icb_return_rows(icb=icb)
    visible = set(
        Organisation.objects.visible_to(request.user)
        .filter(pk__in=[p.pk for p in lists.predecessors])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "assurance/returns/list_icb.jinja",
        {
            "icb": icb,
            "lists": lists,
            "predecessors": [p for p in lists.predecessors if p.pk in visible],
            "today": dates.today(),
        },
    )
