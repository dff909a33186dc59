"""The answers behind a heatmap cell through the API: what the cell's page
shows (`cell_detail_get`), for the ICBs the caller may read (England's for
the national team, a region's for its team, its own for an ICB's), not found
otherwise exactly as a missing ICB, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assurance.heatmap_detail import cell_detail_get
from assurance.models import Section, SubmittedAction
from assurance.services.comments import return_comment_add
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.api.conftest import token_client
from tests.assurance.heatmap_helpers import period, submitted
from tests.factories import member_with_mfa

pytestmark = pytest.mark.django_db

CELL = "/api/v1/periods/2026/3/heatmap/icbs/{code}/sections/{section}/"


@pytest.fixture
def people(reference, toolkit):
    return {
        "nssg": member_with_mfa(reference[NATIONAL_CODE], Role.NSSG_MEMBER),
        "london": member_with_mfa(reference["Y56"], Role.REGIONAL_LEAD),
        "midlands": member_with_mfa(reference["Y60"], Role.REGIONAL_LEAD),
        "camden": member_with_mfa(reference["Z9B2Z"], Role.ICB_VIEWER),
        "editor": member_with_mfa(reference["Z9B2Z"], Role.ICB_EDITOR),
        "other_icb": member_with_mfa(reference["QHL"], Role.ICB_VIEWER),
    }


@pytest.fixture
def rated(reference, people):
    q3 = period(2026, 3)
    ret = submitted(
        reference["Z9B2Z"],
        q3,
        people["nssg"],
        {"LG1": "green", "LG2": ("amber", "red"), "LG3": "not_applicable"},
        default="green",
        status="under_review",
    )
    return ret


def test_the_cell_is_the_pages(reference, people, rated):
    api = token_client(people["nssg"])
    response = api.get(CELL.format(code="Z9B2Z", section="LG"))
    assert response.status_code == 200, response.json()
    body = response.json()
    section = Section.objects.get(version=rated.period.toolkit_version, code="LG")
    page = cell_detail_get(
        user=people["nssg"], period=rated.period, icb=reference["Z9B2Z"], section=section
    )
    assert body["state"] == "under_review" and body["submission"]["version"] == 1
    assert [a["standard"] for a in body["answers"]] == [a.standard.code for a in page.answers]
    assert body["self_assessed"]["rating"] == page.self_rating.rating == "amber"
    assert body["validated"]["rating"] == page.validated.rating == "red"
    assert body["validated"]["text"] == page.validated.text
    assert body["differing"] == 1
    lg2 = next(a for a in body["answers"] if a["standard"] == "LG2")
    assert lg2["rating"] == "amber" and lg2["validated_rating"] == "red" and lg2["differs"]
    assert lg2["validated_rationale"] == "Checked against the evidence."
    assert body["may_validate"] is False  # the NSSG reads; the region's lead validates
    lead = token_client(people["london"]).get(CELL.format(code="Z9B2Z", section="LG")).json()
    assert lead["may_validate"] is True
    # The same on the ICB's own team's side, without the lead's rights.
    own = token_client(people["camden"]).get(CELL.format(code="Z9B2Z", section="LG"))
    assert own.status_code == 200 and own.json()["may_validate"] is False


def test_a_cell_without_a_return_or_submission_says_so(people, rated, reference):
    api = token_client(people["nssg"])
    missing = api.get(CELL.format(code="QHL", section="LG")).json()
    assert missing["state"] == "missing" and missing["answers"] == []
    assert missing["submission"] is None and missing["self_assessed"] is None


def test_out_of_scope_is_not_found_as_missing(people, rated):
    for who in ("midlands", "other_icb"):
        api = token_client(people[who])
        hidden = api.get(CELL.format(code="Z9B2Z", section="LG"))
        missing = api.get(CELL.format(code="ZZZZZ", section="LG"))
        assert hidden.status_code == missing.status_code == 404, who
        assert hidden.json() == missing.json()
    api = token_client(people["nssg"])
    assert api.get(CELL.format(code="Z9B2Z", section="XX")).status_code == 404
    assert api.get(CELL.format(code="Y56", section="LG")).status_code == 404  # a region
    # The page agrees.
    from django.test import Client

    browser = Client()
    browser.force_login(people["midlands"])
    url = reverse("assurance:heatmap_cell", args=[2026, 3, "Z9B2Z", "LG"])
    assert browser.get(url).status_code == 404


def test_a_fixed_number_of_queries_whatever_the_answers(people, rated):
    api = token_client(people["london"])
    url = CELL.format(code="Z9B2Z", section="LG")
    api.get(url)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        first = api.get(url).json()
    submission = rated.submissions.get()
    for answer in submission.answers.filter(standard__section__code="LG"):
        SubmittedAction.objects.create(
            answer=answer, description="Refresh training.", status="open"
        )
    for n in range(5):
        standard = submission.answers.filter(standard__section__code="LG")[n % 3].standard
        parent = return_comment_add(
            actor=people["london"], quarterly_return=rated, text=f"Q{n}", standard=standard
        )
        return_comment_add(
            actor=people["editor"], quarterly_return=rated, text=f"A{n}", parent=parent
        )
    return_comment_add(actor=people["london"], quarterly_return=rated, text="On the whole.")
    with CaptureQueriesContext(connection) as many:
        second = api.get(url).json()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert sum(len(a["actions"]) for a in second["answers"]) == len(first["answers"])
    assert sum(len(a["comments"]) for a in second["answers"]) == 10
    answered = next(a for a in second["answers"] if a["comments"])
    assert answered["comments"][1]["parent"] == answered["comments"][0]["id"]
    assert [c["text"] for c in second["comments"]] == ["On the whole."]
