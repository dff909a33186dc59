"""The carry-forward page (start a return from the last accepted one) and the
page that confirms a section's carried-forward answers unchanged. The rules
are `assurance.services.carry_forward`'s; these pages ask and show."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from assurance.forms.carry_forward import CarryForwardForm
from assurance.models import QuarterlyReturn
from assurance.permissions import (
    can_edit_return,
    can_start_return,
    period_get,
    return_get_visible,
    return_require_editable,
)
from assurance.return_progress import return_progress
from assurance.services import carry_forward as services
from assurance.services.returns import _successors_of
from assurance.views.returns import return_page_url
from organisations.permissions import organisation_get_visible_by_code
from saaf.nhs_forms import service_errors_apply

GET_POST = require_http_methods(["GET", "POST"])


@GET_POST
def return_carry_forward(request: HttpRequest, code: str, financial_year: int, quarter: int):
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    period = period_get(financial_year, quarter)
    ret = (
        QuarterlyReturn.objects.filter(icb=icb, period=period)
        .select_related("icb", "completed_by", "period")
        .first()
    )
    if ret is not None:
        may = can_edit_return(request.user, ret)
        has_answers = ret.answers.exists()
    else:
        successors = _successors_of(icb) if not icb.is_current else set()
        may = icb.existed_on(period.ends_on) and can_start_return(
            request.user, icb, successors=successors
        )
        has_answers = False
    sources = services.carry_forward_sources(icb, period, user=request.user)
    plans = [services.carry_forward_plan(source, period) for source in sources]
    form = CarryForwardForm(request.POST if request.method == "POST" else None, sources=sources)
    status = 200
    if request.method == "POST":
        if not may or has_answers:
            messages.error(request, "This return cannot be started from an earlier one.")
            return redirect("assurance:return_carry_forward", code, financial_year, quarter)
        if form.is_valid():
            try:
                started, plan = services.quarterly_return_carry_forward(
                    actor=request.user,
                    icb=icb,
                    period=period,
                    submission_id=form.cleaned_data["source"],
                )
            except ValidationError as error:
                service_errors_apply(form, error)
            else:
                messages.success(
                    request,
                    f"{len(plan.carried)} answers carried forward from {plan.source.words}. "
                    "Confirm or change each before submitting.",
                )
                return redirect(return_page_url(started))
        status = 400
    return render(
        request,
        "assurance/returns/carry_forward.jinja",
        {
            "icb": icb,
            "period": period,
            "ret": ret,
            "may": may,
            "has_answers": has_answers,
            "plans": plans,
            "form": form,
        },
        status=status,
    )


@GET_POST
def return_section_confirm(
    request: HttpRequest, code: str, financial_year: int, quarter: int, section: str
):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    progress = return_progress(ret)
    current = progress.section(section)
    if current is None:
        raise Http404("No such section.")
    waiting = [
        item for item in current.standards if item.answer and item.answer.awaits_confirmation
    ]
    section_url = return_page_url(ret, "return_section", section=current.section.code)
    if request.method == "POST":
        try:
            return_require_editable(request.user, ret)
            codes = services.section_answers_confirm(
                actor=request.user, quarterly_return=ret, section=current.section
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(section_url)
        if codes:
            messages.success(
                request,
                f"{current.section.title}: {len(codes)} carried-forward "
                f"{'answer' if len(codes) == 1 else 'answers'} confirmed unchanged "
                f"({', '.join(codes)}).",
            )
        else:
            messages.info(request, f"{current.section.title}: nothing left to confirm.")
        return redirect(section_url)
    return render(
        request,
        "assurance/returns/section_confirm.jinja",
        {
            "ret": ret,
            "current": current,
            "waiting": waiting,
            "can_edit": can_edit_return(request.user, ret),
            "section_url": section_url,
        },
    )
