"""Every write to the posts register: one transaction each, scoped to what the
acting user may change, with its audit event. Holders are never deleted:
a holder who leaves gets an end date, so the register's history stays
readable."""

from __future__ import annotations

import datetime

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from assurance.models.register import Post, PostType, Tenure
from assurance.permissions import can_edit_register, can_manage_post_types
from assurance.register_counts import register_changed
from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation, User
from organisations.permissions import permission_require
from saaf.dates import nhs_date

TENURE_FIELDS = (
    "holder_name", "holder_email", "whole_time_equivalent", "sessions_per_week", "start_date",
    "end_date", "acting", "last_supervision", "training_level", "training_date",
)  # fmt: skip
POST_FIELDS = ("hosted_by", "job_share", "vacant_since", "notes")


def _require_changeable(user, organisation: Organisation) -> None:
    permission_require(
        can_edit_register(user, organisation),
        f"You cannot change the posts register of {organisation.name}.",
    )


def post_create(
    *,
    actor: User,
    organisation: Organisation,
    post_type: PostType,
    hosted_by: Organisation | None = None,
    job_share: bool = False,
    vacant_since: datetime.date | None = None,
    notes: str = "",
) -> Post:
    """Set up a post in an organisation's register (vacant until a holder is added)."""
    _require_changeable(actor, organisation)
    with transaction.atomic():
        post = Post(
            organisation=organisation,
            post_type=post_type,
            hosted_by=hosted_by,
            job_share=job_share,
            vacant_since=vacant_since,
            notes=notes,
        )
        post.full_clean()
        post.save()
        audit_record(
            actor=actor,
            action=AuditAction.POST_CREATED,
            target=post,
            organisation=organisation,
            changes={
                "post_type": [None, post_type.code],
                "hosted_by": [None, hosted_by.code if hosted_by else None],
                "job_share": [None, job_share],
            },
        )
        register_changed()
    return post


def post_update(*, actor: User, post: Post, **values) -> Post:
    _refuse_unknown(values, POST_FIELDS)
    _require_changeable(actor, post.organisation)
    with transaction.atomic():
        post = _post_locked(post.pk)
        changes = field_changes(post, values)
        if not changes:
            return post
        post.full_clean()
        if post.job_share is False:
            _check_single_holder(post, post.tenures.all())
        post.save()
        audit_record(
            actor=actor,
            action=AuditAction.POST_UPDATED,
            target=post,
            organisation=post.organisation,
            changes=changes,
        )
        register_changed()
    return post


def tenure_add(*, actor: User, post: Post, **values) -> Tenure:
    """Record a holder of a post (a new appointment or a job-share partner)."""
    _refuse_unknown(values, TENURE_FIELDS)
    _require_changeable(actor, post.organisation)
    with transaction.atomic():
        post = _post_locked(post.pk)
        tenure = Tenure(post=post, **values)
        tenure.full_clean()
        if not post.job_share:
            _check_single_holder(post, [*post.tenures.all(), tenure])
        tenure.save()
        audit_record(
            actor=actor,
            action=AuditAction.POST_HOLDER_ADDED,
            target=tenure,
            parent=post,
            organisation=post.organisation,
            changes={k: [None, v] for k, v in values.items()},
        )
        register_changed()
    return tenure


def tenure_update(*, actor: User, tenure: Tenure, **values) -> Tenure:
    """Correct or bring up to date a holder's record: supervision, training,
    sessions, or the end of their tenure."""
    _refuse_unknown(values, TENURE_FIELDS)
    _require_changeable(actor, tenure.post.organisation)
    with transaction.atomic():
        post = _post_locked(tenure.post_id)
        tenure = Tenure.objects.get(pk=tenure.pk)
        changes = field_changes(tenure, values)
        if not changes:
            return tenure
        tenure.full_clean()
        if not post.job_share:
            others = [t for t in post.tenures.all() if t.pk != tenure.pk]
            _check_single_holder(post, [*others, tenure])
        tenure.save()
        audit_record(
            actor=actor,
            action=AuditAction.POST_HOLDER_UPDATED,
            target=tenure,
            parent=post,
            organisation=post.organisation,
            changes=changes,
        )
        register_changed()
    return tenure


def _refuse_unknown(values: dict, allowed) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {sorted(unknown)}")


def _post_locked(pk: int) -> Post:
    # Row lock on the post: two editors changing its holders at once must not
    # both succeed in giving a single post two holders.
    return Post.objects.select_for_update().select_related("post_type", "organisation").get(pk=pk)


def _check_single_holder(post: Post, tenures) -> None:
    """A post that is not a job share has at most one holder at any time."""
    tenures = sorted(tenures, key=lambda t: t.start_date)
    for earlier, later in zip(tenures, tenures[1:], strict=False):
        if earlier.end_date is None or earlier.end_date >= later.start_date:
            raise ValidationError(
                {
                    "start_date": f"{post.post_type.name} is not a job share and "
                    f"{earlier.holder_name} holds it from {nhs_date(earlier.start_date)}"
                    + (f" to {nhs_date(earlier.end_date)}" if earlier.end_date else "")
                    + ". End that tenure first, or mark the post as a job share."
                }
            )


def post_types_load(*, actor: User, path=None) -> dict[str, list[str]]:
    """Bring the post types in line with the shipped `assurance/data/post_types.yaml`;
    idempotent, one audit event per change."""
    permission_require(
        can_manage_post_types(actor), "Only the national admin can load the post types."
    )
    from pathlib import Path

    path = path or Path(__file__).resolve().parent.parent / "data" / "post_types.yaml"
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["post_types"]
    created, updated = [], []
    with transaction.atomic():
        for order, entry in enumerate(entries):
            values = {
                "name": entry["name"],
                "required_for": entry["required_for"],
                "provider_kinds": entry.get("provider_kinds", []),
                "condition": entry.get("condition", ""),
                "training_level": entry.get("training_level"),
                "supervision_applies": entry.get("supervision", True),
                "hosted_allowed": entry.get("hosted_allowed", False),
                "network": entry.get("network", ""),
                "saaf_reference": entry.get("saaf", ""),
                "register_group": entry.get("register_group", ""),
                "display_order": order,
            }
            post_type = PostType.objects.filter(code=entry["code"]).first()
            if post_type is None:
                post_type = PostType(code=entry["code"], **values)
                post_type.full_clean()
                post_type.save()
                audit_record(
                    actor=actor,
                    action=AuditAction.POST_TYPE_CREATED,
                    target=post_type,
                    changes={k: [None, v] for k, v in values.items()},
                    reason="reference data",
                )
                created.append(post_type.code)
                continue
            changes = field_changes(post_type, values)
            if changes:
                post_type.full_clean()
                post_type.save()
                audit_record(
                    actor=actor,
                    action=AuditAction.POST_TYPE_UPDATED,
                    target=post_type,
                    changes=changes,
                    reason="reference data",
                )
                updated.append(post_type.code)
        if created or updated:
            register_changed()  # which posts are required
    return {"created": created, "updated": updated}
