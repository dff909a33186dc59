"""The quarterly return's services: starting, the successor rule, drafts that
save what is typed, answers saved whole, metric units, revisions."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.models import (
    Answer,
    MetricValue,
    QuarterlyReturn,
    ReportingPeriod,
    ReturnAction,
)
from assurance.services.returns import (
    ActionInput,
    AnswerConflict,
    AnswerInput,
    answer_save,
    metric_value_save,
    quarterly_return_name_successor,
    quarterly_return_start,
)
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from organisations.scoping import scope_of
from saaf.dates import nhs_date, today
from tests.factories import member


@pytest.fixture
def q3(toolkit):
    """Q3 2026/27, opened on 1 October 2026."""
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def q4_last_year(toolkit):
    """Q4 2025/26, kept open (its closing date moved to today): a closed
    period's drafts are locked, and these tests are about who completes them."""
    ReportingPeriod.objects.filter(financial_year=2025, quarter=4).update(closes_on=today())
    return ReportingPeriod.objects.get(financial_year=2025, quarter=4)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def draft(editor, reference, q3):
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)


def standard(ret, code):
    return ret.period.toolkit_version.standards.get(code=code)


def metric(ret, code):
    return ret.period.toolkit_version.metrics.get(code=code)


# --- Starting ---------------------------------------------------------------------------


def test_starting_twice_gives_the_same_return(editor, reference, q3):
    first = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    again = quarterly_return_start(actor=approver, icb=reference["Z9B2Z"], period=q3)
    assert first.pk == again.pk
    assert QuarterlyReturn.objects.filter(icb=reference["Z9B2Z"], period=q3).count() == 1
    assert first.toolkit_version == q3.toolkit_version
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_STARTED).count() == 1


def test_only_expected_icbs_have_a_return(reference, q3):
    # QMJ was dissolved on 31 March 2026: it owes nothing for Q3 2026/27.
    successor_editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    with pytest.raises(ValidationError, match="did not exist on 31 December 2026"):
        quarterly_return_start(actor=successor_editor, icb=reference["QMJ"], period=q3)


def test_a_period_not_yet_open_cannot_be_started(editor, reference, q3):
    opens = today() + datetime.timedelta(days=3)
    ReportingPeriod.objects.filter(pk=q3.pk).update(
        opens_on=opens,
        due_on=opens + datetime.timedelta(days=30),
        closes_on=opens + datetime.timedelta(days=60),
    )
    q3.refresh_from_db()
    with pytest.raises(ValidationError, match=f"opens on {nhs_date(opens)}"):
        quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.ICB_VIEWER, "Z9B2Z"),
        (Role.ICB_EDITOR, "QMF"),
        (Role.REGIONAL_LEAD, "Y56"),
        (Role.NATIONAL_ADMIN, "X24"),
    ],
)
def test_only_the_icbs_team_starts_and_edits_its_return(reference, q3, draft, role, org):
    outsider = member(reference[org], role)
    with pytest.raises(NotPermitted):
        quarterly_return_start(actor=outsider, icb=reference["Z9B2Z"], period=q3)
    with pytest.raises(NotPermitted):
        answer_save(
            actor=outsider,
            quarterly_return=draft,
            standard=standard(draft, "LG1"),
            answer=AnswerInput(rating="green"),
            revision=0,
        )
    assert not Answer.objects.filter(quarterly_return=draft).exists()


def test_the_successor_completes_a_merged_icbs_outstanding_return(reference, q4_last_year):
    """QMJ merged into Z9B2Z on 1 April 2026; its Q4 2025/26 return stays QMJ's
    and Z9B2Z's team completes it."""
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    ret = quarterly_return_start(actor=editor, icb=reference["QMJ"], period=q4_last_year)
    assert ret.icb == reference["QMJ"] and ret.completed_by == reference["Z9B2Z"]
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=standard(ret, "LG1"),
        answer=AnswerInput(rating="amber", narrative="Interim arrangements."),
        revision=0,
    )
    assert reference["QMJ"].pk in scope_of(editor).return_icb_ids()
    other = member(reference["QMF"], Role.ICB_EDITOR)
    with pytest.raises(NotPermitted):
        quarterly_return_start(actor=other, icb=reference["QMJ"], period=q4_last_year)


def test_a_split_icbs_return_waits_for_the_national_admin(reference, q4_last_year):
    """QM7 split between S1Y5D and D7T5G: neither starts its return until the
    national admin names which completes it."""
    chosen, other = reference["D7T5G"], reference["S1Y5D"]
    chosen_editor = member(chosen, Role.ICB_EDITOR)
    other_editor = member(other, Role.ICB_EDITOR)
    with pytest.raises(ValidationError, match="must first name which of them"):
        quarterly_return_start(actor=chosen_editor, icb=reference["QM7"], period=q4_last_year)

    with pytest.raises(NotPermitted):
        quarterly_return_name_successor(
            actor=chosen_editor, icb=reference["QM7"], period=q4_last_year, successor=chosen
        )
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    with pytest.raises(ValidationError, match="did not succeed"):
        quarterly_return_name_successor(
            actor=admin, icb=reference["QM7"], period=q4_last_year, successor=reference["QMF"]
        )
    ret = quarterly_return_name_successor(
        actor=admin,
        icb=reference["QM7"],
        period=q4_last_year,
        successor=chosen,
        reason="Most of QM7's population moved to D7T5G.",
    )
    event = AuditEvent.objects.get(action=AuditAction.RETURN_SUCCESSOR_NAMED)
    assert event.changes["completed_by"][1]["code"] == "D7T5G" and event.reason

    assert (
        quarterly_return_start(actor=chosen_editor, icb=reference["QM7"], period=q4_last_year)
        == ret
    )
    answer_save(
        actor=chosen_editor,
        quarterly_return=ret,
        standard=standard(ret, "LG1"),
        answer=AnswerInput(rating="green"),
        revision=0,
    )
    with pytest.raises(NotPermitted):
        answer_save(
            actor=other_editor,
            quarterly_return=ret,
            standard=standard(ret, "LG1"),
            answer=AnswerInput(rating="red"),
            revision=1,
        )
    assert reference["QM7"].pk in scope_of(chosen_editor).return_icb_ids()
    assert reference["QM7"].pk not in scope_of(other_editor).return_icb_ids()


# --- Drafts save what is typed -----------------------------------------------------------


def test_a_red_answer_with_no_action_and_na_with_no_reason_are_kept(editor, draft):
    red = answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=standard(draft, "LG1"),
        answer=AnswerInput(rating="red", narrative="No named GP for 3 months."),
        revision=0,
    )
    na = answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=standard(draft, "LG2"),
        answer=AnswerInput(rating="not_applicable"),
        revision=0,
    )
    assert (red.rating, red.revision, red.actions.count()) == ("red", 1, 0)
    assert (na.rating, na.not_applicable_reason) == ("not_applicable", "")


@pytest.mark.parametrize(
    "answer,field,message",
    [
        (AnswerInput(rating="purple"), "rating", "Choose red, amber, green or not applicable"),
        (AnswerInput(narrative="x" * 10_001), "narrative", "10,000 characters or fewer"),
        (
            AnswerInput(rating="red", actions=[ActionInput(description="  ")]),
            "actions",
            "Action 1: say what will be done.",
        ),
        (
            AnswerInput(
                rating="red",
                actions=[ActionInput(description="Recruit", due_on=datetime.date(1999, 1, 1))],
            ),
            "actions",
            "due date must be a real date after 1 July 2022",
        ),
        (
            AnswerInput(rating="red", actions=[ActionInput(description="Recruit", status="x")]),
            "actions",
            "not started, in progress or done",
        ),
    ],
)
def test_what_is_invalid_in_itself_is_refused_and_nothing_is_saved(
    editor, draft, answer, field, message
):
    with pytest.raises(ValidationError) as refused:
        answer_save(
            actor=editor,
            quarterly_return=draft,
            standard=standard(draft, "LG1"),
            answer=answer,
            revision=0,
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert not Answer.objects.filter(quarterly_return=draft, rating="red").exists()
    assert not ReturnAction.objects.exists()


def test_narrative_of_exactly_10000_characters_is_kept(editor, draft):
    answer = answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=standard(draft, "LG1"),
        answer=AnswerInput(rating="green", narrative="x" * 10_000),
        revision=0,
    )
    assert len(answer.narrative) == 10_000


def test_an_answer_is_saved_whole_with_its_actions_and_audited(editor, draft):
    lg1 = standard(draft, "LG1")
    answer = answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=lg1,
        answer=AnswerInput(
            rating="amber",
            narrative="Named GP post out to advert.",
            actions=[
                ActionInput(
                    description="Appoint a named GP",
                    owner="Designated nurse",
                    due_on=datetime.date(2027, 1, 31),
                    status="in_progress",
                )
            ],
        ),
        revision=0,
    )
    assert answer.actions.get().owner == "Designated nurse"
    event = AuditEvent.objects.get(action=AuditAction.RETURN_ANSWER_SAVED)
    assert event.changes["standard"] == "LG1"
    assert event.changes["rating"] == ["", "amber"]
    assert event.changes["actions"][1] == [
        "Appoint a named GP (Designated nurse, 31 January 2027, In progress)"
    ]
    assert list(AuditEvent.objects.for_object(draft).values_list("action", flat=True)) == [
        AuditAction.RETURN_ANSWER_SAVED,
        AuditAction.RETURN_STARTED,
    ]
    # Saving the same again changes nothing and records nothing.
    same = answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=lg1,
        answer=AnswerInput(
            rating="amber",
            narrative="Named GP post out to advert.",
            actions=[
                ActionInput(
                    description="Appoint a named GP",
                    owner="Designated nurse",
                    due_on=datetime.date(2027, 1, 31),
                    status="in_progress",
                )
            ],
        ),
        revision=1,
    )
    assert same.revision == 1
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_ANSWER_SAVED).count() == 1


# --- Concurrency -------------------------------------------------------------------------


def test_a_save_over_a_newer_revision_is_refused_with_both_texts(editor, reference, draft):
    colleague = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    lg1 = standard(draft, "LG1")
    answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=lg1,
        answer=AnswerInput(rating="green", narrative="Mine"),
        revision=0,
    )
    with pytest.raises(AnswerConflict) as conflict:
        answer_save(
            actor=colleague,
            quarterly_return=draft,
            standard=lg1,
            answer=AnswerInput(rating="amber", narrative="Theirs"),
            revision=0,
        )
    assert conflict.value.current.narrative == "Mine"
    assert conflict.value.attempted["narrative"] == "Theirs"
    assert Answer.objects.get(quarterly_return=draft, standard=lg1).narrative == "Mine"


def test_saves_on_different_standards_never_clash(editor, reference, draft):
    colleague = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    answer_save(
        actor=editor,
        quarterly_return=draft,
        standard=standard(draft, "LG1"),
        answer=AnswerInput(rating="green"),
        revision=0,
    )
    answer_save(
        actor=colleague,
        quarterly_return=draft,
        standard=standard(draft, "LG2"),
        answer=AnswerInput(rating="red"),
        revision=0,
    )
    assert dict(
        Answer.objects.filter(quarterly_return=draft).values_list("standard__code", "rating")
    ) == {"LG1": "green", "LG2": "red"}


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_revision_keep_exactly_one(reference, toolkit):
    """Two threads with their own connections save revision 0 at once: the
    row lock lets one through and refuses the other."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's row locks")
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)
    lg1 = standard(ret, "LG1")
    Answer.objects.create(quarterly_return=ret, standard=lg1)
    outcomes = []
    barrier = threading.Barrier(2)

    def save(text):
        try:
            barrier.wait()
            answer_save(
                actor=editor,
                quarterly_return=ret,
                standard=lg1,
                answer=AnswerInput(rating="green", narrative=text),
                revision=0,
            )
            outcomes.append("saved")
        except AnswerConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(t,)) for t in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert Answer.objects.get(quarterly_return=ret, standard=lg1).revision == 1


# --- Metric values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,value,message",
    [
        ("PREVENT_TRAINED", Decimal("140"), "between 0 and 100"),
        ("PREVENT_TRAINED", Decimal("-1"), "between 0 and 100"),
        ("DOLS_AUTHORISED", Decimal("2.5"), "whole number"),
        ("DOLS_AUTHORISED", Decimal("-3"), "cannot be negative"),
    ],
)
def test_metric_values_are_checked_against_their_unit(editor, draft, code, value, message):
    target = metric(draft, code)
    with pytest.raises(ValidationError, match=message):
        metric_value_save(
            actor=editor, quarterly_return=draft, metric=target, value=value, revision=0
        )
    assert not MetricValue.objects.filter(quarterly_return=draft, value=value).exists()


def test_a_metric_value_or_why_not(editor, draft):
    prevent = metric(draft, "PREVENT_TRAINED")
    saved = metric_value_save(
        actor=editor, quarterly_return=draft, metric=prevent, value=Decimal("100"), revision=0
    )
    assert saved.value == 100
    reason = metric_value_save(
        actor=editor,
        quarterly_return=draft,
        metric=prevent,
        value=None,
        not_available_reason="Training system migration",
        revision=1,
    )
    assert reason.value is None and reason.revision == 2
    with pytest.raises(ValidationError, match="not both"):
        metric_value_save(
            actor=editor,
            quarterly_return=draft,
            metric=prevent,
            value=Decimal("5"),
            not_available_reason="x",
            revision=2,
        )


def test_computed_metrics_are_not_typed(editor, draft):
    with pytest.raises(ValidationError, match="the portal fills it in"):
        metric_value_save(
            actor=editor,
            quarterly_return=draft,
            metric=metric(draft, "DESIGNATED_FILLED"),
            value=Decimal("50"),
            revision=0,
        )


def test_saving_an_answer_or_a_figure_takes_a_fixed_number_of_queries(editor, draft):
    """What a save reads: the draft's lock, the row and its own checks; the
    return, standard and metric it was given are not read again (the audit
    event's description names them)."""
    counted = {}
    for code in ("LG1", "LG2"):
        given = standard(draft, code)
        with CaptureQueriesContext(connection) as queries:
            answer_save(
                actor=editor,
                quarterly_return=draft,
                standard=given,
                answer=AnswerInput(rating="green", narrative="Met."),
                revision=0,
            )
        counted[code] = len(queries)
    assert counted["LG2"] <= 14, counted  # LG1 also met the content types' cache cold
    figure = metric(draft, "PREVENT_TRAINED")
    with CaptureQueriesContext(connection) as queries:
        metric_value_save(
            actor=editor, quarterly_return=draft, metric=figure, value=Decimal("3"), revision=0
        )
    assert len(queries) <= 14, [q["sql"] for q in queries]
    event = AuditEvent.objects.filter(action=AuditAction.RETURN_ANSWER_SAVED).first()
    assert event.target_repr == f"{draft.icb.code} {draft.period.label} LG2"
