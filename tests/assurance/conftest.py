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


@pytest.fixture
def submissions_purged_after(transactional_db):
    """For a `transaction=True` test that submits a return. The flush that
    ends such a test DELETEs every row on SQLite, which the immutability
    triggers refuse; this empties the submission tables with the triggers
    lifted, then puts them back. (PostgreSQL's flush is a TRUNCATE, which
    fires no DELETE trigger.)"""
    import importlib

    from django.db import connection

    yield
    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("assurance.migrations.0007_return_submissions")
    with connection.schema_editor() as editor:
        migration.triggers_drop(None, editor)
    with connection.cursor() as cursor:
        # The counts the triggers keep refer to the submissions: emptied first.
        cursor.execute("DELETE FROM assurance_submittedsection")
        for table in reversed(migration.TABLES):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our own table names)
    with connection.schema_editor() as editor:
        migration.triggers_create(None, editor)
