"""Machine tokens: stored hashed, named, expiring within a year, listed and
revoked on the account page, created there (shown once) or by a command;
refused to a user whose role requires MFA without it, at creation and in use."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from organisations.models import ApiToken, AuditAction, AuditEvent, Role
from organisations.tokens import api_token_create, api_token_revoke
from tests.api.conftest import token_client
from tests.factories import enrol_totp, member


def test_a_token_is_stored_only_as_a_hash_and_acts_as_its_user(editor):
    token, secret = api_token_create(actor=editor, user=editor, name="Dashboard", days=30)
    assert secret.startswith("saaf_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.token_key)
    assert stored.digest == hashlib.sha512(secret.encode()).hexdigest()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = client.get("/api/v1/me/").json()
    assert body["email"] == editor.email
    assert body["authenticated_by"] == "token"
    assert body["token_name"] == "Dashboard"
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATED, actor=editor).exists()


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [("", 30, "name"), ("x" * 101, 30, "name"), ("Ok", 0, "days"), ("Ok", 366, "days")],
)
def test_a_token_needs_a_name_and_lasts_at_most_a_year(editor, name, days, field):
    with pytest.raises(ValidationError) as refused:
        api_token_create(actor=editor, user=editor, name=name, days=days)
    assert field in refused.value.message_dict
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(editor):
    client = token_client(editor, days=1)
    assert client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"] == "/api/v1/problems/not-authenticated"


def test_a_revoked_token_stops_working_at_once(editor):
    token, secret = api_token_create(actor=editor, user=editor, name="Old system", days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").status_code == 200
    api_token_revoke(actor=editor, token=token)
    assert client.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


def test_nobody_revokes_another_users_token(editor, reference):
    other = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    token, _ = api_token_create(actor=editor, user=editor, name="Mine", days=30)
    from organisations.permissions import NotPermitted

    with pytest.raises(NotPermitted):
        api_token_revoke(actor=other, token=token)
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_role_requiring_mfa_cannot_create_a_token_without_it(reference):
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    with pytest.raises(ValidationError, match="two-factor"):
        api_token_create(actor=approver, user=approver, name="Submitter", days=30)
    enrol_totp(approver)
    api_token_create(actor=approver, user=approver, name="Submitter", days=30)


def test_a_token_stops_working_when_its_user_loses_mfa(approver):
    client = token_client(approver)
    assert client.get("/api/v1/me/").status_code == 200
    approver.authenticator_set.all().delete()
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "two-factor" in response.json()["detail"]


def test_a_token_stops_working_when_its_user_loses_every_role(editor):
    client = token_client(editor)
    editor.memberships.all().delete()
    assert client.get("/api/v1/returns/").status_code == 401


def test_the_command_prints_the_token_once_and_it_works(editor):
    out = StringIO()
    call_command(
        "api_token",
        "create",
        editor.email,
        "--name",
        "Nightly sync",
        "--days",
        "7",
        stdout=out,
        stderr=StringIO(),
    )
    secret = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").json()["token_name"] == "Nightly sync"
    token = ApiToken.objects.get()
    assert token.expiry - token.created < datetime.timedelta(days=7, seconds=5)


def test_the_command_refuses_more_than_a_year(editor):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="365"):
        call_command("api_token", "create", editor.email, "--name", "X", "--days", "400")


def test_the_account_page_creates_shows_once_lists_and_revokes(client, editor):
    client.force_login(editor)
    page = client.get(reverse("organisations:api_tokens"))
    assert page.status_code == 200
    assert "You have no API tokens." in page.content.decode()
    created = client.post(
        reverse("organisations:api_token_create"), {"name": "Our dashboard", "days": "90"}
    )
    html = created.content.decode()
    token = ApiToken.objects.get(user=editor)
    assert "Our dashboard" in html and 'id="new-token">saaf_' in html
    shown = html.split('id="new-token">')[1].split("<")[0]
    assert hashlib.sha512(shown.encode()).hexdigest() == token.digest
    listed = client.get(reverse("organisations:api_tokens")).content.decode()
    assert "Our dashboard" in listed and shown not in listed  # shown once only
    response = client.post(reverse("organisations:api_token_revoke", args=[token.token_key]))
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_the_account_page_says_what_to_fix(client, editor):
    client.force_login(editor)
    response = client.post(reverse("organisations:api_token_create"), {"name": "", "days": "999"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Name the token after the system that will use it." in html
    assert "A token lasts at most 365 days." in html
    assert not ApiToken.objects.exists()


def test_the_account_page_explains_the_mfa_rule(client, reference):
    # Signed in through allauth without MFA is impossible for this role; the
    # refusal is what the page says if it ever happens (e.g. MFA reset).
    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    client.force_login(approver)
    response = client.post(
        reverse("organisations:api_token_create"), {"name": "Submitter", "days": "30"}
    )
    assert not ApiToken.objects.exists()
    assert response.status_code in (302, 400)


def test_one_cannot_revoke_anothers_token_from_the_page(client, editor, reference):
    other = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    token, _ = api_token_create(actor=editor, user=editor, name="Mine", days=30)
    client.force_login(other)
    response = client.post(reverse("organisations:api_token_revoke", args=[token.token_key]))
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_session_without_the_mfa_its_role_requires_gets_a_problem_not_a_redirect(reference):
    from tests.api.conftest import session_client

    approver = member(reference["Z9B2Z"], Role.ICB_APPROVER)  # no authenticator
    response = session_client(approver).get("/api/v1/returns/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "two-factor" in response.json()["detail"]
