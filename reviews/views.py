"""Pages of the reviews tracker: the ICB's tracker, a review's page, and the
forms the lead ICB's editors and approver use. Every read starts from the
user's scope (out of scope is 404); every write goes through a service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from assurance.exports import table_response
from organisations.models import ICB_ROLES, Organisation, OrganisationKind
from organisations.permissions import organisation_get_visible_by_code
from organisations.scoping import memberships_of
from reviews import services
from reviews.exports import overview_tables, tracker_tables
from reviews.forms import (
    ActionCompleteForm,
    ActionEvidenceForm,
    ActionForm,
    RecommendationForm,
    ReviewForm,
)
from reviews.models import ActionEvidenceFile, ActionStatus, Review
from reviews.overview import overview_regions, reviews_overview
from reviews.permissions import (
    action_evidence_get_visible,
    action_get_visible,
    can_change_review,
    can_record_reviews_for,
    recommendation_get_visible,
    review_get_visible,
)
from reviews.selectors import icb_tracker, review_page, trackers_visible
from saaf.dates import today
from saaf.nhs_forms import service_errors_apply


def _require_change(request: HttpRequest, review: Review) -> None:
    if not can_change_review(request.user, review):
        raise PermissionDenied(
            f"Only the editors and approver of {review.lead_icb.name} change this review."
        )


def _icb_visible(request: HttpRequest, code: str) -> Organisation:
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != OrganisationKind.ICB:
        raise Http404("No such ICB.")
    return icb


# --- Reading ---------------------------------------------------------------------------


def reviews_start(request: HttpRequest) -> HttpResponse:
    """ICB people go to their ICB's tracker; regional and national readers
    choose an ICB."""
    for membership in memberships_of(request.user):
        if membership.role in ICB_ROLES:
            return redirect("reviews:tracker", code=membership.organisation.code)
    icbs = trackers_visible(user=request.user)
    if not icbs:
        raise Http404("You have no role that gives you a reviews tracker.")
    return render(request, "reviews/start.jinja", {"icbs": icbs})


def tracker(request: HttpRequest, code: str) -> HttpResponse:
    icb = _icb_visible(request, code)
    return render(
        request,
        "reviews/tracker.jinja",
        {
            "tracker": icb_tracker(user=request.user, icb=icb),
            "icb": icb,
            "can_record": can_record_reviews_for(request.user, icb),
        },
    )


def _require_some_scope(request: HttpRequest) -> None:
    if not trackers_visible(user=request.user):
        raise Http404("You have no role that gives you a reviews tracker.")


def _overview_region(request: HttpRequest) -> Organisation | None:
    """The region the overview is narrowed to (?region=CODE), in scope."""
    code = request.GET.get("region", "").strip()
    if not code:
        return None
    region = organisation_get_visible_by_code(request.user, code)
    if region.kind != OrganisationKind.REGION:
        raise Http404("No such region.")
    return region


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Counts, overdue actions, slippage and learning themes across the
    reviews the user reads: a region's ICBs, every ICB, or the user's own;
    readers of several regions may narrow it to one."""
    _require_some_scope(request)
    region = _overview_region(request)
    figures = reviews_overview(user=request.user, region=region)
    return render(
        request,
        "reviews/overview.jinja",
        {
            "overview": figures,
            "tables": overview_tables(figures),
            "regions": overview_regions(user=request.user),
            "query": f"?region={region.code}" if region else "",
        },
    )


@require_GET
def overview_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One of the overview's tables, with the page's scoping, as CSV or .xlsx."""
    _require_some_scope(request)
    region = _overview_region(request)
    tables = overview_tables(reviews_overview(user=request.user, region=region))
    if table not in tables:
        raise Http404("No such table.")
    where = f"{region.code}-" if region else ""
    return table_response(tables[table], filename=f"reviews-{where}{table}-{today()}", fmt=fmt)


@require_GET
def tracker_export(request: HttpRequest, code: str, table: str, fmt: str) -> HttpResponse:
    """One of the ICB tracker's tables, with the page's scoping, as CSV or .xlsx."""
    icb = _icb_visible(request, code)
    tables = tracker_tables(icb_tracker(user=request.user, icb=icb))
    if table not in tables:
        raise Http404("No such table.")
    return table_response(tables[table], filename=f"reviews-{icb.code}-{table}-{today()}", fmt=fmt)


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_get_visible(request.user, pk)
    page = review_page(user=request.user, review=review)
    return render(
        request,
        "reviews/review_detail.jinja",
        {
            "page": page,
            "review": page.review,
            "can_change": can_change_review(request.user, review),
            "ActionStatus": ActionStatus,
        },
    )


# --- Reviews ------------------------------------------------------------------------------


_REVIEW_DETAILS = (
    "kind", "reference", "convening_body", "area", "age_group", "steis_number", "stage",
    "notified_on", "decision_on", "panel_on", "report_on", "expected_publication_on",
    "published_on", "delay_reason", "continues",
)  # fmt: skip
_REVIEW_FIELDS = (
    *_REVIEW_DETAILS,
    "icbs",
    "providers",
    "abuse_themes",
    "learning_themes",
    "parallel_reviews",
)


def review_new(request: HttpRequest, code: str) -> HttpResponse:
    icb = _icb_visible(request, code)
    if not can_record_reviews_for(request.user, icb):
        raise PermissionDenied(f"Only the editors and approver of {icb.name} record its reviews.")
    form = ReviewForm(request.POST or None, user=request.user, lead_icb=icb)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(
                actor=request.user,
                lead_icb=icb,
                **{name: form.cleaned_data[name] for name in _REVIEW_FIELDS},
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"Review {review.reference} recorded.")
            return redirect("reviews:review_detail", pk=review.pk)
    return render(request, "reviews/review_form.jinja", {"form": form, "icb": icb})


def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_get_visible(request.user, pk)
    _require_change(request, review)
    initial = {name: getattr(review, name) for name in _REVIEW_DETAILS}
    initial |= {
        "icbs": [link.icb_id for link in review.icb_links.all()],
        "providers": [link.provider_id for link in review.provider_links.all()],
        "abuse_themes": [t.code for t in review.abuse_themes],
        "learning_themes": [t.code for t in review.learning_themes],
        "parallel_reviews": list(review.parallel_reviews.values_list("pk", flat=True)),
    }
    form = ReviewForm(
        request.POST or None,
        user=request.user,
        lead_icb=review.lead_icb,
        review=review,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.review_update(
                actor=request.user,
                review=review,
                **{name: form.cleaned_data[name] for name in _REVIEW_FIELDS},
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"Review {review.reference} saved.")
            return redirect("reviews:review_detail", pk=review.pk)
    return render(
        request,
        "reviews/review_form.jinja",
        {"form": form, "icb": review.lead_icb, "review": review},
    )


# --- Recommendations and actions --------------------------------------------------------


def _small_form(request, form, save, *, review, done, heading, caption, submit, field=None):
    """The one flow of the small forms: a valid form goes to `save` (a service
    call); the service's refusal shows on the form (on `field` if given); on
    success the message `done(result)` and back to the review's page."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as error:
            if field:
                form.add_error(field, error)
            else:
                service_errors_apply(form, error)
        else:
            messages.success(request, done(result))
            return redirect("reviews:review_detail", pk=review.pk)
    return render(
        request,
        "reviews/form.jinja",
        {"form": form, "review": review, "heading": heading, "caption": caption, "submit": submit},
    )


def recommendation_new(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_get_visible(request.user, pk)
    _require_change(request, review)
    return _small_form(
        request,
        RecommendationForm(request.POST or None),
        lambda data: services.recommendation_create(
            actor=request.user, review=review, text=data["text"]
        ),
        review=review,
        done=lambda recommendation: f"Recommendation {recommendation.number} added.",
        heading="Add a recommendation",
        caption=review.reference,
        submit="Add recommendation",
    )


def recommendation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = recommendation_get_visible(request.user, pk)
    review = recommendation.review
    _require_change(request, review)
    return _small_form(
        request,
        RecommendationForm(request.POST or None, initial={"text": recommendation.text}),
        lambda data: services.recommendation_update(
            actor=request.user, recommendation=recommendation, text=data["text"]
        ),
        review=review,
        done=lambda _: f"Recommendation {recommendation.number} saved.",
        heading=f"Change recommendation {recommendation.number}",
        caption=review.reference,
        submit="Save recommendation",
    )


def action_new(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = recommendation_get_visible(request.user, pk)
    review = recommendation.review
    _require_change(request, review)
    return _small_form(
        request,
        ActionForm(
            request.POST or None, review=review, initial={"status": ActionStatus.NOT_STARTED}
        ),
        lambda data: services.action_create(
            actor=request.user, recommendation=recommendation, **data
        ),
        review=review,
        done=lambda _: f"Action added to recommendation {recommendation.number}.",
        heading=f"Add an action to recommendation {recommendation.number}",
        caption=review.reference,
        submit="Add action",
    )


def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = action_get_visible(request.user, pk)
    review = action.recommendation.review
    _require_change(request, review)
    completed = action.status == ActionStatus.COMPLETED
    initial = {f: getattr(action, f) for f in ("description", "owner", "due_on", "status")}
    if completed:
        initial["evidence"] = action.evidence

    def save(data):
        changes = dict(data)
        if changes["status"] == action.status:
            del changes["status"]  # unchanged; a completed action stays completed
        return services.action_update(actor=request.user, action=action, **changes)

    return _small_form(
        request,
        ActionForm(request.POST or None, review=review, completed=completed, initial=initial),
        save,
        review=review,
        done=lambda _: "Action saved.",
        heading="Change an action",
        caption=f"{review.reference}, recommendation {action.recommendation.number}",
        submit="Save action",
    )


def action_complete(request: HttpRequest, pk: int) -> HttpResponse:
    action = action_get_visible(request.user, pk)
    review = action.recommendation.review
    _require_change(request, review)
    if action.status == ActionStatus.COMPLETED:
        messages.info(request, "That action is already completed.")
        return redirect("reviews:review_detail", pk=review.pk)
    return _small_form(
        request,
        ActionCompleteForm(request.POST or None, request.FILES or None),
        lambda data: services.action_complete(
            actor=request.user,
            action=action,
            completed_on=data["completed_on"],
            evidence=data["evidence"],
            files=[data["evidence_file"]] if data["evidence_file"] else [],
        ),
        review=review,
        done=lambda _: "Action completed.",
        heading="Complete an action",
        caption=f"{review.reference}: {action.description[:80]}",
        submit="Complete action",
    )


def action_evidence_new(request: HttpRequest, pk: int) -> HttpResponse:
    action = action_get_visible(request.user, pk)
    review = action.recommendation.review
    _require_change(request, review)
    return _small_form(
        request,
        ActionEvidenceForm(request.POST or None, request.FILES or None),
        lambda data: services.action_evidence_add(
            actor=request.user, action=action, uploaded=data["file"]
        ),
        review=review,
        done=lambda evidence: f"{evidence.display_name} added.",
        heading="Add an evidence file",
        caption=f"{review.reference}: {action.description[:80]}",
        submit="Upload file",
        field="file",
    )


def action_evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then take a file off an action."""
    evidence = action_evidence_get_visible(request.user, pk)
    review = evidence.action.recommendation.review
    _require_change(request, review)
    return _small_form(
        request,
        forms.Form(request.POST if request.method == "POST" else None),
        lambda _: services.action_evidence_remove(actor=request.user, evidence=evidence),
        review=review,
        done=lambda _: f"{evidence.display_name} removed.",
        heading=f"Remove {evidence.display_name}",
        caption=f"{review.reference}: {evidence.action.description[:80]}",
        submit="Remove file",
    )


@login_not_required  # answered here: 404 to anyone signed out, not a sign-in page
@require_GET
def action_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An action's evidence file, to those who may read the action; 404 to
    anyone else (signed out included), as for a file that does not exist.
    Always an attachment."""
    evidence = ActionEvidenceFile.objects.visible_to(request.user).filter(pk=pk).first()
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
