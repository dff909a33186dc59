"""What a return's workbook (`assurance.workbook`) shows: the draft, a
submitted version or a blank template, read in a fixed number of queries;
and the fingerprints that let an upload tell an answer the file changed
from one it merely carried (`assurance.workbook_import`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch
from django.utils import timezone

from assurance.exports import export_text
from assurance.metric_providers import metric_values_compute
from assurance.models import (
    ActionStatus,
    Answer,
    AnswerEvidence,
    Metric,
    MetricUnit,
    MetricValue,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
    Section,
    Standard,
    Submission,
    SubmissionEvidence,
    SubmittedAction,
)
from assurance.models.toolkit import format_number
from assurance.services.returns import ActionInput, AnswerInput
from organisations.models import Organisation
from saaf.dates import nhs_date, today


def _clean(text: str) -> str:
    return export_text(text or "").replace("\r", "\n").strip()


def answer_fingerprint(answer: AnswerInput) -> str:
    """A short digest of an answer as the workbook shows it: the same for the
    answer downloaded and the file's row read back unchanged."""
    canonical = [
        answer.rating or "",
        _clean(answer.not_applicable_reason),
        _clean(answer.narrative),
        _clean(answer.explanation),
        [
            [
                _clean(a.description),
                _clean(a.owner),
                a.due_on.isoformat() if a.due_on else "",
                a.status or ActionStatus.NOT_STARTED,
            ]
            for a in answer.actions
        ],
    ]
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:20]


def metric_amount(value: Decimal | None) -> Decimal | None:
    """A figure as stored: two decimal places."""
    if value is None:
        return None
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def metric_fingerprint(value: Decimal | None, reason: str) -> str:
    amount = metric_amount(value)
    canonical = ["" if amount is None else str(amount), _clean(reason)]
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:20]


def answer_input_of(answer, actions) -> AnswerInput:
    """An Answer or SubmittedAnswer (and its actions) as the service's input."""
    if answer is None:
        return AnswerInput()
    return AnswerInput(
        rating=answer.rating,
        not_applicable_reason=answer.not_applicable_reason,
        narrative=answer.narrative,
        explanation=answer.explanation,
        actions=[
            ActionInput(description=a.description, owner=a.owner, due_on=a.due_on, status=a.status)
            for a in actions
        ],
    )


@dataclass
class MetricShown:
    value: Decimal | None = None
    reason: str = ""
    computed_detail: str = ""


@dataclass
class WorkbookContent:
    """Everything one workbook shows."""

    icb: Organisation
    period: ReportingPeriod
    source: str  # "draft", "template" or "version N"
    description: str
    sections: list[Section]
    answers: dict[str, AnswerInput] = field(default_factory=dict)
    metrics: dict[str, MetricShown] = field(default_factory=dict)
    # The draft's revisions at download, by standard or metric code.
    # The evidence files linked to each answer, in words, by standard code.
    files: dict[str, str] = field(default_factory=dict)
    answer_revisions: dict[str, int] = field(default_factory=dict)
    metric_revisions: dict[str, int] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.icb.code}-{self.period.financial_year}-Q{self.period.quarter}-{self.source.replace(' ', '-')}.xlsx"  # noqa: E501


def _sections(period: ReportingPeriod) -> list[Section]:
    return list(
        Section.objects.filter(version_id=period.toolkit_version_id)
        .order_by("position", "code")
        .prefetch_related(
            Prefetch("standards", queryset=Standard.objects.order_by("position", "code")),
            Prefetch("metrics", queryset=Metric.objects.order_by("position", "code")),
        )
    )


def _by_answer(actions) -> dict[int, list]:
    """Actions by answer id, in their order: read in one query and grouped
    here (`prefetch_related` would build a queryset per answer)."""
    grouped: dict[int, list] = {}
    for action in actions.order_by("position", "id"):
        grouped.setdefault(action.answer_id, []).append(action)
    return grouped


def _draft_revisions(content: WorkbookContent, quarterly_return: QuarterlyReturn | None) -> None:
    if quarterly_return is None:
        return
    content.answer_revisions = dict(
        Answer.objects.filter(quarterly_return=quarterly_return).values_list(
            "standard__code", "revision"
        )
    )
    content.metric_revisions = dict(
        MetricValue.objects.filter(quarterly_return=quarterly_return).values_list(
            "metric__code", "revision"
        )
    )


def _computed(content: WorkbookContent) -> None:
    """Computed metrics' values for the quarter's last day (today while it runs)."""
    metrics = [m for s in content.sections for m in s.metrics.all() if m.is_computed]
    if not metrics:
        return
    on = min(content.period.ends_on, today())
    for code, computed in metric_values_compute(metrics=metrics, icb=content.icb, on=on).items():
        content.metrics[code] = MetricShown(computed.value, "", computed.detail)


def _files_in_words(rows) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    for code, name, effective_on in rows:
        files.setdefault(code, []).append(f"{name} ({nhs_date(effective_on)})")
    return {code: "\n".join(names) for code, names in files.items()}


def workbook_content_draft(quarterly_return: QuarterlyReturn) -> WorkbookContent:
    """The draft as it stands, in a fixed number of queries."""
    content = WorkbookContent(
        quarterly_return.icb,
        quarterly_return.period,
        "draft",
        f"The return as it stood when downloaded ({quarterly_return.get_status_display()})",
        _sections(quarterly_return.period),
    )
    actions = _by_answer(ReturnAction.objects.filter(answer__quarterly_return=quarterly_return))
    for answer in Answer.objects.filter(quarterly_return=quarterly_return).select_related(
        "standard"
    ):
        content.answers[answer.standard.code] = answer_input_of(answer, actions.get(answer.pk, []))
        content.answer_revisions[answer.standard.code] = answer.revision
    content.files = _files_in_words(
        AnswerEvidence.objects.filter(answer__quarterly_return=quarterly_return).values_list(
            "answer__standard__code", "evidence__display_name", "evidence__effective_on"
        )
    )
    for value in MetricValue.objects.filter(quarterly_return=quarterly_return).select_related(
        "metric"
    ):
        content.metrics[value.metric.code] = MetricShown(value.value, value.not_available_reason)
        content.metric_revisions[value.metric.code] = value.revision
    _computed(content)
    return content


def workbook_content_submission(submission: Submission) -> WorkbookContent:
    """A submitted version as it was signed off; the draft's revisions of
    today, so that uploading it back into a returned draft sees what changed."""
    ret = submission.quarterly_return
    when = nhs_date(timezone.localdate(submission.submitted_at))
    content = WorkbookContent(
        ret.icb,
        ret.period,
        f"version {submission.version}",
        f"Version {submission.version}, submitted on {when} by {submission.submitted_by_name}",
        _sections(ret.period),
    )
    actions = _by_answer(SubmittedAction.objects.filter(answer__submission=submission))
    for answer in submission.answers.select_related("standard"):
        content.answers[answer.standard.code] = answer_input_of(answer, actions.get(answer.pk, []))
    content.files = _files_in_words(
        SubmissionEvidence.objects.filter(answer__submission=submission).values_list(
            "answer__standard__code", "evidence__display_name", "evidence__effective_on"
        )
    )
    for value in submission.metric_values.select_related("metric"):
        if value.metric.is_computed:
            content.metrics[value.metric.code] = MetricShown(
                value.computed_value, "", value.computed_detail
            )
        else:
            content.metrics[value.metric.code] = MetricShown(
                value.value, value.not_available_reason
            )
    _draft_revisions(content, ret)
    return content


def workbook_content_template(
    icb: Organisation, period: ReportingPeriod, quarterly_return: QuarterlyReturn | None
) -> WorkbookContent:
    """A blank return for `icb` and `period` (computed metrics filled in)."""
    content = WorkbookContent(
        icb, period, "template", "A blank template: no answers yet", _sections(period)
    )
    _draft_revisions(content, quarterly_return)
    _computed(content)
    return content


def metric_amount_words(metric: Metric, value: Decimal | None) -> str:
    if value is None:
        return "none"
    return format_number(value) + ("%" if metric.unit == MetricUnit.PERCENT else "")
