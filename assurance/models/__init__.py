"""The assurance app's records, split by sub-domain: the toolkit ICBs answer
(`toolkit`) and the quarters in which they answer it (`periods`)."""

from assurance.models.periods import (
    Quarter,
    ReportingPeriod,
    ReportingPeriodQuerySet,
    financial_year_label,
)
from assurance.models.toolkit import (
    ComputedFrom,
    Metric,
    MetricUnit,
    Section,
    Standard,
    ToolkitStatus,
    ToolkitVersion,
    ToolkitVersionQuerySet,
)

__all__ = [
    "ComputedFrom",
    "Metric",
    "MetricUnit",
    "Quarter",
    "ReportingPeriod",
    "ReportingPeriodQuerySet",
    "Section",
    "Standard",
    "ToolkitStatus",
    "ToolkitVersion",
    "ToolkitVersionQuerySet",
    "financial_year_label",
]
