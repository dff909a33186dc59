"""Carrying last quarter forward: a new draft starts from the ICB's latest
accepted submission, and nothing carried passes for this quarter's answer
until someone has looked at it.

- **Where from**: the ICB's own latest accepted submission of an earlier
  period. Across the April 2026 reorganisation a successor may instead carry
  forward from one predecessor of its choosing (each predecessor's latest
  accepted submission is offered while the successor has no accepted return
  of its own as recent); the pages say whose answers they were.
- **What**: standards are matched by code across toolkit versions. Each
  matched answer brings its rating, reason for not applicable, narrative,
  explanation, its open actions (done ones stay behind) and its evidence file
  links (files belong to the ICB; the effective date is shown, "from Q2
  2026/27"). Metric values are never carried: a figure is of its quarter.
  Codes the new toolkit no longer has are listed; its new standards start
  empty. A standard whose wording changed is carried and named, so the
  answer is read against the new words.
- **Confirm or change**: each carried answer is "carried forward — confirm or
  change" (`Answer.awaits_confirmation`) until it is saved with a change or
  confirmed — one button confirms a whole section's (`section_answers_confirm`).
  The completeness check counts each unconfirmed one as a problem.

Only into a return with no answers yet: carrying forward never overwrites
what someone typed. Starting the return and carrying the answers are one
transaction, so a refusal leaves nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from assurance.models import (
    ActionStatus,
    Answer,
    AnswerEvidence,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
    ReturnStatus,
    Section,
    Standard,
    Submission,
    SubmittedAnswer,
)
from assurance.services.returns import _lock_draft, quarterly_return_start
from organisations.audit import audit_record
from organisations.models import AuditAction, Organisation, Succession, User


@dataclass(frozen=True)
class CarrySource:
    """An accepted submission a new draft may start from."""

    submission: Submission
    own: bool  # the ICB's own, or a predecessor's

    @property
    def icb(self) -> Organisation:
        return self.submission.quarterly_return.icb

    @property
    def period(self) -> ReportingPeriod:
        return self.submission.quarterly_return.period

    @property
    def words(self) -> str:
        """ "NHS X ICB's Q1 2026/27 return (version 2, accepted)"."""
        return (
            f"{self.icb.name}'s {self.period.label} return "
            f"(version {self.submission.version}, accepted)"
        )


@dataclass
class CarryPlan:
    """What carrying `source` into a return of `version`'s toolkit would do."""

    source: CarrySource
    carried: list[tuple[Standard, SubmittedAnswer]] = field(default_factory=list)
    no_longer: list[SubmittedAnswer] = field(default_factory=list)
    new: list[Standard] = field(default_factory=list)
    reworded: list[Standard] = field(default_factory=list)
    open_actions: int = 0
    evidence_files: int = 0


def _earlier(period: ReportingPeriod) -> Q:
    return Q(period__financial_year__lt=period.financial_year) | Q(
        period__financial_year=period.financial_year, period__quarter__lt=period.quarter
    )


def carry_forward_sources(
    icb: Organisation, period: ReportingPeriod, *, user: User
) -> list[CarrySource]:
    """The accepted submissions a new `period` return of `icb` may start from,
    most recent first: its own latest, and each direct predecessor's latest
    where that is more recent than its own (so a successor formed in April
    2026 chooses one of its predecessors'); only returns `user` may read.
    Three queries."""
    predecessor_ids = list(
        Succession.objects.filter(successor=icb).values_list("predecessor_id", flat=True)
    )
    accepted = (
        QuarterlyReturn.objects.visible_to(user)
        .filter(
            _earlier(period),
            icb__in=[icb.pk, *predecessor_ids],
            status=ReturnStatus.ACCEPTED,
        )
        .select_related("icb", "period")
        .order_by("-period__financial_year", "-period__quarter", "icb__name")
    )
    latest: dict[int, QuarterlyReturn] = {}
    for ret in accepted:
        latest.setdefault(ret.icb_id, ret)
    own = latest.get(icb.pk)

    def key(ret: QuarterlyReturn) -> tuple[int, int]:
        return (ret.period.financial_year, ret.period.quarter)

    chosen = [own] if own else []
    chosen += sorted(
        (
            ret
            for icb_id, ret in latest.items()
            if icb_id != icb.pk and (own is None or key(ret) > key(own))
        ),
        key=lambda r: (tuple(-n for n in key(r)), r.icb.name),
    )
    if not chosen:
        return []
    by_return = {}
    for submission in Submission.objects.filter(quarterly_return__in=chosen).order_by(
        "quarterly_return", "-version"
    ):
        by_return.setdefault(submission.quarterly_return_id, submission)
    sources = []
    for ret in chosen:
        submission = by_return.get(ret.pk)
        if submission is not None:
            submission.quarterly_return = ret
            sources.append(CarrySource(submission, own=ret.icb_id == icb.pk))
    sources.sort(key=lambda s: (-s.period.financial_year, -s.period.quarter, not s.own))
    return sources


def carry_forward_plan(source: CarrySource, period: ReportingPeriod) -> CarryPlan:
    """Match the source's answers to `period`'s toolkit by standard code. Two
    queries, plus two for the actions and files of the matched answers."""
    standards = {
        s.code: s
        for s in Standard.objects.filter(version_id=period.toolkit_version_id)
        .select_related("section")
        .order_by("section__position", "position", "code")
    }
    answers = list(
        SubmittedAnswer.objects.filter(submission=source.submission)
        .select_related("standard__section")
        .prefetch_related("actions", "evidence_links__evidence")
        .order_by("standard__section__position", "standard__position", "standard__code")
    )
    plan = CarryPlan(source)
    carried_codes = set()
    for answer in answers:
        target = standards.get(answer.standard.code)
        if target is None:
            plan.no_longer.append(answer)
            continue
        carried_codes.add(target.code)
        plan.carried.append((target, answer))
        if target.statement.strip() != answer.standard.statement.strip():
            plan.reworded.append(target)
        plan.open_actions += sum(1 for a in answer.actions.all() if a.status != ActionStatus.DONE)
        plan.evidence_files += len(answer.evidence_links.all())
    plan.new = [s for code, s in standards.items() if code not in carried_codes]
    return plan


def quarterly_return_carry_forward(
    *, actor: User, icb: Organisation, period: ReportingPeriod, submission_id: int | None
) -> tuple[QuarterlyReturn, CarryPlan]:
    """Start (or take the empty draft of) `icb`'s return for `period` with the
    answers of the chosen accepted submission, each marked to confirm or
    change. `submission_id` must be one of `carry_forward_sources`."""
    with transaction.atomic():
        # Started first, so the permission is checked before anything is read;
        # a refusal below rolls the start back too.
        ret = quarterly_return_start(actor=actor, icb=icb, period=period)
        _lock_draft(actor, ret)
        sources = carry_forward_sources(icb, period, user=actor)
        source = next((s for s in sources if s.submission.pk == submission_id), None)
        if source is None:
            if not sources:
                raise ValidationError(
                    f"{icb.name} has no accepted return before {period.label} to carry "
                    "forward: start the return empty."
                )
            raise ValidationError({"source": "Choose which accepted return to carry forward from."})
        plan = carry_forward_plan(source, period)
        if ret.answers.exists():
            raise ValidationError(
                f"The {period.label} return already has answers: carrying forward would "
                "overwrite them, so it is only offered for a return nobody has filled in yet."
            )
        now = timezone.now()
        rows = Answer.objects.bulk_create(
            Answer(
                quarterly_return=ret,
                standard=target,
                rating=answer.rating,
                not_applicable_reason=answer.not_applicable_reason,
                narrative=answer.narrative,
                explanation=answer.explanation,
                revision=1,
                updated_by=actor,
                updated_at=now,
                carried_from=source.submission,
            )
            for target, answer in plan.carried
        )
        if any(row.pk is None for row in rows):  # a database that returns no ids
            by_standard = dict(
                Answer.objects.filter(quarterly_return=ret).values_list("standard_id", "pk")
            )
            for row in rows:
                row.pk = by_standard[row.standard_id]
        actions, links = [], []
        for row, (_target, answer) in zip(rows, plan.carried, strict=True):
            open_actions = [a for a in answer.actions.all() if a.status != ActionStatus.DONE]
            actions += [
                ReturnAction(
                    answer_id=row.pk,
                    description=a.description,
                    owner=a.owner,
                    due_on=a.due_on,
                    status=a.status,
                    position=i,
                )
                for i, a in enumerate(open_actions)
            ]
            links += [
                AnswerEvidence(answer_id=row.pk, evidence=link.evidence, linked_by=actor)
                for link in answer.evidence_links.all()
            ]
        ReturnAction.objects.bulk_create(actions)
        AnswerEvidence.objects.bulk_create(links)
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_CARRIED_FORWARD,
            target=ret,
            parent=ret,
            organisation=ret.icb,
            changes={
                # Code lists as text: the history page reads a two-item list as [old, new].
                "from": source.words,
                "standards": [None, ", ".join(target.code for target, _ in plan.carried)],
                "no_longer_in_toolkit": ", ".join(a.standard.code for a in plan.no_longer),
                "new_standards": ", ".join(s.code for s in plan.new),
                "open_actions": [None, len(actions)],
                "evidence_files": [None, len(links)],
            },
        )
    return ret, plan


def section_answers_confirm(
    *, actor: User, quarterly_return: QuarterlyReturn, section: Section
) -> list[str]:
    """Confirm, unchanged, every carried-forward answer of `section` still
    waiting for it; returns their standard codes (none: nothing to confirm)."""
    if section.version_id != quarterly_return.period.toolkit_version_id:
        raise ValidationError(f"{section.code} is not a section of this return's toolkit.")
    with transaction.atomic():
        _lock_draft(actor, quarterly_return)
        waiting = list(
            Answer.objects.select_for_update()
            .filter(
                quarterly_return=quarterly_return,
                standard__section=section,
                carried_from__isnull=False,
                confirmed_at__isnull=True,
            )
            .order_by("standard__position", "standard__code")
            .values_list("pk", "standard__code")
        )
        if not waiting:
            return []
        Answer.objects.filter(pk__in=[pk for pk, _ in waiting]).update(
            confirmed_at=timezone.now(), confirmed_by=actor
        )
        codes = [code for _, code in waiting]
        audit_record(
            actor=actor,
            action=AuditAction.RETURN_ANSWERS_CONFIRMED,
            target=quarterly_return,
            parent=quarterly_return,
            organisation=quarterly_return.icb,
            changes={"section": section.code, "standards": [None, ", ".join(codes)]},
        )
    return codes


# --- Reads for the pages -----------------------------------------------------------------


@dataclass(frozen=True)
class CarryCounts:
    """How a return's carried-forward answers stand."""

    carried: int
    confirmed_unchanged: int
    changed: int
    waiting: int
    source: Submission | None

    @property
    def source_words(self) -> str:
        if self.source is None:
            return ""
        ret = self.source.quarterly_return
        return f"{ret.icb.name}'s {ret.period.label} return, version {self.source.version}"


def carry_forward_counts(quarterly_return: QuarterlyReturn) -> CarryCounts:
    """Counted in SQL: one query, and one more for where they came from."""
    counts = Answer.objects.filter(
        quarterly_return=quarterly_return, carried_from__isnull=False
    ).aggregate(
        carried=Count("pk"),
        waiting=Count("pk", filter=Q(confirmed_at__isnull=True)),
        changed=Count("pk", filter=Q(carried_changed=True)),
        confirmed_unchanged=Count(
            "pk", filter=Q(confirmed_at__isnull=False, carried_changed=False)
        ),
    )
    source = None
    if counts["carried"]:
        source = (
            Submission.objects.filter(
                pk__in=Answer.objects.filter(
                    quarterly_return=quarterly_return, carried_from__isnull=False
                ).values("carried_from")
            )
            .select_related("quarterly_return__icb", "quarterly_return__period")
            .first()
        )
    return CarryCounts(source=source, **counts)
