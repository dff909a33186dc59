import re
from io import StringIO

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.management import CommandError, call_command

from organisations.demo import PERSONAS, persona_by_email
from organisations.models import Commissioning, Organisation, Role, User


@pytest.fixture
def demo(reference, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def test_demo_world_has_one_persona_per_role_with_mfa_where_required(demo):
    assert "Password for every persona: demo-password-for-tests" in demo
    roles = {}
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        assert user.check_password("demo-password-for-tests")
        membership = user.memberships.get()
        assert (membership.organisation.code, membership.role) == (
            persona.organisation_code, persona.role,
        )  # fmt: skip
        roles[persona.role] = user
        if persona.role in (Role.ICB_APPROVER, Role.REGIONAL_LEAD, Role.NATIONAL_ADMIN):
            totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
            assert totp.wrap().validate_code(persona.current_code())
        else:  # MFA is available to them, not imposed
            assert not Authenticator.objects.filter(user=user).exists()
    assert len(roles) == 7


def test_demo_providers_let_scoping_across_the_succession_be_tried(demo):
    z9_led = Commissioning.objects.filter(icb__code="Z9B2Z", is_lead=True)
    qmf_led = Commissioning.objects.filter(icb__code="QMF", is_lead=True)
    assert z9_led.count() >= 4 and qmf_led.count() >= 4
    kinds = set(Organisation.objects.providers().values_list("provider_kind", flat=True))
    assert {"nhs_trust", "foundation_trust", "gp_practice", "pcn", "independent"} <= kinds
    assert Organisation.objects.filter(kind="place", parent__code="Z9B2Z").exists()


def test_running_the_demo_again_changes_nothing(demo, monkeypatch):
    monkeypatch.delenv("SAAF_DEMO_PASSWORD")
    counts = (User.objects.count(), Organisation.objects.count(), Authenticator.objects.count())
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "password is unchanged" in out.getvalue()
    assert (User.objects.count(), Organisation.objects.count(),
            Authenticator.objects.count()) == counts  # fmt: skip
    assert User.objects.get(email=PERSONAS[0].email).check_password("demo-password-for-tests")


def test_demo_is_refused_in_production_mode(reference, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="never loaded in production"):
        call_command("load_demo_data")
    with pytest.raises(CommandError, match="outside production"):
        call_command("persona_code", "approver.z9b2z")
    assert not User.objects.filter(email=PERSONAS[0].email).exists()


def test_persona_code_prints_the_current_code(demo):
    out = StringIO()
    call_command("persona_code", "approver.z9b2z", stdout=out)
    persona = persona_by_email("approver.z9b2z")
    assert pyotp.TOTP(persona.totp_secret).verify(out.getvalue().strip(), valid_window=1)
    # The stored secret is encrypted, and the printed code is the one it accepts.
    from allauth.mfa.totp.internal.auth import TOTP

    stored = Authenticator.objects.get(user__email=persona.email, type=Authenticator.Type.TOTP)
    assert persona.totp_secret not in str(stored.data)
    assert TOTP(stored).validate_code(out.getvalue().strip())
    with pytest.raises(CommandError, match="No persona called 'nobody'"):
        call_command("persona_code", "nobody")


def test_create_user_emails_a_set_password_link(
    reference, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_user", "Jo.Bloggs@nhs.net", "Jo Bloggs", "qmf", "icb_editor", stdout=StringIO()
        )
    user = User.objects.get(email="jo.bloggs@nhs.net")
    assert not user.has_usable_password()
    assert user.memberships.get().organisation.code == "QMF"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jo.bloggs@nhs.net"]
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    path = link.removeprefix("http://localhost:8000")
    # The link leads to allauth's set-password form, which sets the password.
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    done = client.post(
        form_url, {"password1": "a-new-long-password-42", "password2": "a-new-long-password-42"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-password-42")


def test_create_user_explains_bad_input(reference):
    with pytest.raises(CommandError, match="No organisation with the code 'ZZZ'"):
        call_command("create_user", "a@nhs.net", "A", "ZZZ", "icb_editor")
    with pytest.raises(CommandError, match="held in an integrated care board"):
        call_command("create_user", "a@nhs.net", "A", "Y56", "icb_editor")
    assert not User.objects.filter(email="a@nhs.net").exists()  # nothing half-saved
