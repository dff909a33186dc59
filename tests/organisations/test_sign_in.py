"""Sign-in protections: MFA where the role needs it, rate limits, the admin
behind the same sign-in, no public sign-up, sessions."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from organisations.audit import system_actor
from organisations.models import Role
from tests.factories import member, totp_code

PASSWORD = "correct horse battery staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.mark.parametrize("role", [Role.ICB_APPROVER])
def test_roles_that_need_mfa_are_sent_to_set_it_up(reference, client, role):
    user = member(reference["QMF"], role, password=PASSWORD)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    # Their account pages stay reachable so they can do it (allauth asks for
    # the password again before any change to MFA).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.parametrize(
    ("code", "role"),
    [("Y56", Role.REGIONAL_LEAD), ("X24", Role.NATIONAL_ADMIN)],
)
def test_regional_leads_and_national_admins_need_mfa_too(reference, client, code, role):
    client.force_login(member(reference[code], role))
    assert client.get("/admin/").status_code == 302
    assert reverse("mfa_activate_totp") in client.get("/")["Location"]


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("QMF", Role.ICB_EDITOR),
        ("QMF", Role.ICB_VIEWER),
        ("Y56", Role.REGIONAL_CHIEF_NURSE),
        ("X24", Role.NSSG_MEMBER),
    ],
)
def test_other_roles_may_but_need_not_use_mfa(reference, client, code, role):
    client.force_login(member(reference[code], role))
    response = client.get("/")
    assert reverse("mfa_activate_totp") not in response.get("Location", "")


def test_sign_in_with_password_then_totp(reference, client):
    user = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    TOTP.activate(user, SECRET)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_failed_sign_ins_are_rate_limited(reference, client):
    user = member(reference["QMF"], Role.ICB_VIEWER, password=PASSWORD)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    blocked = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert blocked.status_code in (200, 429)


def test_the_admin_signs_in_through_allauth(reference, client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_nobody_can_sign_themselves_up(reference, client):
    response = client.post(
        reverse("account_signup"),
        {"email": "me@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    from organisations.models import User

    assert not User.objects.filter(email="me@example.com").exists()
    assert response.status_code in (200, 302, 403)


def test_sessions_expire_when_idle(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # the clock restarts with each request


def test_a_user_sees_and_ends_their_other_sessions(reference, client):
    from django.test import Client

    user = member(reference["QMF"], Role.ICB_VIEWER, password=PASSWORD)
    other = Client()
    for c in (other, client):
        c.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    from allauth.usersessions.models import UserSession

    assert UserSession.objects.filter(user=user).count() == 2
    client.post(reverse("usersessions_list"), {"action": "logout"})
    assert UserSession.objects.filter(user=user).count() == 1
    assert other.get("/").status_code == 302  # the other session was ended
    assert Authenticator.objects.filter(user=user).count() == 0


def test_only_national_admins_reach_the_django_admin(reference, client):
    from organisations.services import membership_grant
    from tests.factories import UserFactory, enrol_totp, sign_in_with_totp

    admin = UserFactory()
    membership_grant(
        actor=system_actor(), user=admin, organisation=reference["X24"], role=Role.NATIONAL_ADMIN
    )
    admin.set_password(PASSWORD)
    admin.save()
    enrol_totp(admin)
    sign_in_with_totp(client, admin, PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/organisations/auditevent/").status_code == 200
    client.force_login(member(reference["X24"], Role.NSSG_MEMBER))
    assert client.get("/admin/").status_code == 302


def test_a_forgotten_password_is_reset_from_an_emailed_link(reference, client):
    import re

    from django.conf import settings
    from django.core import mail

    user = member(reference["QMF"], Role.ICB_VIEWER, password=PASSWORD)
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    # The link points where users reach the portal (SAAF_BASE_URL), not the request's host.
    base = re.escape(settings.SAAF_BASE_URL.rstrip("/"))
    link = re.search(base + r"(/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    form_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    client.post(
        form_url, {"password1": "a brand new password 7", "password2": "a brand new password 7"}
    )
    user.refresh_from_db()
    assert user.check_password("a brand new password 7")
    # Nobody learns whether an address has an account.
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert len(mail.outbox) == 2 and "nobody@example.com" in mail.outbox[1].to
