"""Historical quarterly returns for the generated national data
(`generate_national_data`): every ICB each closed period expects, from Q2
2022/23 (the ICBs' first quarter) to the latest closed quarter, in the states
a national lead finds looking back — most accepted, some returned and
resubmitted as version 2, some late, a few never started, the latest
quarter's partly still under review.

Ratings drift: each ICB's standing on each standard is a random walk from
quarter to quarter (an ICB-wide trend plus the standard's own steps), so an
ICB's heatmap changes a little each quarter rather than at random. Metric
values follow their ICB's level with noise and an occasional lasting step.
A successor ICB starts from its predecessors' standing.

Rows are bulk inserted, a period at a time and `CHUNK` returns at a time (so
memory stays flat at any scale), and are what the services would have
written (`assurance.services.returns` and `.submissions`): the draft's
answers are the latest submission's, every submission copies its answers,
actions and metric values with the register check of the quarter's last day
(`standards_register_check`, as the completeness check runs it), versions
count from 1, a return is late when its first submission came after the due
date, a green the register contradicts carries an explanation, a red or
amber an action with an owner and a due date. Who signed and reviewed are
generated approvers and regional leads (no password: nobody signs in as
them). Made-up data is nobody's change: no audit events.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db.models import Case, DateTimeField, Value, When

from assurance.models import (
    DECLARATION_TEXT,
    ActionStatus,
    Answer,
    MetricValue,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
    ReturnComment,
    ReturnStatus,
    SelfRating,
    Submission,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
    ToolkitVersion,
)
from assurance.models.periods import financial_year_of
from assurance.national_drift import ICB_STEP, StandingWalk
from assurance.national_people import GeneratedPeople
from assurance.rating import metric_rate
from assurance.register_rules import standards_register_check
from organisations.choices import Role
from organisations.models import Organisation, User, succession_links
from saaf.dates import LONDON

BATCH_SIZE = 2000
CHUNK = 100  # returns built and inserted together
FIRST_YEAR = 2022
ICBS_ESTABLISHED = datetime.date(2022, 7, 1)  # so Q2 2022/23 is their first quarter

# Chances per return expected in a closed period.
MISSING = 0.02
LATE = 0.08
RESUBMITTED = 0.10
VALIDATED = 0.35  # of reviewed returns: the lead recorded validated ratings
COMMENTED = 0.15
# The latest closed period: the region's review is not finished everywhere.
LATEST_UNDER_REVIEW = 0.15
LATEST_SUBMITTED = 0.20

_NARRATIVE = {
    SelfRating.GREEN: "Assured through the safeguarding committee; minutes of {month}.",
    SelfRating.AMBER: "Partly in place: a recovery plan is agreed with the providers concerned.",
    SelfRating.RED: "Not met this quarter: the lead post is vacant and cover is partial.",
}
_EXPLANATION = "Interim cover agreed with the host provider while the post is recruited to."
_ACTIONS = [
    ("Agree a recovery plan with the providers concerned", "Designated nurse"),
    ("Report progress to the safeguarding committee", "Deputy chief nurse"),
    ("Recruit to the vacant post", "Director of nursing"),
]


@dataclass
class HistoryReport:
    returns: int = 0
    missing: int = 0
    submissions: int = 0
    late: int = 0
    resubmitted: int = 0
    comments: int = 0
    periods: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {
            "historical returns": self.returns,
            "submissions": self.submissions,
            "late": self.late,
            "resubmitted": self.resubmitted,
            "never started": self.missing,
            "comments": self.comments,
        }


def history_periods(today: datetime.date) -> list[ReportingPeriod]:
    """The closed periods from the ICBs' first quarter, oldest first, after
    making sure every financial year since 2022/23 has its toolkit and periods."""
    from assurance.toolkit_content import toolkit_content_load, toolkit_published_dates
    from organisations.audit import system_actor

    years = tuple(range(FIRST_YEAR, financial_year_of(today) + 1))
    report = toolkit_content_load(actor=system_actor(), financial_years=years)
    # The file dates only the shipped versions: an earlier year's, made here,
    # was published before its year began, not on the day of generation.
    dated = toolkit_published_dates()
    for year in {int(label[:4]) for label in report.created_versions} - set(dated):
        ToolkitVersion.objects.filter(financial_year=year).update(
            published_at=datetime.datetime(year, 3, 28, 12, tzinfo=LONDON)
        )
    periods = (
        ReportingPeriod.objects.filter(closes_on__lt=today, financial_year__gte=FIRST_YEAR)
        .select_related("toolkit_version")
        .order_by("financial_year", "quarter")
    )
    return [p for p in periods if p.ends_on >= ICBS_ESTABLISHED]


def national_history_generate(
    *,
    seed: int,
    today: datetime.date,
    since: int = FIRST_YEAR,
    excluded: frozenset[int] = frozenset(),
) -> dict[str, int]:
    """Historical returns for every ICB each closed period expects (the real
    ones, closed ones included, and the synthetic copies), as of `today`;
    from the financial year `since` (the tests take fewer years). The ICBs
    `excluded` (by id) get none: the demo makes its own region's by hand."""
    rng = random.Random(f"history-{seed}")  # noqa: S311 (made-up data, not security)
    periods = [p for p in history_periods(today) if p.financial_year >= since]
    report = HistoryReport()
    if not periods:
        return report.as_counts()
    people = GeneratedPeople.make(periods, excluded=excluded)
    walk = StandingWalk(rng)
    successors: dict[int, list[int]] = {}
    for predecessor, successor in succession_links():
        successors.setdefault(predecessor, []).append(successor)
    for predecessor_list in successors.values():
        predecessor_list.sort()
    for period in periods:
        # The real ICBs of the day, closed ones included, and the synthetic copies.
        expected = list(
            Organisation.objects.icbs()
            .existing_on(period.ends_on)
            .exclude(pk__in=excluded)
            .order_by("code")
            .only("pk", "code", "name", "parent_id", "closed")
        )
        standards = list(period.toolkit_version.standards.order_by("section__position", "position"))
        metrics = list(period.toolkit_version.metrics.order_by("section__position", "position"))
        latest = period is periods[-1]
        for start in range(0, len(expected), CHUNK):
            chunk = _Chunk(rng, period, standards, metrics, people, walk, successors, report)
            chunk.make(expected[start : start + CHUNK], latest=latest, today=today)
        report.periods.append(period.label)
    return report.as_counts()


# --- One chunk of returns ------------------------------------------------------------------


def _validate(row: SubmittedAnswer, *, differs: bool, lead: User, at: datetime.datetime) -> None:
    rating = row.rating
    if differs:
        rating = {"green": "amber", "amber": "red", "red": "amber"}[rating]
    row.validated_rating = rating
    row.validated_rationale = (
        "The evidence supports a different rating: see the comments."
        if differs
        else "Agreed: the narrative and minutes support this rating."
    )
    row.validated_by = lead
    row.validated_at = at


_HOUR = datetime.timedelta(hours=1)


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=LONDON
    )


def _days(day: datetime.date, low: int, high: int, rng: random.Random) -> datetime.date:
    return day + datetime.timedelta(days=rng.randint(low, high))


@dataclass
class _Plan:
    """One return's quarter: its answers by version, its dates and its end state."""

    icb: Organisation
    completed_by: int | None
    status: str
    versions: list[dict]  # per version: {"at", "answers": {code: (rating, explanation)}}
    late: bool
    returned_on: datetime.date | None = None
    reviewed_at: datetime.datetime | None = None
    validated: bool = False
    commented: bool = False
    figures: dict = field(default_factory=dict)
    against: set[str] = field(default_factory=set)  # greens the register contradicts


class _Chunk:
    def __init__(self, rng, period, standards, metrics, people, walk, successors, report):
        self.rng, self.period, self.people, self.walk = rng, period, people, walk
        self.standards, self.metrics, self.successors = standards, metrics, successors
        self.report = report
        self.month = f"{period.ends_on:%B %Y}"
        self.checks: dict[int, dict] = {}  # register checks by return
        self.typed: dict[tuple[int, int], MetricValue] = {}

    def make(self, icbs: list[Organisation], *, latest: bool, today: datetime.date) -> None:
        self.today = today
        plans = [plan for icb in icbs if (plan := self.plan(icb, latest=latest)) is not None]
        if not plans:
            return
        returns = QuarterlyReturn.objects.bulk_create(
            [
                QuarterlyReturn(
                    icb=plan.icb,
                    period=self.period,
                    status=plan.status,
                    completed_by_id=plan.completed_by,
                    started_by=self.approver(plan),
                    returned_on=plan.returned_on,
                )
                for plan in plans
            ],
            batch_size=BATCH_SIZE,
        )
        self.drafts(plans, returns)
        self.submissions(plans, returns)
        self.comments(plans, returns)
        self.dates(plans, returns)
        self.report.returns += len(returns)

    def dates(self, plans: list[_Plan], returns: list[QuarterlyReturn]) -> None:
        """The times the database set to now (`auto_now`), set back to the
        quarter's: started after the quarter ended, last saved before the
        latest submission."""
        started = _at(self.period.ends_on + datetime.timedelta(days=2), self.rng)
        QuarterlyReturn.objects.filter(pk__in=[r.pk for r in returns]).update(started_at=started)
        saved = Case(
            *(
                When(quarterly_return_id=ret.pk, then=Value(plan.versions[-1]["at"] - _HOUR))
                for plan, ret in zip(plans, returns, strict=True)
            ),
            output_field=DateTimeField(),
        )
        for model in (Answer, MetricValue):
            model.objects.filter(quarterly_return__in=returns).update(updated_at=saved)

    def approver(self, plan: _Plan) -> User:
        return self.people.approvers[plan.completed_by or plan.icb.pk]

    def plan(self, icb: Organisation, *, latest: bool) -> _Plan | None:
        rng, period = self.rng, self.period
        predecessors = [p for p, s in self.successors.items() if icb.pk in s]
        self.walk.start(icb.pk, predecessors)
        shared = self.walk.trend[icb.pk] + rng.gauss(0, ICB_STEP)
        answers = {}
        for standard in self.standards:
            answers[standard.code] = self.walk.rating(icb.pk, standard.code, shared)
        figures = {m.code: self.walk.figure(icb.pk, m) for m in self.metrics}
        if rng.random() < MISSING:
            self.report.missing += 1
            return None  # never started: the walk goes on regardless
        started = period.ends_on + datetime.timedelta(days=2)
        completed_by = None
        if icb.closed is not None and icb.closed < started:
            completed_by = self.successors.get(icb.pk, [None])[0]  # the one named
        late = rng.random() < LATE
        first = _days(period.due_on, 1, 10, rng) if late else _days(period.ends_on, 5, 30, rng)
        first = min(first, period.closes_on) if late else min(first, period.due_on)
        versions = [{"at": _at(first, rng), "answers": dict(answers)}]
        plan = _Plan(icb, completed_by, ReturnStatus.ACCEPTED, versions, late, figures=figures)
        if rng.random() < RESUBMITTED:
            plan.returned_on = min(_days(first, 3, 5, rng), period.closes_on)
            again = min(_days(plan.returned_on, 2, 5, rng), period.closes_on)
            # Version 1 said better than the region accepted: one to three
            # standards were green, and are amber in version 2.
            earlier = dict(answers)
            rated = [c for c, r in answers.items() if r == SelfRating.AMBER]
            for code in rng.sample(rated, min(len(rated), rng.randint(1, 3))):
                earlier[code] = SelfRating.GREEN
            versions.insert(0, {"at": versions[0]["at"], "answers": earlier})
            versions[1]["at"] = _at(again, rng)
            self.report.resubmitted += 1
        last = versions[-1]["at"].date()
        reviewed = min(_days(last, 2, 9, rng), self.today - datetime.timedelta(days=1))
        plan.reviewed_at = max(_at(reviewed, rng), versions[-1]["at"] + datetime.timedelta(hours=1))
        if latest:
            draw = rng.random()
            if draw < LATEST_SUBMITTED:
                plan.status, plan.reviewed_at = ReturnStatus.SUBMITTED, None
            elif draw < LATEST_SUBMITTED + LATEST_UNDER_REVIEW:
                plan.status = ReturnStatus.UNDER_REVIEW
        plan.validated = plan.reviewed_at is not None and rng.random() < VALIDATED
        plan.commented = plan.returned_on is not None or rng.random() < COMMENTED
        self.report.late += late
        self.report.submissions += len(versions)
        return plan

    # --- Rows --------------------------------------------------------------------------

    def answer_fields(self, code: str, rating: str, against: set[str]) -> dict:
        return {
            "rating": rating,
            "not_applicable_reason": "The ICB commissions no such service."
            if rating == SelfRating.NOT_APPLICABLE
            else "",
            "narrative": _NARRATIVE.get(rating, "").format(month=self.month),
            "explanation": _EXPLANATION if rating == SelfRating.GREEN and code in against else "",
        }

    def actions_for(self, rating: str, code: str) -> list[dict]:
        if rating not in (SelfRating.RED, SelfRating.AMBER):
            return []
        count = 2 if rating == SelfRating.RED else 1
        start = sum(map(ord, code)) % len(_ACTIONS)
        return [
            {
                "description": _ACTIONS[(start + n) % len(_ACTIONS)][0],
                "owner": _ACTIONS[(start + n) % len(_ACTIONS)][1],
                "due_on": self.period.ends_on + datetime.timedelta(days=90 + 30 * n),
                "status": ActionStatus.IN_PROGRESS if n == 0 else ActionStatus.NOT_STARTED,
                "position": n,
            }
            for n in range(count)
        ]

    def drafts(self, plans: list[_Plan], returns: list[QuarterlyReturn]) -> None:
        """The draft as the latest submission left it (answers, actions, figures)."""
        answers = []
        for plan, ret in zip(plans, returns, strict=True):
            checks = standards_register_check(
                standards=self.standards, icb=plan.icb, on=self.period.ends_on
            )
            self.checks[ret.pk] = checks
            plan.against = {code for code, check in checks.items() if not check.holds}
            final = plan.versions[-1]["answers"]
            for standard in self.standards:
                answers.append(
                    Answer(
                        quarterly_return=ret,
                        standard=standard,
                        revision=len(plan.versions),
                        updated_by=self.approver(plan),
                        **self.answer_fields(standard.code, final[standard.code], plan.against),
                    )
                )
        Answer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
        ReturnAction.objects.bulk_create(
            [
                ReturnAction(answer=answer, **values)
                for answer in answers
                for values in self.actions_for(answer.rating, answer.standard.code)
            ],
            batch_size=BATCH_SIZE,
        )
        values = []
        for plan, ret in zip(plans, returns, strict=True):
            for number, metric in enumerate(self.metrics):
                if metric.is_computed:
                    continue
                unavailable = (ret.pk + number) % 37 == 0
                values.append(
                    MetricValue(
                        quarterly_return=ret,
                        metric=metric,
                        value=None if unavailable else plan.figures[metric.code],
                        not_available_reason="The provider's system was replaced this quarter."
                        if unavailable
                        else "",
                        revision=1,
                        updated_by=self.approver(plan),
                    )
                )
        MetricValue.objects.bulk_create(values, batch_size=BATCH_SIZE)
        self.typed = {(v.quarterly_return_id, v.metric_id): v for v in values}

    def submissions(self, plans: list[_Plan], returns: list[QuarterlyReturn]) -> None:
        """Every version as `quarterly_return_submit` copies it."""
        rows, made = [], []
        for plan, ret in zip(plans, returns, strict=True):
            approver = self.approver(plan)
            completing = self.people.names[plan.completed_by or plan.icb.pk]
            for number, version in enumerate(plan.versions, start=1):
                rows.append(
                    Submission(
                        quarterly_return=ret,
                        version=number,
                        submitted_at=version["at"],
                        submitted_by=approver,
                        submitted_by_name=approver.full_name,
                        submitted_by_role=f"{Role.ICB_APPROVER.label}, {completing}",
                        declaration=DECLARATION_TEXT,
                        late=plan.late,
                    )
                )
                made.append((plan, ret, version, number == len(plan.versions)))
        Submission.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        answers, metric_rows = [], []
        for submission, (plan, ret, version, is_latest) in zip(rows, made, strict=True):
            checks = self.checks[ret.pk]
            lead = self.people.leads[plan.icb.parent_id]
            for number, standard in enumerate(self.standards):
                rating = version["answers"][standard.code]
                check = checks.get(standard.code)
                row = SubmittedAnswer(
                    submission=submission,
                    standard=standard,
                    register_holds=check.holds if check else None,
                    register_check=check.to_dict() if check else None,
                    **self.answer_fields(standard.code, rating, plan.against),
                )
                # The lead rated a third of the standards, a few differently.
                if is_latest and plan.validated and rating != "not_applicable" and number % 3 == 0:
                    _validate(row, differs=(number // 3) % 7 == 0, lead=lead, at=plan.reviewed_at)
                answers.append(row)
            for metric in self.metrics:
                typed = self.typed.get((ret.pk, metric.pk))
                value = typed.value if typed else None
                computed = plan.figures[metric.code] if metric.is_computed else None
                metric_rows.append(
                    SubmittedMetricValue(
                        submission=submission,
                        metric=metric,
                        value=value,
                        not_available_reason=typed.not_available_reason if typed else "",
                        computed_value=computed,
                        computed_detail="Counted from the posts register on the quarter's last day."
                        if metric.is_computed
                        else "",
                        rating=metric_rate(metric, computed if metric.is_computed else value),
                    )
                )
        SubmittedAnswer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
        SubmittedAction.objects.bulk_create(
            [
                SubmittedAction(answer=answer, **values)
                for answer in answers
                for values in self.actions_for(answer.rating, answer.standard.code)
            ],
            batch_size=BATCH_SIZE,
        )
        SubmittedMetricValue.objects.bulk_create(metric_rows, batch_size=BATCH_SIZE)

    def comments(self, plans: list[_Plan], returns: list[QuarterlyReturn]) -> None:
        """A question from the region on one standard and the ICB's answer."""
        questions, answers = [], []
        for plan, ret in zip(plans, returns, strict=True):
            if not plan.commented:
                continue
            lead = self.people.leads[plan.icb.parent_id]
            approver = self.approver(plan)
            standard = self.standards[(ret.pk * 7) % len(self.standards)]
            asked = plan.versions[0]["at"] + datetime.timedelta(days=2)
            questions.append(
                ReturnComment(
                    quarterly_return=ret,
                    standard=standard,
                    author=lead,
                    author_name=lead.full_name,
                    author_organisation_id=plan.icb.parent_id,
                    author_role=Role.REGIONAL_LEAD.label,
                    text=f"What assures you on {standard.code} across all your providers?",
                    created_at=asked,
                )
            )
            answers.append(
                (
                    len(questions) - 1,
                    ReturnComment(
                        quarterly_return=ret,
                        standard=standard,
                        author=approver,
                        author_name=approver.full_name,
                        author_organisation_id=plan.completed_by or plan.icb.pk,
                        author_role=Role.ICB_APPROVER.label,
                        text="The contract reviews cover them; the minutes are attached to "
                        "the next version.",
                        created_at=asked + datetime.timedelta(hours=20),
                    ),
                )
            )
        ReturnComment.objects.bulk_create(questions, batch_size=BATCH_SIZE)
        for index, reply in answers:
            reply.parent = questions[index]
        ReturnComment.objects.bulk_create([reply for _, reply in answers], batch_size=BATCH_SIZE)
        self.report.comments += len(questions) + len(answers)
