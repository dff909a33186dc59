"""The one way to record an audit event. Every service calls it inside the
transaction that makes the change, so the change and its record commit or
roll back together."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from organisations.models import AuditEvent, Organisation


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    organisation: Organisation | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "audit_record() must run inside the transaction of the change it records."
        )
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        organisation=organisation,
        changes=_jsonable(changes or {}),
        reason=reason,
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
