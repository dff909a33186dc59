"""Errors as problem details a client can act on, refusals in the page's
words, out of scope exactly as missing, throttling with Retry-After, CSRF on
the session, and the documentation pages behind sign-in."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from assurance.models import Answer
from assurance.services.returns import quarterly_return_start
from organisations.models import Role
from tests.api.conftest import session_client, token_client
from tests.factories import member

BASE = "/api/v1/returns/Z9B2Z/2026/3/"


@pytest.fixture
def ret(editor, reference, q3):
    return quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)


def test_invalid_fields_are_named_with_what_to_fix(ret, editor):
    response = token_client(editor).put(
        f"{BASE}answers/LG3/",
        {
            "rating": "purple",
            "revision": 0,
            "actions": [{"description": "Recruit"}, {"description": "", "due_on": "31/12/2026"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/api/v1/problems/invalid"
    assert body["title"] and body["status"] == 400
    assert body["errors"]["rating"] == [
        '"purple" is not one of red, amber, green, not_applicable (or empty).'
    ]
    assert body["errors"]["actions[1].description"] == ["This field may not be blank."]
    assert "actions[1].due_on" in body["errors"]
    assert "actions[0].description" not in body["errors"]
    assert 'rating: "purple" is not one of' in body["detail"]


def test_a_service_refusal_keeps_its_field(ret, editor):
    response = token_client(editor).put(
        f"{BASE}metric-values/PREVENT_TRAINED/", {"value": "140", "revision": 0}, format="json"
    )
    assert response.status_code == 400
    assert "between 0 and 100" in " ".join(response.json()["errors"]["value"])


def test_control_characters_are_refused_as_on_the_pages(ret, editor):
    response = token_client(editor).put(
        f"{BASE}answers/LG1/", {"narrative": "Met\x00", "revision": 0}, format="json"
    )
    assert response.status_code == 400
    assert "control characters" in response.json()["errors"]["narrative"][0]


def test_a_stale_revision_is_a_conflict_with_what_is_stored(ret, editor):
    api = token_client(editor)
    assert (
        api.put(
            f"{BASE}answers/LG1/", {"rating": "amber", "revision": 0}, format="json"
        ).status_code
        == 200
    )
    response = api.put(f"{BASE}answers/LG1/", {"rating": "green", "revision": 0}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "/api/v1/problems/conflict"
    assert body["current"]["revision"] == 1 and body["current"]["rating"] == "amber"
    assert "saved this since you opened it" in body["detail"]


def test_a_refused_role_gets_the_pages_reason(ret, reference):
    viewer = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    response = token_client(viewer).put(
        f"{BASE}answers/LG1/", {"rating": "green", "revision": 0}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You cannot change NHS West and North London Integrated Care Board's return."
    )


def test_not_yours_is_exactly_not_there(ret, reference):
    stranger = token_client(member(reference["QMF"], Role.ICB_EDITOR))
    theirs = stranger.get(BASE)
    missing = stranger.get("/api/v1/returns/ZZZZZ/2026/3/")
    no_period = stranger.get("/api/v1/returns/Z9B2Z/2031/3/")
    assert theirs.status_code == missing.status_code == no_period.status_code == 404
    assert theirs.json() == missing.json() == no_period.json()
    put = stranger.put(f"{BASE}answers/LG1/", {"revision": 0}, format="json")
    assert put.status_code == 404 and put.json() == theirs.json()


def test_anonymous_is_told_to_authenticate(ret):
    response = APIClient().get(BASE)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"] == "/api/v1/problems/not-authenticated"


def test_a_session_needs_the_csrf_token_to_write(ret, editor):
    api = session_client(editor)
    assert api.get(BASE).status_code == 200
    response = api.put(f"{BASE}answers/LG1/", {"rating": "green", "revision": 0}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_throttled_per_token_with_retry_after(ret, editor, settings):
    from rest_framework.settings import api_settings

    from saaf.api import ApiClientThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api": "3/min"}
    ApiClientThrottle.THROTTLE_RATES = rates
    try:
        cache.clear()
        first, second = token_client(editor, name="one"), token_client(editor, name="two")
        for _ in range(3):
            assert first.get("/api/v1/me/").status_code == 200
        refused = first.get("/api/v1/me/")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert refused.json()["type"] == "/api/v1/problems/throttled"
        assert second.get("/api/v1/me/").status_code == 200  # each token its own budget
    finally:
        ApiClientThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_the_documentation_is_behind_sign_in(client, editor):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/schema/").status_code in (401, 403)
    client.force_login(editor)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # no inline script: the CSP allows none without a nonce
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/returns/{code}/{financial_year}/{quarter}/submit/" in schema.content.decode()
    assert client.get("/api/v1/redoc/").status_code == 200


def test_an_unknown_path_is_a_problem_not_an_html_page(editor):
    api = token_client(editor)
    response = api.get("/api/v1/returns/Z9B2Z/2026/x/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert APIClient().get("/api/v1/nothing/").status_code == 401  # nothing learnt anonymously


def test_a_bad_page_size_is_refused_with_the_range(editor):
    response = token_client(editor).get("/api/v1/organisations/?page_size=0")
    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": ["Give a whole number from 1 to 500."]}


def test_many_answers_at_once_all_or_nothing_with_each_item_named(ret, editor):
    api = token_client(editor)
    refused = api.patch(
        f"{BASE}answers/",
        {
            "answers": {
                "LG1": {"rating": "green", "narrative": "Met.", "revision": 0},
                "LG3": {"rating": "purple", "revision": 0},
                "XX9": {"revision": 0},
            },
            "metric_values": {"PREVENT_TRAINED": {"value": "140", "revision": 0}},
        },
        format="json",
    )
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert errors["answers[LG3].rating"] == [
        '"purple" is not one of red, amber, green, not_applicable (or empty).'
    ]
    assert errors["answers[XX9]"] == ["XX9 is not a standard of this toolkit."]
    assert not Answer.objects.filter(quarterly_return=ret).exists()

    out_of_range = api.patch(
        f"{BASE}answers/",
        {
            "answers": {"LG1": {"rating": "green", "revision": 0}},
            "metric_values": {"PREVENT_TRAINED": {"value": "140", "revision": 0}},
        },
        format="json",
    )
    assert out_of_range.status_code == 400
    assert (
        "between 0 and 100"
        in out_of_range.json()["errors"]["metric_values[PREVENT_TRAINED].value"][0]
    )
    assert not Answer.objects.filter(quarterly_return=ret).exists()  # LG1 rolled back too

    saved = api.patch(
        f"{BASE}answers/",
        {
            "answers": {
                "LG1": {"rating": "green", "revision": 0},
                "LG2": {"rating": "amber", "revision": 0},
            },
            "metric_values": {"PREVENT_TRAINED": {"value": "87.5", "revision": 0}},
        },
        format="json",
    )
    assert saved.status_code == 200
    assert {a["standard"]: a["revision"] for a in saved.json()["answers"]} == {"LG1": 1, "LG2": 1}
    stale = api.patch(
        f"{BASE}answers/", {"answers": {"LG2": {"rating": "red", "revision": 0}}}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["item"] == "answers[LG2]"
    assert stale.json()["current"]["rating"] == "amber"
