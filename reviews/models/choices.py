"""The tracker's vocabulary, after the Safeguarding Case Review Tracker
(S-CRT, DCB3124) and the SAAF.

The themes are shipped lists (TextChoices), not a table: they are national
vocabulary (the Care Act 2014 and Working Together 2023 categories of abuse,
and the learning themes the SAAF names) that changes only with a release of
the portal, so a table would need a loader, an admin page and an audit trail
for nothing. Each theme a review carries is a row (`ReviewTheme`), so
"how often does each theme appear" is a GROUP BY, and the database itself
checks that a code belongs to its list.
"""

from django.db import models


class ReviewKind(models.TextChoices):
    RAPID_REVIEW = "rapid_review", "Rapid review"
    CSPR = "cspr", "Child safeguarding practice review"
    CDR = "cdr", "Child death review"
    LEDER = "leder", "LeDeR review"
    DHR = "dhr", "Domestic homicide review"
    SAR = "sar", "Safeguarding adults review"
    MHHR = "mhhr", "Mental health homicide review"
    MAPPA = "mappa", "MAPPA serious case review"
    OTHER = "other", "Other review"


class ConveningBody(models.TextChoices):
    CSP_CHILDREN = "children_partnership", "Children's safeguarding partnership"
    SAB = "sab", "Safeguarding adults board"
    CSP = "community_safety", "Community safety partnership"
    CDOP = "cdop", "Child death overview panel"
    OTHER = "other", "Other"


class Stage(models.TextChoices):
    """S-CRT's stages, in order."""

    NOTIFIED = "notified", "Notified"
    SCOPING = "scoping", "Scoping"
    IN_PROGRESS = "in_progress", "In progress"
    REPORT_DRAFTED = "report_drafted", "Report drafted"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"


OPEN_STAGES = [s for s in Stage if s != Stage.CLOSED]


class AgeGroup(models.TextChoices):
    CHILD = "child", "Child"
    TRANSITION = "transition", "Young person in transition (16 to 25)"
    ADULT = "adult", "Adult"


class ThemeCategory(models.TextChoices):
    ABUSE = "abuse", "Abuse or vulnerability"
    LEARNING = "learning", "Learning"


class AbuseTheme(models.TextChoices):
    """Care Act 2014 (adults) and Working Together 2023 (children) categories."""

    PHYSICAL = "physical", "Physical abuse"
    SEXUAL = "sexual", "Sexual abuse"
    EMOTIONAL = "emotional", "Emotional or psychological abuse"
    NEGLECT = "neglect", "Neglect or acts of omission"
    SELF_NEGLECT = "self_neglect", "Self-neglect"
    DOMESTIC = "domestic", "Domestic abuse"
    FINANCIAL = "financial", "Financial or material abuse"
    MODERN_SLAVERY = "modern_slavery", "Modern slavery"
    DISCRIMINATORY = "discriminatory", "Discriminatory abuse"
    ORGANISATIONAL = "organisational", "Organisational abuse"
    CHILD_SEXUAL_EXPLOITATION = "cse", "Child sexual exploitation"
    CHILD_CRIMINAL_EXPLOITATION = "cce", "Child criminal exploitation"
    EXTRA_FAMILIAL_HARM = "extra_familial", "Extra-familial harm"


class LearningTheme(models.TextChoices):
    SUPERVISION = "supervision", "Supervision"
    TRAINING = "training", "Training"
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment"
    TRANSITION = "transition", "Transition"
    PROFESSIONAL_ACCOUNTABILITY = "professional_accountability", "Professional accountability"
    INFORMATION_SHARING = "information_sharing", "Information sharing"
    PRIMARY_CARE_SUPPORT = "primary_care_support", "Support to primary care"
    MENTAL_CAPACITY = "mental_capacity", "Mental capacity"
    VOICE_OF_THE_CHILD = "voice_of_the_child", "Voice of the child"
    THINK_FAMILY = "think_family", "Think family"
    PROFESSIONAL_CURIOSITY = "professional_curiosity", "Professional curiosity"
    ESCALATION = "escalation", "Escalation"
    DOMESTIC_ABUSE_AWARENESS = "domestic_abuse_awareness", "Domestic abuse awareness"
    EXPLOITATION = "exploitation", "Exploitation"


THEME_LABELS = {**dict(AbuseTheme.choices), **dict(LearningTheme.choices)}
MAX_ABUSE_THEMES = 3


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
