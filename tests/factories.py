"""Factories that build valid objects. Complex states are reached through
services, as the product reaches them."""

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from organisations.models import Membership, Organisation, OrganisationKind, ProviderKind, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.nhs.uk")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password("correct horse battery staple")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.PROVIDER
    code = factory.Sequence(lambda n: f"RP{n:03d}")
    name = factory.Sequence(lambda n: f"Test Provider {n} NHS Trust")
    provider_kind = ProviderKind.NHS_TRUST


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.PLACE
    code = factory.Sequence(lambda n: f"E0900{n:04d}")
    name = factory.Sequence(lambda n: f"Test Borough {n}")


def member(organisation: Organisation, role: str, **user_fields) -> User:
    """A user holding `role` in `organisation`."""
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


# A fixed base32 TOTP secret for tests: pyotp.TOTP(TEST_TOTP_SECRET).now() is
# the code to type.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TEST_TOTP_SECRET) -> str:
    """The current TOTP code, never one about to expire: allauth allows no
    tolerance, so a code read in the last seconds of its 30-second window could
    be checked in the next one and fail at random."""
    import time

    import pyotp

    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.2)
    return pyotp.TOTP(secret).now()


def enrol_totp(user: User, secret: str = TEST_TOTP_SECRET) -> Authenticator:
    """Give `user` a TOTP authenticator the way allauth's activation does (the
    secret stored encrypted), so roles that require MFA get past the MFA
    middleware."""
    return TOTP.activate(user, secret).instance


def member_with_mfa(organisation: Organisation, role: str) -> User:
    """A user holding `role` in `organisation`, enrolled in MFA."""
    user = member(organisation, role)
    enrol_totp(user)
    return user


def sign_in_with_totp(client, user: User, password: str, secret: str = TEST_TOTP_SECRET) -> None:
    """Sign `user` in through allauth's real flow: password, then the TOTP
    code (force_login records no MFA step, which the Django admin requires)."""
    from django.urls import reverse

    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302, "the TOTP step failed"
    assert client.session["_auth_user_id"] == str(user.pk)
