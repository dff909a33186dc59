"""Reads about the toolkit and the reporting periods: where a period stands
today, and which ICBs owe it a return.

Days are calendar days in Europe/London, whatever the server's clock says:
23:30 UTC on the last Saturday of October is already Sunday in London while
BST lasts. Every function takes an optional `today` so that callers and tests
can fix the day without patching the clock; `saaf.dates.today(now)` turns an
instant into that day.

Where the app's reads live, by sub-domain, so each has one home:

- toolkit, periods and returns' places in them: here;
- the posts register: `assurance.findings` (what a finding is, post by post,
  as of a day: the ICB page, exports and the return's register checks read
  it) and `assurance.register_counts` (the same findings counted in SQL for
  the regional and national overviews; a test holds the two together). They
  are modules of their own because they are the register's rules, which
  several readers share, not reads of one page;
- a return's progress and drafting warnings: `assurance.return_progress`;
- who is e-mailed about a return: here (`return_region_recipients`,
  `return_icb_recipients`); what the e-mails say: `assurance.notifications`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Prefetch, Q

from assurance.models import ReportingPeriod, Section, Standard, ToolkitVersion
from organisations.choices import ICB_WRITE_ROLES, REGIONAL_ROLES, SYSTEM_ACTOR_EMAIL, Role
from organisations.models import AuditAction, AuditEvent, Organisation, User
from saaf import dates

# A period is "due soon" from this many days before its due date, due date included.
DUE_SOON_DAYS = 7


class PeriodState(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    OPEN = "open", "Open"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    CLOSED = "closed", "Closed"


def period_state(period: ReportingPeriod, *, today: datetime.date | None = None) -> PeriodState:
    """Where the period stands on `today` (a Europe/London day):

    - upcoming: before its opening date;
    - open: from its opening date until the due-soon window;
    - due soon: within 7 days before the due date, the due date itself included;
    - overdue: after the due date up to and including the closing date (a return
      can still be submitted, and is marked late);
    - closed: after the closing date.
    """
    today = today or dates.today()
    if today < period.opens_on:
        return PeriodState.UPCOMING
    if today > period.closes_on:
        return PeriodState.CLOSED
    if today > period.due_on:
        return PeriodState.OVERDUE
    if today >= period.due_on - datetime.timedelta(days=DUE_SOON_DAYS):
        return PeriodState.DUE_SOON
    return PeriodState.OPEN


def expected_icbs(period: ReportingPeriod):
    """The ICBs that must return for the period: those that existed on its last
    day. A dissolved ICB still owes the quarters it existed for."""
    return Organisation.objects.icbs().existing_on(period.ends_on).select_related("parent")


@dataclass(frozen=True)
class PeriodRow:
    period: ReportingPeriod
    state: PeriodState
    expected_count: int


def period_rows(
    *, today: datetime.date | None = None, financial_year: int | None = None
) -> list[PeriodRow]:
    """Every reporting period with its state and the number of ICBs expected."""
    today = today or dates.today()
    periods = ReportingPeriod.objects.select_related("toolkit_version")
    if financial_year is not None:
        periods = periods.of_year(financial_year)
    # One query for every ICB's dates, rather than a count per period.
    lifetimes = list(Organisation.objects.icbs().values_list("established", "closed"))

    def expected_on(day: datetime.date) -> int:
        return sum(
            1
            for established, closed in lifetimes
            if (established is None or established <= day) and (closed is None or closed >= day)
        )

    return [
        PeriodRow(period, period_state(period, today=today), expected_on(period.ends_on))
        for period in periods
    ]


def current_period(*, today: datetime.date | None = None) -> ReportingPeriod | None:
    """The period whose quarter holds `today`."""
    today = today or dates.today()
    for period in ReportingPeriod.objects.select_related("toolkit_version"):
        if period.starts_on <= today <= period.ends_on:
            return period
    return None


def toolkit_versions_overview():
    """Every version, newest first, with how much it holds."""
    return ToolkitVersion.objects.select_related("copied_from").annotate(
        section_count=Count("sections", distinct=True),
        standard_count=Count("standards", distinct=True),
        metric_count=Count("metrics", distinct=True),
    )


def toolkit_sections(version: ToolkitVersion):
    """A version's sections with their standards and metrics, in order."""
    return version.sections.prefetch_related(
        Prefetch("standards", queryset=Standard.objects.order_by("position", "code")),
        "metrics",
    ).annotate(standard_count=Count("standards", distinct=True))


def section_get(version: ToolkitVersion, code: str) -> Section:
    return toolkit_sections(version).get(code=code)


def hosting_candidates(*, organisation: Organisation):
    """Who may host a post of `organisation`: the current ICBs of its region and
    the providers they commission — a neighbouring ICB or a trust, never an
    organisation across the country."""
    from organisations.models import Commissioning

    if organisation.kind == "icb":
        region_id = organisation.parent_id
    else:
        lead = (
            Commissioning.objects.filter(provider=organisation, is_lead=True)
            .values_list("icb__parent_id", flat=True)
            .first()
        )
        region_id = lead
    icbs = Organisation.objects.icbs().current().filter(parent_id=region_id)
    providers = Commissioning.objects.filter(icb__in=icbs).values("provider")
    return (
        Organisation.objects.current()
        .filter(models.Q(pk__in=icbs.values("pk")) | models.Q(pk__in=providers))
        .exclude(pk=organisation.pk)
        .order_by("name")
    )


def return_completing_successor(predecessor_id: int) -> int | None:
    """The successor named to complete a dissolved ICB's outstanding returns
    (the scoping's hook for split ICBs)."""
    from assurance.models import QuarterlyReturn

    return (
        QuarterlyReturn.objects.filter(icb_id=predecessor_id, completed_by__isnull=False)
        .order_by("-period__financial_year", "-period__quarter")
        .values_list("completed_by", flat=True)
        .first()
    )


def toolkit_register_standards(version: ToolkitVersion) -> list[Standard]:
    """The version's standards whose green rating depends on the posts
    register, in toolkit order (one query; the rule is read from each row)."""
    return [s for s in version.standards.select_related("section") if s.register_rule]


@dataclass(frozen=True)
class SplitPredecessor:
    """A dissolved ICB that split, owing a return for the period: who may
    complete it, and who was named."""

    icb: Organisation
    successors: list[Organisation]
    completed_by: Organisation | None


def split_predecessors(period: ReportingPeriod) -> list[SplitPredecessor]:
    """The expected ICBs of `period` that have since split between several
    successors: the national admin names which completes each return."""
    from assurance.models import QuarterlyReturn
    from organisations.models import Succession

    expected = expected_icbs(period).filter(closed__isnull=False)
    links = Succession.objects.filter(predecessor__in=expected).select_related(
        "predecessor", "successor"
    )
    successors: dict[int, list[Organisation]] = {}
    predecessors: dict[int, Organisation] = {}
    for link in links:
        successors.setdefault(link.predecessor_id, []).append(link.successor)
        predecessors[link.predecessor_id] = link.predecessor
    named = dict(
        QuarterlyReturn.objects.filter(period=period, icb_id__in=list(successors))
        .select_related("completed_by")
        .values_list("icb_id", "completed_by")
    )
    by_id = {o.pk: o for group in successors.values() for o in group}
    return [
        SplitPredecessor(
            predecessors[pk],
            sorted(group, key=lambda o: o.name),
            by_id.get(named.get(pk)) if named.get(pk) else None,
        )
        for pk, group in sorted(successors.items(), key=lambda item: predecessors[item[0]].name)
        if len(group) > 1
    ]


def return_statuses(period: ReportingPeriod) -> dict[int, str]:
    """Each started return's status for the period, by ICB id: one query."""
    from assurance.models import QuarterlyReturn, ReturnStatus

    return {
        icb_id: ReturnStatus(status).label
        for icb_id, status in QuarterlyReturn.objects.filter(period=period).values_list(
            "icb_id", "status"
        )
    }


# --- Comments on a return -------------------------------------------------------------


@dataclass
class CommentThread:
    """A comment and the replies under it, oldest first, at any depth."""

    comment: object
    replies: list[CommentThread]


def return_comment_threads(quarterly_return) -> dict[int | None, list[CommentThread]]:
    """The return's comments as threads, keyed by standard id (None: on the
    return as a whole), oldest first: one query whatever their number."""
    from assurance.models import ReturnComment

    comments = list(
        ReturnComment.objects.filter(quarterly_return=quarterly_return)
        .select_related("author_organisation")
        .order_by("created_at", "id")
    )
    nodes = {c.pk: CommentThread(comment=c, replies=[]) for c in comments}
    threads: dict[int | None, list[CommentThread]] = {}
    for c in comments:
        if c.parent_id in nodes:
            nodes[c.parent_id].replies.append(nodes[c.pk])
        else:
            threads.setdefault(c.standard_id, []).append(nodes[c.pk])
    return threads


# --- Who is told about a return -------------------------------------------------------


def return_region_recipients(
    quarterly_return, *, also_user_ids: Iterable[int] = (), exclude_user_id: int | None = None
) -> list:
    """Who the region's side of a return's e-mails goes to: the regional
    safeguarding leads of the ICB's region, and `also_user_ids` (the reviewer,
    the author of a comment being answered) only while they still hold a
    regional role there — someone who left the region is told nothing more.
    Active users only, never `exclude_user_id` (who acted): one query."""
    region_id = quarterly_return.icb.parent_id
    leads = Q(memberships__organisation_id=region_id, memberships__role=Role.REGIONAL_LEAD)
    named = Q(
        pk__in=list(also_user_ids),
        memberships__organisation_id=region_id,
        memberships__role__in=REGIONAL_ROLES,
    )
    return _recipients(User.objects.filter(leads | named), exclude_user_id)


def return_icb_recipients(quarterly_return, *, exclude_user_id: int | None = None) -> list:
    """Who the ICB's side of a return's e-mails goes to: the editors and
    approver who draft it — of the ICB itself while it exists, and of the
    successor named to complete a dissolved ICB's return (the team
    `return_commenting_membership` lets comment). Viewers are not written to:
    they do not act on a return. Active users only, never `exclude_user_id`."""
    icb_ids = {quarterly_return.icb_id, quarterly_return.completed_by_id} - {None}
    existing = Organisation.objects.filter(pk__in=icb_ids).existing_on(dates.today())
    team = User.objects.filter(
        memberships__organisation__in=existing, memberships__role__in=ICB_WRITE_ROLES
    )
    return _recipients(team, exclude_user_id)


def return_reviewer_id(quarterly_return) -> int | None:
    """The regional lead who took up the return's latest review, if anyone has."""
    return (
        AuditEvent.objects.for_object(quarterly_return)
        .filter(action=AuditAction.RETURN_REVIEW_STARTED)
        .order_by("-occurred_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )


def _recipients(users, exclude_user_id: int | None) -> list:
    users = users.filter(is_active=True).exclude(email=SYSTEM_ACTOR_EMAIL)
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return list(users.distinct().order_by("email"))


# --- Versions of a return ------------------------------------------------------------


@dataclass(frozen=True)
class VersionOutcome:
    """What became of one submitted version: "Accepted", "Returned for
    changes", "Under review" or "Awaiting review", by whom and when, with the
    region's covering comment, where known (data loaded in bulk has no events)."""

    label: str
    by: str = ""
    on: datetime.datetime | datetime.date | None = None
    comment: str = ""


@dataclass(frozen=True)
class VersionRow:
    submission: object
    outcome: VersionOutcome


def _outcome(ret, events: list, is_latest: bool) -> VersionOutcome:
    """The last review event in the version's time, else what the return's
    status says (for the latest version) or implies (an earlier version was
    returned, or there would be no later one)."""
    from organisations.models import AuditAction

    labels = {
        AuditAction.RETURN_ACCEPTED: "Accepted",
        AuditAction.RETURN_SENT_BACK: "Returned for changes",
        AuditAction.RETURN_REVIEW_STARTED: "Under review",
    }
    decided = [e for e in events if e.action != AuditAction.RETURN_REVIEW_STARTED]
    event = (decided or events or [None])[-1]
    if event is not None:
        who = event.actor.get_full_name() or event.actor.email if event.actor else ""
        return VersionOutcome(labels[event.action], who, event.occurred_at, event.reason)
    if not is_latest:
        return VersionOutcome("Returned for changes")
    if ret.status == "returned":
        return VersionOutcome(
            "Returned for changes", on=ret.returned_on, comment=ret.returned_comment
        )
    if ret.status in ("accepted", "under_review"):
        return VersionOutcome(ret.get_status_display())
    return VersionOutcome("Awaiting review")


def return_versions(*, user, quarterly_return) -> list[VersionRow]:
    """Every submitted version of the return, oldest first, with what the
    region made of it (read from the review events `user` may read): two
    queries whatever the number of versions."""
    from organisations.models import AuditAction, AuditEvent

    submissions = list(quarterly_return.submissions.order_by("version"))
    events = list(
        AuditEvent.objects.visible_to(user)
        .for_object(quarterly_return)
        .filter(
            action__in=[
                AuditAction.RETURN_REVIEW_STARTED,
                AuditAction.RETURN_ACCEPTED,
                AuditAction.RETURN_SENT_BACK,
            ]
        )
        .select_related("actor")
        .order_by("occurred_at", "id")
    )
    rows = []
    for i, submission in enumerate(submissions):
        following = submissions[i + 1].submitted_at if i + 1 < len(submissions) else None
        own = [
            e
            for e in events
            if e.occurred_at >= submission.submitted_at
            and (following is None or e.occurred_at < following)
        ]
        rows.append(VersionRow(submission, _outcome(quarterly_return, own, following is None)))
    return rows


@dataclass
class SubmittedSection:
    section: Section
    answers: list
    metric_values: list


def submission_contents(
    submission, sections: list[Section] | None = None
) -> list[SubmittedSection]:
    """A submission as it was kept, by section in toolkit order: its answers
    (with their actions in `action_list`, evidence files in `evidence_list`
    and the lead's validated rating) and metric values, in five queries
    whatever its size (four given its toolkit's `sections`, in order)."""
    return submissions_contents([submission], sections)[submission.pk]


def submissions_contents(
    submissions: list, sections: list[Section] | None = None
) -> dict[int, list[SubmittedSection]]:
    """`submission_contents` of several submissions of one toolkit, by
    submission id, in the same five queries: each table is read once for all
    of them and grouped here (`prefetch_related` would build a queryset per
    answer)."""
    from assurance.models import (
        SubmissionEvidence,
        SubmittedAction,
        SubmittedAnswer,
        SubmittedMetricValue,
    )

    ids = [s.pk for s in submissions]
    if sections is None:
        version_id = submissions[0].quarterly_return.period.toolkit_version_id
        sections = list(Section.objects.filter(version_id=version_id).order_by("position", "code"))
    answers = list(
        SubmittedAnswer.objects.filter(submission_id__in=ids)
        .select_related("standard", "validated_by")
        .order_by("standard__section__position", "standard__position", "standard__code")
    )
    # By the answers' ids (their index), as prefetch_related did: joined to
    # the answers instead, the planner reads every submitted action.
    answer_ids = [a.pk for a in answers]
    actions: dict[int, list] = {}
    for action in SubmittedAction.objects.filter(answer_id__in=answer_ids).order_by(
        "position", "id"
    ):
        actions.setdefault(action.answer_id, []).append(action)
    evidence: dict[int, list] = {}
    for link in (
        SubmissionEvidence.objects.filter(answer_id__in=answer_ids)
        .select_related("evidence")
        .order_by("id")
    ):
        evidence.setdefault(link.answer_id, []).append(link)
    values = list(
        SubmittedMetricValue.objects.filter(submission_id__in=ids)
        .select_related("metric")
        .order_by("metric__section__position", "metric__position", "metric__code")
    )
    by_id = {pk: {s.pk: SubmittedSection(s, [], []) for s in sections} for pk in ids}
    for answer in answers:
        answer.action_list = actions.get(answer.pk, [])
        answer.evidence_list = evidence.get(answer.pk, [])
        into = by_id[answer.submission_id][answer.standard.section_id]
        answer.standard.section = into.section
        into.answers.append(answer)
    for value in values:
        into = by_id[value.submission_id][value.metric.section_id]
        value.metric.section = into.section
        into.metric_values.append(value)
    return {
        pk: [s for s in grouped.values() if s.answers or s.metric_values]
        for pk, grouped in by_id.items()
    }


def submission_snapshot(submission, contents: list[SubmittedSection] | None = None):
    """The submission as one side of a comparison (`assurance.return_diff`)."""
    from assurance.models import SelfRating
    from assurance.models.returns import ActionStatus
    from assurance.return_diff import (
        ActionSnapshot,
        MetricSnapshot,
        ReturnSnapshot,
        StandardSnapshot,
    )

    contents = submission_contents(submission) if contents is None else contents
    ratings, statuses = dict(SelfRating.choices), dict(ActionStatus.choices)
    standards, metrics = {}, {}
    for section in contents:
        for a in section.answers:
            standards[a.standard_id] = StandardSnapshot(
                standard=a.standard,
                rating=a.rating,
                rating_label=ratings.get(a.rating, a.rating),
                not_applicable_reason=a.not_applicable_reason,
                narrative=a.narrative,
                explanation=a.explanation,
                actions=tuple(
                    ActionSnapshot(
                        x.description, x.owner, x.due_on, x.status, statuses.get(x.status, x.status)
                    )
                    for x in a.action_list
                ),
                evidence=tuple(link.evidence.display_name for link in a.evidence_list),
            )
        for v in section.metric_values:
            metrics[v.metric_id] = MetricSnapshot(
                metric=v.metric,
                value=v.value,
                not_available_reason=v.not_available_reason,
                computed_value=v.computed_value,
                rating=v.rating,
            )
    return ReturnSnapshot(f"Version {submission.version}", standards, metrics)


def submission_snapshots(*submissions) -> list:
    """Submissions of one return as sides of a comparison, read together in
    the five queries of one (`submissions_contents`)."""
    contents = submissions_contents(list(submissions))
    return [submission_snapshot(s, contents[s.pk]) for s in submissions]


def draft_snapshot(quarterly_return):
    """The return's current draft as one side of a comparison, in the six
    queries of its progress."""
    from assurance.return_diff import (
        ActionSnapshot,
        MetricSnapshot,
        ReturnSnapshot,
        StandardSnapshot,
    )
    from assurance.return_progress import return_progress

    standards, metrics = {}, {}
    for section in return_progress(quarterly_return).sections:
        for item in section.standards:
            item.standard.section = section.section
            a = item.answer
            standards[item.standard.pk] = StandardSnapshot(
                standard=item.standard,
                rating=a.rating if a else "",
                rating_label=a.get_rating_display() if a and a.rating else "",
                not_applicable_reason=a.not_applicable_reason if a else "",
                narrative=a.narrative if a else "",
                explanation=a.explanation if a else "",
                actions=tuple(
                    ActionSnapshot(
                        x.description, x.owner, x.due_on, x.status, x.get_status_display()
                    )
                    for x in item.actions
                ),
                evidence=tuple(link.evidence.display_name for link in item.evidence),
            )
        for item in section.metrics:
            item.metric.section = section.section
            v = item.value
            metrics[item.metric.pk] = MetricSnapshot(
                metric=item.metric,
                value=v.value if v else None,
                not_available_reason=v.not_available_reason if v else "",
            )
    return ReturnSnapshot("Current draft", standards, metrics, is_draft=True)
