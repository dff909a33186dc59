"""Pages of the posts register: an ICB's register (its own posts and those of
the providers it leads, findings first), a region's and the nation's
overviews, and the forms ICB editors and approvers use to keep it. Every read
starts from the user's scope; out of scope is 404."""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from assurance.exports import (
    ORGANISATION_HEADER,
    ORGANISATION_WIDTHS,
    OVERVIEW_HEADER,
    OVERVIEW_WIDTHS,
    Table,
    icb_register_table,
    organisation_rows,
    overview_rows,
    table_response,
)
from assurance.findings import icb_registers
from assurance.forms.register import AsOfForm, PostForm, TenureForm
from assurance.models.register import Post, PostType, Tenure
from assurance.permissions import can_edit_register
from assurance.presenters import findings_with_actions, post_links
from assurance.register_counts import icb_counts, organisation_count_rows
from assurance.services import register as services
from organisations.models import (
    ICB_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    Commissioning,
    Organisation,
    Succession,
)
from organisations.permissions import is_national, organisation_get_visible_by_code
from organisations.scoping import memberships_of
from organisations.selectors import audit_history
from saaf.nhs_forms import service_errors_apply

EXPORT_FORMATS = ("csv", "xlsx")


def _as_of(request: HttpRequest, organisation: Organisation | None = None) -> AsOfForm:
    """The register's date: `?on=YYYY-MM-DD` or the day, month and year boxes
    (`on_day`, `on_month`, `on_year`); by default today in London, or the last day
    of a closed ICB. A date that cannot be is an error on the page, never a 404."""
    asked = any(key in request.GET for key in ("on", "on_day", "on_month", "on_year"))
    first = last = None
    if organisation is not None:
        first, last = organisation.established, organisation.closed
    return AsOfForm(request.GET if asked else None, first=first, last=last)


def _bad_date(form: AsOfForm) -> HttpResponse:
    """An export asked for on a date that cannot be: say why, as plain text."""
    return HttpResponseBadRequest(
        " ".join(str(e) for e in form.errors.get("on", [])),
        content_type="text/plain; charset=utf-8",
    )


def register_start(request: HttpRequest) -> HttpResponse:
    """Send each user to the register view of their role."""
    for membership in memberships_of(request.user):
        if membership.role in NATIONAL_ROLES:
            return redirect("assurance:register_national")
        if membership.role in REGIONAL_ROLES:
            return redirect("assurance:register_region", code=membership.organisation.code)
        if membership.role in ICB_ROLES:
            return redirect("assurance:register_icb", code=membership.organisation.code)
    raise Http404("You have no role that gives you a register.")


def register_icb(request: HttpRequest, code: str, fmt: str | None = None) -> HttpResponse:
    icb = organisation_get_visible_by_code(request.user, code)
    if icb.kind != "icb":
        raise Http404("No such ICB.")
    date_form = _as_of(request, icb)
    on = date_form.day
    if fmt and date_form.errors:
        return _bad_date(date_form)
    [rollup] = icb_registers([icb], on=on)
    table = icb_register_table(rollup)
    if fmt:
        return table_response(table, filename=f"register-{icb.code}-{on}", fmt=fmt)
    changeable = set(Organisation.objects.changeable_by(request.user).values_list("pk", flat=True))
    # Its successions either way, in one query (in date order, as each list shows them).
    successions = list(
        Succession.objects.filter(Q(predecessor=icb) | Q(successor=icb)).select_related(
            "predecessor", "successor"
        )
    )
    successors = [s for s in successions if s.predecessor_id == icb.pk]
    predecessors = [s for s in successions if s.successor_id == icb.pk]
    linked = {s.successor_id for s in successors} | {s.predecessor_id for s in predecessors}
    visible = set(
        Organisation.objects.visible_to(request.user)
        .filter(pk__in=linked)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "assurance/register/icb.jinja",
        {
            "icb": icb,
            "rollup": rollup,
            "table": table,
            "links": post_links(table.subjects),
            "on": on,
            "date_form": date_form,
            "counts": rollup.counts(),
            "findings": findings_with_actions(rollup.findings, changeable),
            # A closed ICB's successors, and a new ICB's predecessors before it began.
            "successors": successors,
            "predecessors": predecessors,
            "visible": visible,  # which of those the user may open
        },
    )


def _export_format(fmt: str | None) -> str | None:
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise Http404("Exports are .csv or .xlsx.")
    return fmt


def register_region(request: HttpRequest, code: str, fmt: str | None = None) -> HttpResponse:
    fmt = _export_format(fmt)
    region = organisation_get_visible_by_code(request.user, code)
    if region.kind != "region":
        raise Http404("No such region.")
    date_form = _as_of(request)
    on = date_form.day
    if fmt and date_form.errors:
        return _bad_date(date_form)
    icbs = list(
        Organisation.objects.visible_to(request.user)
        .icbs()
        .filter(parent=region)
        .existing_on(on)
        .order_by("name")
    )
    counts = icb_counts(icbs, on=on)
    table = Table(
        f"Posts register: {region.name}",
        OVERVIEW_HEADER,
        overview_rows(icbs, counts),
        widths=OVERVIEW_WIDTHS,
    )
    if fmt:
        return table_response(table, filename=f"register-{region.code}-{on}", fmt=fmt)
    return render(
        request,
        "assurance/register/overview.jinja",
        {
            "title": f"Posts register: {region.name}",
            "caption": region.name,
            "table": table,
            "links": _icb_links(icbs, on),
            "on": on,
            "date_form": date_form,
            "export_name": "assurance:register_region_export",
            "export_args": {"code": region.code},
        },
    )


def _national_icbs(request: HttpRequest, on: datetime.date):
    if not is_national(request.user):
        raise Http404("The national register is for national roles.")
    return (
        Organisation.objects.visible_to(request.user)
        .icbs()
        .existing_on(on)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


def register_national(request: HttpRequest, fmt: str | None = None) -> HttpResponse:
    """England's overview, one line per ICB, counted in the database; its
    export streams."""
    fmt = _export_format(fmt)
    date_form = _as_of(request)
    on = date_form.day
    if fmt and date_form.errors:
        return _bad_date(date_form)
    icbs = list(_national_icbs(request, on))
    counts = icb_counts(icbs, on=on)
    table = Table(
        "Posts register: England",
        ["Region", *OVERVIEW_HEADER],
        [
            [icb.parent.name, *row]
            for icb, row in zip(icbs, overview_rows(icbs, counts), strict=True)
        ],
        widths=[26, *OVERVIEW_WIDTHS],
    )
    if fmt:
        return table_response(table, filename=f"register-england-{on}", fmt=fmt, stream=True)
    return render(
        request,
        "assurance/register/overview.jinja",
        {
            "title": "Posts register: England",
            "caption": "National overview",
            "table": table,
            "links": _icb_links(icbs, on),
            "on": on,
            "date_form": date_form,
            "export_name": "assurance:register_national_export",
            "export_args": {},
            "full_export_name": "assurance:register_national_organisations_export",
            "with_region": True,
        },
    )


def register_national_organisations(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every organisation in England's registers (each ICB and each provider
    it leads) with its counts: streamed, as it runs to thousands of rows."""
    fmt = _export_format(fmt)
    date_form = _as_of(request)
    if date_form.errors:
        return _bad_date(date_form)
    on = date_form.day
    rows = organisation_count_rows(_national_icbs(request, on), on=on)
    table = Table(
        "Posts register: England, by organisation",
        ORGANISATION_HEADER,
        organisation_rows(rows),
        widths=ORGANISATION_WIDTHS,
    )
    return table_response(
        table, filename=f"register-england-organisations-{on}", fmt=fmt, stream=True
    )


def _icb_links(icbs, on: datetime.date) -> list[str]:
    base = reverse("assurance:register_icb", args=["CODE"])
    return [base.replace("CODE", quote(icb.code)) + f"?on={on}" for icb in icbs]


# --- Keeping the register ------------------------------------------------------------


def _icb_of(organisation: Organisation, user) -> Organisation:
    """The ICB register to go back to from this organisation's post: itself if an
    ICB; else its lead commissioner, or — for a reader from a co-commissioning
    ICB, who cannot open the lead's register — the reader's own commissioning ICB."""
    if organisation.kind == "icb":
        return organisation
    commissioners = (
        Commissioning.objects.filter(provider=organisation)
        .filter(icb__in=Organisation.objects.visible_to(user))
        .select_related("icb")
        .order_by("-is_lead", "icb__name")
    )
    first = commissioners.first()
    return first.icb if first else organisation


def _require_change(request: HttpRequest, organisation: Organisation) -> None:
    if not can_edit_register(request.user, organisation):
        raise PermissionDenied(f"You can read but not change the register of {organisation}.")


def post_new(request: HttpRequest, code: str) -> HttpResponse:
    organisation = organisation_get_visible_by_code(request.user, code)
    _require_change(request, organisation)
    # "Set up" links from a missing-post finding name the post type.
    initial = {"post_type": PostType.objects.filter(code=request.GET.get("type", "")).first()}
    form = PostForm(request.POST or None, organisation=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"{post.post_type.name} set up for {organisation.name}.")
            return redirect("assurance:post_detail", pk=post.pk)
    return render(
        request,
        "assurance/register/post_form.jinja",
        {"form": form, "organisation": organisation, "icb": _icb_of(organisation, request.user)},
    )


def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_visible(request, pk)
    _require_change(request, post.organisation)
    initial = {f: getattr(post, f) for f in ("hosted_by", "job_share", "vacant_since", "notes")}
    form = PostForm(
        request.POST or None, organisation=post.organisation, initial=initial, editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"{post.post_type.name} updated.")
            return redirect("assurance:post_detail", pk=post.pk)
    return render(
        request,
        "assurance/register/post_form.jinja",
        {
            "form": form,
            "organisation": post.organisation,
            "icb": _icb_of(post.organisation, request.user),
            "post": post,
        },
    )


def _post_visible(request: HttpRequest, pk: int) -> Post:
    post = (
        Post.objects.visible_to(request.user)
        .select_related("organisation", "post_type", "hosted_by")
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_visible(request, pk)
    today = timezone.localdate()
    tenures = list(post.tenures.all())
    for tenure in tenures:
        tenure.status_text, tenure.status_colour = tenure.status_on(today)
    return render(
        request,
        "assurance/register/post_detail.jinja",
        {
            "post": post,
            "tenures": tenures,
            "today": today,
            "icb": _icb_of(post.organisation, request.user),
            "can_change": can_edit_register(request.user, post.organisation),
            "history": audit_history(user=request.user, obj=post),
        },
    )


def tenure_new(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_visible(request, pk)
    _require_change(request, post.organisation)
    return _tenure_form(request, post, None)


def tenure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenure = (
        Tenure.objects.visible_to(request.user)
        .filter(pk=pk)
        .select_related("post__organisation", "post__post_type")
        .first()
    )
    if tenure is None:
        raise Http404("No such holder.")
    _require_change(request, tenure.post.organisation)
    return _tenure_form(request, tenure.post, tenure)


def _tenure_form(request: HttpRequest, post: Post, tenure: Tenure | None) -> HttpResponse:
    form = TenureForm(request.POST or None, instance=tenure)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in TenureForm.Meta.fields}
        try:
            if tenure is None:
                services.tenure_add(actor=request.user, post=post, **values)
            else:
                services.tenure_update(actor=request.user, tenure=tenure, **values)
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(
                request, f"{values['holder_name']} saved as {post.post_type.name_in_sentence}."
            )
            return redirect(reverse("assurance:post_detail", kwargs={"pk": post.pk}))
    return render(
        request,
        "assurance/register/tenure_form.jinja",
        {
            "form": form,
            "post": post,
            "tenure": tenure,
            "icb": _icb_of(post.organisation, request.user),
            "supervision_months": settings.SAAF_SUPERVISION_INTERVAL_MONTHS,
        },
    )
