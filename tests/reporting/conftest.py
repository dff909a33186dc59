"""Fixtures for the annual reports: a history of submitted returns (the
generated national history, through its bulk writer), and the people who
write, sign and read the reports."""

import datetime

import pytest
from django.db import transaction

from assurance.national_history import national_history_generate
from organisations.models import Role
from organisations.reference_data import NATIONAL_CODE
from tests.assurance.conftest import with_totp
from tests.conftest import reference_data_ensure
from tests.factories import member

# Late enough that every quarter of 2025/26 has closed, so 2025/26 is whole.
HISTORY_DAY = datetime.date(2026, 9, 15)
YEAR = 2025
# From 2023/24: twelve quarters to 2025/26 (enough for an XmR chart), both
# sides of the April 2026 reorganisation, and a fifth quicker to make than
# the whole history since 2022.
HISTORY_SINCE = 2023


@pytest.fixture
def history(reference, toolkit, settings):
    """Every ICB's returns from Q1 2023/24 to Q1 2026/27, as generated."""
    return national_history_generate(seed=17, today=HISTORY_DAY, since=HISTORY_SINCE)


# The modules that read the shared history below run in one process, one
# after another (`--dist loadgroup`; pytest is pinned to 9.1: pytest 9.2
# drops the group, pytest-xdist issue 1386), and before every other test
# (tests/conftest.py orders them), so the history is made once per run.
HISTORY_GROUP = "national_history"


@pytest.fixture(scope="package")
def shared_history(django_db_setup, django_db_blocker):
    """The same history made once for the modules whose tests only read it
    (about 15 s on PostgreSQL): made in a transaction rolled back when the
    run leaves this package, inside which each test's own transaction (and
    a module's own additions) is a savepoint. Not for `transaction=True`
    tests, whose flush it would meet."""
    with django_db_blocker.unblock(), transaction.atomic():
        reference_data_ensure()  # a transactional test in this process may have flushed it
        yield national_history_generate(seed=17, today=HISTORY_DAY, since=HISTORY_SINCE)
        transaction.set_rollback(True)


@pytest.fixture
def london(reference):
    return reference["Y56"]


@pytest.fixture
def lead(london):
    return with_totp(member(london, Role.REGIONAL_LEAD))


@pytest.fixture
def chief_nurse(london):
    return member(london, Role.REGIONAL_CHIEF_NURSE)


@pytest.fixture
def national_admin(reference):
    return with_totp(member(reference[NATIONAL_CODE], Role.NATIONAL_ADMIN))


@pytest.fixture
def nssg(reference):
    return member(reference[NATIONAL_CODE], Role.NSSG_MEMBER)


from tests.assurance.conftest import submissions_purged_after  # noqa: E402, F401
