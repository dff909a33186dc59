"""Pages of the quarterly return: the task list of sections, a section's
answers and metrics, the conflict page when two people saved the same
standard and the return's history (the submit, review, comment and
reopen pages are in `assurance.views.return_signoff`). Every page starts
from the user's scope (404 outside it); only the ICB's editors and approver (or its successor's,
for a dissolved ICB) see forms, everyone else reads the draft."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assurance.forms.returns import (
    ActionForm,
    AnswerForm,
    EvidenceForm,
    MetricValueForm,
)
from assurance.metric_providers import metric_values_compute
from assurance.models import EvidenceFile, QuarterlyReturn
from assurance.permissions import (
    can_comment_on_return,
    can_edit_return,
    can_reopen_return,
    can_review_return,
    can_submit_return,
    period_get,
    return_get_visible,
    return_lock_refusal,
    return_require_editable,
    return_state_refusal,
    submission_closes_on,
)
from assurance.rating import metric_rate
from assurance.reminders import return_reminders
from assurance.return_check import ReturnCheck, SectionProblems, return_problems
from assurance.return_progress import SectionProgress, return_progress
from assurance.selectors import return_comment_threads, split_predecessors
from assurance.services import returns as services
from assurance.services.carry_forward import carry_forward_counts, carry_forward_sources
from organisations.permissions import organisation_get_visible_by_code
from organisations.selectors import audit_history
from saaf.dates import today
from saaf.nhs_forms import service_errors_apply

GET_POST = require_http_methods(["GET", "POST"])


def return_page_url(ret: QuarterlyReturn, name: str = "return_detail", **extra) -> str:
    """The address of one of the return's pages (`extra`: its further arguments)."""
    args = [ret.icb.code, ret.period.financial_year, ret.period.quarter, *extra.values()]
    return reverse(f"assurance:{name}", args=args)


@require_GET
def return_detail(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """The task list: each section with its status, answers and warnings. With
    no return yet, says who starts it."""
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    period = period_get(financial_year, quarter)
    ret = (
        QuarterlyReturn.objects.filter(icb=icb, period=period)
        .select_related("icb__parent", "completed_by", "period__toolkit_version")
        .first()
    )
    if ret is None:
        return render(
            request,
            "assurance/returns/not_started.jinja",
            {
                "icb": icb,
                "period": period,
                "expected": icb.existed_on(period.ends_on),
                "split_successors": next(
                    (s.successors for s in split_predecessors(period) if s.icb.pk == icb.pk), []
                ),
                "can_carry": bool(carry_forward_sources(icb, period, user=request.user)),
            },
        )
    if ret.is_draft:
        check = return_problems(ret)
        progress, sections = check.progress, check.sections
    else:
        # A submitted return's page shows no problems: the completeness check
        # (with the register's) is not run for it, only its progress read.
        check, progress = None, return_progress(ret)
        sections = [
            SectionProblems(s, return_page_url(ret, "return_section", section=s.section.code), [])
            for s in progress.sections
        ]
    latest = ret.submissions.order_by("-version").first()
    return render(
        request,
        "assurance/returns/task_list.jinja",
        {
            "ret": ret,
            "progress": progress,
            "sections": sections,
            "check": check,
            "can_edit": can_edit_return(request.user, ret),
            "can_submit": can_submit_return(request.user, ret) and ret.is_draft,
            "lock_refusal": return_lock_refusal(ret),
            "closes_on": submission_closes_on(ret),
            "can_reopen": can_reopen_return(request.user, ret),
            "can_review": can_review_return(request.user, ret),
            "state_refusal": return_state_refusal(ret, latest),
            "latest": latest,
            "threads_by_standard": return_comment_threads(ret),
            "can_comment": can_comment_on_return(request.user, ret),
            "carry": carry_forward_counts(ret),
            "can_carry": (
                can_edit_return(request.user, ret)
                and not any(item.answer for s in progress.sections for item in s.standards)
                and bool(carry_forward_sources(ret.icb, ret.period, user=request.user))
            ),
        },
    )


@require_POST
def return_start(request: HttpRequest, code: str, financial_year: int, quarter: int):
    icb = organisation_get_visible_by_code(request.user, code)
    period = period_get(financial_year, quarter)
    try:
        ret = services.quarterly_return_start(actor=request.user, icb=icb, period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assurance:return_detail", code, financial_year, quarter)
    messages.success(request, f"The {period.label} return for {icb.name} is ready to fill in.")
    return redirect(return_page_url(ret))


# --- A section -----------------------------------------------------------------------


def _standard_forms(
    section: SectionProgress, data=None, files=None, *, editable: bool = True
) -> list[dict]:
    """One answer form and its action rows (those saved, and one blank) per
    standard; for a reader (not `editable`), the standards alone."""
    rows = []
    for item in section.standards:
        if not editable:
            rows.append({"item": item, "form": None, "actions": [], "evidence": None})
            continue
        prefix = item.standard.code
        answer = item.answer
        initial = {
            "rating": answer.rating if answer else "",
            "not_applicable_reason": answer.not_applicable_reason if answer else "",
            "narrative": answer.narrative if answer else "",
            "explanation": answer.explanation if answer else "",
            "revision": answer.revision if answer else 0,
        }
        count = len(item.actions) + 1
        if data is not None:
            with contextlib.suppress(ValueError):
                count = max(1, min(int(data.get(f"{prefix}-action_rows", count)), 50))
        action_forms = []
        for i in range(count):
            saved = item.actions[i] if i < len(item.actions) else None
            action_initial = (
                {
                    "description": saved.description,
                    "owner": saved.owner,
                    "due_on": saved.due_on,
                    "status": saved.status,
                }
                if saved
                else {}
            )
            action_forms.append(ActionForm(data, prefix=f"{prefix}-a{i}", initial=action_initial))
        rows.append(
            {
                "item": item,
                "form": AnswerForm(data, prefix=prefix, initial=initial),
                "actions": action_forms,
                "evidence": EvidenceForm(
                    data, files, prefix=f"{prefix}-evidence", links=item.evidence
                ),
            }
        )
    return rows


def _metric_forms(section: SectionProgress, data=None, *, editable: bool = True) -> list[dict]:
    rows = []
    for item in section.metrics:
        if not editable:
            rows.append({"item": item, "form": None})
            continue
        value = item.value
        initial = {
            "value": value.value if value else None,
            "not_available_reason": value.not_available_reason if value else "",
            "revision": value.revision if value else 0,
        }
        form = (
            None
            if item.metric.is_computed
            else MetricValueForm(data, prefix=item.metric.code, initial=initial)
        )
        rows.append({"item": item, "form": form})
    return rows


def _save_section(request, ret, section: SectionProgress):
    """Save each standard and metric that is valid, each whole; keep the rest
    with its errors; collect conflicts. Returns (standard rows, metric rows,
    conflicts, has_errors)."""
    standard_rows = _standard_forms(section, request.POST, request.FILES)
    metric_rows = _metric_forms(section, request.POST)
    conflicts = []
    has_errors = False
    for row in standard_rows:
        form, action_forms = row["form"], row["actions"]
        if form.add_prefix("revision") not in request.POST:
            continue  # not on the page that was sent (the conflict page sends only some)
        # Validate every part (no short cut), so each shows its own errors, and
        # save the standard's answer and files only when all of them are valid.
        checked = [
            form.is_valid(),
            *(af.is_valid() for af in action_forms),
            row["evidence"].is_valid(),
        ]
        valid = all(checked)
        if not valid:
            has_errors = True
            continue
        actions = [af.action_input() for af in action_forms if not af.is_blank()]
        try:
            services.answer_save(
                actor=request.user,
                quarterly_return=ret,
                standard=row["item"].standard,
                answer=form.answer_input(actions),
                revision=form.cleaned_data["revision"],
            )
        except services.AnswerConflict as conflict:
            conflicts.append({"row": row, "conflict": conflict})
        except ValidationError as error:
            service_errors_apply(form, error)
            has_errors = True
        has_errors = _save_evidence(request, ret, row) or has_errors
    for row in metric_rows:
        form = row["form"]
        if form is None or form.add_prefix("revision") not in request.POST:
            continue
        if not form.is_valid():
            has_errors = True
            continue
        try:
            services.metric_value_save(
                actor=request.user,
                quarterly_return=ret,
                metric=row["item"].metric,
                value=form.cleaned_data["value"],
                not_available_reason=form.cleaned_data["not_available_reason"],
                revision=form.cleaned_data["revision"],
            )
        except services.AnswerConflict as conflict:
            conflicts.append({"row": row, "conflict": conflict, "metric": True})
        except ValidationError as error:
            service_errors_apply(form, error)
            has_errors = True
    return standard_rows, metric_rows, conflicts, has_errors


def _save_evidence(request, ret, row) -> bool:
    """Add the uploaded file and take off the ticked ones; True if refused."""
    form = row["evidence"]
    if not form.is_valid():
        return True
    links = {str(link.pk): link for link in row["item"].evidence}
    for pk in form.cleaned_data["remove"]:
        services.evidence_unlink(actor=request.user, quarterly_return=ret, link=links[pk])
    uploaded = form.cleaned_data.get("file")
    if uploaded:
        try:
            services.evidence_upload(
                actor=request.user,
                quarterly_return=ret,
                standard=row["item"].standard,
                uploaded=uploaded,
                effective_on=form.cleaned_data["effective_on"],
            )
        except ValidationError as error:
            target = (
                "effective_on" if "effective_on" in getattr(error, "error_dict", {}) else "file"
            )
            for message in error.messages:
                form.add_error(target, message)
            return True
    return False


def _error_list(standard_rows, metric_rows) -> list[dict]:
    """The error summary: each message a link to its field."""
    errors = []
    for row in standard_rows:
        if row["form"] is None:
            continue
        code = row["item"].standard.code
        for name, messages_ in row["form"].errors.items():
            target = f"{code}-{name}" if name != "__all__" else f"standard-{code}"
            errors += [{"text": f"{code}: {m}", "href": f"#id_{target}"} for m in messages_]
        for name, messages_ in row["evidence"].errors.items():
            suffix = "_day" if name == "effective_on" else ""
            errors += [
                {"text": f"{code}: {m}", "href": f"#id_{code}-evidence-{name}{suffix}"}
                for m in messages_
            ]
        for i, action_form in enumerate(row["actions"], start=1):
            for name, messages_ in action_form.errors.items():
                suffix = "_day" if name == "due_on" else ""
                errors += [
                    {
                        "text": f"{code}, action {i}: {m}",
                        "href": f"#id_{action_form.prefix}-{name}{suffix}",
                    }
                    for m in messages_
                ]
    for row in metric_rows:
        if row["form"] is None:
            continue
        code = row["item"].metric.code
        for name, messages_ in row["form"].errors.items():
            errors += [{"text": f"{code}: {m}", "href": f"#id_{code}-{name}"} for m in messages_]
    return errors


def _computed_for(ret: QuarterlyReturn, section: SectionProgress, check: ReturnCheck) -> dict:
    """What the portal knows beside the answers: each register-linked
    standard's check (from the completeness check) and each computed metric's
    value, as of the quarter's last day (today, while the quarter runs)."""
    on = check.on
    checks = check.register_checks_for([item.standard for item in section.standards])
    computed = metric_values_compute(
        metrics=[item.metric for item in section.metrics], icb=ret.icb, on=on
    )
    ratings = {}
    for item in section.metrics:
        code = item.metric.code
        if code in computed:
            ratings[code] = metric_rate(item.metric, computed[code].value)
        elif item.value is not None and item.value.value is not None:
            ratings[code] = metric_rate(item.metric, item.value.value)
    return {
        "computed_on": on,
        "register_checks": checks,
        "computed_values": computed,
        "metric_ratings": ratings,
    }


@GET_POST
def return_section(
    request: HttpRequest, code: str, financial_year: int, quarter: int, section: str
):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    check = return_problems(ret, section=section)
    progress = check.progress
    current = progress.section(section)
    if current is None:
        raise Http404("No such section.")
    can_edit = can_edit_return(request.user, ret)
    later = [s for s in progress.sections if s.section.position > current.section.position]
    if request.method == "POST":
        # Refuse before reading the form (the services check again).
        try:
            return_require_editable(request.user, ret)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(return_page_url(ret, "return_section", section=current.section.code))
        standard_rows, metric_rows, conflicts, has_errors = _save_section(request, ret, current)
        if conflicts:
            return render(
                request,
                "assurance/returns/conflict.jinja",
                {"ret": ret, "section": current.section, "conflicts": conflicts},
                status=409,
            )
        if not has_errors:
            messages.success(request, f"{current.section.title}: saved.")
            if "continue" in request.POST:
                if later:
                    return redirect(
                        return_page_url(ret, "return_section", section=later[0].section.code)
                    )
                return redirect(return_page_url(ret))
            return redirect(return_page_url(ret, "return_section", section=current.section.code))
        # Saved what was valid: show the section as it now is, with the errors.
        check = return_problems(ret, section=section)
        progress = check.progress
        current = progress.section(section)
        status = 400
    else:
        standard_rows = _standard_forms(current, editable=can_edit)
        metric_rows = _metric_forms(current, editable=can_edit)
        status = 200
    return render(
        request,
        "assurance/returns/section.jinja",
        {
            "ret": ret,
            "progress": progress,
            "current": current,
            **_computed_for(ret, current, check),
            "today_date": today(),
            "standard_rows": standard_rows,
            "metric_rows": metric_rows,
            "errors": _error_list(standard_rows, metric_rows),
            "can_edit": can_edit,
            "state_refusal": return_state_refusal(ret),
            "lock_refusal": return_lock_refusal(ret),
            "next_section": later[0].section if later else None,
            "threads_by_standard": return_comment_threads(ret),
            "can_comment": can_comment_on_return(request.user, ret),
        },
        status=status,
    )


@require_GET
def return_history(request: HttpRequest, code: str, financial_year: int, quarter: int):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    return render(
        request,
        "assurance/returns/history.jinja",
        {
            "ret": ret,
            "history": audit_history(user=request.user, obj=ret, limit=1000),
            "reminders": return_reminders(ret.icb, ret.period),
        },
    )


@login_not_required  # answered here: 404 to anyone signed out, not a sign-in page
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, to those who may read its ICB's returns; 404 to anyone
    else (signed out included), as for a file that does not exist. Always an
    attachment."""
    evidence = EvidenceFile.objects.visible_to(request.user).filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file.")
    try:
        handle = default_storage.open(evidence.storage_name, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage: tell the national team.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.display_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
