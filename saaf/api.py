"""What every API view shares: pagination with a stable order, throttling per
token (or per signed-in user) on the cache with `Retry-After`, and the
problem-details responses the schema documents for each endpoint."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import SimpleRateThrottle


class NoControlCharacters(RegexValidator):
    """The pages' refusal of invisible control characters in text
    (`refuse_control_characters`, with its message), published in the schema
    as the field's `pattern`: a client (or a fuzzer) can see the rule before
    it sends."""

    def __init__(self):
        super().__init__(regex=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")

    def __call__(self, value):
        from saaf.nhs_forms import refuse_control_characters

        refuse_control_characters(value)


# The validators of every free-text field a client sends.
TEXT_VALIDATORS = [NoControlCharacters()]


class ApiPagination(PageNumberPagination):
    """Pages of 50 (up to 500 with `page_size`); every list orders by a unique
    key last, so a page never repeats or skips a row."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        """A page size that is not a whole number from 1 to 500 is refused,
        rather than silently replaced."""
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        if not given.isdigit() or not 1 <= int(given) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(given)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {"page": (1, None), "page_size": (1, self.max_page_size)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"]["minimum"] = low
            if high:
                parameter["schema"]["maximum"] = high
        return parameters


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


def problems(*codes: int, conflict: bool = True) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint, for `extend_schema(responses=...)`.
    `conflict=False`: its 409 is a plain problem (a stored file refused), not
    a stale revision with `current`."""
    words = {
        400: "Invalid input, or refused: `detail` says why, `errors` which fields.",
        401: "No valid token or session.",
        403: "Not allowed for your role: `detail` gives the same reason as the page.",
        404: "Not found, or not yours to see (the same answer).",
        409: "Someone saved a newer revision: compare with `current` and retry.",
        429: "Too many requests: wait the `Retry-After` seconds.",
    }
    if not conflict:
        words[409] = "The stored file is not the one published: `detail` says what to do."
    codes = tuple(sorted({401, 429, *codes}))
    return {
        code: OpenApiResponse(
            _Conflict if code == 409 and conflict else _Problem, description=words[code]
        )
        for code in codes
    }


def problem_media_type_hook(result, generator, request, public):
    """drf-spectacular post-processing: every error response is documented as
    `application/problem+json`, the type the exception handler sends."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(code)[0] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return result
