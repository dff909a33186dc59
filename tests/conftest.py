"""Shared fixtures: the reference organisations and the shipped toolkits are
loaded once into the test database (each test's changes roll back), and
`reference` / `toolkit` reload them if a transactional test flushed them."""

import pytest
from django.core.cache import cache

from assurance.models import ToolkitVersion
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Organisation
from organisations.reference_data import NATIONAL_CODE, reference_data_load


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from assurance.toolkit_content import toolkit_content_load

    with django_db_blocker.unblock():
        reference_data_load(actor=system_actor())
        # Loading both toolkits costs ~0.4 s: once per run, not once per test.
        toolkit_content_load(actor=system_actor())


@pytest.fixture
def reference(db):
    """The reference organisations, by code: reference["QMJ"]."""
    if not Organisation.objects.filter(code=NATIONAL_CODE).exists():
        reference_data_load(actor=system_actor())
    return {org.code: org for org in Organisation.objects.all()}


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits live in the cache: start every test with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _demo_without_history(request, monkeypatch):
    # The demo's returns history is made through the services, step by step
    # (about 15 s): `load_demo_data` leaves it out unless a test asks for it
    # with the `with_demo_history` fixture.
    if "with_demo_history" in request.fixturenames:
        return
    from assurance import demo_history
    from organisations import demo

    without = [p for p in demo.demo_populators() if p is not demo_history.populate]
    monkeypatch.setattr(demo, "_demo_populators", without)


@pytest.fixture
def with_demo_history():
    """`load_demo_data` makes the London returns' history too (see above)."""


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at full strength makes every factory user cost a tenth of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def toolkit(reference):
    """The shipped 2025/26 and 2026/27 versions and their periods, by start year:
    loaded once per run (tests/conftest.py), again only after a flush."""
    if not ToolkitVersion.objects.exists():
        toolkit_content_load(actor=system_actor())
    return {v.financial_year: v for v in ToolkitVersion.objects.all()}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Evidence files a test uploads (the demo included) go to its own folder.
    settings.MEDIA_ROOT = tmp_path / "media"
