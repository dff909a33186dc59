"""Production hardening: security headers, caching, the client address behind
the TLS proxy, the request log and the beat schedule."""

import logging
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from organisations.models import Role
from tests.factories import member

PASSWORD = "correct horse battery staple"


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def assert_every_inline_script_has_the_nonce(response) -> None:
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "no script on the page"
    for attributes in scripts:
        if "src=" in attributes or "application/json" in attributes:
            continue
        assert f'nonce="{nonce}"' in attributes, f"inline script without the nonce: {attributes}"


@pytest.mark.django_db
def test_the_content_security_policy_allows_only_our_own_and_nonced_scripts(reference, client):
    response = client.get(reverse("account_login"))
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["img-src"] == ["'self'", "data:"]  # allauth's TOTP QR code
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert_every_inline_script_has_the_nonce(response)  # allauth's Django layout


@pytest.mark.django_db
def test_the_portal_layout_passes_the_nonce_to_the_nhs_template(reference, client):
    client.force_login(member(reference["QMF"], Role.ICB_EDITOR))
    response = client.get("/")
    assert response.status_code == 200
    assert_every_inline_script_has_the_nonce(response)
    # A fresh nonce for every response.
    assert csp(client.get("/"))["script-src"] != csp(response)["script-src"]


@pytest.mark.django_db
def test_permissions_policy_and_no_store_on_signed_in_pages_and_exports(reference, client):
    from assurance.services.register import post_types_load
    from organisations.audit import system_actor

    post_types_load(actor=system_actor())
    client.force_login(member(reference["QMF"], Role.ICB_EDITOR))
    for url in (
        "/",
        reverse("assurance:register_icb", args=["QMF"]),
        reverse("assurance:register_icb_export", args=["QMF", "csv"]),
        reverse("assurance:register_icb_export", args=["QMF", "xlsx"]),
        reverse("usersessions_list"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url
        assert "camera=()" in response["Permissions-Policy"], url
        assert "geolocation=()" in response["Permissions-Policy"], url
        assert "Content-Security-Policy" in response, url


@pytest.mark.django_db
def test_signed_out_pages_are_not_cached_either(reference, client):
    response = client.get(reverse("account_login"))
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]


# --- The client's address behind the TLS proxy -----------------------------------


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}


def via_proxy(forwarded_for: str) -> Client:
    """A client whose requests reach us through the TLS proxy at 10.0.0.2, which
    appends the address it saw to X-Forwarded-For."""
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)


def sign_in_attempt(client: Client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": "wrong password"})


@pytest.mark.django_db
def test_two_clients_behind_one_proxy_have_separate_rate_limits(reference, behind_one_proxy):
    first, second = via_proxy("203.0.113.5"), via_proxy("203.0.113.6")
    for n in range(3):
        assert sign_in_attempt(first, f"someone{n}@example.nhs.uk").status_code == 200
    assert sign_in_attempt(first, "someone9@example.nhs.uk").status_code == 429
    # The other client behind the same proxy is not limited by the first one.
    assert sign_in_attempt(second, "someone9@example.nhs.uk").status_code == 200


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_reset_a_limit(reference, behind_one_proxy):
    for n in range(3):
        sign_in_attempt(via_proxy("203.0.113.5"), f"someone{n}@example.nhs.uk")
    # The client sends its own X-Forwarded-For; the proxy appends the real address.
    spoofed = via_proxy("198.51.100.77, 203.0.113.5")
    assert sign_in_attempt(spoofed, "someone9@example.nhs.uk").status_code == 429


@pytest.mark.django_db
def test_the_audit_trail_records_the_real_client_address(reference, behind_one_proxy):
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    from organisations.audit import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.5"
    )
    assert client_ip(request) == "203.0.113.5"
    assert get_adapter(request).get_client_ip(request) == "203.0.113.5"


# --- The request log ---------------------------------------------------------------


@pytest.mark.django_db
def test_one_log_line_per_request_with_user_status_and_time(reference, client, caplog):
    user = member(reference["QMF"], Role.ICB_EDITOR)
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="saaf.request"):
        client.get("/")
    lines = [r for r in caplog.records if r.name == "saaf.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line.status == 200 and line.user_id == user.pk and line.duration_ms >= 0
    assert re.fullmatch(rf"GET / 200 \d+ms user={user.pk}", line.getMessage())


@pytest.mark.django_db
def test_a_refusal_is_one_line_without_a_traceback(reference, client, caplog):
    client.force_login(member(reference["QMF"], Role.ICB_EDITOR))
    with caplog.at_level(logging.INFO):
        response = client.get("/admin/login/")  # not staff: 403
    assert response.status_code == 403
    assert [r.status for r in caplog.records if r.name == "saaf.request"] == [403]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged for a 403"


@pytest.mark.django_db
def test_the_log_names_the_url_pattern_not_a_password_reset_key(reference, client, caplog):
    with caplog.at_level(logging.INFO, logger="saaf.request"):
        client.get("/accounts/password/reset/key/1-secretkeyvalue123/")
    message = [r.getMessage() for r in caplog.records if r.name == "saaf.request"][0]
    assert "secretkeyvalue123" not in message
    assert message.startswith("GET /accounts/password/reset/key/")


# --- Schedules and static files ------------------------------------------------------


def test_the_beat_schedule_purges_expired_sessions_daily():
    from celery.schedules import crontab

    from saaf.celery import app

    entries = list(settings.CELERY_BEAT_SCHEDULE.values())
    purge = [e for e in entries if e["task"] == "organisations.sessions_purge"]
    assert len(purge) == 1
    assert isinstance(purge[0]["schedule"], crontab)
    assert purge[0]["schedule"].hour == {3}
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


def test_tests_and_development_use_plain_static_storage():
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    assert "Manifest" not in settings.STORAGES["staticfiles"]["BACKEND"]
    # WhiteNoise serves production only (tests/test_settings.py checks it there).
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in settings.MIDDLEWARE
