"""Every write to a quarterly return: starting it, naming who completes a
split ICB's return, and saving answers and metric values. One transaction
each, the permission checked here (so the page, the API, a task or a command
meet the same rule), the audit event filed under the return.

Drafts save what is typed (see `assurance.models.returns`); saving refuses
only what is invalid in itself. Two people saving the same standard are
caught by its revision, read under a row lock: the second save is refused with
both texts (`AnswerConflict`), never silently lost. Different standards never
clash, because each answer is its own row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from assurance.models import (
    ActionStatus,
    Answer,
    AnswerEvidence,
    EvidenceFile,
    Metric,
    MetricValue,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
    SelfRating,
    Standard,
)
from assurance.models.returns import EXPLANATION_MAX_LENGTH
from assurance.permissions import (
    can_name_return_successor,
    return_completing_icb_ids,
    return_require_editable,
)
from organisations.audit import audit_record
from organisations.models import AuditAction, Organisation, OrganisationKind, User, succession_links
from organisations.permissions import permission_require
from saaf.dates import nhs_date, today
from saaf.uploads import upload_check, upload_delete, upload_store


class AnswerConflict(Exception):
    """Someone else saved this answer since the user opened it. Carries both
    versions, so the page can show them side by side."""

    def __init__(self, *, current: Answer | MetricValue, attempted: dict):
        self.current = current
        self.attempted = attempted
        who = current.updated_by or "someone else"
        super().__init__(
            f"{who} saved this since you opened it. Compare the two versions and choose what "
            "to keep."
        )


@dataclass(frozen=True)
class ActionInput:
    """One row of an action plan as typed."""

    description: str
    owner: str = ""
    due_on: datetime.date | None = None
    status: str = ActionStatus.NOT_STARTED


@dataclass
class AnswerInput:
    rating: str = ""
    not_applicable_reason: str = ""
    narrative: str = ""
    explanation: str = ""
    actions: list[ActionInput] = field(default_factory=list)


# --- Starting a return ---------------------------------------------------------------


def _successors_of(icb: Organisation) -> set[int]:
    return {successor for predecessor, successor in succession_links() if predecessor == icb.pk}


def quarterly_return_start(
    *, actor: User, icb: Organisation, period: ReportingPeriod
) -> QuarterlyReturn:
    """Start `icb`'s return for `period`, or give the one already started.

    Only the ICBs the period expects (those that existed on its last day) have
    one, once the period has opened. A dissolved ICB's return is started by its
    successor's team, which then completes it; where the ICB split, the
    national admin first names the successor (`quarterly_return_name_successor`).
    """
    if icb.kind != OrganisationKind.ICB or not icb.existed_on(period.ends_on):
        raise ValidationError(
            f"{icb.name} did not exist on {nhs_date(period.ends_on)}, so it owes no return "
            f"for {period.label}."
        )
    if today() < period.opens_on:
        raise ValidationError(
            f"{period.label} opens on {nhs_date(period.opens_on)}: start the return then."
        )
    own = return_completing_icb_ids(actor)
    completed_by = None
    if icb.pk not in own:
        successors = _successors_of(icb) if not icb.is_current else set()
        if len(successors) > 1 and successors & own:
            existing = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
            if existing is None or existing.completed_by_id not in own:
                raise ValidationError(
                    f"{icb.name} split between several ICBs: the national safeguarding team "
                    f"must first name which of them completes its {period.label} return."
                )
            return existing
        permission_require(
            len(successors) == 1 and successors <= own,
            f"You cannot start a return for {icb.name}.",
        )
        completed_by = Organisation.objects.get(pk=next(iter(successors)))

    with transaction.atomic():
        existing = QuarterlyReturn.objects.filter(icb=icb, period=period).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                quarterly_return = QuarterlyReturn.objects.create(
                    icb=icb, period=period, completed_by=completed_by, started_by=actor
                )
        except IntegrityError:  # started by a colleague at the same moment
            return QuarterlyReturn.objects.get(icb=icb, period=period)
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_STARTED,
            target=quarterly_return,
            parent=quarterly_return,
            organisation=icb,
            changes={
                "period": [None, period.label],
                "toolkit_version": [None, period.toolkit_version.label],
                "completed_by": [None, completed_by],
            },
        )
    return quarterly_return


def quarterly_return_name_successor(
    *,
    actor: User,
    icb: Organisation,
    period: ReportingPeriod,
    successor: Organisation,
    reason: str = "",
) -> QuarterlyReturn:
    """The national admin names which successor of a split ICB completes its
    return for `period` (starting the return if nobody has yet)."""
    permission_require(
        can_name_return_successor(actor),
        "Only the national safeguarding team names who completes a split ICB's return.",
    )
    if successor.pk not in _successors_of(icb):
        raise ValidationError({"successor": f"{successor.name} did not succeed {icb.name}."})
    if not icb.existed_on(period.ends_on):
        raise ValidationError(f"{icb.name} owes no return for {period.label}.")
    with transaction.atomic():
        quarterly_return, created = QuarterlyReturn.objects.select_for_update().get_or_create(
            icb=icb, period=period, defaults={"completed_by": successor, "started_by": actor}
        )
        old = None if created else quarterly_return.completed_by
        if not created and quarterly_return.completed_by_id == successor.pk:
            return quarterly_return
        quarterly_return.completed_by = successor
        quarterly_return.save(update_fields=["completed_by"])
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_SUCCESSOR_NAMED,
            target=quarterly_return,
            parent=quarterly_return,
            organisation=icb,
            changes={"completed_by": [old, successor]},
            reason=reason,
        )
    return quarterly_return


# --- Answers -------------------------------------------------------------------------


# What a save's `full_clean` need not check again: the return it locked, the
# standard or metric it was given and the acting user all exist, and the row
# is the one `get_or_create` found for that pair (a query each, otherwise).
ROW_KNOWN = ["quarterly_return", "standard", "metric", "updated_by"]


def _lock_draft(actor: User, quarterly_return: QuarterlyReturn) -> None:
    """Lock the return's row and check again that it is still a draft: a save
    racing the approver's submission waits for it, then is refused."""
    locked = QuarterlyReturn.objects.select_for_update().get(pk=quarterly_return.pk)
    quarterly_return.status = locked.status
    return_require_editable(actor, quarterly_return)


def _validated_answer(answer_input: AnswerInput) -> dict[str, list[str]]:
    """What is invalid in itself (never what is merely incomplete)."""
    errors: dict[str, list[str]] = {}
    if answer_input.rating not in ("", *SelfRating.values):
        errors.setdefault("rating", []).append(
            "Choose red, amber, green or not applicable as the rating."
        )
    if len(answer_input.explanation) > EXPLANATION_MAX_LENGTH:
        errors.setdefault("explanation", []).append(
            f"Explain why green stands in {EXPLANATION_MAX_LENGTH:,} characters or fewer "
            f"(this is {len(answer_input.explanation):,})."
        )
    if len(answer_input.narrative) > 10_000:
        errors.setdefault("narrative", []).append(
            f"Narrative evidence must be 10,000 characters or fewer "
            f"(this is {len(answer_input.narrative):,})."
        )
    for number, action in enumerate(answer_input.actions, start=1):
        if not action.description.strip():
            errors.setdefault("actions", []).append(f"Action {number}: say what will be done.")
        if len(action.description) > 2_000:
            errors.setdefault("actions", []).append(
                f"Action {number}: describe it in 2,000 characters or fewer."
            )
        if len(action.owner) > 200:
            errors.setdefault("actions", []).append(
                f"Action {number}: name the owner in 200 characters or fewer."
            )
        if action.status not in ActionStatus.values:
            errors.setdefault("actions", []).append(
                f"Action {number}: the status is not started, in progress or done."
            )
        if action.due_on is not None and not (
            datetime.date(2022, 7, 1) <= action.due_on <= datetime.date(2100, 12, 31)
        ):
            errors.setdefault("actions", []).append(
                f"Action {number}: the due date must be a real date after 1 July 2022."
            )
    return errors


def answer_save(
    *,
    actor: User,
    quarterly_return: QuarterlyReturn,
    standard: Standard,
    answer: AnswerInput,
    revision: int,
) -> Answer:
    """Save one standard's answer whole — rating, reason, narrative and action
    plan — or nothing. `revision` is the one the user started from: a save over
    a newer one raises `AnswerConflict`."""
    return_require_editable(actor, quarterly_return)
    if standard.version_id != quarterly_return.period.toolkit_version_id:
        raise ValidationError(f"{standard.code} is not a standard of this return's toolkit.")
    errors = _validated_answer(answer)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_draft(actor, quarterly_return)
        row, _ = Answer.objects.get_or_create(quarterly_return=quarterly_return, standard=standard)
        row = Answer.objects.select_for_update().get(pk=row.pk)
        # The return and standard the caller holds, so the audit event's
        # description of the row reads neither again.
        row.quarterly_return, row.standard = quarterly_return, standard
        if row.revision != revision:
            raise AnswerConflict(current=row, attempted=answer.__dict__)
        old_actions = [_action_words(a) for a in row.actions.all()]
        new_actions = [_action_words(a) for a in answer.actions]
        changes = {}
        for name in ("rating", "not_applicable_reason", "narrative", "explanation"):
            old, new = getattr(row, name), getattr(answer, name)
            if old != new:
                changes[name] = [old, new]
                setattr(row, name, new)
        if old_actions != new_actions:
            changes["actions"] = [old_actions, new_actions]
        if not changes:
            return row
        row.revision += 1
        row.updated_by = actor
        _carried_answer_changed(row, actor)
        row.full_clean(exclude=ROW_KNOWN)
        row.save()
        if "actions" in changes:
            row.actions.all().delete()
            ReturnAction.objects.bulk_create(
                ReturnAction(
                    answer=row,
                    description=a.description.strip(),
                    owner=a.owner.strip(),
                    due_on=a.due_on,
                    status=a.status,
                    position=i,
                )
                for i, a in enumerate(answer.actions)
            )
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_ANSWER_SAVED,
            target=row,
            parent=quarterly_return,
            organisation=quarterly_return.icb,
            changes={"standard": standard.code, **changes},
        )
    return row


def _carried_answer_changed(row: Answer, actor: User) -> None:
    """A carried-forward answer someone changed is no longer merely carried:
    it counts as looked at, and as changed rather than confirmed unchanged."""
    if row.carried_from_id is None:
        return
    if row.confirmed_at is None:
        row.confirmed_at = timezone.now()
        row.confirmed_by = actor
    row.carried_changed = True


def _carried_evidence_changed(answer: Answer, actor: User) -> None:
    if answer.carried_from_id is not None and not answer.carried_changed:
        _carried_answer_changed(answer, actor)
        answer.save(update_fields=["confirmed_at", "confirmed_by", "carried_changed"])


def _action_words(action) -> str:
    due = nhs_date(action.due_on) if action.due_on else "no due date"
    owner = action.owner or "no owner"
    return f"{action.description.strip()} ({owner}, {due}, {ActionStatus(action.status).label})"


# --- Metric values -------------------------------------------------------------------


def metric_value_save(
    *,
    actor: User,
    quarterly_return: QuarterlyReturn,
    metric: Metric,
    value: Decimal | None,
    not_available_reason: str = "",
    revision: int,
) -> MetricValue:
    """Save the return's figure for a reported metric, or why it is not
    available. Computed metrics are the portal's to fill, never typed."""
    return_require_editable(actor, quarterly_return)
    if metric.version_id != quarterly_return.period.toolkit_version_id:
        raise ValidationError(f"{metric.code} is not a metric of this return's toolkit.")
    if metric.is_computed:
        how = metric.get_computed_from_display().lower()
        raise ValidationError(
            {"value": f"{metric.name} is {how}: the portal fills it in, it is not typed."}
        )
    if value is not None and not_available_reason.strip():
        raise ValidationError(
            {"not_available_reason": "Give either a figure or why it is not available, not both."}
        )
    with transaction.atomic():
        _lock_draft(actor, quarterly_return)
        row, _ = MetricValue.objects.get_or_create(quarterly_return=quarterly_return, metric=metric)
        row = MetricValue.objects.select_for_update().get(pk=row.pk)
        row.quarterly_return, row.metric = quarterly_return, metric
        if row.revision != revision:
            raise AnswerConflict(
                current=row,
                attempted={"value": value, "not_available_reason": not_available_reason},
            )
        changes = {}
        reason = not_available_reason.strip()
        if row.value != value:
            changes["value"] = [row.value, value]
            row.value = value
        if row.not_available_reason != reason:
            changes["not_available_reason"] = [row.not_available_reason, reason]
            row.not_available_reason = reason
        if not changes:
            return row
        row.revision += 1
        row.updated_by = actor
        row.full_clean(exclude=ROW_KNOWN)
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_METRIC_SAVED,
            target=row,
            parent=quarterly_return,
            organisation=quarterly_return.icb,
            changes={"metric": metric.code, **changes},
        )
    return row


# --- Evidence files ---------------------------------------------------------------------


def evidence_upload(
    *,
    actor: User,
    quarterly_return: QuarterlyReturn,
    standard: Standard,
    uploaded: UploadedFile,
    effective_on: datetime.date,
) -> AnswerEvidence:
    """Keep a file as the ICB's evidence and link it to one standard's answer.
    The file is checked by content and size first; if the record cannot be
    saved, the stored file is removed again, so nothing is half-saved."""
    return_require_editable(actor, quarterly_return)
    if standard.version_id != quarterly_return.period.toolkit_version_id:
        raise ValidationError(f"{standard.code} is not a standard of this return's toolkit.")
    if not (datetime.date(2022, 7, 1) <= effective_on <= today()):
        raise ValidationError(
            {
                "effective_on": "The date the evidence speaks for must be between 1 July 2022 "
                "and today."
            }  # fmt: skip
        )
    checked = upload_check(uploaded)
    icb = quarterly_return.icb
    storage_name = upload_store(uploaded, checked=checked, folder=f"evidence/{icb.code}")
    try:
        with transaction.atomic():
            _lock_draft(actor, quarterly_return)
            answer, _ = Answer.objects.get_or_create(
                quarterly_return=quarterly_return, standard=standard
            )
            evidence = EvidenceFile.objects.create(
                icb=icb,
                storage_name=storage_name,
                display_name=checked.display_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                effective_on=effective_on,
                uploaded_by=actor,
            )
            link = AnswerEvidence.objects.create(answer=answer, evidence=evidence, linked_by=actor)
            _carried_evidence_changed(answer, actor)
            audit_record(
                actor=actor,
                action=AuditAction.RETURN_EVIDENCE_ADDED,
                target=evidence,
                parent=quarterly_return,
                organisation=icb,
                changes={
                    "standard": standard.code,
                    "file": [None, checked.display_name],
                    "size": [None, checked.size],
                    "effective_on": [None, effective_on],
                },
            )
    except Exception:
        upload_delete(storage_name)
        raise
    return link


def evidence_unlink(
    *, actor: User, quarterly_return: QuarterlyReturn, link: AnswerEvidence
) -> None:
    """Take a file off a draft answer. The file itself is deleted only when no
    answer links it any more and no submission ever did: a file another answer
    or any submission still uses stays."""
    return_require_editable(actor, quarterly_return)
    if link.answer.quarterly_return_id != quarterly_return.pk:
        raise ValidationError("That file is not linked to this return.")
    evidence = link.evidence
    storage_name = None
    with transaction.atomic():
        _lock_draft(actor, quarterly_return)
        link.delete()
        _carried_evidence_changed(link.answer, actor)
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_EVIDENCE_REMOVED,
            target=evidence,
            parent=quarterly_return,
            organisation=quarterly_return.icb,
            changes={"standard": link.answer.standard.code, "file": [evidence.display_name, None]},
        )
        if not evidence.answer_links.exists() and not evidence.submission_links.exists():
            storage_name = evidence.storage_name
            evidence.delete()
            transaction.on_commit(lambda: upload_delete(storage_name))
