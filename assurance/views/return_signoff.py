"""Pages of a return's life after drafting: the approver's submit page, the
regional lead's review buttons and validated ratings, the comments of the
ICB and its region, and the national team's reopening of a locked return.
Every page starts from the user's scope (404 outside it); the services
decide who may act, and each page says why someone cannot."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assurance.forms.returns import (
    CommentForm,
    ReopenForm,
    ValidatedRatingForm,
)
from assurance.models import DECLARATION_TEXT
from assurance.permissions import (
    can_reopen_return,
    can_review_return,
    return_get_visible,
    return_lock_refusal,
    return_state_refusal,
    submission_closes_on,
)
from assurance.return_check import return_problems
from assurance.services import comments as comment_services
from assurance.services import submissions
from assurance.services.carry_forward import carry_forward_counts
from assurance.views.returns import return_page_url
from organisations.permissions import is_national_admin
from saaf.dates import nhs_date, today

GET_POST = require_http_methods(["GET", "POST"])


@GET_POST
def return_submit(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """The approver's submit page: every problem the check finds (each a link
    to its field), or the declaration and the Submit button. Everyone else is
    told why they cannot submit."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    declaration_error = ""
    refusal = ""
    if request.method == "POST":
        try:
            submission = submissions.quarterly_return_submit(
                actor=request.user,
                quarterly_return=ret,
                declaration=request.POST.get("declaration") == "yes",
            )
        except submissions.ReturnIncomplete:
            pass  # the page lists the problems again, below
        except ValidationError as error:
            if "declaration" in getattr(error, "error_dict", {}):
                declaration_error = " ".join(error.error_dict["declaration"][0].messages)
            else:
                refusal = " ".join(error.messages)
        else:
            messages.success(
                request,
                f"Submitted {ret.period.label} return, version {submission.version}: the "
                "region has it for review.",
            )
            return redirect(return_page_url(ret))
    if not refusal:
        refusal = submissions.submit_refusal(request.user, ret) or ""
    # A refusal is all the page shows (its title counts the problems after a
    # POST): the completeness check is not run for nothing.
    check = return_problems(ret) if not refusal or request.method == "POST" else None
    first = ret.submissions.order_by("version").first()
    return render(
        request,
        "assurance/returns/submit.jinja",
        {
            "ret": ret,
            "check": check,
            "refusal": refusal,
            "declaration_text": DECLARATION_TEXT,
            "declaration_error": declaration_error,
            "today_date": today(),
            # Late only by the first submission: a resubmission keeps its mark.
            "would_be_late": first.late if first else today() > ret.period.due_on,
            "carry": carry_forward_counts(ret),
        },
        status=400 if request.method == "POST" else 200,
    )


REVIEW_ACTIONS = {
    "start": submissions.quarterly_return_review_start,
    "accept": submissions.quarterly_return_accept,
    "send_back": submissions.quarterly_return_send_back,
}


@require_POST
def return_review(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """The regional lead's buttons on the task list: start the review, accept,
    or return with a covering comment."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    step = request.POST.get("step", "")
    if step not in REVIEW_ACTIONS:
        messages.error(request, "Choose to start the review, accept or return the return.")
        return redirect(return_page_url(ret))
    extra = {} if step == "start" else {"comment": request.POST.get("comment", "")}
    try:
        REVIEW_ACTIONS[step](actor=request.user, quarterly_return=ret, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{ret.icb.name}'s return: {ret.get_status_display().lower()}.")
    return redirect(return_page_url(ret))


@GET_POST
def return_validation(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """The latest submission's standards with the ICB's rating beside the
    regional lead's validated rating and rationale. While the lead reviews the
    return, each standard has its form (posted one at a time); everyone else
    who may read the return reads it."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    latest = ret.submissions.order_by("-version").first()
    if latest is None:
        messages.info(request, "The return has not been submitted yet: nothing to validate.")
        return redirect(return_page_url(ret))
    answers = list(
        latest.answers.select_related("standard__section", "validated_by").order_by(
            "standard__section__position", "standard__position"
        )
    )
    can_validate = can_review_return(request.user, ret) and ret.status == "under_review"
    errors, posted, status = {}, {}, 200
    if request.method == "POST":
        posted = request.POST
        answer = next((a for a in answers if a.standard.code == posted.get("standard")), None)
        if answer is None:
            messages.error(request, "Choose a standard of the submitted return to rate.")
            return redirect(return_page_url(ret, "return_validation"))
        form = ValidatedRatingForm(posted)
        try:
            if not form.is_valid():
                raise ValidationError(dict(form.errors))
            submissions.submitted_answer_validate(
                actor=request.user,
                submitted_answer=answer,
                rating=form.cleaned_data["rating"],
                rationale=form.cleaned_data["rationale"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(return_page_url(ret, "return_validation"))
            errors = {name: " ".join(texts) for name, texts in error.message_dict.items()}
            errors["standard"] = answer.standard.code
            status = 400
        else:
            messages.success(request, f"{answer.standard.code}: validated rating recorded.")
            anchor = f"#standard-{answer.standard.code}"
            return redirect(return_page_url(ret, "return_validation") + anchor)
    return render(
        request,
        "assurance/returns/validation.jinja",
        {
            "ret": ret,
            "latest": latest,
            "answers": answers,
            "can_validate": can_validate,
            "errors": errors,
            "posted": posted,
            "rating_choices": submissions.VALIDATED_RATINGS,
        },
        status=status,
    )


@require_POST
def return_comment(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """Post a comment, from the task list (on the return), the section page
    (on a standard) or a reply under either; back to where it was written.
    A comment that cannot be posted comes back on a page of its own, with
    the error and the text as typed."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    version = ret.period.toolkit_version
    standard = None
    if request.POST.get("standard"):
        standard = version.standards.filter(code=request.POST["standard"]).first()
        if standard is None:
            raise Http404("No such standard.")
    parent = None
    if request.POST.get("parent", "").isdigit():
        parent = ret.comments.filter(pk=int(request.POST["parent"])).first()
        if parent is None:
            raise Http404("No such comment.")
    section_code = parent.standard if parent and parent.standard else standard
    back = (
        return_page_url(ret, "return_section", section=section_code.section.code)
        if section_code
        else return_page_url(ret)
    )
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(dict(form.errors))
        comment = comment_services.return_comment_add(
            actor=request.user,
            quarterly_return=ret,
            text=form.cleaned_data["text"],
            standard=standard,
            parent=parent,
        )
    except ValidationError as error:
        text = " ".join(
            m for ms in getattr(error, "message_dict", {"": error.messages}).values() for m in ms
        )
        return render(
            request,
            "assurance/returns/comment.jinja",
            {
                "ret": ret,
                "error": text,
                "text": request.POST.get("text", ""),
                "standard": standard,
                "parent": parent,
                "back": back,
            },
            status=400,
        )
    messages.success(request, "Comment posted.")
    return redirect(f"{back}#comment-{comment.pk}")


@GET_POST
def return_reopen(request: HttpRequest, code: str, financial_year: int, quarter: int):
    """The national team's form to reopen a locked return, with its reason and
    new closing date. Anyone else, or a return that is not locked, is told
    why and sent back to the task list."""
    ret = return_get_visible(request.user, code, financial_year, quarter)
    if not can_reopen_return(request.user, ret):
        refusal = (
            "Only the national safeguarding team reopens a locked return."
            if not is_national_admin(request.user)
            else return_state_refusal(ret)
            or f"It is open until {nhs_date(submission_closes_on(ret))}: nothing to reopen."
        )
        messages.error(request, refusal)
        return redirect(return_page_url(ret))
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submissions.quarterly_return_reopen(
                actor=request.user,
                quarterly_return=ret,
                reason=form.cleaned_data["reason"],
                closes_on=form.cleaned_data["closes_on"],
            )
        except ValidationError as error:
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"{ret.icb.name}'s return reopened until {nhs_date(ret.reopened_until)}.",
            )
            return redirect(return_page_url(ret))
    return render(
        request,
        "assurance/returns/reopen.jinja",
        {"ret": ret, "form": form, "lock_refusal": return_lock_refusal(ret)},
        status=400 if form.errors else 200,
    )
