"""Starting a draft from the last accepted return, confirming a section's
carried answers, and the national admin's reopening of a locked return,
through the API: the pages' services, refused with their words."""

import datetime

import pytest

from assurance.models import Answer, QuarterlyReturn, ReportingPeriod
from assurance.services.returns import quarterly_return_start
from organisations.models import AuditAction, AuditEvent, Role
from organisations.reference_data import NATIONAL_CODE
from saaf.dates import nhs_date, today
from tests.api.conftest import token_client
from tests.assurance.test_carry_forward import accept
from tests.assurance.test_submission import period_dates
from tests.factories import enrol_totp, member

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def q4_open(q3):
    q4 = ReportingPeriod.objects.get(financial_year=2026, quarter=4)
    ReportingPeriod.objects.filter(pk=q4.pk).update(opens_on=today() - DAY)
    return q4


def test_a_draft_started_from_the_accepted_return(reference, editor, approver, lead, q3, q4_open):
    source = accept(
        quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3),
        editor,
        approver,
        lead,
    )
    api = token_client(editor)
    url = "/api/v1/returns/Z9B2Z/2026/4/carry-forward/"
    [offered] = api.get(url).json()
    assert offered["own"] is True and offered["quarter"] == 3
    assert offered["words"].endswith("Q3 2026/27 return (version 1, accepted)")
    assert offered["no_longer"] == [] and offered["carried"]

    wrong = api.post(url, {"source": 999_999}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {
        "source": ["Choose which accepted return to carry forward from."]
    }
    assert not QuarterlyReturn.objects.filter(period=q4_open).exists()  # nothing half-done

    started = api.post(url, {"source": offered["submission"]}, format="json")
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "draft" and body["carried"] == len(offered["carried"])
    ret = QuarterlyReturn.objects.get(period=q4_open)
    assert (
        Answer.objects.filter(quarterly_return=ret, carried_from__isnull=False).count()
        == (body["carried"])
    )
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_CARRIED_FORWARD).count() == 1
    again = api.post(url, {"source": offered["submission"]}, format="json")
    assert again.status_code == 400
    assert "already has answers" in again.json()["detail"]

    # Confirming a section's carried answers unchanged.
    section = Answer.objects.filter(quarterly_return=ret).first().standard.section.code
    confirm = f"/api/v1/returns/Z9B2Z/2026/4/sections/{section}/confirm/"
    viewer = token_client(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    assert viewer.post(confirm).status_code == 403
    confirmed = api.post(confirm).json()["confirmed"]
    assert confirmed and all(code.startswith(section) for code in confirmed)
    assert api.post(confirm).json()["confirmed"] == []
    assert api.post("/api/v1/returns/Z9B2Z/2026/4/sections/NOPE/confirm/").status_code == 404
    # Another region's ICB sees no sources and starts nothing.
    stranger = token_client(member(reference["QHL"], Role.ICB_EDITOR))
    hidden = stranger.post(url, {"source": offered["submission"]}, format="json")
    assert hidden.status_code == 404
    assert source.status == "accepted"


@pytest.fixture
def admin(reference):
    user = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN)
    enrol_totp(user)
    return user


def test_the_national_admin_reopens_a_locked_return(reference, editor, admin, q3):
    ret = quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    url = "/api/v1/returns/Z9B2Z/2026/3/reopen/"
    api = token_client(admin)
    until = (today() + 7 * DAY).isoformat()
    open_still = api.post(url, {"reason": "Board met late.", "closes_on": until}, format="json")
    assert open_still.status_code == 400
    assert open_still.json()["detail"].endswith(": nothing to reopen.")

    period_dates(ret, due_on=today() - 2 * DAY, closes_on=today() - DAY)
    editor_api = token_client(editor)
    refused = editor_api.post(url, {"reason": "Please.", "closes_on": until}, format="json")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "Only the national safeguarding team reopens a locked return."
    )
    past = api.post(
        url, {"reason": "Board met late.", "closes_on": "2020-01-01"}, format="json"
    ).json()
    assert past["errors"] == {
        "closes_on": [f"Set a new closing date of {nhs_date(today())} or later."]
    }
    reopened = api.post(url, {"reason": "Board met late.", "closes_on": until}, format="json")
    assert reopened.status_code == 200
    assert reopened.json()["closes_on"] == until
    assert AuditEvent.objects.filter(action=AuditAction.RETURN_REOPENED).count() == 1
    stranger = token_client(member(reference["QHL"], Role.ICB_EDITOR))
    assert (
        stranger.post(url, {}, format="json").json()
        == stranger.post("/api/v1/returns/ZZZZZ/2026/3/reopen/", {}, format="json").json()
    )
