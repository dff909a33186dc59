"""The annual reports as NHS.UK pages: each region's report (its narrative,
sign-off and figures), the national report (its parts, one section per
region, Health & Justice, the acronyms it uses), the rollup's progress, and
the returns behind each figure within the reader's scope. Views translate
between the web and the services and selectors; the rules live there."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from assurance.models.periods import financial_year_label
from organisations.permissions import is_national_admin, organisation_get_visible_by_code
from organisations.reference_data import NATIONAL_CODE
from organisations.scoping import scope_of
from reporting import services
from reporting.figures import icb_metric_series, rated_metrics
from reporting.forms import NationalReportForm, RegionalNarrativeForm, UnsignForm, lines
from reporting.models import PublishState, ReportRun
from reporting.permissions import (
    can_download_published_report,
    can_publish_reports,
    can_read_national_report,
    can_read_regional_report,
    can_run_rollup,
    can_sign_off_regional_report,
    can_write_national_report,
    can_write_regional_report,
    region_get_for_report,
)
from reporting.selectors import (
    figure_get_readable,
    figure_get_readable_by_row,
    figure_icbs,
    figure_submissions,
    figure_title,
    latest_run,
    national_area,
    national_report_document,
    national_report_for,
    published_versions,
    regional_report_document,
    regional_report_for,
    regions,
    report_years,
)
from reporting.spc import ChartPoint, spc_chart
from saaf.nhs_forms import service_errors_apply


def _year(financial_year: int) -> int:
    if financial_year not in report_years():
        raise Http404("No reporting periods in that year.")
    return financial_year


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports the user may read or write, by year."""
    scope = scope_of(request.user)
    own_regions = [r for r in regions() if r.pk in scope.region_ids]
    national_admin = is_national_admin(request.user)
    years = []
    for year in report_years():
        national = national_report_for(year)
        years.append(
            {
                "year": year,
                "label": financial_year_label(year),
                "regions": regions() if national_admin else own_regions,
                "national": can_read_national_report(request.user, national),
                "published": bool(national and national.published),
            }
        )
    years = [y for y in years if y["regions"] or y["national"]]
    return render(request, "reporting/list.jinja", {"years": years})


def _regional_context(request, region, financial_year: int) -> dict:
    context = regional_report_document(
        user=request.user, region=region, financial_year=financial_year
    )
    if not can_read_regional_report(request.user, context["report"]):
        raise Http404("No such report.")
    return context


@require_GET
def regional_report(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    region = region_get_for_report(request.user, code)
    context = _regional_context(request, region, _year(financial_year))
    report = context["report"]
    context |= {
        "can_write": can_write_regional_report(request.user, region) and not report.is_signed_off,
        "can_sign": can_sign_off_regional_report(request.user, region),
        "history": _history(report),
        "can_publish": can_publish_reports(request.user),
    }
    versions = published_versions(financial_year=financial_year, area=region)
    context["versions"] = versions if context["can_publish"] else []
    context["current_version"] = next(
        (
            v
            for v in versions
            if v.state == PublishState.PUBLISHED
            and not v.is_superseded
            and can_download_published_report(request.user, v)
        ),
        None,
    )
    return render(request, "reporting/regional.jinja", context)


def _history(report):
    from organisations.models import AuditEvent

    if not report.pk:
        return []
    return list(AuditEvent.objects.for_object(report).select_related("actor")[:20])


def regional_report_edit(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    region = region_get_for_report(request.user, code)
    financial_year = _year(financial_year)
    if not can_write_regional_report(request.user, region):
        raise PermissionDenied("Only the region's safeguarding lead writes its annual report.")
    report = regional_report_for(region, financial_year)
    form = RegionalNarrativeForm(
        request.POST or None, initial={"introduction": report.introduction}
    )
    form.items_initial("achievements", report.achievements)
    form.items_initial("priorities", report.priorities)
    if request.method == "POST" and form.is_valid():
        try:
            services.regional_report_narrative_save(
                actor=request.user,
                region=region,
                financial_year=financial_year,
                introduction=form.cleaned_data["introduction"],
                achievements=lines(form.cleaned_data["achievements"]),
                priorities=lines(form.cleaned_data["priorities"]),
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, "Annual report saved.")
            return redirect("reporting:regional", financial_year, region.code)
    return render(
        request,
        "reporting/form.jinja",
        {
            "form": form,
            "heading": f"Write {region.name}'s annual report",
            "caption": financial_year_label(financial_year),
            "back": ("reporting:regional", [financial_year, region.code]),
            "submit": "Save the report",
            "frozen": report.is_signed_off,
        },
    )


@require_POST
def regional_report_sign_off(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    region = region_get_for_report(request.user, code)
    report = regional_report_for(region, _year(financial_year))
    if not report.pk:
        messages.error(request, "There is no report to sign off yet: the lead has not written it.")
        return redirect("reporting:regional", financial_year, region.code)
    try:
        services.regional_report_sign_off(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Annual report signed off.")
    return redirect("reporting:regional", financial_year, region.code)


def regional_report_unsign(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    region = region_get_for_report(request.user, code)
    report = regional_report_for(region, _year(financial_year))
    if not can_sign_off_regional_report(request.user, region):
        raise PermissionDenied("Only the region's chief nurse can withdraw its sign-off.")
    if not report.is_signed_off:
        return redirect("reporting:regional", financial_year, region.code)
    form = UnsignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.regional_report_unsign(
                actor=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, "Sign-off withdrawn: the lead can change the report.")
            return redirect("reporting:regional", financial_year, region.code)
    return render(
        request,
        "reporting/form.jinja",
        {
            "form": form,
            "heading": "Withdraw the sign-off",
            "caption": str(report),
            "back": ("reporting:regional", [financial_year, region.code]),
            "submit": "Withdraw the sign-off",
        },
    )


@require_GET
def national_report(request: HttpRequest, financial_year: int) -> HttpResponse:
    financial_year = _year(financial_year)
    report = national_report_for(financial_year)
    if not can_read_national_report(request.user, report):
        raise Http404("No such report.")
    context = national_report_document(financial_year)
    context |= {
        "can_write": can_write_national_report(request.user),
        "can_run": can_run_rollup(request.user),
        "run": latest_run(financial_year),
        "can_publish": can_publish_reports(request.user),
        "versions": published_versions(financial_year=financial_year, area=national_area()),
        "area_code": NATIONAL_CODE,
    }
    return render(request, "reporting/national.jinja", context)


def national_report_edit(request: HttpRequest, financial_year: int) -> HttpResponse:
    financial_year = _year(financial_year)
    if not can_write_national_report(request.user):
        raise PermissionDenied("Only the national team writes the national report.")
    report = national_report_for(financial_year)
    initial = {
        "foreword": report.foreword if report else "",
        "health_and_justice": report.health_and_justice if report else "",
    }
    form = NationalReportForm(request.POST or None, initial=initial)
    form.items_initial("achievements", report.achievements if report else [])
    form.items_initial("priorities", report.priorities if report else [])
    if request.method == "POST" and form.is_valid():
        try:
            services.national_report_save(
                actor=request.user,
                financial_year=financial_year,
                foreword=form.cleaned_data["foreword"],
                achievements=lines(form.cleaned_data["achievements"]),
                priorities=lines(form.cleaned_data["priorities"]),
                health_and_justice=form.cleaned_data["health_and_justice"],
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, "National report saved.")
            return redirect("reporting:national", financial_year)
    return render(
        request,
        "reporting/form.jinja",
        {
            "form": form,
            "heading": "Write the national report",
            "caption": financial_year_label(financial_year),
            "back": ("reporting:national", [financial_year]),
            "submit": "Save the national report",
        },
    )


@require_POST
def rollup_start(request: HttpRequest, financial_year: int) -> HttpResponse:
    financial_year = _year(financial_year)
    if not can_run_rollup(request.user):
        raise PermissionDenied("Only the national team runs the rollup.")
    run = services.report_run_start(actor=request.user, financial_year=financial_year)
    return redirect("reporting:run", financial_year, run.pk)


@require_GET
def run_progress(request: HttpRequest, financial_year: int, pk: int) -> HttpResponse:
    """The rollup's progress, from its row; the page refreshes itself while
    the run is under way (no JavaScript needed)."""
    if not can_run_rollup(request.user):
        raise Http404("No such run.")
    run = get_object_or_404(ReportRun, pk=pk, financial_year=financial_year)
    return render(
        request,
        "reporting/run.jinja",
        {"run": run, "year_label": financial_year_label(financial_year), "refresh": run.is_active},
    )


@require_GET
def figure_detail(
    request: HttpRequest,
    financial_year: int,
    area: str,
    kind: str,
    code: str = "",
    quarter_key: int = 0,
) -> HttpResponse:
    """The returns (or ICBs) a figure was computed from, that the reader may read."""
    figure = figure_get_readable(
        request.user,
        financial_year=_year(financial_year),
        area=area,
        kind=kind,
        code=code,
        quarter_key=quarter_key,
    )
    submissions = list(figure_submissions(user=request.user, figure=figure))
    icbs = [] if figure.submission_ids else list(figure_icbs(user=request.user, figure=figure))
    hidden = (
        (len(figure.submission_ids) - len(submissions))
        if figure.submission_ids
        else (len(figure.icb_ids) - len(icbs))
    )
    return render(
        request,
        "reporting/figure.jinja",
        {
            "figure": figure,
            "title": figure_title(figure),
            "submissions": submissions,
            "icbs": icbs,
            "hidden": hidden,
            "back": is_national_admin(request.user),
        },
    )


@require_GET
def figure_by_row(request: HttpRequest, pk: int) -> HttpResponse:
    """A link by the figure's row (PDFs published before figures had their
    own addresses): sent on to the figure's address. Not permanent: the row
    goes with the next rollup."""
    return redirect(figure_get_readable_by_row(request.user, pk))


@require_GET
def icb_metric_chart(request: HttpRequest, financial_year: int, code: str, metric: str):
    """One ICB's SPC chart of a metric over five years, its predecessors'
    quarters combined before it existed (within the reader's scope)."""
    financial_year = _year(financial_year)
    icb = organisation_get_visible_by_code(request.user, code)
    found = next((m for m in rated_metrics(financial_year) if m.code == metric), None)
    if icb.kind != "icb" or found is None:
        raise Http404("No such ICB or metric.")
    points = icb_metric_series(icb=icb, metric=found, financial_year=financial_year)
    chart = spc_chart(
        title=f"{found.name}: {icb.name}",
        unit=found.unit,
        higher_is_better=found.higher_is_better,
        points=[ChartPoint(p.period.label, float(p.value), p.note) for p in points],
    )
    return render(
        request,
        "reporting/icb_chart.jinja",
        {
            "icb": icb,
            "metric": found,
            "chart": chart,
            "points": points,
            "year_label": financial_year_label(financial_year),
        },
    )
