"""The national admin's toolkit and reporting periods through the API: a
draft copied from a published version, edited, published with its periods;
a published version refused with the page's words; periods' dates moved;
everyone else refused with the page's words and nothing changed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assurance.models import (
    QuarterlyReturn,
    ReportingPeriod,
    Section,
    ToolkitStatus,
    ToolkitVersion,
)
from assurance.services.toolkit import published_refusal
from organisations.models import AuditAction, AuditEvent, Role
from organisations.reference_data import NATIONAL_CODE
from tests.api.conftest import token_client
from tests.factories import enrol_totp, member

pytestmark = pytest.mark.django_db

REFUSED = "Only the national admin can change the toolkit and periods."


def _api(user, session=False):
    """A client sending JSON: with a token, or with the browser's session
    (CSRF checked apart, in test_errors.py: here the role rules)."""
    if session:
        api = APIClient()
        api.force_login(user)
    else:
        api = token_client(user)
    api.default_format = "json"
    return api


@pytest.fixture
def admin(reference, toolkit):
    user = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN)
    enrol_totp(user)
    return user


@pytest.fixture
def others(reference, toolkit):
    nssg = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    lead = member(reference["Y56"], Role.REGIONAL_LEAD)
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    for user in (nssg, lead, approver):
        enrol_totp(user)
    return [nssg, lead, approver]


def _copy(api, source=2026, year=2027):
    return api.post("/api/v1/toolkit-versions/", {"source": source, "financial_year": year})


def test_a_draft_is_copied_edited_and_published_with_its_periods(admin, toolkit):
    api = _api(admin)
    copied = _copy(api)
    assert copied.status_code == 201, copied.json()
    body = copied.json()
    source = api.get("/api/v1/toolkit-versions/2026/").json()
    assert body["financial_year"] == 2027 and body["status"] == "draft"
    assert body["standard_count"] == source["standard_count"]
    assert body["metric_count"] == source["metric_count"]
    base = "/api/v1/toolkit-versions/2027/"

    section = api.post(base + "sections/", {"code": "dv", "title": "Domestic abuse"})
    assert section.status_code == 201, section.json()
    assert section.json() == {
        "code": "DV",  # upper-cased as the page's form does
        "title": "Domestic abuse",
        "saaf_reference": "",
        "standards": [],
        "metrics": [],
    }
    standard = api.post(
        base + "sections/DV/standards/",
        {"code": "DV1", "statement": "The ICB has a domestic abuse lead.", "theme": 3},
    )
    assert standard.status_code == 201, standard.json()
    assert standard.json()["section"] == "DV" and standard.json()["theme"] == 3
    changed = api.patch(base + "standards/DV1/", {"guidance": "Named in the board minutes."})
    assert changed.status_code == 200
    assert changed.json()["guidance"] == "Named in the board minutes."
    assert changed.json()["statement"] == "The ICB has a domestic abuse lead."  # not sent: kept
    moved = api.patch(base + "standards/DV1/", {"section": "LG"})
    assert moved.json()["section"] == "LG"
    api.patch(base + "standards/DV1/", {"section": "DV"})

    metric = api.post(
        base + "metrics/",
        {
            "section": "DV",
            "code": "DV_TRAINED",
            "name": "Staff trained in domestic abuse",
            "unit": "percent",
            "green": "90",
            "amber": "75",
        },
    )
    assert metric.status_code == 201, metric.json()
    assert metric.json()["green"] == "90.00" and metric.json()["section"] == "DV"
    wrong_way = api.patch(base + "metrics/DV_TRAINED/", {"higher_is_better": False})
    assert wrong_way.status_code == 400
    assert wrong_way.json()["errors"] == {
        "amber": [
            "Lower is better for this metric, so the amber threshold must be at or above the "
            "green threshold (90)."
        ]
    }
    assert api.patch(base + "metrics/DV_TRAINED/", {"section": "XX"}).json()["errors"] == {
        "section": [f"Choose a section of the 2027/28 toolkit: {_codes(2027)}."]
    }
    taken = api.post(base + "sections/", {"code": "LG", "title": "Again"})
    assert taken.status_code == 400
    assert taken.json()["errors"]["code"] == [
        "The 2027/28 toolkit already has a section with the code LG. Codes are unique within "
        "a version."
    ]

    empty = api.post(base + "sections/", {"code": "EMPTY", "title": "Nothing yet"})
    assert empty.status_code == 201
    refused = api.post(base + "publish/")
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "Every section needs at least one standard; these have none: EMPTY."
    )
    assert api.delete(base + "sections/EMPTY/").status_code == 204
    assert api.delete(base + "metrics/DV_TRAINED/").status_code == 204
    assert api.get(base).json()["sections"][-1]["metrics"] == []

    published = api.post(base + "publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == ToolkitStatus.PUBLISHED
    assert ReportingPeriod.objects.filter(financial_year=2027).count() == 4
    assert AuditEvent.objects.filter(action=AuditAction.TOOLKIT_VERSION_PUBLISHED).count() == 1

    # Published never changes: the page's words, whatever is tried.
    version = ToolkitVersion.objects.get(financial_year=2027)
    for response in (
        api.patch(base + "standards/DV1/", {"statement": "Changed."}),
        api.delete(base + "standards/DV1/"),
        api.post(base + "sections/", {"code": "NEW", "title": "New"}),
        api.post(base + "publish/"),
    ):
        assert response.status_code == 400
        assert response.json()["type"] == "/api/v1/problems/refused"
        assert response.json()["detail"] == published_refusal(version)
    assert version.standards.get(code="DV1").statement == "The ICB has a domestic abuse lead."


def _codes(year):
    return ", ".join(
        Section.objects.filter(version__financial_year=year)
        .order_by("position", "code")
        .values_list("code", flat=True)
    )


def test_the_copy_takes_the_pages_choices(admin, toolkit):
    api = _api(admin)
    _copy(api)
    not_published = _copy(api, source=2027, year=2028)
    assert not_published.status_code == 400
    assert not_published.json()["errors"] == {"source": ["Copy a published version: 2025, 2026."]}
    far = _copy(api, year=2040).json()
    assert far["errors"] == {"financial_year": ['"2040" is not one of 2028, 2029.']}
    assert ToolkitVersion.objects.count() == 3


def test_the_page_refuses_a_published_version_with_the_same_words(admin, toolkit, client):
    client.force_login(admin)
    page = client.post(reverse("assurance:section_create", args=[2026]), {"code": "X"})
    assert page.status_code == 409
    words = published_refusal(toolkit[2026])
    assert words in page.content.decode()
    api = _api(admin).post("/api/v1/toolkit-versions/2026/sections/", {"code": "X"})
    # The shape is checked first (title missing), then the service's rule.
    assert api.status_code == 400
    full = _api(admin).post("/api/v1/toolkit-versions/2026/sections/", {"code": "X", "title": "X"})
    assert full.json()["detail"] == words


def test_periods_dates_move_and_splits_are_listed(admin, toolkit):
    api = _api(admin)
    url = "/api/v1/periods/2026/3/"
    before = api.get(url).json()
    moved = api.put(
        url, {"opens_on": before["opens_on"], "due_on": "2027-01-31", "closes_on": "2027-02-28"}
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["due_on"] == "2027-01-31"
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    assert period.due_on == datetime.date(2027, 1, 31)
    event = AuditEvent.objects.get(action=AuditAction.REPORTING_PERIOD_UPDATED)
    assert event.actor == admin
    backwards = api.put(
        url, {"opens_on": "2027-03-01", "due_on": "2027-01-31", "closes_on": "2027-02-28"}
    )
    assert backwards.status_code == 400
    assert ReportingPeriod.objects.get(pk=period.pk).opens_on == period.opens_on
    partial = api.put(url, {"due_on": "2027-01-31"})
    assert set(partial.json()["errors"]) == {"opens_on", "closes_on"}

    splits = api.get(url + "splits/")
    assert splits.status_code == 200 and isinstance(splits.json(), list)
    nobody = api.post(url + "splits/", {"icb": "Z9B2Z", "successor": "QHL", "reason": "Agreed."})
    assert nobody.status_code == 400
    assert nobody.json()["errors"] == {
        "icb": ["No split ICB with that code owes a return for this period."]
    }
    assert api.put("/api/v1/periods/2026/9/", before).status_code == 404


def test_only_the_national_admin_changes_them(admin, others, toolkit):
    _copy(_api(admin))
    clients = [(u, via) for u in others for via in (_api(u), _api(u, session=True))]
    before = list(AuditEvent.objects.values_list("pk", flat=True))
    writes = [
        ("post", "/api/v1/toolkit-versions/", {"source": 2026, "financial_year": 2028}),
        ("post", "/api/v1/toolkit-versions/2027/publish/", {}),
        ("post", "/api/v1/toolkit-versions/2027/sections/", {"code": "N", "title": "N"}),
        ("patch", "/api/v1/toolkit-versions/2027/sections/LG/", {"title": "Changed"}),
        ("delete", "/api/v1/toolkit-versions/2027/sections/LG/", {}),
        ("post", "/api/v1/toolkit-versions/2027/sections/LG/standards/", {}),
        ("patch", "/api/v1/toolkit-versions/2027/standards/LG1/", {"statement": "Changed"}),
        ("delete", "/api/v1/toolkit-versions/2027/standards/LG1/", {}),
        ("post", "/api/v1/toolkit-versions/2027/metrics/", {}),
        ("patch", "/api/v1/toolkit-versions/2027/metrics/PREVENT_TRAINED/", {"name": "X"}),
        ("delete", "/api/v1/toolkit-versions/2027/metrics/PREVENT_TRAINED/", {}),
        ("put", "/api/v1/periods/2026/3/", {}),
        ("post", "/api/v1/periods/2026/3/splits/", {}),
    ]
    for user, via in clients:
        for method, url, body in writes:
            response = getattr(via, method)(url, body)
            assert response.status_code == 403, (user, method, url, response.json())
            assert response.json()["detail"] == REFUSED
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == before
    assert ToolkitVersion.objects.count() == 3


def test_the_national_admin_names_a_split_icbs_successor(admin, others, reference):
    api = _api(admin)
    url = "/api/v1/periods/2025/4/splits/"
    api.get(url)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as queries:
        listed = api.get(url)
    assert listed.status_code == 200
    qm7 = next(s for s in listed.json() if s["icb"]["code"] == "QM7")
    assert "D7T5G" in {o["code"] for o in qm7["successors"]} and qm7["completed_by"] is None
    # A fixed number of queries: the selector's, whatever the splits' number.
    assert len(queries) <= 8, [q["sql"] for q in queries.captured_queries]

    wrong = api.post(url, {"icb": "QM7", "successor": "Z9B2Z", "reason": "Nearest."})
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["successor"][0].startswith(
        f"{reference['QM7'].name}: choose the successor that completes its return ("
    )
    no_reason = api.post(url, {"icb": "QM7", "successor": "D7T5G", "reason": " "})
    assert set(no_reason.json()["errors"]) == {"reason"}
    assert not QuarterlyReturn.objects.filter(icb=reference["QM7"]).exists()
    named = api.post(url, {"icb": "QM7", "successor": "D7T5G", "reason": "Most of QM7's people."})
    assert named.status_code == 200, named.json()
    assert named.json()["completed_by"]["code"] == "D7T5G"
    ret = QuarterlyReturn.objects.get(icb=reference["QM7"], period__financial_year=2025)
    assert ret.completed_by == reference["D7T5G"] and ret.started_by == admin
    event = AuditEvent.objects.get(action=AuditAction.RETURN_SUCCESSOR_NAMED)
    assert event.reason == "Most of QM7's people."
    # Everyone with a role reads the list; only the national admin names.
    nssg = _api(others[0])
    assert nssg.get(url).json() == api.get(url).json()
    assert (
        nssg.post(url, {"icb": "QM7", "successor": "D7T5G", "reason": "x"}).json()["detail"]
        == REFUSED
    )
