"""The completeness and consistency check of a quarterly return: the one
place that says what must be put right before the approver can submit.

While drafting the same problems show as warnings (a draft saves what is
typed, see `assurance.models.returns`); at submission they refuse it. The
task list counts them per section ("3 problems in Leadership and
governance"), the section page shows each beside its standard or metric, and
the submit page lists them all, each a link to the field that puts it right.

The rules:

- a standard with no rating;
- not applicable without a reason;
- red or amber without an action;
- an action without an owner or a due date;
- green with no narrative and no evidence file;
- green on a standard whose posts-register rule does not hold for the ICB on
  the quarter's last day (today, while the quarter runs), unless the answer
  explains why green stands despite the finding (quoted in the problem);
- a metric the ICB reports with neither a figure nor a reason (computed
  metrics are the portal's and never a problem of the ICB's);
- an answer carried forward from an earlier quarter that nobody has yet
  confirmed or changed (`assurance.services.carry_forward`).

Read in a fixed number of queries whatever the number of answers: the
return's progress (`assurance.return_progress`); and with a green answer on
a register-linked standard and no explanation, one roll-up of the ICB's
posts register, of those rules' groups' posts (each post concerned, quoted
in the problem).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.urls import reverse

from assurance.models import (
    Answer,
    AnswerEvidence,
    Metric,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    SelfRating,
    Standard,
)
from assurance.register_rules import (
    RegisterCheck,
    standards_register_check,
)
from assurance.return_progress import ReturnProgress, SectionProgress, return_progress
from saaf.dates import nhs_date, today


class ProblemKind(models.TextChoices):
    NO_RATING = "no_rating", "No rating"
    NOT_APPLICABLE_NO_REASON = "not_applicable_no_reason", "Not applicable with no reason"
    NO_ACTION = "no_action", "Red or amber with no action"
    ACTION_NO_OWNER = "action_no_owner", "Action with no owner"
    ACTION_NO_DUE_DATE = "action_no_due_date", "Action with no due date"
    GREEN_NO_EVIDENCE = "green_no_evidence", "Green with no narrative or evidence file"
    GREEN_AGAINST_REGISTER = "green_against_register", "Green against the posts register"
    METRIC_MISSING = "metric_missing", "Metric with no figure and no reason"
    CARRIED_UNCONFIRMED = "carried_unconfirmed", "Carried forward, not yet confirmed or changed"


@dataclass(frozen=True)
class Problem:
    """One thing to put right: what, where (the standard or metric), and the
    id of the field on the section page that puts it right."""

    kind: ProblemKind
    code: str
    message: str
    field_id: str

    @property
    def text(self) -> str:
        return f"{self.code}: {self.message}"


def check_date(quarterly_return: QuarterlyReturn) -> datetime.date:
    """The day the register is checked for: the quarter's last day, or today
    while the quarter still runs."""
    return min(quarterly_return.period.ends_on, today())


def standard_problems(
    *,
    standard: Standard,
    answer: Answer | None,
    actions: list[ReturnAction],
    evidence: list[AnswerEvidence],
    register_check: RegisterCheck | None,
) -> list[Problem]:
    code = standard.code

    def problem(kind: ProblemKind, message: str, field: str) -> Problem:
        return Problem(kind, code, message, f"id_{code}-{field}")

    problems = []
    if answer is not None and answer.awaits_confirmation:
        ret = answer.carried_from.quarterly_return
        problems.append(
            problem(
                ProblemKind.CARRIED_UNCONFIRMED,
                f"Carried forward from {ret.icb.name}'s {ret.period.label} return: confirm it "
                "or change it.",
                "rating",
            )
        )
    rating = answer.rating if answer else ""
    if not rating:
        return [
            *problems,
            problem(
                ProblemKind.NO_RATING,
                "No rating: choose red, amber, green or not applicable.",
                "rating",
            ),
        ]
    if rating == SelfRating.NOT_APPLICABLE and not answer.not_applicable_reason.strip():
        problems.append(
            problem(
                ProblemKind.NOT_APPLICABLE_NO_REASON,
                "Not applicable with no reason: say why it does not apply.",
                "not_applicable_reason",
            )
        )
    if rating in (SelfRating.RED, SelfRating.AMBER) and not actions:
        problems.append(
            problem(
                ProblemKind.NO_ACTION,
                f"Rated {answer.get_rating_display().lower()} with no action: add what will "
                "be done.",
                "a0-description",
            )
        )
    for number, action in enumerate(actions, start=1):
        if not action.owner.strip():
            problems.append(
                problem(
                    ProblemKind.ACTION_NO_OWNER,
                    f"Action {number} has no owner: name the role or team.",
                    f"a{number - 1}-owner",
                )
            )
        if action.due_on is None:
            problems.append(
                problem(
                    ProblemKind.ACTION_NO_DUE_DATE,
                    f"Action {number} has no due date: give one.",
                    f"a{number - 1}-due_on_day",
                )
            )
    if rating == SelfRating.GREEN:
        if not answer.narrative.strip() and not evidence:
            problems.append(
                problem(
                    ProblemKind.GREEN_NO_EVIDENCE,
                    "Rated green with no narrative evidence and no evidence file: say what "
                    "assures you, or add a file.",
                    "narrative",
                )
            )
        if (
            register_check is not None
            and not register_check.holds
            and not answer.explanation.strip()
        ):
            found = "; ".join(
                f"{post.organisation_name}: {post.detail}" for post in register_check.concerned
            )
            problems.append(
                problem(
                    ProblemKind.GREEN_AGAINST_REGISTER,
                    f"Rated green, but on {nhs_date(register_check.on)} the posts register "
                    f"shows: {found}. {register_check.rule.words} Explain why green stands "
                    "despite this, or change the rating.",
                    "explanation",
                )
            )
    return problems


def metric_problems(*, metric: Metric, value: MetricValue | None) -> list[Problem]:
    if metric.is_computed:
        return []
    if value is None or (value.value is None and not value.not_available_reason.strip()):
        return [
            Problem(
                ProblemKind.METRIC_MISSING,
                metric.code,
                "No figure and no reason why it is not available: give one or the other.",
                f"id_{metric.code}-value",
            )
        ]
    return []


@dataclass
class SectionProblems:
    section: SectionProgress
    url: str
    problems: list[Problem]

    @property
    def count(self) -> int:
        return len(self.problems)

    def links(self) -> list[dict[str, str]]:
        """The problems as an NHS error summary's list: text and link."""
        return [{"text": p.text, "href": f"{self.url}#{p.field_id}"} for p in self.problems]


@dataclass
class ReturnCheck:
    """The check's result: the return's progress with each standard's and
    metric's problems set on it, and the problems by section. The register's
    check of a register-linked standard (each post concerned) is read when
    first asked for, once."""

    progress: ReturnProgress
    sections: list[SectionProblems]
    on: datetime.date
    _register_checks: dict[str, RegisterCheck] = field(default_factory=dict)

    @property
    def register_checks(self) -> dict[str, RegisterCheck]:
        """The register check of every register-linked standard of the return."""
        return self.register_checks_for(
            [item.standard for s in self.progress.sections for item in s.standards]
        )

    def register_checks_for(self, standards: list[Standard]) -> dict[str, RegisterCheck]:
        """The register checks of `standards` (a section's, or the problems'):
        those not yet read, read together (the posts of their rules' groups
        only); none read when none of them is register-linked."""
        ruled = [s for s in standards if s.register_rule is not None]
        unread = [s for s in ruled if s.code not in self._register_checks]
        if unread:
            self._register_checks |= standards_register_check(
                standards=unread, icb=self.progress.quarterly_return.icb, on=self.on
            )
        return {s.code: self._register_checks[s.code] for s in ruled}

    @property
    def problems(self) -> list[Problem]:
        return [p for s in self.sections for p in s.problems]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def passes(self) -> bool:
        return self.count == 0

    def section(self, code: str) -> SectionProblems | None:
        return next((s for s in self.sections if s.section.section.code == code), None)

    def links(self) -> list[dict[str, str]]:
        return [link for s in self.sections for link in s.links()]


def _register_problem_checks(check: ReturnCheck, items) -> dict[str, RegisterCheck]:
    """The register checks a problem needs: only a green answer with no
    explanation can go against the register, and only where the rule does not
    hold, whose posts the problem then quotes. Read with their rules' posts
    at once (the posts of those rules' groups only): counting first whether
    they hold saved the posts only where every rule held, and cost as much
    again where one failed."""
    green = [
        item.standard
        for item in items
        if item.standard.register_rule is not None
        and item.answer is not None
        and item.answer.rating == SelfRating.GREEN
        and not item.answer.explanation.strip()
    ]
    return check.register_checks_for(green) if green else {}


def return_problems(quarterly_return: QuarterlyReturn, *, section: str = "") -> ReturnCheck:
    """Every problem of the return by section and standard (or metric), in a
    fixed number of queries: the progress's, then (only with a green answer
    on a register-linked standard with no explanation) four to read the
    posts those rules cover.

    With `section` (a code), only that section is checked, for its page,
    which shows no other: `sections` then holds that section alone, and the
    counts are its own."""
    progress = return_progress(quarterly_return)
    check = ReturnCheck(progress, [], check_date(quarterly_return))
    checked = [s for s in progress.sections if not section or s.section.code == section]
    checks = _register_problem_checks(check, [item for s in checked for item in s.standards])
    args = [
        quarterly_return.icb.code,
        quarterly_return.period.financial_year,
        quarterly_return.period.quarter,
    ]
    for one in checked:
        found = []
        for item in one.standards:
            item.problems = standard_problems(
                standard=item.standard,
                answer=item.answer,
                actions=item.actions,
                evidence=item.evidence,
                register_check=checks.get(item.standard.code),
            )
            found += item.problems
        for item in one.metrics:
            item.problems = metric_problems(metric=item.metric, value=item.value)
            found += item.problems
        url = reverse("assurance:return_section", args=[*args, one.section.code])
        check.sections.append(SectionProblems(one, url, found))
    return check
