"""Demo history: the London ICBs' quarterly returns for the four quarters
before the periods still open, in every state a regional lead meets —
accepted; returned and resubmitted as version 2; under review with validated
ratings that differ from the self-assessment; submitted and awaiting review;
one submitted late; one never started — with comments threaded between the
ICB and the region.

Made through the services, step by step, each at the moment it happened:
the services read the clock themselves (`saaf.dates.today()` for the due and
closing dates, `timezone.now()` for submission, review, comment and audit
times) and offer no "as at" parameter, so `_clock` sets Django's clock to each
step's moment while the step runs. Everything written — version numbers, the
late flag, times, audit events — is then what the services wrote, with the
dates a reader expects (a Q3 return submitted in January, not today). The
clock is a process-wide switch: only for this command, never in a server.

The demo personas act where they can (Z9B2Z's editor and approver, QMF's
approver, the London lead and chief nurse). The other London ICBs had teams
too: each gets one approver, who cannot sign in (no password). Returns of
QMJ and QRV owed after they closed on 31 March 2026 are completed by their
successor Z9B2Z, as the services require.

Run by `manage.py load_demo_data`; never in production. A return that exists
is left alone, so running it again adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assurance.models import (
    Answer,
    MetricUnit,
    QuarterlyReturn,
    ReportingPeriod,
    SelfRating,
    SubmittedAnswer,
)
from assurance.register_rules import standards_register_check
from assurance.services.comments import return_comment_add
from assurance.services.returns import (
    ActionInput,
    AnswerInput,
    answer_save,
    metric_value_save,
    quarterly_return_start,
)
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
    submitted_answer_validate,
)
from assurance.tasks import notifications_held
from organisations import services as organisation_services
from organisations.audit import system_actor
from organisations.demo import DEMO_DOMAIN
from organisations.models import Organisation, Role, User
from saaf.dates import LONDON, today

REGION = "Y56"  # London
QUARTERS = 4

# What happens to each return, by quarter (0 the oldest of the four) and ICB;
# any other London ICB's return is accepted.
ACCEPTED = "accepted"
VALIDATED = "accepted with validated ratings"
RESUBMITTED_ACCEPTED = "returned, resubmitted and accepted"
LATE = "submitted late and accepted"
MISSING = "missing"
RESUBMITTED = "returned and resubmitted, awaiting review"
SUBMITTED = "submitted, awaiting review"
UNDER_REVIEW = "under review"
SCENARIOS = {
    (0, "QRV"): VALIDATED,
    (0, "QWE"): RESUBMITTED_ACCEPTED,
    (1, "QKK"): RESUBMITTED_ACCEPTED,
    (1, "QMF"): VALIDATED,
    (1, "QRV"): LATE,
    (2, "QRV"): VALIDATED,
    (2, "QWE"): MISSING,
    (3, "QMF"): RESUBMITTED,
    (3, "QWE"): SUBMITTED,
    (3, "Z9B2Z"): UNDER_REVIEW,
}

# The teams of the London ICBs without a persona: one approver each.
_TEAMS = {
    "QKK": "Olivia Mensah",
    "QWE": "Rhys Morgan",
    "QMJ": "Nadia Hussain",
    "QRV": "Peter Lowe",
}

_GREEN = [
    "Assured through the safeguarding committee's quarterly report; minutes of {month} "
    "record the discussion and the committee's challenge.",
    "Audit of {month} found the standard met across the ICB's providers; no exceptions.",
    "Reported to the quality committee in {month}; the designated professionals confirm it "
    "is in place.",
]
_AMBER = [
    "Partly in place: two providers have not yet evidenced it. Recovery plan agreed at the "
    "{month} contract review.",
    "Improving, but below what the standard asks; the designated nurse is following it up.",
]
_RED = [
    "Not met this quarter: the post that leads on this is vacant and interim cover is partial.",
]
_ACTIONS = [
    ("Agree a recovery plan with the providers concerned", "Designated nurse, safeguarding"),
    ("Report progress to the safeguarding committee", "Deputy chief nurse"),
    ("Recruit to the vacant post", "Director of nursing"),
]


class _Clock:
    """Django's clock, set to a moment that moves on a second per reading, so
    that events of one step keep their order."""

    def __init__(self, moment: datetime.datetime):
        self.moment = moment

    def __call__(self) -> datetime.datetime:
        self.moment += datetime.timedelta(seconds=1)
        return self.moment


@contextlib.contextmanager
def _clock(
    day: datetime.date, hour: int, minute: int = 0, *, durable: bool = False
) -> Iterator[None]:
    """Run the block as if it were `hour:minute` on `day` in London, in one
    transaction unless it is `durable` (a submission is its own commit)."""
    moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)
    if moment >= timezone.now():
        raise ValueError(f"The demo history cannot happen at {moment}, which is to come.")
    real = timezone.now
    timezone.now = _Clock(moment)
    try:
        if durable:
            yield
        else:
            # One commit per step rather than one per answer (the services'
            # own transactions nest as savepoints): a file-backed SQLite
            # database syncs to disk at each commit.
            with transaction.atomic():
                yield
    finally:
        timezone.now = real


def history_periods(on: datetime.date) -> list[ReportingPeriod]:
    """The four most recent periods closed on `on`, oldest first."""
    closed = ReportingPeriod.objects.filter(closes_on__lt=on).select_related("toolkit_version")
    return list(closed.order_by("-financial_year", "-quarter")[:QUARTERS])[::-1]


def populate() -> None:
    on = today()
    periods = history_periods(on)
    if len(periods) < QUARTERS:
        from assurance.toolkit_content import toolkit_content_load

        toolkit_content_load(actor=system_actor())  # the shipped years and their periods
        periods = history_periods(on)
    region = Organisation.objects.filter(code=REGION).first()
    lead = _persona("lead.london")
    if region is None or lead is None:
        return
    people = {
        "lead": lead,
        "chief_nurse": _persona("chiefnurse.london"),
        "Z9B2Z": (_persona("editor.z9b2z"), _persona("approver.z9b2z")),
        "QMF": (_persona("approver.qmf"), _persona("approver.qmf")),
    }
    for code, name in _TEAMS.items():
        approver = _team_approver(code, name)
        if approver is not None:
            people[code] = (approver, approver)
    with notifications_held():  # months-old events: nobody is e-mailed about them
        for period, icb, scenario in _plan(periods, region):
            if (
                scenario == MISSING
                or QuarterlyReturn.objects.filter(icb=icb, period=period).exists()
            ):
                continue  # never started, or already made (leave it as it is)
            team = _team(icb, period, people)
            if team is not None:
                _History(period, icb, team, people, scenario).run()


def _plan(periods: list[ReportingPeriod], region: Organisation) -> list[tuple]:
    """(period, ICB, scenario) for every return the quarters expect. The ICBs
    the quarters expect change as time passes (QMJ and QRV go): a state no
    ICB was given goes to an accepted one, the latest quarter first, so every
    state is always shown."""
    plan = []
    for index, period in enumerate(periods):
        icbs = Organisation.objects.icbs().existing_on(period.ends_on).filter(parent=region)
        for icb in icbs.order_by("code"):
            plan.append([period, icb, SCENARIOS.get((index, icb.code), ACCEPTED)])
    given = {scenario for _, _, scenario in plan}
    spare = [row for row in reversed(plan) if row[2] == ACCEPTED]
    for scenario in dict.fromkeys(SCENARIOS.values()):
        if scenario not in given and spare:
            spare.pop(0)[2] = scenario
    return [tuple(row) for row in plan]


def _persona(local_part: str) -> User | None:
    return User.objects.filter(email=f"{local_part}@{DEMO_DOMAIN}").first()


def _team_approver(code: str, name: str) -> User | None:
    """The approver of a London ICB without a persona, made once (no password:
    they are the history's authors, not a way in)."""
    icb = Organisation.objects.filter(code=code).first()
    if icb is None:
        return None
    email = f"approver.{code.lower()}@{DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        actor = system_actor()
        user = organisation_services.user_create(actor=actor, email=email, full_name=name)
        organisation_services.membership_grant(
            actor=actor, user=user, organisation=icb, role=Role.ICB_APPROVER
        )
    return user


def _team(icb: Organisation, period: ReportingPeriod, people: dict):
    """Who drafts and who submits: the ICB's own team while it exists on the
    day the return is started, else its successor's."""
    if icb.existed_on(period.ends_on + datetime.timedelta(days=1)):
        return people.get(icb.code)
    successors = icb.successors()
    return people.get(successors[0].code) if len(successors) == 1 else None


class _History:
    """One return's quarter, told step by step at the dates it happened."""

    def __init__(self, period, icb, team, people, scenario):
        self.period, self.icb, self.scenario = period, icb, scenario
        self.editor, self.approver = team
        self.lead, self.chief_nurse = people["lead"], people["chief_nurse"]
        self.rng = random.Random(f"{icb.code}-{period.financial_year}-{period.quarter}")  # noqa: S311
        self.standards = list(
            period.toolkit_version.standards.order_by("section__position", "position")
        )
        self.ret: QuarterlyReturn | None = None

    def day(self, after_end: int) -> datetime.date:
        return self.period.ends_on + datetime.timedelta(days=after_end)

    def run(self) -> None:
        with _clock(self.day(1), 9, 30):
            self.ret = quarterly_return_start(actor=self.editor, icb=self.icb, period=self.period)
            self.answer_all()
        submitted_on = self.period.due_on + (
            datetime.timedelta(days=6) if self.scenario == LATE else datetime.timedelta(days=-4)
        )
        with _clock(submitted_on, 15, durable=True):
            quarterly_return_submit(
                actor=self.approver, quarterly_return=self.ret, declaration=True
            )
        if self.scenario == SUBMITTED:
            return
        review_on = submitted_on + datetime.timedelta(days=3)
        with _clock(review_on, 10):
            quarterly_return_review_start(actor=self.lead, quarterly_return=self.ret)
        if self.scenario in (RESUBMITTED, RESUBMITTED_ACCEPTED):
            review_on = self.send_back_and_resubmit(review_on)
            if self.scenario == RESUBMITTED:
                return
            with _clock(review_on, 10):
                quarterly_return_review_start(actor=self.lead, quarterly_return=self.ret)
        if self.scenario in (VALIDATED, UNDER_REVIEW):
            with _clock(review_on, 11):
                self.validate()
        if self.scenario == UNDER_REVIEW:
            self.conversation(review_on, about="validated")
            return
        with _clock(review_on + datetime.timedelta(days=1), 16):
            quarterly_return_accept(
                actor=self.lead,
                quarterly_return=self.ret,
                comment="Accepted: a clear account of the quarter. Thank you.",
            )
        if self.scenario == VALIDATED and self.chief_nurse is not None:
            with _clock(review_on + datetime.timedelta(days=2), 9):
                return_comment_add(
                    actor=self.chief_nurse,
                    quarterly_return=self.ret,
                    text="Noted for the regional quality group: the validated ratings will "
                    "feed the regional report.",
                )

    # --- Drafting ---------------------------------------------------------------------

    def rating(self, standard) -> str:
        draw = self.rng.random()
        if draw < 0.05:
            return SelfRating.NOT_APPLICABLE
        if draw < 0.10:
            return SelfRating.RED
        if draw < 0.28:
            return SelfRating.AMBER
        return SelfRating.GREEN

    def answer(self, rating: str, *, explanation: str = "") -> AnswerInput:
        month = f"{self.period.ends_on:%B %Y}"
        texts = {"green": _GREEN, "amber": _AMBER, "red": _RED}.get(rating)
        actions = []
        if rating in (SelfRating.RED, SelfRating.AMBER):
            for what, owner in self.rng.sample(_ACTIONS, 1 if rating == "amber" else 2):
                actions.append(
                    ActionInput(
                        description=what,
                        owner=owner,
                        due_on=self.period.ends_on + datetime.timedelta(days=90),
                        status="in_progress",
                    )
                )
        return AnswerInput(
            rating=rating,
            not_applicable_reason="The ICB commissions no such service."
            if rating == SelfRating.NOT_APPLICABLE
            else "",
            narrative=self.rng.choice(texts).format(month=month) if texts else "",
            explanation=explanation,
            actions=actions,
        )

    def answer_all(self) -> None:
        # Where the posts register contradicts a green on the quarter's last
        # day, the team explains why green stands (the completeness check's
        # own register check, so the submission passes it).
        against = {
            code
            for code, check in standards_register_check(
                standards=self.standards, icb=self.icb, on=self.period.ends_on
            ).items()
            if not check.holds
        }
        for standard in self.standards:
            rating = self.rating(standard)
            explanation = (
                "The gap is covered by an interim arrangement agreed with the provider; "
                "recruitment is under way."
                if rating == SelfRating.GREEN and standard.code in against
                else ""
            )
            answer_save(
                actor=self.editor,
                quarterly_return=self.ret,
                standard=standard,
                answer=self.answer(rating, explanation=explanation),
                revision=0,
            )
        metrics = self.period.toolkit_version.metrics.filter(computed_from="")
        for number, metric in enumerate(metrics.order_by("position")):
            reason = "The provider's system was replaced this quarter." if number == 5 else ""
            metric_value_save(
                actor=self.editor,
                quarterly_return=self.ret,
                metric=metric,
                value=None if reason else _figure(self.rng, metric),
                not_available_reason=reason,
                revision=0,
            )

    def resave(self, standard, answer: AnswerInput) -> None:
        revision = Answer.objects.get(quarterly_return=self.ret, standard=standard).revision
        answer_save(
            actor=self.editor,
            quarterly_return=self.ret,
            standard=standard,
            answer=answer,
            revision=revision,
        )

    # --- Review -----------------------------------------------------------------------

    def challenged(self):
        """The standard the region questions: the first green one."""
        return (
            Answer.objects.filter(quarterly_return=self.ret, rating=SelfRating.GREEN)
            .select_related("standard")
            .order_by("standard__section__position", "standard__position")
            .first()
            .standard
        )

    def conversation(self, on: datetime.date, *, about: str) -> None:
        """The region asks about one standard, the ICB answers, the region replies."""
        standard = self.challenged()
        with _clock(on, 12):
            question = return_comment_add(
                actor=self.lead,
                quarterly_return=self.ret,
                standard=standard,
                text=f"{standard.code} is rated green, but the audit cited covers only two "
                "of the ICB's providers. What assures you about the others?",
            )
        with _clock(on + datetime.timedelta(days=1), 9, 15):
            answer = return_comment_add(
                actor=self.approver,
                quarterly_return=self.ret,
                parent=question,
                text="The other providers report through the contract review; the minutes "
                "are with the designated nurse.\nWe can add them to the return.",
            )
        with _clock(on + datetime.timedelta(days=1), 11):
            follow = (
                "Please do: I have recorded amber for now, as the evidence stands."
                if about == "validated"
                else "Thank you: please add them and resubmit."
            )
            return_comment_add(
                actor=self.lead, quarterly_return=self.ret, parent=answer, text=follow
            )

    def send_back_and_resubmit(self, review_on: datetime.date) -> datetime.date:
        """The region questions a green, the ICB answers, the region returns the
        return; the ICB rates the standard amber with an action and resubmits
        (version 2). Returns the day the region takes it up again."""
        self.conversation(review_on, about="returned")
        standard = self.challenged()
        with _clock(review_on + datetime.timedelta(days=1), 16):
            quarterly_return_send_back(
                actor=self.lead,
                quarterly_return=self.ret,
                comment=f"Returned: please give the evidence for {standard.code} across all "
                "providers, or rate it to match the evidence you hold.",
            )
        with _clock(review_on + datetime.timedelta(days=3), 10):
            self.resave(standard, self.answer(SelfRating.AMBER))
        with _clock(review_on + datetime.timedelta(days=3), 15, durable=True):
            quarterly_return_submit(
                actor=self.approver, quarterly_return=self.ret, declaration=True
            )
        return review_on + datetime.timedelta(days=5)

    def validate(self) -> None:
        """The lead's validated ratings: most agree, three differ, each with a
        rationale."""
        latest = self.ret.submissions.order_by("-version").first()
        answers = list(
            SubmittedAnswer.objects.filter(submission=latest)
            .exclude(rating__in=["", SelfRating.NOT_APPLICABLE])
            .select_related("submission__quarterly_return", "standard")
            .order_by("standard__section__position", "standard__position")
        )
        differ = {"green": "amber", "amber": "red", "red": "amber"}
        for number, answer in enumerate(answers[:8]):
            if number in (1, 4, 6):
                rating = differ[answer.rating]
                rationale = (
                    "The evidence supports a lower rating: the audit covers part of the "
                    "ICB's providers only."
                    if rating != "amber" or answer.rating == "green"
                    else "The action plan is well advanced and the committee has seen it: "
                    "amber reflects the position better than red."
                )
            else:
                rating = answer.rating
                rationale = "Agreed: the narrative and the minutes support this rating."
            submitted_answer_validate(
                actor=self.lead, submitted_answer=answer, rating=rating, rationale=rationale
            )


def _figure(rng: random.Random, metric) -> Decimal:
    if metric.unit == MetricUnit.PERCENT:
        return Decimal(rng.randint(70, 99))
    if metric.unit == MetricUnit.DAYS:
        return Decimal(rng.randint(2, 30))
    return Decimal(rng.randint(0, 12))
