"""The return as an Excel workbook: download the draft, a submitted version
or a blank template, and upload a filled workbook back into the draft. The
workbook is built by `assurance.workbook`; the upload is read and saved by
`assurance.workbook_import`. Downloads are for whoever may read the return
(404 otherwise); the upload for those who may edit the draft."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from assurance.exports import XLSX_CONTENT_TYPE
from assurance.models import QuarterlyReturn
from assurance.permissions import (
    can_edit_return,
    period_get,
    return_completing_icb,
    return_get_visible,
    return_lock_refusal,
    return_state_refusal,
)
from assurance.views.returns import return_page_url
from assurance.workbook import workbook_build
from assurance.workbook_content import (
    WorkbookContent,
    workbook_content_draft,
    workbook_content_submission,
    workbook_content_template,
)
from assurance.workbook_import import return_workbook_upload
from organisations.permissions import organisation_get_visible_by_code
from saaf.nhs_forms import PortalForm
from saaf.spreadsheets import MAX_BYTES


def _xlsx(content: WorkbookContent, request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        workbook_build(content, actor=request.user), content_type=XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{content.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def return_workbook_draft(request: HttpRequest, code: str, financial_year: int, quarter: int):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    return _xlsx(workbook_content_draft(ret), request)


@require_GET
def return_workbook_version(
    request: HttpRequest, code: str, financial_year: int, quarter: int, version: int
):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    submission = ret.submissions.filter(version=version).select_related("quarterly_return").first()
    if submission is None:
        raise Http404("No such version.")
    submission.quarterly_return = ret
    return _xlsx(workbook_content_submission(submission), request)


@require_GET
def return_workbook_template(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """A blank workbook for an ICB and period, with or without a return yet."""
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    period = period_get(financial_year, quarter)
    ret = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
    return _xlsx(workbook_content_template(icb, period, ret), request)


class WorkbookUploadForm(PortalForm):
    workbook = forms.FileField(
        label="Workbook to upload",
        help_text=f"The return's workbook, saved as .xlsx, up to {MAX_BYTES // 1024 // 1024} MiB.",
        error_messages={
            "required": "Choose the workbook to upload.",
            "empty": "The file is empty. Choose the workbook again.",
        },
    )


@require_http_methods(["GET", "POST"])
def return_workbook_upload_page(request: HttpRequest, code: str, financial_year: int, quarter: int):
    ret = return_get_visible(request.user, code, financial_year, quarter)
    if not can_edit_return(request.user, ret):
        reason = (
            return_state_refusal(ret)
            or return_lock_refusal(ret)
            or f"Only {return_completing_icb(ret).name}'s editors and approver change this return."
        )
        messages.error(request, f"A workbook cannot be uploaded into this return. {reason}")
        return redirect(return_page_url(ret))
    if request.method == "POST":
        form = WorkbookUploadForm(request.POST, request.FILES)
    else:
        form = WorkbookUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            result = return_workbook_upload(
                actor=request.user,
                quarterly_return=ret,
                upload=form.cleaned_data["workbook"],
                dry_run="check" in request.POST,
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(return_page_url(ret))
        return render(
            request,
            "assurance/returns/workbook_result.jinja",
            {
                "ret": ret,
                "result": result,
                "filename": form.cleaned_data["workbook"].name,
                "form": WorkbookUploadForm(),
            },
            status=200 if result.saved or result.checked_only else 400,
        )
    return render(
        request,
        "assurance/returns/workbook_upload.jinja",
        {"ret": ret, "form": form, "latest": ret.submissions.order_by("-version").first()},
        status=400 if form.errors else 200,
    )
