"""generate_national_data's historical returns: every ICB each closed period
expects, from Q2 2022/23 to the latest closed quarter, submitted, reviewed and
accepted (or deliberately missing), with the rows the services would have
written, and ratings that drift rather than jump."""

import datetime
import random
from collections import Counter, defaultdict

import pytest
from django.db.models import Count

from assurance.models import (
    Answer,
    MetricValue,
    QuarterlyReturn,
    ReturnAction,
    ReturnComment,
    ReturnStatus,
    Submission,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
    ToolkitVersion,
)
from assurance.national_data import national_data_generate
from assurance.national_history import MISSING, history_periods
from assurance.return_check import return_problems
from organisations.models import Organisation
from saaf.dates import today
from tests.assurance.test_submitted_sections import assert_kept_equals_counted

# Generated national data: once, in the PostgreSQL pass.
pytestmark = pytest.mark.heavy

ORDER = {"red": 0, "amber": 1, "green": 2}


def test_the_closed_periods_history(reference, toolkit, settings):
    """One generation (it takes seconds), every property checked on it."""
    settings.DEBUG = True
    on = today()
    report = national_data_generate(providers=20, seed=5, today=on, history=True)
    every_expected_icb_of_each_closed_period_has_its_return(on, report)
    versions_late_flags_and_states_are_as_the_services_write_them(on)
    submitted_rows_copy_the_draft_and_a_sample_passes_the_check(on)
    validated_ratings_sometimes_differ_and_comments_are_threaded()
    ratings_drift_per_icb_rather_than_jump(on)
    # Written in bulk, counted per section by the database's triggers all the same.
    assert_kept_equals_counted()


def every_expected_icb_of_each_closed_period_has_its_return(on, report):
    periods = history_periods(on)
    assert periods[0].label == "Q2 2022/23"
    # Its toolkit, loaded for the generation, published before its year began.
    published = ToolkitVersion.objects.get(financial_year=2022).published_at
    assert published.date() < datetime.date(2022, 4, 1)
    assert all(p.closes_on < on for p in periods)
    later = [p for p in (periods[-1],) if p.ends_on >= datetime.date(2026, 4, 1)]
    expected = missing = 0
    for period in periods:
        icbs = set(
            Organisation.objects.icbs().existing_on(period.ends_on).values_list("pk", flat=True)
        )
        assert len(icbs) == (36 if period in later else 42)
        returned = set(QuarterlyReturn.objects.filter(period=period).values_list("icb", flat=True))
        assert returned <= icbs  # never one for an ICB the period does not expect
        expected += len(icbs)
        missing += len(icbs - returned)
    assert 0 < missing <= 3 * MISSING * expected  # deliberately missing, at about the rate
    assert report.contributed["never started"] == missing

    # A dissolved ICB's return started after it closed is completed by its
    # successor (the one named, where it split); before, by its own team.
    dissolved = QuarterlyReturn.objects.filter(icb__closed__isnull=False).select_related(
        "icb", "period"
    )
    completed = 0
    for ret in dissolved:
        if ret.icb.closed < ret.period.ends_on + datetime.timedelta(days=1):
            successors = set(ret.icb.successors().values_list("pk", flat=True))
            assert ret.completed_by_id in successors, ret
            completed += 1
        else:
            assert ret.completed_by_id is None, ret
    assert completed > 0


def versions_late_flags_and_states_are_as_the_services_write_them(on):
    returns = (
        QuarterlyReturn.objects.filter(period__closes_on__lt=on)
        .select_related("period")
        .prefetch_related("submissions")
    )
    states, late, versions = Counter(), 0, Counter()
    for ret in returns:
        submissions = sorted(ret.submissions.all(), key=lambda s: s.version)
        assert [s.version for s in submissions] == list(range(1, len(submissions) + 1))
        assert submissions, ret  # a started history return was submitted
        first = submissions[0]
        assert first.late == (today(first.submitted_at) > ret.period.due_on)
        assert {s.late for s in submissions} == {first.late}
        times = [s.submitted_at for s in submissions]
        assert times == sorted(times) and today(times[-1]) <= ret.period.closes_on
        assert ret.period.ends_on < today(first.submitted_at)
        assert ret.started_at < first.submitted_at  # not the day it was generated
        states[ret.status] += 1
        late += first.late
        versions[len(submissions)] += 1
        if len(submissions) > 1:
            assert ret.returned_on is not None
    total = sum(states.values())
    assert states[ReturnStatus.ACCEPTED] > 0.8 * total  # most accepted
    assert states[ReturnStatus.DRAFT] == states[ReturnStatus.RETURNED] == 0
    assert 0.02 * total < late < 0.2 * total  # some late
    assert 0.03 * total < versions[2] < 0.25 * total  # some returned and resubmitted
    assert set(versions) == {1, 2}


def submitted_rows_copy_the_draft_and_a_sample_passes_the_check(on):
    rng = random.Random(3)
    returns = list(
        QuarterlyReturn.objects.filter(period__closes_on__lt=on).select_related(
            "icb", "period__toolkit_version", "completed_by"
        )
    )
    for ret in rng.sample(returns, 12):
        assert return_problems(ret).passes, ret
        latest = ret.submissions.order_by("-version").first()
        fields = ("standard_id", "rating", "not_applicable_reason", "narrative", "explanation")
        draft = sorted(Answer.objects.filter(quarterly_return=ret).values_list(*fields))
        submitted = sorted(latest.answers.values_list(*fields))
        assert draft == submitted and len(draft) == ret.period.toolkit_version.standards.count()
        saved = Answer.objects.filter(quarterly_return=ret).values_list("updated_at", flat=True)
        assert max(saved) < latest.submitted_at
        action = ("answer__standard_id", "description", "owner", "due_on", "status", "position")
        drafted = ReturnAction.objects.filter(answer__quarterly_return=ret)
        copied = SubmittedAction.objects.filter(answer__submission=latest)
        assert sorted(drafted.values_list(*action)) == sorted(copied.values_list(*action))
        typed = dict(
            MetricValue.objects.filter(quarterly_return=ret).values_list("metric_id", "value")
        )
        for row in SubmittedMetricValue.objects.filter(submission=latest).select_related("metric"):
            if not row.metric.is_computed:
                assert row.value == typed[row.metric_id]
            else:
                assert row.value is None and row.computed_value is not None
        for row in rng.sample(list(latest.answers.all()), 5):
            row.full_clean()
    for model in (Submission, SubmittedAnswer, SubmittedMetricValue, ReturnComment):
        for row in model.objects.order_by("?")[:10]:
            row.full_clean()


def validated_ratings_sometimes_differ_and_comments_are_threaded():
    validated = SubmittedAnswer.objects.exclude(validated_rating=None).select_related(
        "submission__quarterly_return"
    )
    assert validated.exists()
    differing = [a for a in validated if a.validated_rating != a.rating]
    assert 0 < len(differing) < validated.count() / 2  # sometimes differ
    for answer in validated:
        assert answer.validated_rationale and answer.validated_by_id and answer.validated_at
        assert answer.submission.quarterly_return.status in (
            ReturnStatus.ACCEPTED,
            ReturnStatus.UNDER_REVIEW,
        )
        assert answer.validated_at > answer.submission.submitted_at
    # Only on the latest version.
    latest = Submission.objects.values("quarterly_return").annotate(n=Count("id")).filter(n=2)
    assert not validated.filter(
        submission__version=1, submission__quarterly_return__in=latest.values("quarterly_return")
    ).exists()
    replies = ReturnComment.objects.filter(parent__isnull=False).select_related("parent")
    assert replies.exists()
    for reply in replies[:50]:
        assert reply.parent.author_organisation.kind == "region"
        assert reply.author_organisation.kind == "icb"
        assert reply.created_at > reply.parent.created_at


def ratings_drift_per_icb_rather_than_jump(on):
    rows = (
        Answer.objects.filter(quarterly_return__period__closes_on__lt=on)
        .exclude(rating="not_applicable")
        .values_list(
            "quarterly_return__icb",
            "standard__code",
            "quarterly_return__period__financial_year",
            "quarterly_return__period__quarter",
            "rating",
        )
    )
    series = defaultdict(list)
    for icb, code, year, quarter, rating in rows:
        series[icb, code].append((year, quarter, ORDER[rating]))
    same = moved = jumped = 0
    for points in series.values():
        points.sort()
        for (y1, q1, a), (y2, q2, b) in zip(points, points[1:], strict=False):
            if (y2 * 4 + q2) - (y1 * 4 + q1) != 1:
                continue  # a missing quarter between
            same += a == b
            moved += abs(a - b) == 1
            jumped += abs(a - b) == 2
    changes = moved + jumped
    assert same > 0.7 * (same + changes)  # independent draws would change about half the time
    assert changes > 0  # but it does move
    assert jumped < 0.1 * changes  # red to green in a quarter is rare
    # Metric values move with noise and steps, not constant.
    values = SubmittedMetricValue.objects.filter(value__isnull=False)
    assert values.values("value").distinct().count() > 20
