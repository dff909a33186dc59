"""A return's life after drafting: the approver's submission, the regional
lead's review (start, validated ratings, accept, send back) and the national
team reopening a return locked since its closing date.

Each service locks the return's row, checks the transition from the state it
finds under that lock, writes the audit event in the same transaction and
refuses a wrong role or state with words the user can act on.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assurance.metric_providers import metric_values_compute
from assurance.models import (
    DECLARATION_TEXT,
    QuarterlyReturn,
    ReturnStatus,
    Submission,
    SubmissionEvidence,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
)
from assurance.permissions import (
    can_review_return,
    can_submit_return,
    return_completing_icb,
    return_lock_refusal,
    return_state_refusal,
    submission_closes_on,  # noqa: F401 (read from here by earlier callers)
)
from assurance.rating import metric_rate
from assurance.return_check import ReturnCheck, return_problems
from assurance.tasks import notify_after_commit
from organisations.audit import audit_record
from organisations.choices import Role
from organisations.models import AuditAction, AuditEvent, User
from organisations.permissions import is_national_admin, permission_require
from saaf.dates import nhs_date, today

COMMENT_MAX_LENGTH = 5_000


class ReturnIncomplete(ValidationError):
    """The completeness check found problems: every one is in `check`."""

    def __init__(self, check: ReturnCheck):
        self.check = check
        super().__init__([p.text for p in check.problems])


def _locked(quarterly_return: QuarterlyReturn) -> QuarterlyReturn:
    """The return's row under a lock; the caller's object follows its status."""
    locked = (
        QuarterlyReturn.objects.select_for_update(of=("self",))
        .select_related("icb__parent", "completed_by", "period__toolkit_version")
        .get(pk=quarterly_return.pk)
    )
    quarterly_return.status = locked.status
    return locked


def _refuse(actor: User, quarterly_return: QuarterlyReturn) -> None:
    """Refuse a submission by the wrong person or at the wrong time, saying why:
    the return's state first (it is what everyone sees), then the role, then
    the closing date."""
    state = return_state_refusal(quarterly_return)
    if state:
        raise ValidationError(state)
    completing = return_completing_icb(quarterly_return)
    permission_require(
        can_submit_return(actor, quarterly_return),
        f"Only {completing.name}'s approver can submit this return.",
    )
    locked = return_lock_refusal(quarterly_return)
    if locked:
        raise ValidationError(locked)


def submit_refusal(actor: User, quarterly_return: QuarterlyReturn) -> str | None:
    """Why `actor` cannot submit the return now, before the check runs (for
    the page to say instead of showing the form); None when they can."""
    try:
        _refuse(actor, quarterly_return)
    except (ValidationError, PermissionDenied) as refusal:
        return " ".join(getattr(refusal, "messages", [str(refusal)]))
    return None


def quarterly_return_submit(
    *, actor: User, quarterly_return: QuarterlyReturn, declaration: bool
) -> Submission:
    """Sign the return off as the ICB's approver and keep what was submitted,
    as the next version, for good.

    Refused, with the reason, unless the return is a draft (or returned for
    changes), `actor` is the approver of the ICB completing it, the
    declaration is ticked, the period has not closed and the completeness
    check (`assurance.return_check`) finds nothing — else `ReturnIncomplete`
    lists every problem.

    `durable=True`, deliberately: a submission is the point of no return for
    the ICB and what the region is told about, so it must be its own commit,
    never part of a caller's larger transaction that could still roll it back
    after the copy (and, later, the notification) was made. A caller that
    tries to nest it gets a RuntimeError at once rather than a silent rollback.
    """
    _refuse(actor, quarterly_return)
    if not declaration:
        raise ValidationError(
            {"declaration": "Tick the declaration to confirm the return is accurate."}
        )
    with transaction.atomic(durable=True):
        ret = _locked(quarterly_return)
        _refuse(actor, ret)  # again, under the lock: a colleague may have submitted
        check = return_problems(ret)
        if not check.passes:
            raise ReturnIncomplete(check)
        old_status = ret.get_status_display()
        now = timezone.now()
        previous = list(ret.submissions.order_by("version").values_list("late", flat=True))
        late = previous[0] if previous else today(now) > ret.period.due_on
        submission = Submission.objects.create(
            quarterly_return=ret,
            version=len(previous) + 1,
            submitted_at=now,
            submitted_by=actor,
            submitted_by_name=actor.get_full_name() or actor.email,
            submitted_by_role=f"{Role.ICB_APPROVER.label}, {return_completing_icb(ret).name}",
            declaration=DECLARATION_TEXT,
            late=late,
        )
        _copy(submission, check)
        ret.status = ReturnStatus.SUBMITTED
        ret.returned_comment = ""
        ret.save(update_fields=["status", "returned_comment"])
        quarterly_return.status = ret.status
        event = audit_record(
            actor=actor,
            action=AuditAction.RETURN_SUBMITTED,
            target=submission,
            parent=ret,
            organisation=ret.icb,
            changes={
                "status": [old_status, ReturnStatus.SUBMITTED.label],
                "version": [None, submission.version],
                "late": [None, late],
                "declaration": [None, DECLARATION_TEXT],
            },
        )
        notify_after_commit(event)  # the region's leads, once this commits
    return submission


def _copy(submission: Submission, check: ReturnCheck) -> None:
    """The draft as it is now, and what the portal computed for it, as the
    submission's rows: a fixed number of INSERTs whatever the return's size."""
    answers, actions, evidence = [], [], []
    items = [item for section in check.progress.sections for item in section.standards]
    for item in items:
        answer = item.answer
        register = check.register_checks.get(item.standard.code)
        answers.append(
            SubmittedAnswer(
                submission=submission,
                standard=item.standard,
                rating=answer.rating if answer else "",
                not_applicable_reason=answer.not_applicable_reason if answer else "",
                narrative=answer.narrative if answer else "",
                explanation=answer.explanation if answer else "",
                register_holds=register.holds if register else None,
                register_check=register.to_dict() if register else None,
            )
        )
    SubmittedAnswer.objects.bulk_create(answers)
    if not all(a.pk for a in answers):  # a backend that does not return ids
        by_standard = dict(
            SubmittedAnswer.objects.filter(submission=submission).values_list("standard_id", "pk")
        )
        for row in answers:
            row.pk = by_standard[row.standard_id]
    for item, row in zip(items, answers, strict=True):
        actions += [
            SubmittedAction(
                answer=row,
                description=a.description,
                owner=a.owner,
                due_on=a.due_on,
                status=a.status,
                position=a.position,
            )
            for a in item.actions
        ]
        evidence += [
            SubmissionEvidence(answer=row, evidence_id=e.evidence_id) for e in item.evidence
        ]
    SubmittedAction.objects.bulk_create(actions)
    SubmissionEvidence.objects.bulk_create(evidence)

    ret = submission.quarterly_return
    metrics = [item for section in check.progress.sections for item in section.metrics]
    computed = metric_values_compute(metrics=[m.metric for m in metrics], icb=ret.icb, on=check.on)
    values = []
    for item in metrics:
        typed = item.value
        result = computed.get(item.metric.code)
        counted = result.value if item.metric.is_computed and result else None
        if not item.metric.is_computed and typed is not None:
            counted = typed.value
        values.append(
            SubmittedMetricValue(
                submission=submission,
                metric=item.metric,
                value=typed.value if typed else None,
                not_available_reason=typed.not_available_reason if typed else "",
                computed_value=result.value if result else None,
                computed_detail=result.detail if result else "",
                rating=metric_rate(item.metric, counted),
            )
        )
    SubmittedMetricValue.objects.bulk_create(values)


# --- Regional review -------------------------------------------------------------------


def _review_locked(
    actor: User, quarterly_return: QuarterlyReturn, allowed: tuple[str, ...], doing: str
) -> QuarterlyReturn:
    permission_require(
        can_review_return(actor, quarterly_return),
        f"Only the regional safeguarding lead of {quarterly_return.icb.name}'s region can "
        f"{doing} its return.",
    )
    ret = _locked(quarterly_return)
    if ret.status not in allowed:
        state = return_state_refusal(ret)
        if state is None:
            state = "It is a draft: the ICB has not submitted it yet."
        raise ValidationError(f"You cannot {doing} this return. {state}")
    return ret


def _status_change(
    *, actor: User, quarterly_return: QuarterlyReturn, ret: QuarterlyReturn, status: str, **audit
) -> AuditEvent:
    old = ret.get_status_display()
    ret.status = status
    fields = ["status"]
    if status == ReturnStatus.RETURNED:
        fields += ["returned_comment", "returned_on"]
    ret.save(update_fields=fields)
    quarterly_return.status = status
    quarterly_return.returned_comment = ret.returned_comment
    return audit_record(
        actor=actor,
        target=ret,
        parent=ret,
        organisation=ret.icb,
        changes={"status": [old, ret.get_status_display()]},
        **audit,
    )


def quarterly_return_review_start(*, actor: User, quarterly_return: QuarterlyReturn) -> None:
    """The regional lead takes up a submitted return: the ICB sees it is being
    reviewed."""
    with transaction.atomic():
        ret = _review_locked(
            actor, quarterly_return, (ReturnStatus.SUBMITTED,), "start the review of"
        )
        _status_change(
            actor=actor,
            quarterly_return=quarterly_return,
            ret=ret,
            status=ReturnStatus.UNDER_REVIEW,
            action=AuditAction.RETURN_REVIEW_STARTED,
        )


def quarterly_return_accept(
    *, actor: User, quarterly_return: QuarterlyReturn, comment: str = ""
) -> None:
    """The regional lead accepts the return under review: its latest version
    is final."""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": "Keep the comment to 5,000 characters or fewer."})
    with transaction.atomic():
        ret = _review_locked(actor, quarterly_return, (ReturnStatus.UNDER_REVIEW,), "accept")
        event = _status_change(
            actor=actor,
            quarterly_return=quarterly_return,
            ret=ret,
            status=ReturnStatus.ACCEPTED,
            action=AuditAction.RETURN_ACCEPTED,
            reason=comment,
        )
        notify_after_commit(event)  # the ICB's editors and approver, once this commits


def quarterly_return_send_back(
    *, actor: User, quarterly_return: QuarterlyReturn, comment: str
) -> None:
    """The regional lead returns the return to the ICB with a covering comment
    (required: it says what to change). It is a draft again, keeping its
    answers; its next submission is the next version, and never makes it late."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Say what the ICB should change before resubmitting."})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": "Keep the comment to 5,000 characters or fewer."})
    with transaction.atomic():
        ret = _review_locked(
            actor,
            quarterly_return,
            (ReturnStatus.SUBMITTED, ReturnStatus.UNDER_REVIEW),
            "return",
        )
        ret.returned_comment = comment
        ret.returned_on = today()
        event = _status_change(
            actor=actor,
            quarterly_return=quarterly_return,
            ret=ret,
            status=ReturnStatus.RETURNED,
            action=AuditAction.RETURN_SENT_BACK,
            reason=comment,
        )
        notify_after_commit(event)  # the ICB's team, with the covering comment


VALIDATED_RATINGS = {"red": "Red", "amber": "Amber", "green": "Green"}


def submitted_answer_validate(
    *, actor: User, submitted_answer: SubmittedAnswer, rating: str, rationale: str
) -> SubmittedAnswer:
    """The regional lead's own rating of one standard of the submission under
    review (red, amber or green), with the rationale that says why — required,
    since the validated rating is what rollups count where it differs.

    Only on the latest version of a return the lead is reviewing; recording
    it again replaces it (the audit event keeps the old one). Recording the
    same rating and rationale changes nothing and writes no event."""
    rationale = rationale.replace("\r\n", "\n").strip()
    errors = {}
    if rating not in VALIDATED_RATINGS:
        errors["rating"] = "Choose red, amber or green."
    if not rationale:
        errors["rationale"] = "Say why you rate the standard this way."
    elif len(rationale) > COMMENT_MAX_LENGTH:
        errors["rationale"] = "Keep the rationale to 5,000 characters or fewer."
    if errors:
        raise ValidationError(errors)
    quarterly_return = submitted_answer.submission.quarterly_return
    with transaction.atomic():
        ret = _review_locked(
            actor, quarterly_return, (ReturnStatus.UNDER_REVIEW,), "record validated ratings on"
        )
        answer = SubmittedAnswer.objects.select_related("submission", "standard").get(
            pk=submitted_answer.pk
        )
        latest = ret.submissions.order_by("-version").values_list("pk", flat=True).first()
        if answer.submission_id != latest:
            raise ValidationError(
                f"Version {answer.submission.version} is not the latest: rate the standards of "
                "the version under review."
            )
        old = (answer.validated_rating, answer.validated_rationale)
        if old == (rating, rationale):
            return answer
        answer.validated_rating = rating
        answer.validated_rationale = rationale
        answer.validated_by = actor
        answer.validated_at = timezone.now()
        answer.save(update_fields=[f"validated_{f}" for f in ("rating", "rationale", "by", "at")])
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_RATING_VALIDATED,
            target=answer,
            parent=ret,
            organisation=ret.icb,
            changes={
                "standard": [None, answer.standard.code],
                "validated_rating": [
                    VALIDATED_RATINGS.get(old[0] or ""),
                    VALIDATED_RATINGS[rating],
                ],
                "validated_rationale": [old[1], rationale],
            },
        )
    submitted_answer.validated_rating = answer.validated_rating
    submitted_answer.validated_rationale = answer.validated_rationale
    return answer


# --- Locks ------------------------------------------------------------------------------


def quarterly_return_reopen(
    *, actor: User, quarterly_return: QuarterlyReturn, reason: str, closes_on: datetime.date
) -> None:
    """The national team reopens a return locked since its closing date, with
    the reason (required: the ICB and the region read it) and a new closing
    date, from which it locks again (`submission_closes_on`)."""
    permission_require(
        is_national_admin(actor), "Only the national safeguarding team reopens a locked return."
    )
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the return is reopened."
    elif len(reason) > COMMENT_MAX_LENGTH:
        errors["reason"] = "Keep the reason to 5,000 characters or fewer."
    if closes_on is None or closes_on < today():
        errors["closes_on"] = f"Set a new closing date of {nhs_date(today())} or later."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ret = _locked(quarterly_return)
        state = return_state_refusal(ret)
        if state:
            raise ValidationError(f"Only a locked draft is reopened. {state}")
        if return_lock_refusal(ret) is None:
            raise ValidationError(
                f"It is open until {nhs_date(submission_closes_on(ret))}: nothing to reopen."
            )
        old = (ret.reopened_until, ret.reopened_reason)
        ret.reopened_until = closes_on
        ret.reopened_reason = reason
        ret.save(update_fields=["reopened_until", "reopened_reason"])
        quarterly_return.reopened_until = closes_on
        quarterly_return.reopened_reason = reason
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_REOPENED,
            target=ret,
            parent=ret,
            organisation=ret.icb,
            changes={
                "reopened_until": [old[0], closes_on],
                "reopened_reason": [old[1] or None, reason],
            },
            reason=reason,
        )
