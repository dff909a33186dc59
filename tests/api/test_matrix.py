"""The authorization matrix: every API endpoint and method, generated from the
URL resolver, as anonymous and as each role in an own and another region's
ICB, by token and by session. Nothing leaks: a return out of scope answers
exactly as a missing one; only the roles the pages allow ever change
anything; no request is a server error."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from assurance.models import QuarterlyReturn, ReportingPeriod
from assurance.services.register import post_types_load
from assurance.services.returns import (
    AnswerInput,
    answer_save,
    evidence_upload,
    metric_value_save,
    quarterly_return_start,
)
from assurance.services.submissions import quarterly_return_review_start, quarterly_return_submit
from assurance.services.toolkit import toolkit_version_copy
from organisations.audit import system_actor
from organisations.models import ICB_ROLES, Role
from organisations.reference_data import NATIONAL_CODE
from organisations.tokens import api_token_create
from reporting.models import PublishedReport, PublishState, ReportRun
from reporting.services import regional_report_narrative_save
from reviews.models.choices import AgeGroup, ConveningBody, ReviewKind
from reviews.services import (
    action_create,
    action_evidence_add,
    recommendation_create,
    review_create,
)
from tests.factories import PlaceFactory, enrol_totp, member

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

OWN, OTHER, MISSING = "Z9B2Z", "QHL", "ZZZZZ"  # London; Midlands; nobody
REGION = {OWN: "Y56", OTHER: "Y60"}
DOCS = {"schema", "docs", "redoc", "no_such"}  # not resources

# Who may change what through each write (the pages' rules): the roles, and
# whether they must be in the return's ICB (icb) or its region (region).
WRITERS = {
    ("returns", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_answer", "put"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_answers", "patch"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_answer_evidence", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_answer_evidence_file", "delete"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_metric_value", "put"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_submit", "post"): ({Role.ICB_APPROVER}, "icb"),
    ("return_review_start", "post"): ({Role.REGIONAL_LEAD}, "region"),
    ("return_review_accept", "post"): ({Role.REGIONAL_LEAD}, "region"),
    ("return_review_return", "post"): ({Role.REGIONAL_LEAD}, "region"),
    ("return_validated_rating", "put"): ({Role.REGIONAL_LEAD}, "region"),
    ("return_carry_forward", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_section_confirm", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("reviews", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("review", "patch"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("review_recommendations", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("recommendation", "put"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("recommendation_actions", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("action", "patch"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("action_complete", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("action_evidence", "post"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("action_evidence_file", "delete"): ({Role.ICB_EDITOR, Role.ICB_APPROVER}, "icb"),
    ("return_comments", "post"): (
        {Role.ICB_EDITOR, Role.ICB_APPROVER, Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE},
        None,
    ),
    # The national admin's toolkit and periods (the toolkit's draft is 2027's).
    ("toolkit_versions", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_version_publish", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_sections", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_section", "patch"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_section", "delete"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_standards", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_standard", "patch"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_standard", "delete"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_metrics", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_metric", "patch"): ({Role.NATIONAL_ADMIN}, "national"),
    ("toolkit_metric", "delete"): ({Role.NATIONAL_ADMIN}, "national"),
    ("period", "put"): ({Role.NATIONAL_ADMIN}, "national"),
    ("period_splits", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    # The annual reports: a region's lead writes, its chief nurse signs; the
    # national admins write the national report, run the rollup and publish.
    ("report_regional_narrative", "put"): ({Role.REGIONAL_LEAD}, "region"),
    ("report_regional_sign_off", "post"): ({Role.REGIONAL_CHIEF_NURSE}, "region"),
    ("report_regional_unsign", "post"): ({Role.REGIONAL_CHIEF_NURSE}, "region"),
    ("report_regional_publish", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("report_national_narrative", "put"): ({Role.NATIONAL_ADMIN}, "national"),
    ("report_national_publish", "post"): ({Role.NATIONAL_ADMIN}, "national"),
    ("report_rollup", "post"): ({Role.NATIONAL_ADMIN}, "national"),
}

BODIES = {
    "returns": {"icb": "{code}", "financial_year": 2026, "quarter": 2},
    "return_answer": {"rating": "amber", "narrative": "Changed", "revision": 1},
    "return_answers": {"answers": {"LG2": {"rating": "amber", "revision": 1}}},
    "return_metric_value": {"value": "4", "revision": 1},
    "return_submit": {"declaration": True},
    "return_review_start": {},
    "return_review_accept": {"comment": "Accepted."},
    "return_review_return": {"comment": "Please say more about LG1."},
    "return_validated_rating": {"rating": "amber", "rationale": "Evidence thin."},
    "return_comments": {"text": "A question about LG1."},
    "reviews": {
        "lead_icb": "{code}",
        "kind": "sar",
        "reference": "{code}-SAR-02",
        "convening_body": "sab",
        "area": "{area}",
        "age_group": "adult",
        "notified_on": "2026-06-01",
    },
    "return_carry_forward": {"source": 1},
    "return_reopen": {"reason": "The board met late.", "closes_on": "2099-01-01"},
    "review": {"stage": "scoping"},
    "review_recommendations": {"text": "Share discharge plans."},
    "recommendation": {"text": "Share discharge plans with social care."},
    "recommendation_actions": {
        "description": "Audit discharge letters.",
        "owner": "{code}",
        "due_on": "2026-12-31",
    },
    "action": {"status": "in_progress"},
    "action_complete": {"completed_on": "2026-11-01", "evidence": "Audit presented."},
    "toolkit_versions": {"source": 2026, "financial_year": 2028},
    "toolkit_sections": {"code": "NEW", "title": "A new section"},
    "toolkit_section": {"title": "Leadership, changed"},
    "toolkit_standards": {"code": "LG99", "statement": "A new standard."},
    "toolkit_standard": {"statement": "Changed."},
    "toolkit_metrics": {"section": "LG", "code": "NEW_COUNT", "name": "New", "unit": "count"},
    "toolkit_metric": {"name": "Changed"},
    "period": {"opens_on": "2026-10-01", "due_on": "2027-01-30", "closes_on": "2027-03-01"},
    "period_splits": {"icb": "{code}", "successor": "{code}", "reason": "Agreed."},
    "report_regional_narrative": {
        "introduction": "Changed.",
        "achievements": ["One."],
        "priorities": ["Two."],
    },
    "report_regional_unsign": {"reason": "Figures revised."},
    "report_national_narrative": {"foreword": "Our year."},
}


def api_endpoints():
    """(name, route, methods) for every API URL, from the resolver itself."""
    resolver = get_resolver()
    api = next(
        p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "api"
    )
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in DOCS:
            continue
        view = pattern.callback.view_class
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
        yield pattern.name, str(pattern.pattern), methods


REVIEW_IDS: dict[str, int] = {}  # each ICB's review, made by the world fixture
RECOMMENDATION_IDS: dict[str, int] = {}  # its recommendation
ACTION_IDS: dict[str, int] = {}  # and that recommendation's action
ACTION_EVIDENCE_IDS: dict[str, int] = {}  # and that action's evidence file
AREA_CODES: dict[str, str] = {}  # a place under each ICB
EVIDENCE_IDS: dict[str, int] = {}  # each ICB's evidence file on LG1
PUBLISHED_IDS: dict[str, int] = {}  # each ICB's region's published report
RUN_IDS: list[int] = []  # a rollup run
DRAFT_YEAR = 2027  # the world's toolkit draft, which the toolkit's routes change
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _url(route: str, code: str) -> str:
    values = {
        "<int:pk>": str(REVIEW_IDS.get(code, 999_999)),
        "<int:recommendation>": str(RECOMMENDATION_IDS.get(code, 999_999)),
        "<int:action>": str(ACTION_IDS.get(code, 999_999)),
        "<int:action_evidence>": str(ACTION_EVIDENCE_IDS.get(code, 999_999)),
        "<int:evidence>": str(EVIDENCE_IDS.get(code, 999_999)),
        "<int:published>": str(PUBLISHED_IDS.get(code, 999_999)),
        "<int:run>": str(RUN_IDS[0] if RUN_IDS and code in REGION else 999_999),
        "<str:code>": code,
        "<str:region>": REGION.get(code, code),
        "<int:financial_year>": "2026",
        "<int:quarter>": "3",
        "<str:standard>": "LG1",
        "<str:section>": "LG",
        "<str:metric>": "PREVENT_TRAINED",
        "<int:version>": "1",
    }
    if route.startswith("toolkit-versions/"):
        values["<int:financial_year>"] = str(DRAFT_YEAR)
    for key, value in values.items():
        route = route.replace(key, value)
    assert "<" not in route, route
    return "/api/v1/" + route


def _submitted(icb, period, editor, approver):
    ret = quarterly_return_start(actor=editor, icb=icb, period=period)
    version = period.toolkit_version
    for st in version.standards.all():
        answer_save(
            actor=editor,
            quarterly_return=ret,
            standard=st,
            answer=AnswerInput(
                rating="green",
                narrative="Met.",
                explanation="Cover agreed." if st.register_groups else "",
            ),
            revision=0,
        )
    for m in version.metrics.all():
        if not m.is_computed:
            metric_value_save(
                actor=editor, quarterly_return=ret, metric=m, value=Decimal("3"), revision=0
            )
    link = evidence_upload(
        actor=editor,
        quarterly_return=ret,
        standard=version.standards.get(code="LG1"),
        uploaded=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
        effective_on=datetime.date(2026, 10, 1),
    )
    EVIDENCE_IDS[icb.code] = link.evidence_id
    quarterly_return_submit(actor=approver, quarterly_return=ret, declaration=True)
    return ret


@pytest.fixture
def world(reference, toolkit):
    post_types_load(actor=system_actor())
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=3)
    people = {}
    for code in (OWN, OTHER):
        for role in (Role.ICB_VIEWER, Role.ICB_EDITOR, Role.ICB_APPROVER):
            people[(role, code)] = member(reference[code], role)
        for role in (Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE):
            people[(role, code)] = member(reference[REGION[code]], role)
    people[(Role.NSSG_MEMBER, None)] = member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)
    people[(Role.NATIONAL_ADMIN, None)] = member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN)
    for user in people.values():
        enrol_totp(user)
    for code in (OWN, OTHER):
        ret = _submitted(
            reference[code],
            period,
            people[(Role.ICB_EDITOR, code)],
            people[(Role.ICB_APPROVER, code)],
        )
        quarterly_return_review_start(
            actor=people[(Role.REGIONAL_LEAD, code)], quarterly_return=ret
        )
        area = PlaceFactory(parent=reference[code])
        AREA_CODES[code] = area.code
        editor = people[(Role.ICB_EDITOR, code)]
        review = review_create(
            actor=editor,
            lead_icb=reference[code],
            kind=ReviewKind.SAR,
            reference=f"{code}-SAR-01",
            convening_body=ConveningBody.SAB,
            area=area,
            age_group=AgeGroup.ADULT,
            notified_on=datetime.date(2026, 5, 4),
        )
        REVIEW_IDS[code] = review.pk
        recommendation = recommendation_create(actor=editor, review=review, text="Share plans.")
        RECOMMENDATION_IDS[code] = recommendation.pk
        action = action_create(
            actor=editor,
            recommendation=recommendation,
            description="Audit letters.",
            owner=reference[code],
            due_on=datetime.date(2026, 12, 31),
        )
        ACTION_IDS[code] = action.pk
        ACTION_EVIDENCE_IDS[code] = action_evidence_add(
            actor=editor,
            action=action,
            uploaded=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        ).pk
        name = default_storage.save(f"reports/{code}.pdf", ContentFile(PDF))
        PUBLISHED_IDS[code] = PublishedReport.objects.create(
            financial_year=2025,
            area=reference[REGION[code]],
            version=1,
            state=PublishState.PUBLISHED,
            requested_by=people[(Role.NATIONAL_ADMIN, None)],
            pdf=name,
            sha256=hashlib.sha256(PDF).hexdigest(),
        ).pk
    toolkit_version_copy(
        actor=people[(Role.NATIONAL_ADMIN, None)],
        source=ReportingPeriod.objects.get(financial_year=2026, quarter=3).toolkit_version,
        financial_year=DRAFT_YEAR,
    )
    for code in (OWN, OTHER):  # each region's report written, not signed off
        regional_report_narrative_save(
            actor=people[(Role.REGIONAL_LEAD, code)],
            region=reference[REGION[code]],
            financial_year=2026,
            introduction="Our year.",
            achievements=["Returns on time."],
            priorities=["Supervision."],
        )
    RUN_IDS[:] = [
        ReportRun.objects.create(
            financial_year=2025, requested_by=people[(Role.NATIONAL_ADMIN, None)]
        ).pk
    ]
    return people


def _clients(user):
    _, secret = api_token_create(actor=user, user=user, name="matrix", days=1)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    session = APIClient()  # CSRF is tested apart: here the role rules
    session.force_login(user)
    return {"token": token, "session": session}


def _sees(role, home: str | None, code: str, route: str = "", name: str = "", method="") -> bool:
    if name.startswith("report_regional"):
        return _sees_regional_report(role, home, code, name, method)
    if home is None:
        return True  # national roles read everything
    if "<str:region>" in route and role in ICB_ROLES:
        return False  # an ICB's team reads no region's pages
    return home == code


def _sees_regional_report(role, home, code, name, method) -> bool:
    """A region's report (the pages' rules): its lead and chief nurse; the
    national admins, who read it only once signed off (the world's are not)
    and alone publish it; nobody else, the NSSG included."""
    if name == "report_regional_publish":
        return role == Role.NATIONAL_ADMIN
    if role == Role.NATIONAL_ADMIN:
        return not (name == "report_regional" and method == "get")
    return role in (Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE) and home == code


def _may_write(name, method, role, home, code) -> bool:
    rule = WRITERS.get((name, method))
    if rule is None:
        return False
    roles, where = rule
    if where == "national":
        return role in roles
    if role not in roles or home is None:
        return False
    if where == "icb" and role in (Role.ICB_EDITOR, Role.ICB_APPROVER):
        return home == code
    if role in (Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE):
        return home == code  # the lead of the return's region
    return home == code


def _request(client, method, url, body):
    kind = "json"
    evidence = url.endswith("/answers/LG1/evidence/") or (
        "/actions/" in url and url.endswith("/evidence/")
    )
    if evidence and method == "post":
        kind = "multipart"
        body = {"file": SimpleUploadedFile("a.pdf", PDF), "effective_on": "2026-10-01"}
    with transaction.atomic():
        response = getattr(client, method)(url, body, format=kind)
        transaction.set_rollback(True)  # every cell starts from the same world
    return response


def _body(name, code):
    text = json.dumps(BODIES.get(name, {}))
    text = text.replace("{code}", code).replace("{area}", AREA_CODES.get(code, "E00000000"))
    return json.loads(text)


# The endpoints in thirds (every third one): three tests, so that both test
# processes share the matrix's few thousand requests.
PARTS = 3


@pytest.mark.parametrize("part", range(PARTS))
def test_every_endpoint_as_every_role_leaks_nothing(world, part):
    every = list(api_endpoints())
    assert len(every) >= 20
    assert {name for name, _ in WRITERS} <= {name for name, _, _ in every}
    endpoints = every[part::PARTS]
    anonymous = APIClient()
    cells = 0
    written = set()  # the writes that went through, to prove the matrix reaches them
    for name, route, methods in endpoints:
        for method in methods:
            response = _request(anonymous, method, _url(route, OWN), _body(name, OWN))
            assert response.status_code == 401, (name, method)
            cells += 1

    for (role, home), user in world.items():
        clients = _clients(user)
        for (via, client), (name, route, methods) in itertools.product(clients.items(), endpoints):
            for method, code in itertools.product(methods, (OWN, OTHER)):
                url = _url(route, code)
                body = _body(name, code)
                response = _request(client, method, url, body)
                cells += 1
                where = (role, home, via, name, method, code, response.status_code)
                assert response.status_code < 500, where
                scoped = (
                    "<str:code>" in route
                    or "<str:region>" in route
                    or "<int:pk>" in route
                    or "<int:evidence>" in route
                    or "<int:recommendation>" in route
                    or "<int:action>" in route
                    or "<int:action_evidence>" in route
                    or (name in ("returns", "reviews") and method == "post")
                )
                if scoped and not _sees(role, home, code, route, name, method):
                    missing = _request(client, method, _url(route, MISSING), _body(name, MISSING))
                    assert response.status_code == 404, where
                    assert response.json() == missing.json(), where
                    continue
                if scoped:
                    assert response.status_code != 404, where
                if method != "get" and 200 <= response.status_code < 300:
                    assert _may_write(name, method, role, home, code), where
                    written.add((name, method))
                if method != "get" and not _may_write(name, method, role, home, code):
                    assert response.status_code in (400, 403, 404, 405), where
    assert QuarterlyReturn.objects.count() == 2  # every write was rolled back
    # Each write succeeded for someone allowed (the under-review state refuses
    # drafting, submitting and starting the review to everyone).
    blocked_by_state = {
        ("return_answer", "put"),
        ("return_answers", "patch"),
        ("return_answer_evidence", "post"),
        ("return_answer_evidence_file", "delete"),
        ("return_metric_value", "put"),
        ("return_submit", "post"),
        ("return_review_start", "post"),
        ("return_carry_forward", "post"),
        ("return_section_confirm", "post"),
        # No ICB split in 2026/27 Q3; the world's regional reports are not
        # signed off (so neither withdrawn nor published); no figures yet.
        ("period_splits", "post"),
        ("report_regional_unsign", "post"),
        ("report_regional_publish", "post"),
        ("report_national_publish", "post"),
    }
    names = {name for name, _, _ in endpoints}
    assert written == {w for w in WRITERS if w[0] in names} - blocked_by_state
    assert cells > 300


def test_lists_hold_only_what_the_role_may_read(world):
    for (role, home), user in world.items():
        api = _clients(user)["token"]
        returns = {r["icb"]["code"] for r in api.get("/api/v1/returns/").json()["results"]}
        reviews = {r["lead_icb"] for r in api.get("/api/v1/reviews/").json()["results"]}
        organisations = set()
        page = "/api/v1/organisations/?kind=icb&page_size=500"
        organisations = {o["code"] for o in api.get(page).json()["results"]}
        assert reviews == returns, (role, home)
        if home is None:
            assert returns == {OWN, OTHER}
            assert {OWN, OTHER} <= organisations
        else:
            assert returns == {home}, (role, home)
            other = OTHER if home == OWN else OWN
            assert other not in organisations and home in organisations
        period = api.get("/api/v1/periods/2026/3/").json()
        expected = {i["code"] for i in period["expected_icbs"]}
        if home is not None:
            other = OTHER if home == OWN else OWN
            assert other not in expected
