"""Pages for the toolkit and the reporting periods. Everyone with a role reads
them; the national admin changes them, always through `assurance.services`."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assurance import selectors
from assurance.completeness import period_completeness
from assurance.forms.toolkit import (
    MetricForm,
    ReportingPeriodForm,
    SectionForm,
    StandardForm,
    ToolkitCopyForm,
)
from assurance.models import ToolkitVersion
from assurance.permissions import (
    can_manage_toolkit,
    can_name_return_successor,
    metric_get,
    national_admin_required,
    period_get,
    section_get,
    standard_get,
    toolkit_reader_required,
    version_get,
)
from assurance.services import returns as returns_services
from assurance.services import toolkit as services
from organisations.models import Organisation
from organisations.permissions import is_national
from organisations.selectors import audit_history
from saaf.dates import today
from saaf.nhs_forms import service_errors_apply

GET_POST = require_http_methods(["GET", "POST"])


def _form_page(
    request: HttpRequest,
    *,
    form: BaseForm,
    save: Callable[[dict], object],
    done: Callable[[object], str],
    success: str,
    context: dict,
) -> HttpResponse:
    """Show `form`; on a valid POST call the service `save`, turning its
    refusals into form errors, and redirect to `done(result)`."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, success)
            return redirect(done(result))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "assurance/form.jinja", {**context, "form": form}, status=status)


def _refuse_if_published(request: HttpRequest, version: ToolkitVersion) -> HttpResponse | None:
    """A published version never changes: say so instead of showing a form."""
    if version.is_published:
        return render(
            request,
            "assurance/refused.jinja",
            {"version": version, "message": services.published_refusal(version)},
            status=409,
        )
    return None


def _version_url(version: ToolkitVersion) -> str:
    return reverse("assurance:toolkit_version_detail", args=[version.financial_year])


# --- reading ----------------------------------------------------------------------


@toolkit_reader_required
def toolkit_version_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assurance/toolkit_list.jinja",
        {
            "versions": selectors.toolkit_versions_overview(),
            "can_manage": can_manage_toolkit(request.user),
        },
    )


@toolkit_reader_required
def toolkit_version_detail(request: HttpRequest, financial_year: int) -> HttpResponse:
    version = version_get(financial_year)
    return render(
        request,
        "assurance/toolkit_detail.jinja",
        {
            "version": version,
            "sections": selectors.toolkit_sections(version),
            "register_standards": selectors.toolkit_register_standards(version),
            "metrics": version.metrics.select_related("section"),
            "periods": version.periods.all(),
            "can_edit": can_manage_toolkit(request.user) and version.is_draft,
            "can_manage": can_manage_toolkit(request.user),
            "history": audit_history(user=request.user, obj=version),
        },
    )


@toolkit_reader_required
def section_detail(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    section = section_get(version, code)
    return render(
        request,
        "assurance/section_detail.jinja",
        {
            "version": version,
            "section": section,
            "standards": section.standards.order_by("position", "code"),
            "metrics": section.metrics.all(),
            "can_edit": can_manage_toolkit(request.user) and version.is_draft,
        },
    )


# --- versions ------------------------------------------------------------------------


@national_admin_required
@GET_POST
def toolkit_version_copy(request: HttpRequest) -> HttpResponse:
    form = ToolkitCopyForm(request.POST or None)
    return _form_page(
        request,
        form=form,
        save=lambda data: services.toolkit_version_copy(
            actor=request.user, source=data["source"], financial_year=data["financial_year"]
        ),
        done=_version_url,
        success="The draft was started. The version it was copied from has not changed.",
        context={"title": "Start a toolkit draft", "submit": "Start the draft"},
    )


@national_admin_required
@GET_POST
def toolkit_version_publish(request: HttpRequest, financial_year: int) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    error = None
    if request.method == "POST":
        try:
            services.toolkit_version_publish(actor=request.user, version=version)
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            messages.success(
                request,
                f"The {version.label} toolkit is published, with its reporting periods.",
            )
            return redirect(_version_url(version))
    return render(
        request,
        "assurance/toolkit_publish.jinja",
        {"version": version, "error": error},
        status=400 if error else 200,
    )


# --- sections, standards, metrics -----------------------------------------------------


@national_admin_required
@GET_POST
def section_create(request: HttpRequest, financial_year: int) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    return _form_page(
        request,
        form=SectionForm(request.POST or None),
        save=lambda data: services.section_create(actor=request.user, version=version, **data),
        done=lambda s: reverse("assurance:section_detail", args=[financial_year, s.code]),
        success="The section was added.",
        context={"title": "Add a section", "version": version, "submit": "Add the section"},
    )


@national_admin_required
@GET_POST
def section_update(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    section = section_get(version, code)
    return _form_page(
        request,
        form=SectionForm(request.POST or None, instance=section_get(version, code)),
        save=lambda data: services.section_update(actor=request.user, section=section, **data),
        done=lambda s: reverse("assurance:section_detail", args=[financial_year, s.code]),
        success="The section was changed.",
        context={"title": f"Change section {code}", "version": version, "submit": "Save"},
    )


@national_admin_required
@GET_POST
def section_delete(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    section = section_get(version, code)
    if request.method == "POST":
        services.section_delete(actor=request.user, section=section)
        messages.success(request, f"Section {code} was removed, with its standards and metrics.")
        return redirect(_version_url(version))
    standards = list(section.standards.values_list("code", flat=True))
    metrics = list(section.metrics.values_list("code", flat=True))
    removes = ", ".join(standards + metrics)
    return render(
        request,
        "assurance/confirm_delete.jinja",
        {
            "version": version,
            "title": f"Remove section {code} {section.title}",
            "detail": f"This also removes its standards and metrics: {removes}." if removes else "",
        },
    )


@national_admin_required
@GET_POST
def standard_create(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    section = section_get(version, code)
    form = StandardForm(request.POST or None, version=version, initial={"section": section})
    return _form_page(
        request,
        form=form,
        save=lambda data: services.standard_create(actor=request.user, **data),
        done=lambda s: reverse("assurance:section_detail", args=[financial_year, s.section.code]),
        success="The standard was added.",
        context={"title": "Add a standard", "version": version, "submit": "Add the standard"},
    )


@national_admin_required
@GET_POST
def standard_update(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    standard = standard_get(version, code)
    form = StandardForm(request.POST or None, version=version, instance=standard)
    return _form_page(
        request,
        form=form,
        save=lambda data: services.standard_update(actor=request.user, standard=standard, **data),
        done=lambda s: reverse("assurance:section_detail", args=[financial_year, s.section.code]),
        success="The standard was changed.",
        context={"title": f"Change standard {code}", "version": version, "submit": "Save"},
    )


@national_admin_required
@GET_POST
def standard_delete(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    standard = standard_get(version, code)
    if request.method == "POST":
        services.standard_delete(actor=request.user, standard=standard)
        messages.success(request, f"Standard {code} was removed.")
        return redirect("assurance:section_detail", financial_year, standard.section.code)
    return render(
        request,
        "assurance/confirm_delete.jinja",
        {"version": version, "title": f"Remove standard {code}", "detail": standard.statement},
    )


@national_admin_required
@GET_POST
def metric_create(request: HttpRequest, financial_year: int) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    return _form_page(
        request,
        form=MetricForm(request.POST or None, version=version),
        save=lambda data: services.metric_create(actor=request.user, **data),
        done=lambda m: _version_url(version) + "#metrics",
        success="The metric was added.",
        context={"title": "Add a metric", "version": version, "submit": "Add the metric"},
    )


@national_admin_required
@GET_POST
def metric_update(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    metric = metric_get(version, code)
    return _form_page(
        request,
        form=MetricForm(request.POST or None, version=version, instance=metric),
        save=lambda data: services.metric_update(actor=request.user, metric=metric, **data),
        done=lambda m: _version_url(version) + "#metrics",
        success=f"Metric {code} was changed.",
        context={"title": f"Change metric {code}", "version": version, "submit": "Save"},
    )


@national_admin_required
@GET_POST
def metric_delete(request: HttpRequest, financial_year: int, code: str) -> HttpResponse:
    version = version_get(financial_year)
    if refused := _refuse_if_published(request, version):
        return refused
    metric = metric_get(version, code)
    if request.method == "POST":
        services.metric_delete(actor=request.user, metric=metric)
        messages.success(request, f"Metric {code} was removed.")
        return redirect(_version_url(version) + "#metrics")
    return render(
        request,
        "assurance/confirm_delete.jinja",
        {"version": version, "title": f"Remove metric {code}", "detail": metric.name},
    )


# --- reporting periods -------------------------------------------------------------------


@toolkit_reader_required
def period_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assurance/period_list.jinja",
        {"rows": selectors.period_rows(), "today": today()},
    )


@toolkit_reader_required
def period_detail(request: HttpRequest, financial_year: int, quarter: int) -> HttpResponse:
    period = period_get(financial_year, quarter)
    return render(
        request,
        "assurance/period_detail.jinja",
        {
            "period": period,
            "state": selectors.period_state(period),
            # Each reader sees the ICBs of their own scope: an ICB itself, a region its own.
            "icbs": selectors.expected_icbs(period)
            .visible_to(request.user)
            .order_by("parent__name", "name"),
            "expected_count": selectors.expected_icbs(period).count(),
            "statuses": selectors.return_statuses(period),
            "completeness": period_completeness(period),
            "splits": selectors.split_predecessors(period),
            "can_manage": can_manage_toolkit(request.user),
            "can_name_successor": can_name_return_successor(request.user),
            # Which regions' lists of returns the reader opens from the table.
            "can_read_national": is_national(request.user),
            "list_regions": {
                region.code for region in Organisation.objects.visible_to(request.user).regions()
            },
        },
    )


@national_admin_required
@require_POST
def period_split_successor(
    request: HttpRequest, financial_year: int, quarter: int, code: str
) -> HttpResponse:
    """The national admin names which successor completes a split ICB's return."""
    period = period_get(financial_year, quarter)
    split = next((s for s in selectors.split_predecessors(period) if s.icb.code == code), None)
    if split is None:
        raise Http404("No split ICB with that code owes a return for this period.")
    chosen = next((o for o in split.successors if o.code == request.POST.get("successor")), None)
    reason = request.POST.get("reason", "").strip()
    if chosen is None or not reason:
        messages.error(
            request,
            f"{split.icb.name}: choose the successor that completes its return and say why.",
        )
    else:
        returns_services.quarterly_return_name_successor(
            actor=request.user, icb=split.icb, period=period, successor=chosen, reason=reason[:2000]
        )
        messages.success(
            request, f"{chosen.name} completes {split.icb.name}'s {period.label} return."
        )
    return redirect("assurance:period_detail", financial_year, quarter)


@national_admin_required
@GET_POST
def period_update(request: HttpRequest, financial_year: int, quarter: int) -> HttpResponse:
    period = period_get(financial_year, quarter)
    return _form_page(
        request,
        form=ReportingPeriodForm(
            request.POST or None, instance=period_get(financial_year, quarter)
        ),
        save=lambda data: services.reporting_period_update(
            actor=request.user, period=period, **data
        ),
        done=lambda p: reverse("assurance:period_detail", args=[financial_year, quarter]),
        success=f"The dates of {period.label} were changed.",
        context={"title": f"Change the dates of {period.label}", "submit": "Save"},
    )
