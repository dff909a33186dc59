# ruff: noqa: F811  (the fixtures are imported from test_submission)
"""Carrying last quarter forward: across a toolkit version change (a reworded,
a removed and a new standard) and across the April 2026 merger, what is
carried and what is not, the confirm-or-change marking, the completeness
check and the pages that say it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assurance.models import (
    ActionStatus,
    Answer,
    AnswerEvidence,
    MetricValue,
    ReportingPeriod,
    ReturnAction,
    Section,
    Standard,
)
from assurance.return_check import ProblemKind, return_problems
from assurance.services.carry_forward import (
    carry_forward_counts,
    carry_forward_sources,
    quarterly_return_carry_forward,
    section_answers_confirm,
)
from assurance.services.returns import (
    ActionInput,
    evidence_upload,
    quarterly_return_start,
)
from assurance.services.submissions import (
    quarterly_return_accept,
    quarterly_return_review_start,
    quarterly_return_submit,
)
from assurance.services.toolkit import (
    standard_create,
    standard_delete,
    standard_update,
    toolkit_version_publish,
)
from organisations.models import AuditAction, AuditEvent, Role
from organisations.permissions import NotPermitted
from saaf.dates import today
from tests.assurance.conftest import national_admin, with_totp  # noqa: F401
from tests.assurance.test_submission import (  # noqa: F401
    PDF,
    approver,
    editor,
    fill_clean,
    lead,
    period_dates,
    q3,
    save,
)
from tests.factories import enrol_totp, member

DAY = datetime.timedelta(days=1)


def accept(ret, editor, approver, lead, *, amber_code=None, evidence_code=None):
    """Fill `ret` (an amber answer with one done and one open action, a file
    on another), submit and accept it: the source a later quarter carries."""
    fill_clean(editor, ret)
    if amber_code:
        save(
            editor,
            ret,
            amber_code,
            rating="amber",
            narrative=f"{ret.icb.code}: half the audits done.",
            actions=[
                ActionInput("Finish the audit", "Designated nurse", today() + 30 * DAY),
                ActionInput(
                    "Write the audit plan", "Designated nurse", today() - DAY, ActionStatus.DONE
                ),
            ],
        )
    if evidence_code:
        evidence_upload(
            actor=editor,
            quarterly_return=ret,
            standard=ret.period.toolkit_version.standards.get(code=evidence_code),
            uploaded=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
            effective_on=datetime.date(2026, 8, 12),
        )
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    quarterly_return_review_start(actor=lead, quarterly_return=ret)
    quarterly_return_accept(actor=lead, quarterly_return=ret)
    ret.refresh_from_db()
    return ret


def first_codes(version, n):
    return list(
        Standard.objects.filter(version=version)
        .order_by("section__position", "position", "code")
        .values_list("code", flat=True)[:n]
    )


# --- Across a toolkit version change ------------------------------------------------------


@pytest.fixture
def next_year(toolkit, draft, national_admin):
    """2027/28, copied from 2026/27 with one standard reworded, one removed and
    one added, published, its Q1 opened early so a return can start today."""
    first, second, third = first_codes(toolkit[2026], 3)
    standard_update(
        actor=national_admin,
        standard=draft.standards.get(code=first),
        statement="The ICB's safeguarding leadership is named, resourced and reports to "
        "the board each quarter.",
    )
    standard_delete(actor=national_admin, standard=draft.standards.get(code=second))
    standard_create(
        actor=national_admin,
        section=draft.standards.get(code=third).section,
        code="NEW1",
        statement="The ICB has tested its safeguarding escalation route this year.",
    )
    toolkit_version_publish(actor=national_admin, version=draft)
    q1 = ReportingPeriod.objects.get(financial_year=2027, quarter=1)
    ReportingPeriod.objects.filter(pk=q1.pk).update(opens_on=today() - DAY)
    q1.refresh_from_db()
    return {"period": q1, "reworded": first, "removed": second, "section_of_new": third}


@pytest.fixture
def z9b2z_q3_accepted(reference, editor, approver, lead, q3):
    codes = first_codes(q3.toolkit_version, 5)
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    return accept(ret, editor, approver, lead, amber_code=codes[2], evidence_code=codes[3])


def test_carry_forward_across_a_version_change(reference, editor, z9b2z_q3_accepted, next_year):
    z9b2z, q1 = reference["Z9B2Z"], next_year["period"]
    (source,) = carry_forward_sources(z9b2z, q1, user=editor)
    assert source.own and source.submission.quarterly_return == z9b2z_q3_accepted

    ret, plan = quarterly_return_carry_forward(
        actor=editor, icb=z9b2z, period=q1, submission_id=source.submission.pk
    )

    assert [a.standard.code for a in plan.no_longer] == [next_year["removed"]]
    assert [s.code for s in plan.new] == ["NEW1"]
    assert [s.code for s in plan.reworded] == [next_year["reworded"]]
    answers = {a.standard.code: a for a in Answer.objects.filter(quarterly_return=ret)}
    # Every standard still in the toolkit is carried (the reworded one too),
    # the removed one is not, the new one starts empty.
    assert next_year["reworded"] in answers
    assert next_year["removed"] not in answers and "NEW1" not in answers
    assert len(answers) == q1.toolkit_version.standards.count() - 1
    assert all(a.standard.version_id == q1.toolkit_version_id for a in answers.values())
    assert all(a.awaits_confirmation for a in answers.values())
    # Ratings and narratives come across; metric values never do.
    amber_code, evidence_code = first_codes(z9b2z_q3_accepted.period.toolkit_version, 5)[2:4]
    assert answers[amber_code].rating == "amber"
    assert answers[amber_code].narrative == "Z9B2Z: half the audits done."
    assert not MetricValue.objects.filter(quarterly_return=ret).exists()
    # Open actions only; the evidence file is linked again, not copied.
    assert list(
        ReturnAction.objects.filter(answer=answers[amber_code]).values_list("description", "status")
    ) == [("Finish the audit", ActionStatus.NOT_STARTED)]
    (link,) = AnswerEvidence.objects.filter(answer=answers[evidence_code])
    assert link.evidence.effective_quarter == "Q2 2026/27"
    assert link.evidence.answer_links.count() == 2
    event = AuditEvent.objects.for_object(ret).get(action=AuditAction.RETURN_CARRIED_FORWARD)
    assert event.changes["no_longer_in_toolkit"] == next_year["removed"]
    assert event.changes["new_standards"] == "NEW1"


def test_the_carry_forward_page_lists_what_is_carried_and_what_is_not(
    client, reference, editor, z9b2z_q3_accepted, next_year
):
    q1 = next_year["period"]
    client.force_login(editor)
    address = reverse("assurance:return_carry_forward", args=["Z9B2Z", 2027, 1])
    page = client.get(address).content.decode()
    assert "NHS West and North London Integrated Care Board's Q3 2026/27 return" in page
    assert next_year["removed"] in page and "NEW1" in page
    assert "No longer in the 2027/28 toolkit" in page

    response = client.post(address, {})  # no choice made
    assert response.status_code == 400
    assert "Choose which accepted return to carry forward from." in response.content.decode()

    source = carry_forward_sources(reference["Z9B2Z"], q1, user=editor)[0]
    response = client.post(address, {"source": source.submission.pk})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "carried forward from" in page and "still to confirm or change" in page
    # Once it has answers, it is never carried forward into again.
    response = client.post(address, {"source": source.submission.pk})
    assert response.status_code == 302
    assert Answer.objects.filter(quarterly_return__period=q1).count() == (
        q1.toolkit_version.standards.count() - 1
    )
    with pytest.raises(ValidationError, match="already has answers"):
        quarterly_return_carry_forward(
            actor=editor,
            icb=reference["Z9B2Z"],
            period=q1,
            submission_id=source.submission.pk,
        )


def test_only_the_icbs_team_carries_forward_and_only_an_offered_source(
    reference, z9b2z_q3_accepted, next_year, lead
):
    q1 = next_year["period"]
    source = carry_forward_sources(reference["Z9B2Z"], q1, user=lead)[0]
    other = member(reference["QMF"], Role.ICB_EDITOR)
    with pytest.raises(NotPermitted):
        quarterly_return_carry_forward(
            actor=other, icb=reference["Z9B2Z"], period=q1, submission_id=source.submission.pk
        )
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    with pytest.raises(ValidationError, match="Choose which accepted return"):
        quarterly_return_carry_forward(
            actor=editor, icb=reference["Z9B2Z"], period=q1, submission_id=-1
        )
    assert not Answer.objects.filter(quarterly_return__period=q1).exists()
    assert not q1.returns.exists()  # the refused carry started nothing either


# --- Across the merger ----------------------------------------------------------------------


@pytest.fixture
def predecessors_q4_accepted(reference, editor, approver, lead):
    """QMJ's and QRV's Q4 2025/26 returns, completed by Z9B2Z's team (their
    successor) and accepted; QRV's with an amber answer and a file."""
    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    ReportingPeriod.objects.filter(pk=q4.pk).update(closes_on=today() + 30 * DAY)
    q4.refresh_from_db()
    codes = first_codes(q4.toolkit_version, 5)
    accepted = {}
    for code in ("QMJ", "QRV"):
        ret = quarterly_return_start(actor=editor, icb=reference[code], period=q4)
        assert ret.completed_by == reference["Z9B2Z"]
        extra = {"amber_code": codes[2], "evidence_code": codes[3]} if code == "QRV" else {}
        accepted[code] = accept(ret, editor, approver, lead, **extra)
    return accepted


def test_a_successor_carries_forward_from_the_predecessor_it_chooses(
    client, reference, editor, q3, predecessors_q4_accepted
):
    z9b2z = reference["Z9B2Z"]
    sources = carry_forward_sources(z9b2z, q3, user=editor)
    assert {s.icb.code for s in sources} == {"QMJ", "QRV"}
    assert not any(s.own for s in sources)
    chosen = next(s for s in sources if s.icb.code == "QRV")

    ret, plan = quarterly_return_carry_forward(
        actor=editor, icb=z9b2z, period=q3, submission_id=chosen.submission.pk
    )

    assert ret.icb == z9b2z and plan.carried
    answers = Answer.objects.filter(quarterly_return=ret).select_related(
        "carried_from__quarterly_return__icb"
    )
    assert {a.carried_from.quarterly_return.icb.code for a in answers} == {"QRV"}
    amber_code = first_codes(chosen.period.toolkit_version, 5)[2]
    assert answers.get(standard__code=amber_code).narrative == "QRV: half the audits done."
    # The pages say whose answers they were.
    client.force_login(editor)
    page = client.get(reverse("assurance:return_detail", args=["Z9B2Z", 2026, 3])).content
    assert "NHS North West London Integrated Care Board's answers" in page.decode()
    section = answers.get(standard__code=amber_code).standard.section.code
    page = client.get(
        reverse("assurance:return_section", args=["Z9B2Z", 2026, 3, section])
    ).content.decode()
    assert "Carried forward — confirm or change" in page
    assert "these were NHS North West London Integrated Care Board's answers" in page


def test_a_successors_own_accepted_return_comes_before_its_predecessors(
    reference, editor, approver, lead, q3, predecessors_q4_accepted, next_year
):
    """Once the successor has an accepted return of its own after the
    predecessors' last, only its own is offered."""
    own = accept(
        quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3),
        editor,
        approver,
        lead,
    )
    sources = carry_forward_sources(reference["Z9B2Z"], next_year["period"], user=editor)
    assert [(s.own, s.submission.quarterly_return) for s in sources] == [(True, own)]


# --- Confirming, changing, the check and the submit page ------------------------------------


@pytest.fixture
def carried(reference, editor, z9b2z_q3_accepted, next_year):
    q1 = next_year["period"]
    source = carry_forward_sources(reference["Z9B2Z"], q1, user=editor)[0]
    ret, _ = quarterly_return_carry_forward(
        actor=editor, icb=reference["Z9B2Z"], period=q1, submission_id=source.submission.pk
    )
    return ret


def unconfirmed(ret):
    return [p for p in return_problems(ret).problems if p.kind == ProblemKind.CARRIED_UNCONFIRMED]


def test_the_check_counts_each_unconfirmed_answer_until_confirmed_or_changed(carried, editor):
    carried_count = Answer.objects.filter(quarterly_return=carried).count()
    problems = unconfirmed(carried)
    assert len(problems) == carried_count
    assert "Carried forward from NHS West and North London" in problems[0].message
    assert "confirm it or change it" in problems[0].message

    section = Section.objects.filter(version=carried.period.toolkit_version).first()
    in_section = Answer.objects.filter(quarterly_return=carried, standard__section=section)
    codes = section_answers_confirm(actor=editor, quarterly_return=carried, section=section)
    assert sorted(codes) == sorted(in_section.values_list("standard__code", flat=True))
    assert len(unconfirmed(carried)) == carried_count - len(codes)
    event = AuditEvent.objects.for_object(carried).get(action=AuditAction.RETURN_ANSWERS_CONFIRMED)
    assert event.changes == {"section": section.code, "standards": [None, ", ".join(codes)]}
    # Confirming again finds nothing left: no second event.
    assert section_answers_confirm(actor=editor, quarterly_return=carried, section=section) == []
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_ANSWERS_CONFIRMED).count() == 1

    other = Answer.objects.filter(quarterly_return=carried).exclude(standard__section=section)
    changed = other.first()
    save(editor, carried, changed.standard.code, rating="green", narrative="Checked again in Q1.")
    changed.refresh_from_db()
    assert changed.confirmed_at is not None and changed.carried_changed
    assert not changed.awaits_confirmation
    counts = carry_forward_counts(carried)
    assert (counts.carried, counts.confirmed_unchanged, counts.changed) == (
        carried_count,
        len(codes),
        1,
    )
    assert counts.waiting == carried_count - len(codes) - 1


def test_saving_a_carried_answer_unchanged_does_not_confirm_it(carried, editor):
    answer = Answer.objects.filter(quarterly_return=carried, rating="green").first()
    save(
        editor,
        carried,
        answer.standard.code,
        rating=answer.rating,
        narrative=answer.narrative,
        explanation=answer.explanation,
    )
    answer.refresh_from_db()
    assert answer.awaits_confirmation


def test_a_reader_cannot_confirm(carried, reference):
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    section = Section.objects.filter(version=carried.period.toolkit_version).first()
    with pytest.raises((NotPermitted, ValidationError)):
        section_answers_confirm(actor=viewer, quarterly_return=carried, section=section)
    assert len(unconfirmed(carried)) == Answer.objects.filter(quarterly_return=carried).count()


def test_confirm_page_and_submit_page_counts(client, carried, editor, reference):
    section = Section.objects.filter(version=carried.period.toolkit_version).first()
    args = ["Z9B2Z", 2027, 1, section.code]
    client.force_login(editor)
    page = client.get(reverse("assurance:return_section_confirm", args=args)).content.decode()
    waiting = Answer.objects.filter(quarterly_return=carried, standard__section=section).count()
    assert f"Confirm {waiting} answers unchanged" in page or "Confirm 1 answer unchanged" in page
    response = client.post(reverse("assurance:return_section_confirm", args=args))
    assert response.status_code == 302
    assert response["Location"] == reverse("assurance:return_section", args=args)

    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    enrol_totp(approver)
    client.force_login(approver)
    page = client.get(reverse("assurance:return_submit", args=args[:3])).content.decode()
    total = Answer.objects.filter(quarterly_return=carried).count()
    assert f"{total} answers were carried forward from" in page
    assert f"{waiting} confirmed unchanged" in page
    assert f"{total - waiting} not yet confirmed or changed" in page


def test_carried_evidence_shows_the_quarter_it_speaks_for(client, carried, editor):
    link = AnswerEvidence.objects.filter(answer__quarterly_return=carried).first()
    section = link.answer.standard.section.code
    client.force_login(editor)
    page = client.get(
        reverse("assurance:return_section", args=["Z9B2Z", 2027, 1, section])
    ).content.decode()
    assert "12 August 2026 (from Q2 2026/27)" in page


def test_a_section_of_unconfirmed_answers_is_not_complete(carried, editor):
    from assurance.return_progress import SectionStatus, return_progress

    progress = return_progress(carried)
    assert all(s.status != SectionStatus.COMPLETED for s in progress.sections)
    plain = next(  # every standard carried, and no metric the ICB types
        s
        for s in progress.sections
        if all(i.answer for i in s.standards) and all(m.metric.is_computed for m in s.metrics)
    )
    section_answers_confirm(actor=editor, quarterly_return=carried, section=plain.section)
    assert return_progress(carried).section(plain.section.code).status == SectionStatus.COMPLETED


def test_the_start_page_offers_carrying_forward_only_when_there_is_a_source(
    client, reference, editor, approver, lead, q3
):
    client.force_login(editor)
    address = reverse("assurance:return_detail", args=["Z9B2Z", 2026, 3])
    offer = "Start from the last accepted return's answers instead"
    assert offer not in client.get(address).content.decode()
    q2 = ReportingPeriod.objects.get(financial_year=2026, quarter=2)
    accept(
        quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q2),
        editor,
        approver,
        lead,
    )
    assert offer in client.get(address).content.decode()
