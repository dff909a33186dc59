"""Every API error as RFC 9457 problem details (`application/problem+json`).

A client gets a `type` (a stable URI per kind of problem, documented in the
schema), a `title`, the `status`, a `detail` in the portal's own words — a
refused transition says exactly what the page says — and, for invalid input,
`errors`: each field's path (`actions[0].due_on`, `answers[LG3].rating`) with
the messages that say what to fix.

Services raise Django's `ValidationError` and `NotPermitted`; the return's
services also raise `AnswerConflict` (a stale revision: 409, with the current
answer) and `ReturnIncomplete` (the completeness check's problems); the
reports', `PublishedFileRefused` (a PDF that no longer matches its checksum:
409). They are
all mapped here, so a view never translates errors itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"

# Each kind of problem: its type slug and title. The schema documents these.
PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid": (400, "The request has invalid fields"),
    "refused": (400, "The request was refused"),
    "return-incomplete": (400, "The return is not complete"),
    "not-authenticated": (401, "Sign in or send a valid token"),
    "forbidden": (403, "You are not allowed to do this"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "Someone else changed this since you read it"),
    "file-refused": (409, "The stored file cannot be sent"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "throttled": (429, "Too many requests"),
}


class ApiConflict(exceptions.APIException):
    """A save over a revision that is no longer the latest (409). `current`
    carries what is stored now, so the client can compare and retry."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail: str, *, current: dict[str, Any]):
        super().__init__(detail)
        self.current = current


def problem(
    kind: str, detail: str, *, status_code: int | None = None, **extra: Any
) -> dict[str, Any]:
    default_status, title = PROBLEMS[kind]
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status_code or default_status,
        "detail": detail,
    }
    body.update(extra)
    return body


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into `path: [messages]`: dict keys
    join with dots, list positions with `[i]`."""
    found: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, by position
                path = f"{prefix}[{key}]"
            else:
                name = "" if key in ("non_field_errors", "__all__") else str(key)
                path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for sub, messages in field_errors(value, path).items():
                found.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            found[prefix] = [str(item) for item in detail]
        else:
            for index, value in enumerate(detail):
                if value in ({}, [], None):
                    continue
                for sub, messages in field_errors(value, f"{prefix}[{index}]").items():
                    found.setdefault(sub, []).extend(messages)
    else:
        found[prefix] = [str(detail)]
    return found


def _django_validation_errors(error: DjangoValidationError) -> tuple[str, dict[str, list[str]]]:
    """The detail sentence and field errors of a service's ValidationError."""
    if hasattr(error, "error_dict"):
        errors = {
            ("" if name == "__all__" else name): [m for e in items for m in e.messages]
            for name, items in error.error_dict.items()
        }
        general = errors.pop("", [])
        fields = {name: messages for name, messages in errors.items() if messages}
        detail = " ".join(general) or "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in fields.items()
        )
        return detail, fields
    return " ".join(error.messages), {}


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [
        f"{path}: {' '.join(messages)}" if path else " ".join(messages)
        for path, messages in errors.items()
    ]
    return " ".join(parts) or "The request is not valid."


def problem_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: a problem-details response for every error."""
    # Imported here: the returns' exceptions live in an app loaded after settings.
    from assurance.api.serializers import check_problems
    from assurance.services.returns import AnswerConflict
    from assurance.services.submissions import ReturnIncomplete
    from reporting.services import PublishedFileRefused

    if isinstance(exc, PublishedFileRefused):
        # The page's words: the file was changed or lost since it was published.
        return _respond(problem("file-refused", str(exc)))

    if isinstance(exc, ReturnIncomplete):
        body = problem(
            "return-incomplete",
            f"The completeness check found {exc.check.count} problem"
            f"{'s' if exc.check.count != 1 else ''}: fix them, then submit again.",
            problems=check_problems(exc.check),
        )
        return _respond(body)
    if isinstance(exc, AnswerConflict):
        exc = ApiConflict(str(exc), current=conflict_current(exc))
    if isinstance(exc, DjangoValidationError):
        detail, fields = _django_validation_errors(exc)
        kind = "invalid" if fields else "refused"
        body = problem(kind, detail, **({"errors": fields} if fields else {}))
        return _respond(body)
    if isinstance(exc, Http404):
        # The same words for "not there" and "not yours".
        return _respond(problem("not-found", "Not found."))
    if isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.APIException):
        return _respond(problem("forbidden", str(exc) or "You are not allowed to do this."))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling and log
    if isinstance(exc, ApiConflict):
        body = problem("conflict", str(exc.detail), current=exc.current)
    elif isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        general = errors.pop("", [])
        body = problem("invalid", " ".join(general) or _summary(errors))
        if errors:
            body["errors"] = errors
    else:
        kind = {
            401: "not-authenticated",
            403: "forbidden",
            404: "not-found",
            405: "method-not-allowed",
            406: "not-acceptable",
            415: "unsupported-media-type",
            429: "throttled",
        }.get(response.status_code, "refused")
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, list | dict):
            detail = _summary(field_errors(detail))
        body = problem(kind, str(detail), status_code=response.status_code)
        if kind == "not-found":
            body["detail"] = "Not found."
    return _respond(body, headers=dict(response.items()))


def conflict_current(conflict) -> dict[str, Any]:
    current = conflict.current
    if hasattr(current, "rating"):
        return {
            "revision": current.revision,
            "rating": current.rating,
            "not_applicable_reason": current.not_applicable_reason,
            "narrative": current.narrative,
            "explanation": current.explanation,
            "updated_by": str(current.updated_by) if current.updated_by_id else None,
        }
    return {
        "revision": current.revision,
        "value": None if current.value is None else str(current.value),
        "not_available_reason": current.not_available_reason,
        "updated_by": str(current.updated_by) if current.updated_by_id else None,
    }


def _respond(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    headers = {
        k: v
        for k, v in (headers or {}).items()
        if k.lower() in ("retry-after", "www-authenticate", "allow")
    }
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)
