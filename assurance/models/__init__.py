"""The assurance app's records, split by sub-domain: the toolkit ICBs answer
(`toolkit`), the quarters in which they answer it (`periods`) and the
safeguarding posts every ICB and provider must fill (`register`), and the
ICBs' quarterly returns against the toolkit (`returns`), what they
submitted (`submissions`) and the comments on them (`comments`)."""

from assurance.models.comments import ReturnComment
from assurance.models.periods import (
    Quarter,
    ReportingPeriod,
    ReportingPeriodQuerySet,
    financial_year_label,
)
from assurance.models.register import (
    Network,
    Post,
    PostCondition,
    PostRequiredFor,
    PostType,
    RegisterGroup,
    Tenure,
)
from assurance.models.reminders import ReturnReminder
from assurance.models.returns import (
    ActionStatus,
    Answer,
    AnswerEvidence,
    EvidenceFile,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    ReturnStatus,
    SelfRating,
)
from assurance.models.submissions import (
    DECLARATION_TEXT,
    Submission,
    SubmissionEvidence,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
    SubmittedSection,
)
from assurance.models.toolkit import (
    ComputedFrom,
    Metric,
    MetricUnit,
    RegisterScope,
    Section,
    Standard,
    ToolkitStatus,
    ToolkitVersion,
    ToolkitVersionQuerySet,
)

__all__ = [
    "ReturnReminder",
    "ActionStatus",
    "Answer",
    "AnswerEvidence",
    "EvidenceFile",
    "MetricValue",
    "QuarterlyReturn",
    "ReturnAction",
    "ReturnComment",
    "ReturnStatus",
    "SelfRating",
    "DECLARATION_TEXT",
    "Submission",
    "SubmissionEvidence",
    "SubmittedAction",
    "SubmittedAnswer",
    "SubmittedMetricValue",
    "SubmittedSection",
    "Network",
    "Post",
    "PostCondition",
    "PostRequiredFor",
    "PostType",
    "RegisterGroup",
    "Tenure",
    "ComputedFrom",
    "Metric",
    "MetricUnit",
    "Quarter",
    "RegisterScope",
    "ReportingPeriod",
    "ReportingPeriodQuerySet",
    "Section",
    "Standard",
    "ToolkitStatus",
    "ToolkitVersion",
    "ToolkitVersionQuerySet",
    "financial_year_label",
]
