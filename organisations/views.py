"""The home page of each kind of role, the organisation page, and the national
admin's user pages; the user's own API tokens."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from organisations import services
from organisations.forms import ApiTokenForm, MembershipGrantForm, MfaResetForm, UserEmailForm
from organisations.models import Membership, Organisation
from organisations.panels import home_panels, organisation_panels
from organisations.permissions import can_manage_users
from organisations.selectors import home_sections, organisation_detail, user_detail, user_list
from organisations.tokens import (
    api_token_create,
    api_token_refusal,
    api_token_revoke,
    api_tokens_of,
)
from saaf.nhs_forms import service_errors_apply


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "organisations/home.jinja",
        {
            "sections": home_sections(user=request.user),
            "panels": home_panels(user=request.user),
            "manages_users": can_manage_users(request.user),
        },
    )


def organisation_page(request: HttpRequest, code: str) -> HttpResponse:
    detail = organisation_detail(user=request.user, code=code)
    return render(
        request,
        "organisations/organisation.jinja",
        {
            "detail": detail,
            "panels": organisation_panels(user=request.user, organisation=detail.organisation),
        },
    )


def account_email_off(request: HttpRequest) -> HttpResponse:
    """allauth's e-mail management page, switched off: the address is the
    user's identity here and only the national admin changes it."""
    raise Http404("Your email address is changed by the national safeguarding team.")


# --- Users (national admin) ------------------------------------------------------


def _require_user_manager(request: HttpRequest) -> None:
    if not can_manage_users(request.user):
        raise PermissionDenied("Only the national admin manages users.")


@require_GET
def user_list_page(request: HttpRequest) -> HttpResponse:
    _require_user_manager(request)
    search = request.GET.get("q", "")[:200]
    rows, total = user_list(search=search)
    return render(
        request,
        "organisations/user_list.jinja",
        {"rows": rows, "total": total, "search": search},
    )


def _user_page(request: HttpRequest, pk: str, *, status: int = 200, **forms) -> HttpResponse:
    detail = user_detail(pk=pk)
    context = {
        "detail": detail,
        "email_form": forms.get("email_form") or UserEmailForm(),
        "mfa_form": forms.get("mfa_form") or MfaResetForm(),
        "grant_form": forms.get("grant_form") or MembershipGrantForm(),
    }
    return render(request, "organisations/user_detail.jinja", context, status=status)


@require_GET
def user_page(request: HttpRequest, pk: str) -> HttpResponse:
    _require_user_manager(request)
    return _user_page(request, pk)


@require_POST
def user_email_change_page(request: HttpRequest, pk: str) -> HttpResponse:
    _require_user_manager(request)
    user = user_detail(pk=pk).user
    form = UserEmailForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_email_change(
                actor=request.user, user=user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"{user}'s email address is now {user.email}.")
            return redirect(reverse("organisations:user", args=[user.pk]))
    return _user_page(request, pk, status=400, email_form=form)


@require_POST
def user_mfa_reset_page(request: HttpRequest, pk: str) -> HttpResponse:
    _require_user_manager(request)
    user = user_detail(pk=pk).user
    form = MfaResetForm(request.POST)
    if form.is_valid():
        try:
            services.user_mfa_reset(
                actor=request.user, user=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            messages.success(
                request,
                f"{user}'s two-factor authentication is reset. They are signed out and have "
                "been emailed; they set it up again when they next sign in.",
            )
            return redirect(reverse("organisations:user", args=[user.pk]))
    return _user_page(request, pk, status=400, mfa_form=form)


@require_POST
def user_role_grant_page(request: HttpRequest, pk: str) -> HttpResponse:
    _require_user_manager(request)
    user = user_detail(pk=pk).user
    form = MembershipGrantForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["organisation"].strip().upper()
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            form.add_error("organisation", f"No organisation has the code {code}.")
        else:
            try:
                services.membership_grant(
                    actor=request.user,
                    user=user,
                    organisation=organisation,
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                service_errors_apply(form, error)
            else:
                messages.success(request, f"{user} now has this role at {organisation.name}.")
                return redirect(reverse("organisations:user", args=[user.pk]))
    return _user_page(request, pk, status=400, grant_form=form)


@require_POST
def user_role_revoke_page(request: HttpRequest, pk: str, membership_pk: int) -> HttpResponse:
    _require_user_manager(request)
    user = user_detail(pk=pk).user
    membership = (
        Membership.objects.select_related("organisation", "user")
        .filter(pk=membership_pk, user=user)
        .first()
    )
    if membership is None:
        raise Http404("No such role.")
    services.membership_revoke(actor=request.user, membership=membership)
    messages.success(
        request,
        f"{user} no longer has the role {membership.get_role_display()} at "
        f"{membership.organisation.name}.",
    )
    return redirect(reverse("organisations:user", args=[user.pk]))


# --- API tokens: the user's own, on their account -----------------------------------


def _api_tokens_page(request: HttpRequest, *, form=None, secret=None, status=200) -> HttpResponse:
    return render(
        request,
        "organisations/api_tokens.jinja",
        {
            "tokens": api_tokens_of(request.user).order_by("-created", "digest"),
            "form": form or ApiTokenForm(),
            "refusal": api_token_refusal(request.user),
            "secret": secret,
        },
        status=status,
    )


@require_GET
def api_tokens_page(request: HttpRequest) -> HttpResponse:
    return _api_tokens_page(request)


@require_POST
def api_token_create_page(request: HttpRequest) -> HttpResponse:
    """Create a token and show it, once, on the page that answers the POST
    (never stored, never in a redirect or message)."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            return _api_tokens_page(request, secret={"token": token, "value": secret})
    return _api_tokens_page(request, form=form, status=400)


@require_POST
def api_token_revoke_page(request: HttpRequest, key: str) -> HttpResponse:
    token = api_tokens_of(request.user).filter(token_key=key).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect(reverse("organisations:api_tokens"))
