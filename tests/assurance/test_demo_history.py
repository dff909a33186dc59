"""The demo history: the London ICBs' returns for the four quarters before
the open ones, made through the services at the dates they happened, in
every state (accepted, returned and resubmitted, under review with validated
ratings that differ, submitted, one late, one missing), with threaded
comments; loading the demo again adds nothing."""

from collections import Counter
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from assurance.demo_history import history_periods
from assurance.models import (
    QuarterlyReturn,
    ReturnComment,
    ReturnStatus,
    Submission,
    SubmittedAnswer,
)
from organisations.models import AuditAction, AuditEvent, Organisation
from saaf.dates import today

# The whole demo with its returns' history (20 to 30 s): run once, in the
# PostgreSQL pass.
pytestmark = pytest.mark.heavy


def _load():
    call_command("load_demo_data", stdout=StringIO())


def test_the_london_history_in_every_state_made_through_the_services(
    reference, toolkit, settings, monkeypatch, with_demo_history
):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    _load()
    on = today()
    periods = history_periods(on)
    assert len(periods) == 4 and all(p.closes_on < on for p in periods)
    london = Organisation.objects.get(code="Y56")
    returns = list(
        QuarterlyReturn.objects.filter(period__in=periods, icb__parent=london)
        .select_related("icb", "period", "completed_by")
        .prefetch_related("submissions")
    )
    expected = sum(
        Organisation.objects.icbs().existing_on(p.ends_on).filter(parent=london).count()
        for p in periods
    )
    assert len(returns) == expected - 1  # one ICB never started its return: missing
    states = Counter(r.status for r in returns)
    assert states[ReturnStatus.UNDER_REVIEW] == 1
    assert states[ReturnStatus.SUBMITTED] == 2
    assert states[ReturnStatus.ACCEPTED] == len(returns) - 3
    assert states[ReturnStatus.DRAFT] == states[ReturnStatus.RETURNED] == 0

    versions = {r.pk: [s.version for s in r.submissions.all()] for r in returns}
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    resubmitted = [r for r in returns if len(versions[r.pk]) == 2]
    assert len(resubmitted) == 3
    assert {r.status for r in resubmitted} == {ReturnStatus.ACCEPTED, ReturnStatus.SUBMITTED}

    # Each submission at its own moment, before the period closed; late only
    # when the first one came after the due date, and exactly one is.
    late = []
    for ret in returns:
        first, *later = sorted(ret.submissions.all(), key=lambda s: s.version)
        assert first.late == (today(first.submitted_at) > ret.period.due_on)
        assert all(s.late == first.late for s in later)
        for submission in ret.submissions.all():
            assert ret.period.ends_on < today(submission.submitted_at) <= ret.period.closes_on
        if first.late:
            late.append(ret)
    assert len(late) == 1

    # A return owed after its ICB closed (QMJ's and QRV's last) is completed by
    # the successor, Z9B2Z, whose approver signs it.
    for ret in returns:
        if ret.icb.closed and ret.icb.closed <= ret.period.ends_on:
            assert ret.completed_by.code == "Z9B2Z"
            assert ret.submissions.get(version=1).submitted_by.email.startswith("approver.z9b2z@")

    # Under review: validated ratings, some differing from the self-assessment, each
    # with a rationale; accepted ones with validated ratings too.
    [reviewing] = [r for r in returns if r.status == ReturnStatus.UNDER_REVIEW]
    assert reviewing.icb.code == "Z9B2Z"
    validated = SubmittedAnswer.objects.filter(
        submission__quarterly_return=reviewing, validated_rating__isnull=False
    )
    assert validated.count() >= 5
    differing = [a for a in validated if a.validated_rating != a.rating]
    assert len(differing) >= 2
    assert all(a.validated_rationale for a in validated)
    assert {a.validated_by.email.split("@")[0] for a in validated} == {"lead.london"}
    assert SubmittedAnswer.objects.filter(
        submission__quarterly_return__status=ReturnStatus.ACCEPTED,
        validated_rating__isnull=False,
    ).exists()

    # Comments threaded between the ICB and the region: a question, the ICB's
    # answer, the region's reply to it.
    comments = ReturnComment.objects.filter(quarterly_return__in=returns)
    replies = comments.filter(parent__parent__isnull=False).select_related("parent__parent")
    assert replies.exists()
    for reply in replies:
        assert reply.author_organisation == london
        assert reply.parent.author_organisation.kind == "icb"
        assert reply.parent.parent.author_organisation == london
    assert comments.filter(author__email__startswith="chiefnurse.london@").exists()

    # Through the services: an audit event for each submission, at its time.
    submissions = Submission.objects.filter(quarterly_return__in=returns)
    events = AuditEvent.objects.filter(action=AuditAction.RETURN_SUBMITTED)
    times = {int(e.target_id): e.occurred_at for e in events}
    for submission in submissions:
        assert abs((times[submission.pk] - submission.submitted_at).total_seconds()) < 60

    # Months-old events: nobody was e-mailed about them.
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action=AuditAction.RETURN_NOTIFIED).exists()

    # Again: nothing added.
    counts = (QuarterlyReturn.objects.count(), submissions.count(), comments.count())
    _load()
    assert (QuarterlyReturn.objects.count(), submissions.count(), comments.count()) == counts
