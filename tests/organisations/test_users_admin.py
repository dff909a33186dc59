"""The national admin's user services and pages: resetting a user's MFA,
changing their e-mail, the user list and page; e-mail self-service off;
two-factor authentication kept for roles that require it."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from organisations.audit import system_actor
from organisations.models import AuditAction, AuditEvent, Membership, Role
from organisations.permissions import NotPermitted
from organisations.services import user_email_change, user_mfa_reset
from tests.factories import TEST_TOTP_SECRET, enrol_totp, member, totp_code

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(reference):
    user = member(reference["X24"], Role.NATIONAL_ADMIN, password=PASSWORD)
    enrol_totp(user)
    return user


@pytest.fixture
def approver(reference):
    user = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    enrol_totp(user)
    return user


def signed_in_with_mfa(user) -> Client:
    """A client signed in through allauth's real sign-in, second factor included."""
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


# --- user_mfa_reset --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("QMF", Role.ICB_APPROVER),
        ("QMF", Role.ICB_EDITOR),
        ("Y56", Role.REGIONAL_LEAD),
        ("X24", Role.NSSG_MEMBER),
    ],
)
def test_mfa_reset_refuses_anyone_but_the_national_admin(reference, approver, code, role):
    actor = member(reference[code], role)
    with pytest.raises(NotPermitted):
        user_mfa_reset(actor=actor, user=approver)
    assert Authenticator.objects.filter(user=approver).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.MFA_RESET).exists()


def test_mfa_reset_removes_authenticators_ends_sessions_emails_and_is_audited(
    admin, approver, mailoutbox, django_capture_on_commit_callbacks
):
    phone = signed_in_with_mfa(approver)
    assert UserSession.objects.filter(user=approver).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        removed = user_mfa_reset(actor=admin, user=approver, reason="Lost phone")
    assert removed == 1  # the factory enrols TOTP without recovery codes
    assert not Authenticator.objects.filter(user=approver).exists()
    assert not UserSession.objects.filter(user=approver).exists()
    assert phone.get("/").status_code == 302  # that session is over
    [event] = AuditEvent.objects.filter(action=AuditAction.MFA_RESET)
    assert event.actor == admin and event.target_id == str(approver.pk)
    assert event.reason == "Lost phone"
    assert event.changes == {"authenticators": [["totp"], []], "sessions_ended": 1}
    [mail] = mailoutbox
    assert mail.to == [approver.email] and "set it up again" in mail.body

    # At their next sign-in their role sends them to set it up again.
    client = Client()
    client.post(reverse("account_login"), {"login": approver.email, "password": PASSWORD})
    assert client.get("/")["Location"].startswith(reverse("mfa_activate_totp"))


def test_mfa_reset_of_a_user_without_mfa_says_so(admin, reference):
    viewer = member(reference["QMF"], Role.ICB_VIEWER)
    with pytest.raises(ValidationError, match="no two-factor authentication"):
        user_mfa_reset(actor=admin, user=viewer)


def test_the_system_actor_may_reset_mfa(approver):
    assert user_mfa_reset(actor=system_actor(), user=approver) == 1


# --- user_email_change ---------------------------------------------------------------


def test_email_change_refuses_others_and_the_user_themselves(reference, approver):
    for actor in (approver, member(reference["Y56"], Role.REGIONAL_LEAD)):
        with pytest.raises(NotPermitted):
            user_email_change(actor=actor, user=approver, email="new@example.nhs.uk")
    approver.refresh_from_db()
    assert approver.email != "new@example.nhs.uk"


def test_email_change_keeps_allauth_addresses_consistent_and_is_audited(
    admin, approver, mailoutbox, django_capture_on_commit_callbacks
):
    old = approver.email
    EmailAddress.objects.create(user=approver, email=old, primary=True, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        user = user_email_change(actor=admin, user=approver, email=" New.Person@Example.NHS.uk ")
    assert user.email == "new.person@example.nhs.uk"
    [address] = EmailAddress.objects.filter(user=approver)
    assert (address.email, address.primary, address.verified) == (user.email, True, True)
    [event] = AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED)
    assert event.actor == admin and event.changes == {"email": [old, user.email]}
    assert set(mailoutbox[0].to) == {old, user.email}
    # They sign in with the new address (on to their second factor), not the old one.
    new_address = Client().post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert new_address["Location"] == reverse("mfa_authenticate")
    old_address = Client().post(reverse("account_login"), {"login": old, "password": PASSWORD})
    assert old_address.status_code == 200  # the form again, with an error


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-address", "Enter an email address"), ("", "Enter an email address")],
)
def test_email_change_refuses_bad_addresses(admin, approver, email, message):
    with pytest.raises(ValidationError, match=message):
        user_email_change(actor=admin, user=approver, email=email)


def test_email_change_refuses_an_address_in_use(admin, approver, reference):
    other = member(reference["QMF"], Role.ICB_VIEWER)
    with pytest.raises(ValidationError, match="already a user"):
        user_email_change(actor=admin, user=approver, email=other.email.upper())
    assert not AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).exists()


def test_an_unchanged_email_writes_nothing(admin, approver):
    user_email_change(actor=admin, user=approver, email=approver.email)
    assert not AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).exists()


# --- allauth's e-mail page and MFA deactivation -----------------------------------------


def test_the_email_management_page_is_switched_off(reference, client):
    client.force_login(member(reference["QMF"], Role.ICB_EDITOR))
    assert client.get("/accounts/email/").status_code == 404
    response = client.post("/accounts/email/", {"action_add": "", "email": "me@example.org"})
    assert response.status_code == 404
    assert not EmailAddress.objects.filter(email="me@example.org").exists()
    security = client.get(reverse("mfa_index")).content.decode()
    assert "/accounts/email/" not in security


def test_deactivate_is_hidden_and_refused_for_a_role_that_requires_mfa(approver):
    client = signed_in_with_mfa(approver)
    page = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_deactivate_totp") not in page
    assert "Your role needs two-factor authentication" in page
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200  # the form again, with the reason
    assert "Your role needs two-factor authentication" in response.content.decode()
    assert Authenticator.objects.filter(user=approver, type=Authenticator.Type.TOTP).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.MFA_DISABLED).exists()


def test_deactivate_is_offered_to_a_role_that_does_not_require_mfa(reference, client):
    editor = member(reference["QMF"], Role.ICB_EDITOR, password=PASSWORD)
    enrol_totp(editor)
    client.force_login(editor)
    page = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_deactivate_totp") in page


# --- the Users pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "role"),
    [("QMF", Role.ICB_APPROVER), ("Y56", Role.REGIONAL_CHIEF_NURSE), ("X24", Role.NSSG_MEMBER)],
)
def test_user_pages_are_for_the_national_admin_only(reference, client, approver, code, role):
    client.force_login(member(reference[code], role))
    assert client.get(reverse("organisations:user_list")).status_code in (302, 403)
    user_url = reverse("organisations:user", args=[approver.pk])
    assert client.get(user_url).status_code in (302, 403)
    reset = client.post(reverse("organisations:user_mfa_reset", args=[approver.pk]))
    assert reset.status_code in (302, 403)
    assert Authenticator.objects.filter(user=approver).exists()


def test_user_list_searches_in_a_fixed_number_of_queries(
    admin, approver, reference, django_assert_max_num_queries
):
    client = signed_in_with_mfa(admin)
    url = reverse("organisations:user_list")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        member(reference["QMJ"], Role.ICB_VIEWER, full_name=f"Extra Person {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert approver.email in page and "Extra Person 5" in page
    found = client.get(url, {"q": approver.email}).content.decode()
    assert approver.email in found and "Extra Person" not in found
    by_code = client.get(url, {"q": "qmj"}).content.decode()
    assert "Extra Person 0" in by_code and approver.email not in by_code


def test_admin_changes_email_and_resets_mfa_from_the_user_page(admin, approver):
    client = signed_in_with_mfa(admin)
    page = client.get(reverse("organisations:user", args=[approver.pk])).content.decode()
    assert "ICB approver" in page and "Set up" in page

    bad = client.post(
        reverse("organisations:user_email_change", args=[approver.pk]), {"email": "nope"}
    )
    assert bad.status_code == 400 and "Enter an email address" in bad.content.decode()
    done = client.post(
        reverse("organisations:user_email_change", args=[approver.pk]),
        {"email": "moved@example.nhs.uk"},
    )
    assert done.status_code == 302
    approver.refresh_from_db()
    assert approver.email == "moved@example.nhs.uk"

    reset = client.post(
        reverse("organisations:user_mfa_reset", args=[approver.pk]), {"reason": "Lost phone"}
    )
    assert reset.status_code == 302
    assert not Authenticator.objects.filter(user=approver).exists()
    again = client.post(reverse("organisations:user_mfa_reset", args=[approver.pk]))
    assert again.status_code == 400


def test_admin_grants_and_removes_a_role_through_the_services(admin, approver, reference):
    client = signed_in_with_mfa(admin)
    grant = reverse("organisations:user_role_grant", args=[approver.pk])
    unknown = client.post(grant, {"organisation": "ZZZ", "role": Role.ICB_VIEWER})
    assert unknown.status_code == 400 and "No organisation has the code ZZZ" in (
        unknown.content.decode()
    )
    assert client.post(grant, {"organisation": "qmj", "role": Role.ICB_VIEWER}).status_code == 302
    membership = Membership.objects.get(user=approver, organisation=reference["QMJ"])
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_GRANTED).count() == 1
    revoke = reverse("organisations:user_role_revoke", args=[approver.pk, membership.pk])
    assert client.post(revoke).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_REVOKED).count() == 1
