"""The return's pages as an ICB team, a region and the nation meet them."""

import pytest
from django.urls import reverse

from assurance.models import Answer, MetricValue, QuarterlyReturn, ReportingPeriod
from assurance.services.returns import AnswerInput, answer_save, quarterly_return_start
from organisations.models import AuditAction, AuditEvent, Role
from tests.factories import enrol_totp, member


@pytest.fixture
def period(toolkit):
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def ret(editor, reference, period):
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=period)


def url(name, ret, *extra):
    p = ret.period
    return reverse(f"assurance:{name}", args=[ret.icb.code, p.financial_year, p.quarter, *extra])


def signed_in(client, user):
    enrol_totp(user)
    client.force_login(user)
    return user


def section_post(ret, section="LG", **answers):
    """A section form as the browser sends it: every standard of the section
    at its current revision, with `answers` filled in by code."""
    data = {}
    section_obj = ret.period.toolkit_version.sections.get(code=section)
    for st in section_obj.standards.all():
        current = Answer.objects.filter(quarterly_return=ret, standard=st).first()
        data[f"{st.code}-revision"] = current.revision if current else 0
        data[f"{st.code}-action_rows"] = 1
        for key, value in answers.get(st.code, {}).items():
            data[f"{st.code}-{key}"] = value
    for m in section_obj.metrics.all():
        data[f"{m.code}-revision"] = 0
    return data


def test_starting_from_the_page(client, reference, period, editor):
    signed_in(client, editor)
    page = client.get(reverse("assurance:return_detail", args=["Z9B2Z", 2026, 3]))
    assert "Start the return" in page.content.decode()
    response = client.post(reverse("assurance:return_start", args=["Z9B2Z", 2026, 3]))
    assert response.status_code == 302
    assert QuarterlyReturn.objects.filter(icb=reference["Z9B2Z"], period=period).exists()


def test_task_list_shows_each_sections_status_and_progress(client, ret, editor):
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        answer=AnswerInput(rating="red"),
        revision=0,
    )
    signed_in(client, editor)
    page = client.get(url("return_detail", ret)).content.decode()
    sections = ret.period.toolkit_version.sections.count()
    assert f"0 of {sections} sections complete" in page
    assert "In progress" in page and "Not started" in page
    # Every standard not yet rated, and the red one with no action, are problems.
    assert "problems in Leadership and governance" in page


def test_a_section_saves_what_is_valid_and_shows_the_rest_with_errors(client, ret, editor):
    signed_in(client, editor)
    data = section_post(
        ret,
        LG1={"rating": "green", "narrative": "Board minutes, line one.\nLine two."},
        LG2={
            "rating": "amber",
            "a0-description": "Recruit",
            "a0-due_on_day": "31",
            "a0-due_on_month": "2",
            "a0-due_on_year": "2027",
        },  # fmt: skip
    )
    data["draft"] = "1"
    response = client.post(url("return_section", ret, "LG"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Everything else on this page was saved." in page
    assert "LG2, action 1:" in page  # 31 February
    lg1 = Answer.objects.get(quarterly_return=ret, standard__code="LG1")
    assert (lg1.rating, lg1.narrative) == ("green", "Board minutes, line one.\nLine two.")
    assert not Answer.objects.filter(quarterly_return=ret, standard__code="LG2").exists()
    # What was typed in the refused answer is still on the page.
    assert 'value="amber" checked' in page or "checked" in page.split("LG2")[-1]


def test_save_and_continue_moves_to_the_next_section(client, ret, editor):
    signed_in(client, editor)
    data = section_post(ret, LG1={"rating": "red"})
    data["continue"] = "1"
    response = client.post(url("return_section", ret, "LG"), data)
    assert response.status_code == 302
    sections = list(ret.period.toolkit_version.sections.order_by("position"))
    following = sections[[s.code for s in sections].index("LG") + 1]
    assert response["Location"] == url("return_section", ret, following.code)
    page = client.get(url("return_section", ret, "LG")).content.decode()
    assert "Rated red with no action" in page


def test_a_stale_save_shows_both_versions(client, ret, editor, reference):
    signed_in(client, editor)
    stale = section_post(ret, LG1={"rating": "green", "narrative": "Mine"})
    colleague = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    answer_save(
        actor=colleague,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        answer=AnswerInput(rating="amber", narrative="Theirs"),
        revision=0,
    )
    stale["draft"] = "1"
    response = client.post(url("return_section", ret, "LG"), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Theirs" in page and "Mine" in page and "Nothing has been lost" in page
    assert Answer.objects.get(quarterly_return=ret, standard__code="LG1").narrative == "Theirs"
    # Keeping mine: the conflict page sends the current revision.
    keep = {"LG1-revision": 1, "LG1-action_rows": 1, "LG1-rating": "green",
            "LG1-narrative": "Mine, merged with theirs", "draft": "1"}  # fmt: skip
    assert client.post(url("return_section", ret, "LG"), keep).status_code == 302
    assert (
        Answer.objects.get(quarterly_return=ret, standard__code="LG1").narrative
        == "Mine, merged with theirs"
    )


@pytest.mark.parametrize(
    "role,org", [(Role.ICB_VIEWER, "Z9B2Z"), (Role.REGIONAL_LEAD, "Y56"), (Role.NSSG_MEMBER, "X24")]
)
def test_others_in_scope_read_the_draft_but_cannot_change_it(client, ret, reference, role, org):
    signed_in(client, member(reference[org], role))
    page = client.get(url("return_section", ret, "LG")).content.decode()
    assert "You are reading this return (a draft, not submitted)" in page
    assert "Save as draft" not in page
    response = client.post(
        url("return_section", ret, "LG"), section_post(ret, LG1={"rating": "red"})
    )
    assert response.status_code == 403
    assert not Answer.objects.filter(quarterly_return=ret).exists()


@pytest.mark.parametrize(
    "role,org", [(Role.ICB_EDITOR, "QMF"), (Role.REGIONAL_LEAD, "Y61"), (Role.ICB_VIEWER, "QE1")]
)
def test_out_of_scope_is_not_found(client, ret, reference, role, org):
    signed_in(client, member(reference[org], role))
    for name, extra in [("return_detail", ()), ("return_section", ("LG",)), ("return_history", ())]:
        assert client.get(url(name, ret, *extra)).status_code == 404


def test_the_history_page_lists_every_change(client, ret, editor):
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        answer=AnswerInput(rating="green", narrative="First"),
        revision=0,
    )
    signed_in(client, editor)
    page = client.get(url("return_history", ret)).content.decode()
    assert "Answer saved" in page and "Return started" in page
    assert "Narrative: none → First" in page and "Standard: LG1" in page


def test_metric_values_are_saved_from_the_section(client, ret, editor):
    signed_in(client, editor)
    section = ret.period.toolkit_version.metrics.get(code="PREVENT_TRAINED").section
    data = section_post(ret, section.code)
    data["PREVENT_TRAINED-value"] = "140"
    response = client.post(url("return_section", ret, section.code), data)
    assert response.status_code == 400
    assert "between 0 and 100" in response.content.decode()
    data["PREVENT_TRAINED-value"] = "87.5"
    assert client.post(url("return_section", ret, section.code), data).status_code == 302
    assert (
        MetricValue.objects.get(quarterly_return=ret, metric__code="PREVENT_TRAINED").value == 87.5
    )
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_METRIC_SAVED).count() == 1


def test_task_list_and_section_queries_do_not_grow_with_answers(client, ret, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    standards = list(ret.period.toolkit_version.standards.filter(section__code="LG"))
    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=standards[0],
        answer=AnswerInput(rating="red"),
        revision=0,
    )
    signed_in(client, editor)
    client.get(url("return_detail", ret))  # the session's first request records it
    with CaptureQueriesContext(connection) as before:
        client.get(url("return_section", ret, "LG"))
    with CaptureQueriesContext(connection) as task_list_before:
        client.get(url("return_detail", ret))
    for st in standards[1:]:
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=st,
            answer=AnswerInput(rating="amber"),
            revision=0,
        )
    with CaptureQueriesContext(connection) as after:
        client.get(url("return_section", ret, "LG"))
    assert len(after) == len(before)
    with CaptureQueriesContext(connection) as task_list:
        client.get(url("return_detail", ret))
    # Session, user, MFA and scope reads, the completeness check with its
    # register roll-up, and the latest submission: fixed, whatever the answers.
    assert len(task_list) == len(task_list_before) <= 32


def test_the_section_shows_register_checks_and_computed_metrics(client, ret, editor):
    from assurance.services.register import post_types_load
    from organisations.audit import system_actor

    post_types_load(actor=system_actor())
    version = ret.period.toolkit_version
    ruled = next(s for s in version.standards.select_related("section") if s.register_groups)
    signed_in(client, editor)
    page = client.get(url("return_section", ret, ruled.section.code)).content.decode()
    assert "Posts register on " in page
    # Z9B2Z has no posts in this test: the rule cannot hold.
    assert "This does not hold" in page and "A green rating needs an explanation" in page
    assert "No designated" in page  # the posts concerned are named

    filled = version.metrics.select_related("section").get(code="DESIGNATED_FILLED")
    page = client.get(url("return_section", ret, filled.section.code)).content.decode()
    assert "Computed from the posts register" in page
    assert "it is not typed" in page
    assert "0 of " in page and "Red" in page  # none of the required posts filled
    assert 'name="DESIGNATED_FILLED-value"' not in page


def test_the_national_admin_names_a_split_icbs_successor_on_the_period_page(
    client, reference, toolkit
):
    q4 = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    page_url = reverse("assurance:period_detail", args=[2025, 4])
    name_url = reverse("assurance:period_split_successor", args=[2025, 4, "QM7"])
    # The successor's team is told to wait, and cannot name itself.
    editor = signed_in(client, member(reference["D7T5G"], Role.ICB_EDITOR))
    waiting = client.get(reverse("assurance:return_detail", args=["QM7", 2025, 4])).content.decode()
    named = "<strong>The national safeguarding team must name which of them completes this return"
    assert named + "</strong>" in waiting
    assert "&lt;p&gt;" not in waiting  # the inset is HTML, not HTML shown as text
    assert client.post(name_url, {"successor": "D7T5G", "reason": "x"}).status_code == 403

    admin = signed_in(client, member(reference["X24"], Role.NATIONAL_ADMIN))
    page = client.get(page_url).content.decode()
    assert "Waiting for the national safeguarding team" in page and "QM7" in page
    refused = client.post(name_url, {"successor": "D7T5G", "reason": ""}, follow=True)
    assert "choose the successor that completes its return and say why" in refused.content.decode()
    assert not QuarterlyReturn.objects.filter(icb=reference["QM7"], period=q4).exists()
    client.post(name_url, {"successor": "D7T5G", "reason": "Most of QM7's population."})
    ret = QuarterlyReturn.objects.get(icb=reference["QM7"], period=q4)
    assert ret.completed_by == reference["D7T5G"] and ret.started_by == admin
    assert (
        f"{reference['D7T5G'].name} completes this return." in client.get(page_url).content.decode()
    )

    # Now the named successor's editor drafts it.
    client.force_login(editor)
    page = client.get(reverse("assurance:return_detail", args=["QM7", 2025, 4])).content.decode()
    assert "completed by " + reference["D7T5G"].name in page


def test_an_overdue_action_is_marked(client, ret, editor, reference):
    import datetime

    from assurance.services.returns import ActionInput

    answer_save(
        actor=editor,
        quarterly_return=ret,
        standard=ret.period.toolkit_version.standards.get(code="LG1"),
        answer=AnswerInput(
            rating="red",
            actions=[
                ActionInput(
                    description="Recruit", owner="Chief nurse", due_on=datetime.date(2026, 10, 1)
                )
            ],
        ),
        revision=0,
    )
    signed_in(client, editor)
    assert "Overdue" in client.get(url("return_section", ret, "LG")).content.decode()
    signed_in(client, member(reference["Z9B2Z"], Role.ICB_VIEWER))
    assert "(overdue)" in client.get(url("return_section", ret, "LG")).content.decode()
