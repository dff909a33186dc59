"""Signing a return off: the completeness check, the approver's submission,
what it keeps (and the database refusing to change it), lateness and the
closing date, and the regional lead's review transitions."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError

from assurance.models import (
    Answer,
    EvidenceFile,
    ReportingPeriod,
    ReturnStatus,
    Submission,
    SubmissionEvidence,
    SubmittedAction,
    SubmittedAnswer,
    SubmittedMetricValue,
)
from assurance.return_check import ProblemKind, return_problems
from assurance.services.register import post_types_load
from assurance.services.returns import (
    ActionInput,
    AnswerInput,
    answer_save,
    evidence_unlink,
    evidence_upload,
    metric_value_save,
    quarterly_return_start,
)
from assurance.services.submissions import (
    ReturnIncomplete,
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_send_back,
    quarterly_return_submit,
)
from organisations.audit import system_actor
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from saaf.dates import nhs_date, today
from tests.factories import member

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def q3(toolkit):
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def approver(reference):
    return member(reference["Z9B2Z"], Role.ICB_APPROVER)


@pytest.fixture
def lead(reference):
    """London's regional safeguarding lead (Z9B2Z is a London ICB)."""
    return member(reference["Y56"], Role.REGIONAL_LEAD)


@pytest.fixture
def ret(editor, reference, q3):
    post_types_load(actor=system_actor())  # so register-linked standards have findings
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)


def version(ret):
    return ret.period.toolkit_version


def save(actor, ret, code, **fields):
    standard = version(ret).standards.get(code=code)
    row = Answer.objects.filter(quarterly_return=ret, standard=standard).first()
    return answer_save(
        actor=actor,
        quarterly_return=ret,
        standard=standard,
        answer=AnswerInput(**fields),
        revision=row.revision if row else 0,
    )


def fill_clean(actor, ret):
    """Answer everything so the check passes: green with a narrative, an
    explanation where the register rule does not hold, a figure per metric."""
    for standard in version(ret).standards.all():
        answer_save(
            actor=actor,
            quarterly_return=ret,
            standard=standard,
            answer=AnswerInput(
                rating="green",
                narrative=f"Board minutes show {standard.code} is met.",
                explanation=(
                    "Interim cover agreed with the neighbouring ICB."
                    if standard.register_groups
                    else ""
                ),
            ),
            revision=0,
        )
    for metric in version(ret).metrics.all():
        if not metric.is_computed:
            metric_value_save(
                actor=actor, quarterly_return=ret, metric=metric, value=Decimal("3"), revision=0
            )


def period_dates(ret, **dates):
    ReportingPeriod.objects.filter(pk=ret.period_id).update(**dates)
    ret.period.refresh_from_db()


# --- The check --------------------------------------------------------------------


def test_every_kind_of_problem_is_found_listed_and_refuses_the_submission(ret, editor, approver):
    fill_clean(editor, ret)
    assert return_problems(ret).passes
    ruled = next(s for s in version(ret).standards.order_by("position") if s.register_groups)
    others = [s.code for s in version(ret).standards.exclude(pk=ruled.pk).order_by("code")[:5]]
    save(editor, ret, others[0], rating="")
    save(editor, ret, others[1], rating="not_applicable")
    save(editor, ret, others[2], rating="amber", narrative="Gaps in training.")
    save(
        editor,
        ret,
        others[3],
        rating="red",
        narrative="No MCA lead.",
        actions=[ActionInput(description="Recruit an MCA lead")],
    )
    save(editor, ret, others[4], rating="green", narrative="   ")
    save(editor, ret, ruled.code, rating="green", narrative="We are fine.", explanation="")
    reported = next(m for m in version(ret).metrics.order_by("code") if not m.is_computed)
    metric_value_save(actor=editor, quarterly_return=ret, metric=reported, value=None, revision=1)

    check = return_problems(ret)
    found = {(p.kind, p.code) for p in check.problems}
    assert found == {
        (ProblemKind.NO_RATING, others[0]),
        (ProblemKind.NOT_APPLICABLE_NO_REASON, others[1]),
        (ProblemKind.NO_ACTION, others[2]),
        (ProblemKind.ACTION_NO_OWNER, others[3]),
        (ProblemKind.ACTION_NO_DUE_DATE, others[3]),
        (ProblemKind.GREEN_NO_EVIDENCE, others[4]),
        (ProblemKind.GREEN_AGAINST_REGISTER, ruled.code),
        (ProblemKind.METRIC_MISSING, reported.code),
    }
    register = next(p for p in check.problems if p.kind == ProblemKind.GREEN_AGAINST_REGISTER)
    # The finding is quoted, with the rule and the day checked.
    assert "the posts register shows: " in register.message and "No designated" in register.message
    assert nhs_date(check.on) in register.message and "Green needs:" in register.message
    # Each problem links to its field on its section's page.
    links = {link["href"] for link in check.links()}
    section = version(ret).standards.get(code=others[3]).section.code
    assert any(h.endswith(f"/sections/{section}/#id_{others[3]}-a0-owner") for h in links)
    assert any(h.endswith(f"#id_{others[3]}-a0-due_on_day") for h in links)
    assert any(h.endswith(f"#id_{ruled.code}-explanation") for h in links)
    assert any(h.endswith(f"#id_{reported.code}-value") for h in links)
    # Grouped by section: the counts add up.
    assert sum(s.count for s in check.sections) == len(found) == check.count

    with pytest.raises(ReturnIncomplete) as refused:
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert len(refused.value.messages) == len(found)
    assert {p.text for p in check.problems} == set(refused.value.messages)
    assert not Submission.objects.exists()
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT

    # An explanation lets green stand against the register; the draft keeps it.
    saved = save(editor, ret, ruled.code, rating="green", narrative="x", explanation="Covered.")
    assert saved.explanation == "Covered."
    assert ProblemKind.GREEN_AGAINST_REGISTER not in {p.kind for p in return_problems(ret).problems}


def test_an_evidence_file_stands_for_a_green_narrative(ret, editor):
    fill_clean(editor, ret)
    code = version(ret).standards.exclude(register_groups=[]).first()
    code = version(ret).standards.filter(register_groups=[]).first().code
    save(editor, ret, code, rating="green", narrative="")
    assert {p.kind for p in return_problems(ret).problems} == {ProblemKind.GREEN_NO_EVIDENCE}
    evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=version(ret).standards.get(code=code),
        uploaded=SimpleUploadedFile("minutes.pdf", PDF),
        effective_on=today(),
    )
    assert return_problems(ret).passes


def test_the_checks_query_count_does_not_grow_with_answers(ret, editor):
    from django.test.utils import CaptureQueriesContext

    save(editor, ret, "LG1", rating="red", actions=[ActionInput(description="a")])
    return_problems(ret)  # warm any per-process cache
    with CaptureQueriesContext(connection) as few:
        return_problems(ret)
    fill_clean_more = list(version(ret).standards.exclude(code="LG1"))
    for standard in fill_clean_more:
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=standard,
            answer=AnswerInput(
                rating="amber",
                actions=[ActionInput(description="b", owner="Designated nurse")],
            ),
            revision=0,
        )
    with CaptureQueriesContext(connection) as many:
        return_problems(ret)
    assert len(many) == len(few)


# --- Submitting --------------------------------------------------------------------


def test_a_clean_return_submits_as_version_1_on_time(ret, editor, approver, lead):
    fill_clean(editor, ret)
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert submission.version == 1 and submission.late is False
    assert submission.submitted_by == approver
    assert "accurate account" in submission.declaration
    assert submission.submitted_by_role.startswith("ICB approver")
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED
    event = AuditEvent.objects.get(action=AuditAction.RETURN_SUBMITTED)
    assert event.actor == approver and event.changes["version"] == [None, 1]


def test_the_submission_is_a_copy_of_the_draft_at_that_moment(ret, editor, approver):
    fill_clean(editor, ret)
    save(
        editor,
        ret,
        "LG1",
        rating="amber",
        narrative="Training below target.",
        actions=[
            ActionInput(
                description="Train the board",
                owner="Designated nurse",
                due_on=datetime.date(2027, 3, 31),
                status="in_progress",
            )
        ],
    )
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=version(ret).standards.get(code="LG1"),
        uploaded=SimpleUploadedFile("training.pdf", PDF),
        effective_on=today(),
    )
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)

    drafted = {
        a.standard_id: (a.rating, a.not_applicable_reason, a.narrative, a.explanation)
        for a in Answer.objects.filter(quarterly_return=ret)
    }
    submitted = {
        a.standard_id: (a.rating, a.not_applicable_reason, a.narrative, a.explanation)
        for a in submission.answers.all()
    }
    assert submitted == drafted and len(submitted) == version(ret).standards.count()
    lg1 = submission.answers.get(standard__code="LG1")
    assert [(a.description, a.owner, a.due_on, a.status) for a in lg1.actions.all()] == [
        ("Train the board", "Designated nurse", datetime.date(2027, 3, 31), "in_progress")
    ]
    assert list(lg1.evidence_links.values_list("evidence", flat=True)) == [link.evidence_id]
    assert lg1.validated_rating is None and lg1.validated_rationale is None
    # The register check of the day is kept with each register-linked answer.
    ruled = submission.answers.exclude(register_check=None)
    assert ruled.exists() and not ruled.filter(register_holds=None).exists()
    assert all(a.register_holds == a.register_check["holds"] for a in ruled)
    assert ruled.filter(register_holds=False).exists()  # no posts held: some rules fail
    sample = ruled.first()
    assert sample.register_check["standard_code"] == sample.standard.code
    assert sample.register_check["concerned"]
    # Every metric, typed or computed, with its RAG.
    values = {v.metric.code: v for v in submission.metric_values.select_related("metric")}
    assert len(values) == version(ret).metrics.count()
    computed = values["DESIGNATED_FILLED"]
    assert computed.value is None and computed.computed_value == Decimal("0")
    assert computed.rating == "red" and computed.computed_detail
    typed = next(v for v in values.values() if not v.metric.is_computed)
    assert typed.value == Decimal("3") and typed.computed_value is None

    # Later draft changes (after a send-back) never reach version 1.
    lead = member(ret.icb.parent, Role.REGIONAL_LEAD)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="Say more on LG1.")
    save(editor, ret, "LG1", rating="red", narrative="Worse.", actions=[])
    assert submission.answers.get(standard__code="LG1").rating == "amber"


def test_late_when_first_submitted_after_the_due_date(ret, editor, approver):
    fill_clean(editor, ret)
    period_dates(ret, due_on=today() - datetime.timedelta(days=1))
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert submission.late is True


def test_on_the_due_date_itself_it_is_on_time(ret, editor, approver):
    fill_clean(editor, ret)
    period_dates(ret, due_on=today())
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert submission.late is False


def test_refused_after_the_closing_date(ret, editor, approver):
    fill_clean(editor, ret)
    closed = today() - datetime.timedelta(days=1)
    period_dates(ret, due_on=closed, closes_on=closed)
    with pytest.raises(ValidationError) as refused:
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert refused.value.messages == [
        f"Period closed on {nhs_date(closed)}: ask the national team to reopen it."
    ]
    assert not Submission.objects.exists()


def test_the_declaration_must_be_ticked(ret, editor, approver):
    fill_clean(editor, ret)
    with pytest.raises(ValidationError, match="Tick the declaration"):
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=False)
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.ICB_EDITOR, "Z9B2Z"),
        (Role.ICB_VIEWER, "Z9B2Z"),
        (Role.ICB_APPROVER, "QMF"),
        (Role.REGIONAL_LEAD, "Y56"),
        (Role.REGIONAL_CHIEF_NURSE, "Y56"),
        (Role.NATIONAL_ADMIN, "X24"),
    ],
)
def test_only_the_icbs_approver_submits(ret, editor, reference, role, org):
    fill_clean(editor, ret)
    someone = member(reference[org], role)
    with pytest.raises(NotPermitted, match="approver can submit this return"):
        quarterly_return_submit(actor=someone, quarterly_return=ret, declaration=True)
    assert not Submission.objects.exists()


def test_after_submission_the_draft_cannot_be_changed(ret, editor, approver):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    expected = (
        f"Submitted on {nhs_date(today())} (version 1): awaiting the regional review. "
        "It can no longer be changed."
    )
    with pytest.raises(ValidationError) as refused:
        save(editor, ret, "LG1", rating="red")
    assert refused.value.messages == [expected]
    with pytest.raises(ValidationError, match="awaiting the regional review"):
        quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    # A stale copy of the return (opened before the submission) is refused too.
    from assurance.models import QuarterlyReturn

    stale = QuarterlyReturn.objects.get(pk=ret.pk)
    stale.status = ReturnStatus.DRAFT
    with pytest.raises(ValidationError, match="awaiting the regional review"):
        save(editor, stale, "LG1", rating="red")
    assert Answer.objects.get(quarterly_return=ret, standard__code="LG1").rating == "green"


def test_a_file_linked_to_a_submission_is_never_deleted(ret, editor, approver, lead):
    fill_clean(editor, ret)
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=version(ret).standards.get(code="LG1"),
        uploaded=SimpleUploadedFile("minutes.pdf", PDF),
        effective_on=today(),
    )
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="Check LG1.")
    evidence_unlink(actor=editor, quarterly_return=ret, link=link)
    assert EvidenceFile.objects.filter(pk=link.evidence_id).exists()
    assert SubmissionEvidence.objects.filter(evidence_id=link.evidence_id).exists()


# --- Immutability, enforced by the database -------------------------------------------


def _refused(action):
    with pytest.raises((IntegrityError, DatabaseError)) as error, transaction.atomic():
        action()
    assert "never changes" in str(error.value)


def test_triggers_refuse_update_and_delete_of_a_submission(ret, editor, approver):
    fill_clean(editor, ret)
    save(
        editor,
        ret,
        "LG1",
        rating="amber",
        narrative="n",
        actions=[ActionInput(description="a", owner="o", due_on=datetime.date(2027, 1, 1))],
    )
    evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=version(ret).standards.get(code="LG1"),
        uploaded=SimpleUploadedFile("minutes.pdf", PDF),
        effective_on=today(),
    )
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    answer = submission.answers.get(standard__code="LG1")

    # The ORM: queryset update and delete, and a model save.
    _refused(lambda: Submission.objects.filter(pk=submission.pk).update(late=True))
    with pytest.raises(ProtectedError):  # Django itself refuses first, for the parent row
        Submission.objects.filter(pk=submission.pk).delete()
    _refused(lambda: Submission.objects.filter(pk=submission.pk)._raw_delete(connection.alias))
    _refused(lambda: SubmittedAnswer.objects.filter(pk=answer.pk).update(rating="green"))
    _refused(lambda: SubmittedAnswer.objects.filter(pk=answer.pk).update(narrative="edited"))
    ruled = submission.answers.filter(register_holds=False).first()
    _refused(lambda: SubmittedAnswer.objects.filter(pk=ruled.pk).update(register_check=None))
    _refused(lambda: SubmittedAnswer.objects.filter(pk=ruled.pk).update(register_holds=True))
    _refused(lambda: SubmittedAction.objects.filter(answer=answer).update(owner="x"))
    _refused(lambda: SubmittedAction.objects.filter(answer=answer).delete())
    _refused(lambda: SubmittedMetricValue.objects.filter(submission=submission).update(rating="x"))
    _refused(lambda: SubmittedMetricValue.objects.filter(submission=submission).delete())
    _refused(lambda: SubmissionEvidence.objects.filter(answer=answer).delete())

    def save_changed():
        answer.narrative = "changed behind the service's back"
        answer.save()

    _refused(save_changed)

    # Raw SQL, as someone at a database prompt would.
    tables = {
        "assurance_submission": ("late = NOT late", submission.pk, "id"),
        "assurance_submittedanswer": ("rating = 'red'", answer.pk, "id"),
        "assurance_submittedaction": ("owner = 'x'", answer.pk, "answer_id"),
        "assurance_submittedmetricvalue": ("rating = 'x'", submission.pk, "submission_id"),
        "assurance_submissionevidence": ("evidence_id = evidence_id", answer.pk, "answer_id"),
    }
    for table, (assignment, pk, column) in tables.items():

        def update(table=table, assignment=assignment, pk=pk, column=column):
            with connection.cursor() as cursor:
                sql = f"UPDATE {table} SET {assignment} WHERE {column} = %s"  # noqa: S608
                cursor.execute(sql, [pk])

        def delete(table=table, pk=pk, column=column):
            with connection.cursor() as cursor:
                sql = f"DELETE FROM {table} WHERE {column} = %s"  # noqa: S608
                cursor.execute(sql, [pk])

        _refused(update)
        _refused(delete)

    answer.refresh_from_db()
    assert answer.rating == "amber" and answer.narrative == "n"
    assert Submission.objects.filter(pk=submission.pk, late=False).exists()
    assert SubmittedAction.objects.filter(answer=answer, owner="o").count() == 1

    # The regional lead's validated rating is the one thing written later.
    SubmittedAnswer.objects.filter(pk=answer.pk).update(
        validated_rating="red", validated_rationale="Training at 40%."
    )
    answer.refresh_from_db()
    assert answer.validated_rating == "red" and answer.rating == "amber"


# --- Regional review ------------------------------------------------------------------


@pytest.fixture
def submitted(ret, editor, approver):
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    return ret


def test_send_back_then_resubmit_is_version_2_and_keeps_the_on_time_mark(
    submitted, editor, approver, lead
):
    ret = submitted
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    assert ret.status == ReturnStatus.UNDER_REVIEW
    with pytest.raises(ValidationError, match="Say what the ICB should change"):
        quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="  ")
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="LG1 needs evidence.")
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED and ret.is_draft
    assert ret.returned_comment == "LG1 needs evidence."
    event = AuditEvent.objects.get(action=AuditAction.RETURN_SENT_BACK)
    assert event.reason == "LG1 needs evidence." and event.actor == lead

    save(editor, ret, "LG1", rating="green", narrative="Now with the audit report.")
    # The resubmission comes after the due date: the return is still on time.
    period_dates(ret, due_on=today() - datetime.timedelta(days=1))
    second = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert second.version == 2 and second.late is False
    assert list(ret.submissions.values_list("version", flat=True)) == [1, 2]
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED and ret.returned_comment == ""

    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.ACCEPTED
    with pytest.raises(ValidationError, match="Accepted by the region"):
        save(editor, ret, "LG1", rating="red")
    assert set(AuditEvent.objects.for_object(ret).values_list("action", flat=True)) >= {
        AuditAction.RETURN_SUBMITTED,
        AuditAction.RETURN_REVIEW_STARTED,
        AuditAction.RETURN_SENT_BACK,
        AuditAction.RETURN_ACCEPTED,
    }


def test_a_late_return_stays_late_when_resubmitted(ret, editor, approver, lead):
    fill_clean(editor, ret)
    period_dates(ret, due_on=today() - datetime.timedelta(days=1))
    assert quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True).late
    quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="More on LG1.")
    assert quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True).late


@pytest.mark.parametrize(
    "role,org",
    [
        (Role.REGIONAL_LEAD, "Y61"),  # another region's lead
        (Role.REGIONAL_CHIEF_NURSE, "Y56"),  # reads and comments, never reviews
        (Role.ICB_APPROVER, "Z9B2Z"),
        (Role.ICB_EDITOR, "Z9B2Z"),
        (Role.NATIONAL_ADMIN, "X24"),
        (Role.NSSG_MEMBER, "X24"),
    ],
)
def test_only_the_regions_lead_reviews(submitted, reference, role, org):
    someone = member(reference[org], role)
    for service, extra in (
        (quarterly_return_review_start, {}),
        (quarterly_return_accept, {}),
        (quarterly_return_send_back, {"comment": "No."}),
    ):
        with pytest.raises(NotPermitted, match="regional safeguarding lead of"):
            service(actor=someone, quarterly_return=submitted, **extra)
    submitted.refresh_from_db()
    assert submitted.status == ReturnStatus.SUBMITTED


def test_review_steps_refuse_the_wrong_state(ret, editor, approver, lead):
    with pytest.raises(ValidationError, match="It is a draft: the ICB has not submitted it yet"):
        quarterly_return_review_start(actor=lead, quarterly_return=ret)
    with pytest.raises(ValidationError, match="has not submitted it yet"):
        quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="x")
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    with pytest.raises(ValidationError, match="You cannot accept this return. Submitted on"):
        quarterly_return_accept(actor=lead, quarterly_return=ret)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    with pytest.raises(ValidationError, match="the region is reviewing it"):
        quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret)
    with pytest.raises(ValidationError, match="Accepted by the region"):
        quarterly_return_send_back(actor=lead, quarterly_return=ret, comment="x")


@pytest.mark.django_db(transaction=True)
def test_a_submission_commits_on_its_own(submissions_purged_after, ret, editor, approver):
    """Outside any test transaction: the durable submission commits, and the
    triggers still refuse a change afterwards."""
    fill_clean(editor, ret)
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert not connection.in_atomic_block
    assert Submission.objects.filter(pk=submission.pk, version=1).exists()
    with pytest.raises((IntegrityError, DatabaseError), match="never changes"):
        Submission.objects.filter(pk=submission.pk).update(late=True)


def test_a_dissolved_icbs_return_is_submitted_by_its_successors_approver(
    reference, editor, approver
):
    """QMJ merged into Z9B2Z on 1 April 2026: Z9B2Z's approver signs off QMJ's
    Q4 2025/26 return (reopened here by moving the closing date); QMJ's own
    approver, whose ICB no longer exists, cannot."""
    post_types_load(actor=system_actor())
    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    ret = quarterly_return_start(actor=editor, icb=reference["QMJ"], period=q4)
    assert ret.completed_by == reference["Z9B2Z"]
    period_dates(ret, closes_on=today())  # closed in May 2026: locked until then
    fill_clean(editor, ret)
    old_approver = member(reference["QMJ"], Role.ICB_APPROVER)
    with pytest.raises(NotPermitted, match=f"Only {reference['Z9B2Z'].name}'s approver"):
        quarterly_return_submit(actor=old_approver, quarterly_return=ret, declaration=True)
    submission = quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    assert submission.version == 1 and submission.late is True  # due on 30 April 2026
    assert reference["Z9B2Z"].name in submission.submitted_by_role
