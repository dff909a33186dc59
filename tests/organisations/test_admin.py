"""The Django admin cannot go round services, audit or roles: tried as the
national admin in a session that completed MFA, every write it offers is a
service call with its audit event, everything else is refused; and the admin
opens only for a staff session that completed a TOTP step."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import NoReverseMatch, reverse

from organisations.audit import system_actor
from organisations.mfa_secrets import secret_decrypt
from organisations.models import AuditAction, AuditEvent, Membership, Role, Succession, User
from organisations.services import membership_grant
from tests.factories import (
    TEST_TOTP_SECRET,
    UserFactory,
    enrol_totp,
    member,
    sign_in_with_totp,
    totp_code,
)

PASSWORD = "correct horse battery staple"


def national_admin(reference, **fields) -> User:
    user = UserFactory(**fields)
    membership_grant(
        actor=system_actor(), user=user, organisation=reference["X24"], role=Role.NATIONAL_ADMIN
    )
    user.refresh_from_db()
    return user


@pytest.fixture
def admin_user(reference):
    user = national_admin(reference)
    enrol_totp(user)
    return user


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    sign_in_with_totp(client, admin_user, PASSWORD)
    assert client.get("/admin/").status_code == 200
    return client


# --- Read-only models ------------------------------------------------------------


def _objects(reference, admin_user):
    other = member(reference["QMF"], Role.ICB_EDITOR)
    EmailAddress.objects.create(user=other, email=other.email, primary=True, verified=True)
    return {
        "organisations/organisation": (reference["QMF"], {"name": "Renamed", "code": "QMF"}),
        "organisations/succession": (Succession.objects.first(), {"kind": "merger"}),
        "organisations/auditevent": (AuditEvent.objects.first(), {"action": "user.created"}),
        "organisations/user": (other, {"email": other.email, "is_staff": "on"}),
        "mfa/authenticator": (
            Authenticator.objects.get(user=admin_user, type="totp"),
            {"user": admin_user.pk, "type": "totp", "data": "{}"},
        ),
        "account/emailaddress": (
            EmailAddress.objects.get(user=other),
            {"email": "changed@example.nhs.uk", "user": other.pk},
        ),
        "usersessions/usersession": (UserSession.objects.filter(user=admin_user).first(), {}),
    }


READ_ONLY = [
    "organisations/organisation",
    "organisations/succession",
    "organisations/auditevent",
    "mfa/authenticator",
    "account/emailaddress",
    "usersessions/usersession",
]


@pytest.mark.parametrize("model", READ_ONLY)
def test_read_only_models_refuse_add_change_and_delete(reference, admin_user, admin_client, model):
    obj, data = _objects(reference, admin_user)[model]
    assert obj is not None, f"no {model} to try"
    # Everything but the session's activity clock, which our own requests move.
    fields = [f.attname for f in obj._meta.concrete_fields if f.attname != "last_seen_at"]
    before = {name: getattr(obj, name) for name in fields}
    base = f"/admin/{model}/"

    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}{obj.pk}/change/").status_code == 200  # may look
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}add/", data).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/change/", data).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )

    obj.refresh_from_db()
    assert {name: getattr(obj, name) for name in fields} == before


def test_a_user_is_added_by_the_service_and_never_changed_or_deleted_here(
    reference, admin_user, admin_client, django_capture_on_commit_callbacks
):
    other = member(reference["QMF"], Role.ICB_EDITOR)
    base = "/admin/organisations/user/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{base}add/", {"email": "New.Person@nhs.net", "full_name": "New Person"}
        )
    assert response.status_code == 302
    created = User.objects.get(email="new.person@nhs.net")
    assert not created.has_usable_password() and not created.is_staff
    assert set(
        AuditEvent.objects.filter(target_id=str(created.pk), actor=admin_user).values_list(
            "action", flat=True
        )
    ) == {AuditAction.USER_CREATED.value, AuditAction.USER_INVITED.value}

    # Staff flags, name, e-mail, activity: none of them is editable.
    for data in (
        {
            "email": other.email,
            "full_name": other.full_name,
            "is_staff": "on",
            "is_superuser": "on",
        },
        {"email": "someone.else@nhs.net", "full_name": "Changed", "is_active": ""},
    ):
        assert admin_client.post(f"{base}{other.pk}/change/", data).status_code == 403
    assert admin_client.post(f"{base}{other.pk}/delete/", {"post": "yes"}).status_code == 403
    other.refresh_from_db()
    assert (other.is_staff, other.is_superuser, other.is_active) == (False, False, True)
    assert other.email.endswith("@example.nhs.uk") and other.full_name != "Changed"


def test_no_admin_page_changes_another_users_password(reference, admin_client):
    other = member(reference["QMF"], Role.ICB_EDITOR, password=PASSWORD)
    with pytest.raises(NoReverseMatch):
        reverse("admin:organisations_user_password_change", args=[other.pk])
    response = admin_client.post(
        f"/admin/organisations/user/{other.pk}/password/",
        {"password1": "a new password 123", "password2": "a new password 123"},
        follow=True,
    )
    assert b'name="password1"' not in response.content
    other.refresh_from_db()
    assert other.check_password(PASSWORD)
    page = admin_client.get(f"/admin/organisations/user/{other.pk}/change/")
    assert page.status_code == 200
    assert other.password.encode() not in page.content  # not even the hash


def test_a_role_granted_in_the_admin_is_the_audited_service_with_staff_flags(
    reference, admin_user, admin_client
):
    other = UserFactory()
    response = admin_client.post(
        "/admin/organisations/membership/add/",
        {"user": other.pk, "organisation": reference["X24"].pk, "role": Role.NATIONAL_ADMIN},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=other)
    other.refresh_from_db()
    assert other.is_staff and other.is_superuser
    granted = AuditEvent.objects.get(
        action=AuditAction.MEMBERSHIP_GRANTED, target_id=str(membership.pk)
    )
    assert granted.actor == admin_user and granted.organisation == reference["X24"]

    # A role is never edited in place (national admin → ICB editor would skip the sync).
    assert (
        admin_client.post(
            f"/admin/organisations/membership/{membership.pk}/change/",
            {"user": other.pk, "organisation": reference["QMF"].pk, "role": Role.ICB_EDITOR},
        ).status_code
        == 403
    )

    response = admin_client.post(
        f"/admin/organisations/membership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    other.refresh_from_db()
    assert not other.is_staff and not other.is_superuser
    assert AuditEvent.objects.filter(
        action=AuditAction.MEMBERSHIP_REVOKED, target_id=str(membership.pk), actor=admin_user
    ).exists()


def test_the_bulk_delete_of_roles_revokes_each_through_the_service(
    reference, admin_user, admin_client
):
    editors = [member(reference["QMF"], Role.ICB_EDITOR) for _ in range(2)]
    ids = [m.pk for m in Membership.objects.filter(user__in=editors)]
    admin_client.post(
        "/admin/organisations/membership/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not Membership.objects.filter(pk__in=ids).exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.MEMBERSHIP_REVOKED, target_id__in=[str(i) for i in ids]
        ).count()
        == 2
    )


def test_an_invalid_role_in_the_admin_is_refused_with_a_reason(reference, admin_client):
    other = UserFactory()
    response = admin_client.post(
        "/admin/organisations/membership/add/",
        {"user": other.pk, "organisation": reference["QMF"].pk, "role": Role.NATIONAL_ADMIN},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=other).exists()
    assert b"errornote" in response.content


def test_no_admin_page_shows_a_totp_secret_or_recovery_seed(reference, admin_user, admin_client):
    seed = secret_decrypt(RecoveryCodes.activate(admin_user).instance.data["seed"])
    stored = Authenticator.objects.get(user=admin_user, type="totp").data["secret"]
    pages = ["/admin/"]
    for model in [
        "organisations/user",
        "organisations/membership",
        "mfa/authenticator",
        "usersessions/usersession",
        "organisations/auditevent",
    ]:
        pages.append(f"/admin/{model}/")
    pages += [
        f"/admin/mfa/authenticator/{a.pk}/change/"
        for a in Authenticator.objects.filter(user=admin_user)
    ]
    pages.append(f"/admin/organisations/user/{admin_user.pk}/change/")
    pages += [
        f"/admin/usersessions/usersession/{s.pk}/change/"
        for s in UserSession.objects.filter(user=admin_user)
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (
            TEST_TOTP_SECRET,
            stored,
            seed,
            *RecoveryCodes.activate(admin_user).get_unused_codes(),
        ):
            assert secret not in html, f"{url} shows a secret"
        for session in UserSession.objects.filter(user=admin_user):
            assert session.session_key not in html, f"{url} shows a session key"


def test_groups_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/auth/group/").status_code == 404


# --- Who opens the admin ----------------------------------------------------------


def assert_sent_to(response, path):
    """Followed redirects passed through `path` and did not end in the admin."""
    urls = [url for url, _status in response.redirect_chain]
    assert any(url.startswith(path) for url in urls), urls
    assert not urls[-1].startswith("/admin/")


def test_a_staff_session_without_a_totp_step_is_sent_to_confirm_with_a_code(reference, client):
    admin = national_admin(reference)
    enrol_totp(admin)
    client.force_login(admin)  # a session with no authentication step recorded
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))
    assert b"site-name" not in response.content  # not the admin

    response = client.post(response.redirect_chain[-1][0], {"code": totp_code(TEST_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_is_refused_after_a_password_only_sign_in(reference, client):
    admin = national_admin(reference)
    admin.set_password(PASSWORD)
    admin.save()
    # No authenticator yet, so allauth's sign-in asks for no code.
    client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(admin.pk)
    response = client.get("/admin/", follow=True)
    assert_sent_to(response, reverse("mfa_activate_totp"))

    # Enrolling TOTP in this session is not a TOTP sign-in: still refused.
    enrol_totp(admin)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))
    assert client.get("/admin/organisations/user/").status_code == 302


def test_a_staff_user_without_any_role_also_needs_a_totp_sign_in(reference, client):
    # Staff flags set outside the services (a legacy superuser): the admin still
    # wants MFA, although no role makes the portal ask for it.
    legacy = UserFactory(is_staff=True, is_superuser=True)
    client.post(reverse("account_login"), {"login": legacy.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(legacy.pk)
    response = client.get("/admin/", follow=True)
    assert_sent_to(response, reverse("mfa_activate_totp"))

    enrol_totp(legacy)
    client.post(reverse("account_logout"))
    sign_in_with_totp(client, legacy, PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_the_admin_after_password_and_totp(reference, admin_client):
    assert admin_client.get("/admin/organisations/organisation/").status_code == 200


def test_someone_not_staff_is_refused_even_with_mfa(reference, client):
    user = member(reference["QMF"], Role.ICB_APPROVER, password=PASSWORD)
    enrol_totp(user)
    sign_in_with_totp(client, user, PASSWORD)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").status_code == 403


def test_the_admin_has_no_password_form_of_its_own(reference, client):
    admin = national_admin(reference)
    admin.set_password(PASSWORD)
    admin.save()
    response = client.post(
        "/admin/login/", {"username": admin.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_the_admins_own_password_page_is_allauths(admin_user, admin_client):
    response = admin_client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long password 42",
            "new_password2": "another long password 42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


def test_signing_out_of_the_admin_goes_through_allauth(admin_client):
    response = admin_client.post("/admin/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_logout")


# --- createsuperuser --------------------------------------------------------------


def test_createsuperuser_refuses_and_points_at_create_user(reference):
    count = User.objects.count()
    with pytest.raises(CommandError, match="create_user .* national_admin"):
        call_command("createsuperuser", interactive=False, stdout=StringIO())
    assert User.objects.count() == count
