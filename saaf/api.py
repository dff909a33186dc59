"""What every API view shares: pagination with a stable order, throttling per
token (or per signed-in user) on the cache with `Retry-After`, and the
problem-details responses the schema documents for each endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import SimpleRateThrottle


class ApiPagination(PageNumberPagination):
    """Pages of 50 (up to 500 with `page_size`); every list orders by a unique
    key last, so a page never repeats or skips a row."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ApiClientThrottle(SimpleRateThrottle):
    """Requests per token (each token its own budget), else per signed-in user,
    else per address; counted in the shared cache (Redis in production)."""

    scope = "api"

    def get_cache_key(self, request, view):
        auth = getattr(request, "auth", None)
        digest = getattr(auth, "digest", None)
        if digest:
            ident = f"token:{digest[:32]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


_Problem = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(help_text="A URI naming the kind of problem."),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="What went wrong, in words to act on."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Invalid fields: each field's path (e.g. `actions[0].due_on`) "
            "with what to fix.",
        ),
    },
)

_Conflict = inline_serializer(
    name="ConflictProblem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "current": serializers.DictField(help_text="What is stored now, with its revision."),
    },
)

PROBLEM = OpenApiResponse(_Problem, description="Problem details (application/problem+json).")


def problems(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint, for `extend_schema(responses=...)`."""
    words = {
        400: "Invalid input, or refused: `detail` says why, `errors` which fields.",
        401: "No valid token or session.",
        403: "Not allowed for your role: `detail` gives the same reason as the page.",
        404: "Not found, or not yours to see (the same answer).",
        409: "Someone saved a newer revision: compare with `current` and retry.",
        429: "Too many requests: wait the `Retry-After` seconds.",
    }
    codes = tuple(sorted({401, 429, *codes}))
    return {
        code: OpenApiResponse(_Conflict if code == 409 else _Problem, description=words[code])
        for code in codes
    }
