"""The reviews tracker's records: the reviews themselves (`reviews`) and the
recommendations and actions that follow from them (`actions`)."""

from reviews.models.actions import (
    Action,
    ActionEvidenceFile,
    ActionEvidenceFileQuerySet,
    ActionQuerySet,
    Recommendation,
    RecommendationQuerySet,
    overdue_on_q,
)
from reviews.models.choices import (
    MAX_ABUSE_THEMES,
    OPEN_STAGES,
    AbuseTheme,
    ActionStatus,
    AgeGroup,
    ConveningBody,
    LearningTheme,
    ReviewKind,
    Stage,
    ThemeCategory,
)
from reviews.models.reviews import (
    Review,
    ReviewICB,
    ReviewProvider,
    ReviewQuerySet,
    ReviewTheme,
    visible_icb_ids,
)

__all__ = [
    "MAX_ABUSE_THEMES",
    "OPEN_STAGES",
    "AbuseTheme",
    "Action",
    "ActionEvidenceFile",
    "ActionEvidenceFileQuerySet",
    "ActionQuerySet",
    "ActionStatus",
    "AgeGroup",
    "ConveningBody",
    "LearningTheme",
    "Recommendation",
    "RecommendationQuerySet",
    "Review",
    "ReviewICB",
    "ReviewKind",
    "ReviewProvider",
    "ReviewQuerySet",
    "ReviewTheme",
    "Stage",
    "ThemeCategory",
    "overdue_on_q",
    "visible_icb_ids",
]
