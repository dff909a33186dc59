"""Where a draft return stands: each section's progress for the NHS task list.
The problems shown beside each standard and metric (warnings while drafting,
refusals at submission) are set on it by the completeness check,
`assurance.return_check`, the one source of those rules.

Read in a fixed number of queries whatever the toolkit's size: the sections
with their standards and metrics, and the return's answers, actions,
evidence links and metric values, each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from assurance.models import (
    Answer,
    AnswerEvidence,
    Metric,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    Section,
    SelfRating,
    Standard,
)


class SectionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


@dataclass
class StandardProgress:
    standard: Standard
    answer: Answer | None
    actions: list[ReturnAction]
    evidence: list[AnswerEvidence] = field(default_factory=list)
    problems: list = field(default_factory=list)  # set by assurance.return_check

    @property
    def warnings(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def is_answered(self) -> bool:
        if self.answer is None or not self.answer.rating:
            return False
        if self.answer.rating == SelfRating.NOT_APPLICABLE:
            return bool(self.answer.not_applicable_reason.strip())
        return True


@dataclass
class MetricProgress:
    metric: Metric
    value: MetricValue | None
    problems: list = field(default_factory=list)  # set by assurance.return_check

    @property
    def warnings(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def is_answered(self) -> bool:
        if self.metric.is_computed:
            return True
        return self.value is not None and (
            self.value.value is not None or bool(self.value.not_available_reason.strip())
        )


@dataclass
class SectionProgress:
    section: Section
    standards: list[StandardProgress]
    metrics: list[MetricProgress]

    @property
    def answered_count(self) -> int:
        return sum(1 for s in self.standards if s.is_answered)

    @property
    def warning_count(self) -> int:
        return sum(len(s.warnings) for s in self.standards) + sum(
            len(m.warnings) for m in self.metrics
        )

    @property
    def status(self) -> SectionStatus:
        touched = any(s.answer is not None and s.answer.revision for s in self.standards) or any(
            m.value is not None and m.value.revision for m in self.metrics
        )
        # A carried-forward answer nobody has confirmed or changed is not yet
        # this quarter's: the section is still in progress.
        complete = all(
            s.is_answered and not s.answer.awaits_confirmation for s in self.standards
        ) and all(m.is_answered for m in self.metrics)
        if complete and touched:
            return SectionStatus.COMPLETED
        return SectionStatus.IN_PROGRESS if touched else SectionStatus.NOT_STARTED


@dataclass
class ReturnProgress:
    quarterly_return: QuarterlyReturn
    sections: list[SectionProgress]

    @property
    def completed_count(self) -> int:
        return sum(1 for s in self.sections if s.status == SectionStatus.COMPLETED)

    @property
    def summary(self) -> str:
        return f"{self.completed_count} of {len(self.sections)} sections complete"

    def section(self, code: str) -> SectionProgress | None:
        return next((s for s in self.sections if s.section.code == code), None)


def return_progress(quarterly_return: QuarterlyReturn) -> ReturnProgress:
    """Every section of the return's toolkit with its answers, in seven queries.

    Each query is read once and grouped here (not with `prefetch_related`,
    whose per-object querysets cost more than the rows themselves), unsorted
    where the rows are looked up by key (the models' default orders join
    other tables only to sort)."""
    version_id = quarterly_return.period.toolkit_version_id
    sections = list(Section.objects.filter(version_id=version_id).order_by("position", "code"))
    standards: dict[int, list[Standard]] = {}
    for standard in Standard.objects.filter(section__version_id=version_id).order_by(
        "position", "code"
    ):
        standards.setdefault(standard.section_id, []).append(standard)
    metrics: dict[int, list[Metric]] = {}
    for metric in Metric.objects.filter(section__version_id=version_id).order_by(
        "position", "code"
    ):
        metrics.setdefault(metric.section_id, []).append(metric)
    answers = {
        a.standard_id: a
        for a in Answer.objects.filter(quarterly_return=quarterly_return)
        .select_related(
            "confirmed_by",
            "carried_from__quarterly_return__icb",
            "carried_from__quarterly_return__period",
        )
        .order_by()
    }
    # By the answers' ids (their index), as prefetch_related did.
    answer_ids = [a.pk for a in answers.values()]
    actions: dict[int, list[ReturnAction]] = {}
    for action in ReturnAction.objects.filter(answer_id__in=answer_ids).order_by("position"):
        actions.setdefault(action.answer_id, []).append(action)
    evidence: dict[int, list[AnswerEvidence]] = {}
    for link in AnswerEvidence.objects.filter(answer_id__in=answer_ids).select_related(
        "evidence__uploaded_by"
    ):
        evidence.setdefault(link.answer_id, []).append(link)
    values = {
        v.metric_id: v
        for v in MetricValue.objects.filter(quarterly_return=quarterly_return).order_by()
    }
    result = []
    for section in sections:
        items = []
        for standard in standards.get(section.pk, []):
            answer = answers.get(standard.pk)
            items.append(
                StandardProgress(
                    standard,
                    answer,
                    actions.get(answer.pk, []) if answer else [],
                    evidence.get(answer.pk, []) if answer else [],
                )
            )
        section_metrics = [MetricProgress(m, values.get(m.pk)) for m in metrics.get(section.pk, [])]
        result.append(SectionProgress(section, items, section_metrics))
    return ReturnProgress(quarterly_return, result)
