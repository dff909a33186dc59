"""The home page of each kind of role, and the organisation page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from organisations.selectors import home_sections, organisation_detail


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "organisations/home.jinja", {"sections": home_sections(user=request.user)}
    )


def organisation_page(request: HttpRequest, code: str) -> HttpResponse:
    detail = organisation_detail(user=request.user, code=code)
    return render(request, "organisations/organisation.jinja", {"detail": detail})
