"""The one way to record an audit event. Every service calls it inside the
transaction that makes the change, so the change and its record commit or
roll back together.

Events name their actor (a person, or the system actor for commands and
tasks), their action from `AuditAction`, the object changed and optionally
the object whose history it belongs to (`parent`), and — when the change came
from a web request — the client's address and browser, which the
`AuditContextMiddleware` puts aside for the request's duration.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from organisations.choices import SYSTEM_ACTOR_EMAIL
from organisations.models import AuditAction, AuditEvent, Organisation, User


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


_request_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "saaf_audit_request_context", default=None
)


def client_ip(request) -> str | None:
    """The client's address, as allauth's rate limits see it (honouring
    `ALLAUTH_TRUSTED_PROXY_COUNT` behind the TLS proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except Exception:  # a malformed forwarding header must not stop the request
        return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Keeps the request's client address and browser for the audit events
    the request's services write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = RequestContext(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        token = _request_context.set(context)
        try:
            return self.get_response(request)
        finally:
            _request_context.reset(token)


def system_actor() -> User:
    """The named actor of management commands and scheduled tasks."""
    user, created = User.objects.get_or_create(
        email=SYSTEM_ACTOR_EMAIL,
        defaults={"full_name": "SAAF portal (system)", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def audit_record(
    *,
    actor: User | None,
    action: AuditAction,
    target: models.Model,
    organisation: Organisation | None = None,
    parent: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    attempted_email: str = "",
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "audit_record() must run inside the transaction of the change it records."
        )
    if not isinstance(action, AuditAction):
        raise TypeError(f"Audit actions come from AuditAction, not {action!r}.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if actor is None and action != AuditAction.SIGN_IN_FAILED:
        raise ValueError(
            f"An audit event needs an actor: pass the user, or system_actor() for a command "
            f"or task ({action.value})."
        )
    context = _request_context.get()
    return AuditEvent.objects.create(
        actor=actor,
        attempted_email=attempted_email[:254],
        action=action.value,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        parent_type=ContentType.objects.get_for_model(parent) if parent is not None else None,
        parent_id=str(parent.pk) if parent is not None else "",
        organisation=organisation,
        changes=_jsonable(changes or {}),
        reason=reason,
        ip_address=context.ip_address if context else None,
        user_agent=context.user_agent if context else "",
    )


def field_changes(instance: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `instance` and return {field: [old, new]} for those that differ."""
    changed = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            changed[field] = [old, new]
            setattr(instance, field, new)
    return changed


def model_reference(obj: models.Model) -> dict[str, Any]:
    """A related object as an event records it: its id, its code where it has
    one, and its name as people read it."""
    reference: dict[str, Any] = {"id": obj.pk}
    code = getattr(obj, "code", None)
    if code:
        reference["code"] = str(code)
    reference["name"] = str(obj)[:300]
    return reference


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return model_reference(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
