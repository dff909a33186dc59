# ruff: noqa: F811  (the fixtures are imported from the modules named)
"""The ICB's record on its organisation page: its submissions over the last
eight quarters (on time, late, missing), predecessors' before April 2026
marked as theirs, from the completeness selector's rules, in fixed queries."""

import pytest
from django.urls import reverse

from assurance.completeness import RecordState, icb_record
from assurance.services.returns import quarterly_return_start
from assurance.services.submissions import quarterly_return_submit
from organisations.models import Role
from tests.assurance.test_carry_forward import predecessors_q4_accepted  # noqa: F401
from tests.assurance.test_submission import (  # noqa: F401
    approver,
    editor,
    fill_clean,
    lead,
    q3,
)
from tests.factories import enrol_totp, member


@pytest.fixture
def z9b2z_q3_on_time(reference, editor, approver, q3):
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    fill_clean(editor, ret)
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    return ret


def test_a_successors_record_shows_its_own_quarters_and_its_predecessors_before(
    reference, editor, predecessors_q4_accepted, z9b2z_q3_on_time
):
    rows = icb_record(user=editor, icb=reference["Z9B2Z"])
    by = {(r.period.label, r.icb.code): r for r in rows}
    # Own quarters since April 2026: Q3 submitted on time, Q1 and Q2 missing.
    assert by["Q3 2026/27", "Z9B2Z"].state == RecordState.ON_TIME
    assert by["Q2 2026/27", "Z9B2Z"].state == RecordState.MISSING
    assert by["Q1 2026/27", "Z9B2Z"].state == RecordState.MISSING
    assert not any(r.theirs for r in rows if r.period.financial_year == 2026)
    # Before: QMJ's and QRV's, theirs; Q4 2025/26 submitted after its due date.
    assert by["Q4 2025/26", "QMJ"].state == RecordState.LATE and by["Q4 2025/26", "QMJ"].theirs
    assert by["Q4 2025/26", "QRV"].state == RecordState.LATE
    assert by["Q3 2025/26", "QRV"].state == RecordState.MISSING
    assert ("Q3 2025/26", "Z9B2Z") not in by
    assert len({r.period.pk for r in rows}) <= 8
    assert [r.period.label for r in rows] == sorted(
        (r.period.label for r in rows),
        key=lambda label: (label.split()[1], label.split()[0]),
        reverse=True,
    )


def test_not_yet_due_is_not_missing(reference, editor, q3):
    rows = icb_record(user=editor, icb=reference["Z9B2Z"], today=q3.due_on)
    assert {r.state for r in rows if r.period == q3} == {RecordState.NOT_YET_DUE}


def test_the_icb_page_shows_the_record_in_fixed_queries(
    client, reference, editor, predecessors_q4_accepted, django_assert_max_num_queries
):
    client.force_login(editor)
    address = reverse("organisations:organisation", args=["Z9B2Z"])
    client.get(address)
    with django_assert_max_num_queries(40):
        page = client.get(address).content.decode()
    assert "Quarterly returns: the last eight quarters" in page
    assert "NHS North Central London Integrated Care Board (a predecessor" in page
    assert "Late" in page and "Missing" in page


def test_a_region_lead_sees_the_record_and_another_icb_does_not_see_the_page(
    client, reference, lead
):
    enrol_totp(lead)
    client.force_login(lead)
    page = client.get(reverse("organisations:organisation", args=["Z9B2Z"])).content.decode()
    assert "Quarterly returns: the last eight quarters" in page
    client.force_login(member(reference["QKK"], Role.ICB_EDITOR))
    response = client.get(reverse("organisations:organisation", args=["Z9B2Z"]))
    assert response.status_code == 404
