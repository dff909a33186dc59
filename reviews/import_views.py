"""Pages for importing reviews from a spreadsheet into an ICB's tracker: the
template's download, and the upload with its check-only (dry run) and import
modes. The lead ICB's editors and approver use them; the rules are those of
`reviews.imports` and the services it calls."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from organisations.models import Organisation
from reviews.imports import import_template, reviews_import
from reviews.permissions import can_record_reviews_for
from reviews.views import _icb_visible
from saaf.nhs_forms import PortalForm
from saaf.spreadsheets import MAX_BYTES, XLSX_MIME

CHECK, IMPORT = "check", "import"


class ReviewsImportForm(PortalForm):
    file = forms.FileField(
        label="Workbook",
        help_text=f"The portal's template, filled in and saved as .xlsx, at most "
        f"{MAX_BYTES // 1024 // 1024} MiB.",
        error_messages={"required": "Choose the workbook to upload."},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_MIME}),
    )
    mode = forms.ChoiceField(
        label="What to do",
        choices=[
            (CHECK, "Check the file only: nothing is saved"),
            (IMPORT, "Import: create the reviews, recommendations and actions"),
        ],
        initial=CHECK,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to check the file or import it."},
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _icb_for_import(request: HttpRequest, code: str) -> Organisation:
    icb = _icb_visible(request, code)
    if not can_record_reviews_for(request.user, icb):
        raise PermissionDenied(f"Only the editors and approver of {icb.name} import its reviews.")
    return icb


@require_GET
def import_template_download(request: HttpRequest, code: str) -> HttpResponse:
    icb = _icb_for_import(request, code)
    response = HttpResponse(import_template(user=request.user, icb=icb), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="reviews-import-{icb.code}.xlsx"'
    return response


def reviews_import_page(request: HttpRequest, code: str) -> HttpResponse:
    """Upload a workbook; show what would be created (check only), or every
    problem row by row (nothing saved), or import and go to the tracker."""
    icb = _icb_for_import(request, code)
    report = None
    checked = False
    if request.method == "POST":
        form = ReviewsImportForm(request.POST, request.FILES)
        if form.is_valid():
            checked = form.cleaned_data["mode"] == CHECK
            report = reviews_import(
                actor=request.user,
                icb=icb,
                upload=form.cleaned_data["file"],
                dry_run=checked,
            )
            if report.saved:
                outcome = report.outcome
                messages.success(
                    request,
                    f"Imported {_count(len(outcome.reviews), 'review')}, "
                    f"{_count(outcome.recommendation_count, 'recommendation')} and "
                    f"{_count(outcome.action_count, 'action')}.",
                )
                return redirect("reviews:tracker", code=icb.code)
            # Whatever was chosen, the next upload of this page is an import
            # once a check has passed; otherwise check again.
            form = ReviewsImportForm(initial={"mode": IMPORT if report.ok else CHECK})
    else:
        form = ReviewsImportForm()
    return render(
        request,
        "reviews/import.jinja",
        {"form": form, "icb": icb, "report": report, "checked": checked},
    )
