"""Fixtures for the API: a client that speaks JSON with a token or a session."""

import pytest
from rest_framework.test import APIClient

from assurance.models import ReportingPeriod
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from organisations.tokens import api_token_create
from tests.factories import enrol_totp, member, member_with_mfa


@pytest.fixture
def q3(toolkit):
    return ReportingPeriod.objects.get(financial_year=2026, quarter=3)


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


@pytest.fixture
def approver(reference):
    user = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    enrol_totp(user)
    return user


@pytest.fixture
def lead(reference):
    user = member(reference["Y56"], Role.REGIONAL_LEAD)
    enrol_totp(user)
    return user


@pytest.fixture
def people(reference, toolkit):
    """One of each role that reads or writes the annual reports, MFA enrolled."""
    return {
        "admin": member_with_mfa(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN),
        "nssg": member_with_mfa(reference[NATIONAL_CODE], Role.NSSG_MEMBER),
        "lead": member_with_mfa(reference["Y56"], Role.REGIONAL_LEAD),
        "nurse": member_with_mfa(reference["Y56"], Role.REGIONAL_CHIEF_NURSE),
        "midlands": member_with_mfa(reference["Y60"], Role.REGIONAL_LEAD),
        "editor": member_with_mfa(reference["Z9B2Z"], Role.ICB_EDITOR),
    }


def token_client(user, name="Assurance system", days=30) -> APIClient:
    """A client holding a fresh token of `user`'s, as a system would."""
    _, secret = api_token_create(actor=user, user=user, name=name, days=days)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def session_client(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client
