"""Every write to the reviews tracker: keyword-only, one transaction each,
refused unless the actor may change the review (`reviews.permissions`),
validated by the models (constraints, then `clean()`), and recorded in the
audit trail with old and new values. Recommendations' and actions' events
are filed under their review, so the review page shows its whole history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation, OrganisationKind, User
from organisations.permissions import permission_require
from reviews.models import (
    MAX_ABUSE_THEMES,
    AbuseTheme,
    Action,
    ActionEvidenceFile,
    ActionStatus,
    LearningTheme,
    Recommendation,
    Review,
    ReviewICB,
    ReviewProvider,
    ReviewTheme,
    Stage,
    ThemeCategory,
)
from reviews.permissions import can_change_review, can_record_reviews_for
from reviews.selectors import action_owner_choices
from saaf.uploads import upload_check, upload_delete, upload_store


class ReviewChanges(TypedDict, total=False):
    kind: str
    reference: str
    convening_body: str
    area: Organisation
    steis_number: str
    stage: str
    age_group: str
    notified_on: datetime.date
    decision_on: datetime.date | None
    panel_on: datetime.date | None
    report_on: datetime.date | None
    published_on: datetime.date | None
    expected_publication_on: datetime.date | None
    delay_reason: str
    continues: Review | None
    icbs: Iterable[Organisation]
    providers: Iterable[Organisation]
    abuse_themes: Sequence[str]
    learning_themes: Iterable[str]
    parallel_reviews: Iterable[Review]


class ActionChanges(TypedDict, total=False):
    description: str
    owner: Organisation
    due_on: datetime.date
    status: str
    evidence: str


REVIEW_FIELDS = (
    "kind", "reference", "convening_body", "area", "steis_number", "stage", "age_group",
    "notified_on", "decision_on", "panel_on", "report_on", "published_on",
    "expected_publication_on", "delay_reason", "continues",
)  # fmt: skip
REVIEW_RELATIONS = ("icbs", "providers", "abuse_themes", "learning_themes", "parallel_reviews")
_TEXT_FIELDS = ("reference", "steis_number", "delay_reason", "text", "description", "evidence")


def _require_change(actor: User, review: Review) -> None:
    permission_require(
        can_change_review(actor, review),
        f"Only the editors and approver of {review.lead_icb.name}, which leads the review, "
        "can change it.",
    )


def _stripped(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.strip() if k in _TEXT_FIELDS and isinstance(v, str) else v for k, v in values.items()
    }


def _refuse_unknown(values: dict, allowed: Iterable[str]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {sorted(unknown)}")


# --- Reviews -------------------------------------------------------------------------


def review_create(
    *,
    actor: User,
    lead_icb: Organisation,
    kind: str,
    reference: str,
    convening_body: str,
    area: Organisation,
    age_group: str,
    notified_on: datetime.date,
    stage: str = Stage.NOTIFIED,
    steis_number: str = "",
    decision_on: datetime.date | None = None,
    panel_on: datetime.date | None = None,
    report_on: datetime.date | None = None,
    published_on: datetime.date | None = None,
    expected_publication_on: datetime.date | None = None,
    delay_reason: str = "",
    continues: Review | None = None,
    icbs: Iterable[Organisation] = (),
    providers: Iterable[Organisation] = (),
    abuse_themes: Sequence[str] = (),
    learning_themes: Iterable[str] = (),
    parallel_reviews: Iterable[Review] = (),
) -> Review:
    """Record a review led by `lead_icb`, with the ICBs and providers involved,
    its themes and its links to parallel reviews and to the rapid review it
    continues."""
    permission_require(
        can_record_reviews_for(actor, lead_icb),
        f"Only the editors and approver of {lead_icb.name} can record reviews it leads.",
    )
    values = _stripped(
        {
            "kind": kind, "reference": reference, "convening_body": convening_body,
            "area": area, "age_group": age_group, "notified_on": notified_on, "stage": stage,
            "steis_number": steis_number, "decision_on": decision_on, "panel_on": panel_on,
            "report_on": report_on, "published_on": published_on,
            "expected_publication_on": expected_publication_on, "delay_reason": delay_reason,
            "continues": continues,
        }
    )  # fmt: skip
    with transaction.atomic():
        review = Review(lead_icb=lead_icb, **values)
        _check_linked_visible(actor, review, [continues] if continues else [])
        review.full_clean()
        review.save()
        relations = _relations_set(
            actor,
            review,
            {
                "icbs": icbs,
                "providers": providers,
                "abuse_themes": abuse_themes,
                "learning_themes": learning_themes,
                "parallel_reviews": parallel_reviews,
            },
        )
        changes = {"lead_icb": [None, lead_icb]}
        changes |= {k: [None, v] for k, v in values.items() if v not in ("", None)}
        changes |= {k: [[], new] for k, (old, new) in relations.items() if new}
        audit_record(
            actor=actor,
            action=AuditAction.REVIEW_CREATED,
            target=review,
            organisation=lead_icb,
            changes=changes,
        )
    return review


def review_update(*, actor: User, review: Review, **changes: Unpack[ReviewChanges]) -> Review:
    """Change a review's details, stage, dates, involvement, themes or links.
    Writes an event only when something changed."""
    _refuse_unknown(changes, (*REVIEW_FIELDS, *REVIEW_RELATIONS))
    _require_change(actor, review)
    values = _stripped({k: v for k, v in changes.items() if k in REVIEW_FIELDS})
    relation_values = {k: v for k, v in changes.items() if k in REVIEW_RELATIONS}
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("lead_icb", "area", "continues")
            .get(pk=review.pk)
        )
        _require_change(actor, review)  # re-read: the lead cannot have changed, but be sure
        if values.get("continues") and values["continues"] != review.continues:
            _check_linked_visible(actor, review, [values["continues"]])
        changed = field_changes(review, values)
        if changed:
            review.full_clean()
            review.save()
        relations = _relations_set(actor, review, relation_values)
        changed |= {k: [old, new] for k, (old, new) in relations.items() if old != new}
        if changed:
            audit_record(
                actor=actor,
                action=AuditAction.REVIEW_UPDATED,
                target=review,
                organisation=review.lead_icb,
                changes=changed,
            )
    return review


def _check_linked_visible(actor: User, review: Review, linked: Iterable[Review]) -> None:
    linked = [r for r in linked if r is not None]
    if not linked:
        return
    visible = set(
        Review.objects.visible_to(actor)
        .filter(pk__in=[r.pk for r in linked])
        .values_list("pk", flat=True)
    )
    if any(r.pk not in visible for r in linked):
        raise ValidationError("You can only link reviews you can read.")
    if review.pk and any(r.pk == review.pk for r in linked):
        raise ValidationError("A review cannot be linked to itself.")


def _relations_set(actor: User, review: Review, values: dict[str, Any]) -> dict[str, tuple]:
    """Bring the given relations in line; {name: (old, new)} in words for the audit."""
    done: dict[str, tuple] = {}
    if "icbs" in values:
        icbs = [o for o in dict.fromkeys(values["icbs"]) if o.pk != review.lead_icb_id]
        if any(o.kind != OrganisationKind.ICB for o in icbs):
            raise ValidationError({"icbs": "Only ICBs can be chosen as involved ICBs."})
        old = _codes(review.icbs.all())
        ReviewICB.objects.filter(review=review).exclude(icb__in=icbs).delete()
        for icb in icbs:
            ReviewICB.objects.get_or_create(review=review, icb=icb)
        done["icbs"] = (old, _codes(icbs))
    if "providers" in values:
        providers = list(dict.fromkeys(values["providers"]))
        if any(o.kind != OrganisationKind.PROVIDER for o in providers):
            raise ValidationError({"providers": "Only providers can be chosen as providers."})
        old = _codes(review.providers.all())
        ReviewProvider.objects.filter(review=review).exclude(provider__in=providers).delete()
        for provider in providers:
            ReviewProvider.objects.get_or_create(review=review, provider=provider)
        done["providers"] = (old, _codes(providers))
    if "abuse_themes" in values:
        done["abuse_themes"] = _themes_set(review, ThemeCategory.ABUSE, values["abuse_themes"])
    if "learning_themes" in values:
        done["learning_themes"] = _themes_set(
            review, ThemeCategory.LEARNING, values["learning_themes"]
        )
    if "parallel_reviews" in values:
        linked = list(dict.fromkeys(values["parallel_reviews"]))
        old_links = list(review.parallel_reviews.all())
        added = [r for r in linked if r not in old_links]
        _check_linked_visible(actor, review, added)
        # Links to reviews the actor cannot read are kept: they are not theirs to remove.
        unseen = set(old_links) - set(
            Review.objects.visible_to(actor).filter(pk__in=[r.pk for r in old_links])
        )
        review.parallel_reviews.set([*linked, *unseen])
        done["parallel_reviews"] = (
            sorted(r.reference for r in old_links),
            sorted(r.reference for r in [*linked, *unseen]),
        )
    return done


def _codes(organisations: Iterable[Organisation]) -> list[str]:
    return sorted(o.code for o in organisations)


def _themes_set(review: Review, category: str, codes: Iterable[str]) -> tuple[list, list]:
    codes = list(dict.fromkeys(codes))
    if category == ThemeCategory.ABUSE:
        field, allowed = "abuse_themes", AbuseTheme.values
        if len(codes) > MAX_ABUSE_THEMES:
            raise ValidationError(
                {field: f"Choose at most {MAX_ABUSE_THEMES} abuse or vulnerability themes."}
            )
    else:
        field, allowed = "learning_themes", LearningTheme.values
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise ValidationError({field: f"Not a theme on the list: {', '.join(unknown)}."})
    existing = ReviewTheme.objects.filter(review=review, category=category)
    old = [t.code for t in existing.order_by("slot", "pk")]
    if old == codes or (category == ThemeCategory.LEARNING and set(old) == set(codes)):
        return old, old
    existing.delete()
    ReviewTheme.objects.bulk_create(
        ReviewTheme(
            review=review,
            category=category,
            code=code,
            slot=position if category == ThemeCategory.ABUSE else None,
        )
        for position, code in enumerate(codes, start=1)
    )
    return old, codes


# --- Recommendations -----------------------------------------------------------------


def _review_locked(review: Review) -> Review:
    # Locks the review: numbering recommendations and checking the lead must not race.
    return (
        Review.objects.select_for_update(of=("self",)).select_related("lead_icb").get(pk=review.pk)
    )


def recommendation_create(*, actor: User, review: Review, text: str) -> Recommendation:
    """Add a recommendation for health to a review, numbered next."""
    _require_change(actor, review)
    with transaction.atomic():
        review = _review_locked(review)
        number = (review.recommendations.aggregate(top=Max("number"))["top"] or 0) + 1
        recommendation = Recommendation(review=review, number=number, text=text.strip())
        recommendation.full_clean()
        recommendation.save()
        audit_record(
            actor=actor,
            action=AuditAction.RECOMMENDATION_CREATED,
            target=recommendation,
            parent=review,
            organisation=review.lead_icb,
            changes={"number": [None, number], "text": [None, recommendation.text]},
        )
    return recommendation


def recommendation_update(
    *, actor: User, recommendation: Recommendation, text: str
) -> Recommendation:
    _require_change(actor, recommendation.review)
    with transaction.atomic():
        review = _review_locked(recommendation.review)
        recommendation = Recommendation.objects.select_for_update(of=("self",)).get(
            pk=recommendation.pk
        )
        changes = field_changes(recommendation, {"text": text.strip()})
        if not changes:
            return recommendation
        recommendation.full_clean()
        recommendation.save()
        audit_record(
            actor=actor,
            action=AuditAction.RECOMMENDATION_UPDATED,
            target=recommendation,
            parent=review,
            organisation=review.lead_icb,
            changes=changes,
        )
    return recommendation


# --- Actions ---------------------------------------------------------------------------


def _check_owner(review: Review, owner: Organisation) -> None:
    if owner.pk not in {o.pk for o in action_owner_choices(review=review)}:
        raise ValidationError(
            {
                "owner": f"{owner.name} cannot own an action of this review: choose the lead "
                "ICB, an ICB or provider involved in the review, or a provider the lead ICB "
                "commissions."
            }
        )


def action_create(
    *,
    actor: User,
    recommendation: Recommendation,
    description: str,
    owner: Organisation,
    due_on: datetime.date,
    status: str = ActionStatus.NOT_STARTED,
) -> Action:
    """Add an action towards a recommendation. An action is completed with
    `action_complete`, which needs evidence."""
    review = recommendation.review
    _require_change(actor, review)
    if status == ActionStatus.COMPLETED:
        raise ValidationError({"status": "Add the action first, then complete it with evidence."})
    with transaction.atomic():
        review = _review_locked(review)
        _check_owner(review, owner)
        action = Action(
            recommendation=recommendation,
            description=description.strip(),
            owner=owner,
            due_on=due_on,
            status=status,
        )
        action.full_clean()
        action.save()
        audit_record(
            actor=actor,
            action=AuditAction.ACTION_CREATED,
            target=action,
            parent=review,
            organisation=review.lead_icb,
            changes={
                "recommendation": [None, recommendation.number],
                "description": [None, action.description],
                "owner": [None, owner],
                "due_on": [None, due_on],
                "status": [None, status],
            },
        )
    return action


def action_update(*, actor: User, action: Action, **changes: Unpack[ActionChanges]) -> Action:
    """Change an action's description, owner, due date, progress or evidence.
    Moving a completed action back to in progress reopens it (its completion
    date is cleared); completing goes through `action_complete`."""
    _refuse_unknown(changes, ActionChanges.__annotations__)
    review = action.recommendation.review
    _require_change(actor, review)
    if changes.get("status") == ActionStatus.COMPLETED:
        raise ValidationError({"status": "Complete the action with its evidence instead."})
    values = _stripped(dict(changes))
    with transaction.atomic():
        review = _review_locked(review)
        action = (
            Action.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action.pk)
        )
        if "owner" in values and values["owner"] != action.owner:
            _check_owner(review, values["owner"])
        if "status" in values and values["status"] != ActionStatus.COMPLETED:
            values["completed_on"] = None
        changed = field_changes(action, values)
        if not changed:
            return action
        action.full_clean()
        action.save()
        audit_record(
            actor=actor,
            action=AuditAction.ACTION_UPDATED,
            target=action,
            parent=review,
            organisation=review.lead_icb,
            changes=changed,
        )
    return action


def _evidence_files_store(uploads: Sequence[UploadedFile], *, folder: str) -> list[tuple]:
    """Check every file first (a bad one refuses them all), then store each:
    [(checked, storage name)]."""
    checked = [(upload_check(uploaded), uploaded) for uploaded in uploads]
    return [
        (check, upload_store(uploaded, checked=check, folder=folder)) for check, uploaded in checked
    ]


def _evidence_files_create(
    *, actor: User, action: Action, stored: list[tuple]
) -> list[ActionEvidenceFile]:
    return [
        ActionEvidenceFile.objects.create(
            action=action,
            storage_name=storage_name,
            display_name=check.display_name,
            content_type=check.content_type,
            size=check.size,
            sha256=check.sha256,
            uploaded_by=actor,
        )
        for check, storage_name in stored
    ]


def _evidence_folder(review: Review) -> str:
    return f"review-evidence/{review.lead_icb.code}"


def action_evidence_add(
    *, actor: User, action: Action, uploaded: UploadedFile
) -> ActionEvidenceFile:
    """Keep a file as evidence for an action, before or after it is completed.
    The file is checked by content and size first (`saaf.uploads`); if the
    record cannot be saved the stored file is removed, so nothing is half-saved."""
    review = action.recommendation.review
    _require_change(actor, review)
    stored = _evidence_files_store([uploaded], folder=_evidence_folder(review))
    try:
        with transaction.atomic():
            review = _review_locked(review)
            action = Action.objects.select_for_update(of=("self",)).get(pk=action.pk)
            (evidence,) = _evidence_files_create(actor=actor, action=action, stored=stored)
            audit_record(
                actor=actor,
                action=AuditAction.ACTION_EVIDENCE_ADDED,
                target=action,
                parent=review,
                organisation=review.lead_icb,
                changes={"file": [None, evidence.display_name], "size": [None, evidence.size]},
            )
    except Exception:
        for _, storage_name in stored:
            upload_delete(storage_name)
        raise
    return evidence


def action_evidence_remove(*, actor: User, evidence: ActionEvidenceFile) -> None:
    """Take a file off an action (uploaded by mistake, or superseded). The
    only evidence of a completed action stays until other evidence is given
    or the action is reopened. The stored file is deleted once this commits."""
    review = evidence.action.recommendation.review
    _require_change(actor, review)
    with transaction.atomic():
        review = _review_locked(review)
        action = Action.objects.select_for_update(of=("self",)).get(pk=evidence.action_id)
        evidence = ActionEvidenceFile.objects.get(pk=evidence.pk)
        others = action.evidence_files.exclude(pk=evidence.pk).exists()
        if action.status == ActionStatus.COMPLETED and not action.evidence.strip() and not others:
            raise ValidationError(
                "This file is the completed action's only evidence. Describe the evidence "
                "or add another file first, or reopen the action."
            )
        storage_name = evidence.storage_name
        audit_record(
            actor=actor,
            action=AuditAction.ACTION_EVIDENCE_REMOVED,
            target=action,
            parent=review,
            organisation=review.lead_icb,
            changes={"file": [evidence.display_name, None]},
        )
        evidence.delete()
        transaction.on_commit(lambda: upload_delete(storage_name))


def action_complete(
    *,
    actor: User,
    action: Action,
    completed_on: datetime.date,
    evidence: str = "",
    files: Sequence[UploadedFile] = (),
) -> Action:
    """Mark an action completed on a date, with the evidence of what was done:
    a description, files (checked by `saaf.uploads`), or both. Evidence is
    required: without text, new files or files already kept, it is refused.
    Files are checked before anything is saved; if the completion is refused,
    the stored files are removed again."""
    review = action.recommendation.review
    _require_change(actor, review)
    evidence = evidence.strip()
    stored = _evidence_files_store(list(files), folder=_evidence_folder(review))
    try:
        with transaction.atomic():
            review = _review_locked(review)
            action = Action.objects.select_for_update(of=("self",)).get(pk=action.pk)
            if action.status == ActionStatus.COMPLETED:
                raise ValidationError("This action is already completed.")
            if not evidence and not stored and not action.evidence_files.exists():
                raise ValidationError(
                    {
                        "evidence": "Describe the evidence that the action is complete, or "
                        "upload a file."
                    }
                )
            changed = field_changes(
                action,
                {
                    "status": ActionStatus.COMPLETED,
                    "completed_on": completed_on,
                    "evidence": evidence,
                },
            )
            created = _evidence_files_create(actor=actor, action=action, stored=stored)
            if created:
                changed["files"] = [None, [f.display_name for f in created]]
            action.full_clean()
            action.save()
            audit_record(
                actor=actor,
                action=AuditAction.ACTION_COMPLETED,
                target=action,
                parent=review,
                organisation=review.lead_icb,
                changes=changed,
            )
    except Exception:
        for _, storage_name in stored:
            upload_delete(storage_name)
        raise
    return action
