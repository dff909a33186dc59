"""Fixtures for the toolkit and the reporting periods: the shipped content is
loaded through its loader, and states are reached through the services."""

import pytest

from assurance.services.toolkit import toolkit_version_copy
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.factories import enrol_totp, member


def with_totp(user):
    """Give a user an authenticator, so the MFA middleware lets them through."""
    enrol_totp(user)
    return user


@pytest.fixture
def national_admin(reference):
    return with_totp(member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN))


@pytest.fixture
def draft(toolkit, national_admin):
    """The 2027/28 draft, copied from 2026/27."""
    return toolkit_version_copy(actor=national_admin, source=toolkit[2026])
