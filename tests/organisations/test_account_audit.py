"""Every account security event is in the audit trail, recorded through
allauth's real views (the Django test client, no force_login where the
event is the sign-in itself)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from organisations.models import AuditAction, AuditEvent, Organisation, Role, User
from organisations.reference_data import NATIONAL_CODE
from tests.factories import TEST_TOTP_SECRET, enrol_totp, member, totp_code

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a quite different passphrase 42"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def events(action: AuditAction):
    return AuditEvent.objects.filter(action=action.value)


def user_events(user: User, action: AuditAction):
    return events(action).filter(
        target_type=ContentType.objects.get_for_model(User), target_id=str(user.pk)
    )


def sign_in(client: Client, user: User, password: str = PASSWORD):
    return client.post(
        reverse("account_login"),
        {"login": user.email, "password": password},
        HTTP_USER_AGENT=BROWSER,
    )


@pytest.fixture
def editor(reference):
    return member(reference["QMF"], Role.ICB_EDITOR, password=PASSWORD)


def test_sign_in_is_recorded_with_address_and_browser(editor, client):
    response = sign_in(client, editor)
    assert response.status_code == 302
    [event] = user_events(editor, AuditAction.SIGNED_IN)
    assert event.actor == editor
    assert event.ip_address == "127.0.0.1"
    assert "Chrome" in event.user_agent


def test_failed_sign_in_records_the_email_tried_but_never_the_password(editor, client):
    sign_in(client, editor, password="wrong-password-xyzzy")
    assert "_auth_user_id" not in client.session
    [event] = user_events(editor, AuditAction.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.attempted_email == editor.email
    stored = " ".join(str(v) for v in AuditEvent.objects.values_list())
    assert "wrong-password-xyzzy" not in stored


def test_failed_sign_in_with_an_unknown_email_is_recorded_against_national(reference, client):
    client.post(
        reverse("account_login"), {"login": "nobody@example.org", "password": "guess-guess-1"}
    )
    [event] = events(AuditAction.SIGN_IN_FAILED)
    national = Organisation.objects.get(code=NATIONAL_CODE)
    assert event.actor is None
    assert event.attempted_email == "nobody@example.org"
    assert event.organisation == national
    assert event.target_type == ContentType.objects.get_for_model(Organisation)
    assert event.target_id == str(national.pk)


def test_wrong_second_factor_code_is_a_failed_sign_in(reference, client):
    approver = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    enrol_totp(approver)
    sign_in(client, approver)
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    [event] = user_events(approver, AuditAction.SIGN_IN_FAILED)
    assert event.actor is None and event.attempted_email == approver.email
    assert not user_events(approver, AuditAction.SIGNED_IN).exists()
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert user_events(approver, AuditAction.SIGNED_IN).count() == 1


def test_sign_out_is_recorded(editor, client):
    sign_in(client, editor)
    client.post(reverse("account_logout"))
    [event] = user_events(editor, AuditAction.SIGNED_OUT)
    assert event.actor == editor


def test_password_change_is_recorded(editor, client):
    sign_in(client, editor)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    [event] = user_events(editor, AuditAction.PASSWORD_CHANGED)
    assert event.actor == editor
    assert NEW_PASSWORD not in str(event.changes)


def test_password_set_is_recorded(reference, client):
    user = member(reference["QMF"], Role.ICB_EDITOR)
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    response = client.post(
        reverse("account_set_password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert user_events(user, AuditAction.PASSWORD_SET).get().actor == user


def test_password_reset_by_the_emailed_link_is_recorded(editor, client, mailoutbox, settings):
    settings.SAAF_BASE_URL = "https://saaf.example.nhs.uk"
    client.post(reverse("account_reset_password"), {"email": editor.email})
    [message] = mailoutbox
    assert message.subject.endswith("Reset your password for the safeguarding assurance portal")
    link = re.search(
        r"https://saaf\.example\.nhs\.uk(/accounts/password/reset/key/\S+)", message.body
    )
    assert link, "the reset link starts with SAAF_BASE_URL"
    form_page = client.get(link.group(1), follow=True)
    assert "Set your password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert reverse("account_login") in done.content.decode()
    [event] = user_events(editor, AuditAction.PASSWORD_RESET)
    assert event.actor == editor
    editor.refresh_from_db()
    assert editor.check_password(NEW_PASSWORD)


def _activate_totp(client, django_capture_on_commit_callbacks):
    # allauth asks for the password again before any change to MFA.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_enabling_totp_and_renewing_recovery_codes_are_recorded(
    editor, client, django_capture_on_commit_callbacks
):
    sign_in(client, editor)
    _activate_totp(client, django_capture_on_commit_callbacks)
    [enabled] = user_events(editor, AuditAction.MFA_ENABLED)
    assert enabled.actor == editor and enabled.changes == {"type": "totp"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    assert user_events(editor, AuditAction.MFA_RECOVERY_CODES_REGENERATED).count() == 1


def test_disabling_totp_is_recorded_for_a_role_that_may(
    editor, client, django_capture_on_commit_callbacks
):
    sign_in(client, editor)
    _activate_totp(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=editor).exists()
    assert user_events(editor, AuditAction.MFA_DISABLED).get().actor == editor


def test_ending_other_sessions_is_recorded(editor):
    laptop, phone = Client(HTTP_USER_AGENT=BROWSER), Client(HTTP_USER_AGENT="iPhone Safari")
    sign_in(laptop, editor)
    sign_in(phone, editor)
    assert UserSession.objects.filter(user=editor).count() == 2
    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert UserSession.objects.filter(user=editor).count() == 1
    [event] = user_events(editor, AuditAction.SESSIONS_ENDED)
    assert event.actor == editor and event.changes == {"sessions_ended": 1}
    assert phone.get("/").status_code == 302  # signed out
