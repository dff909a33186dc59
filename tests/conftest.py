"""Shared fixtures: the reference organisations and the shipped toolkits are
loaded once into the test database (each test's changes roll back), and
`reference` / `toolkit` reload them if a transactional test flushed them."""

import contextlib
import email
import email.policy
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from assurance.models import ToolkitVersion
from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor
from organisations.models import Organisation
from organisations.reference_data import NATIONAL_CODE, reference_data_load
from saaf.celery import app


def _own_redis_database():
    """Each pytest-xdist process takes its own Redis database (gw0 the one
    given, gw1 the next): the tests clear the cache, which empties the whole
    database, and purge the Celery queue; neither may touch another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not django_settings.REDIS_URL or not worker.startswith("gw"):
        return
    parts = urlsplit(django_settings.REDIS_URL)
    number = (int(parts.path.strip("/") or 0) + int(worker[2:])) % 16
    url = urlunsplit(parts._replace(path=f"/{number}"))
    django_settings.REDIS_URL = url
    django_settings.CACHES["default"]["LOCATION"] = url
    django_settings.CELERY_BROKER_URL = django_settings.CELERY_RESULT_BACKEND = url
    app.conf.broker_url = app.conf.result_backend = url


_own_redis_database()


def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(item.fixturenames))


def _reads_the_history(item) -> bool:
    return "shared_history" in item.fixturenames


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The readers of the reports' shared national history run first, one
    after another, so it is made once (tests/reporting/conftest.py). Tests
    that flush the database (`transaction=True`, the live server's) run
    last: a flush takes the reference organisations and toolkits loaded
    once per run, and every test after it would load them again inside its
    own transaction (about 0.7 s each)."""
    items.sort(key=lambda item: (_flushes_the_database(item), not _reads_the_history(item)))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from assurance.toolkit_content import toolkit_content_load

    with django_db_blocker.unblock():
        reference_data_load(actor=system_actor())
        # Loading both toolkits costs ~0.4 s: once per run, not once per test.
        toolkit_content_load(actor=system_actor())


def reference_data_ensure() -> None:
    """The reference organisations and the shipped toolkits (with their
    periods), loaded again if a transactional test's flush took them: for
    the fixtures below and the module-scoped ones that build on them."""
    if not Organisation.objects.filter(code=NATIONAL_CODE).exists():
        reference_data_load(actor=system_actor())
    if not ToolkitVersion.objects.exists():
        toolkit_content_load(actor=system_actor())


@pytest.fixture
def generator_allowed(settings):
    """DEBUG on: `generate_national_data` refuses production mode, and pytest
    runs Django with DEBUG off."""
    settings.DEBUG = True


@pytest.fixture
def reference(db):
    """The reference organisations, by code: reference["QMJ"]."""
    reference_data_ensure()
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
    from assurance import demo_england, demo_history
    from organisations import demo
    from reporting import demo as reporting_demo
    from reviews import demo as reviews_demo

    # The rest of England's history, registers, reviews and reports go with
    # London's history.
    history = {
        demo_history.populate,
        demo_england.populate,
        reviews_demo.populate_england,
        reporting_demo.populate_england,
    }
    without = [p for p in demo.demo_populators() if p not in history]
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
    loaded once per run (tests/conftest.py), again only after a flush (above)."""
    return {v.financial_year: v for v in ToolkitVersion.objects.all()}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Evidence files a test uploads (the demo included) go to its own folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_tasks():
    """Tasks run in the test's process whatever the pass (the PostgreSQL pass
    has a real broker; a real worker runs them only where a test starts one)."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def real_worker(settings):
    """`with real_worker(): ...` runs a Celery worker on Redis in a thread of
    the test's process for the block (PostgreSQL pass only). The queue is
    emptied first: tasks a test's set-up queued with no worker to run them
    are not its business."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: scripts/test runs it in the PostgreSQL pass")
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping the worker start uses)
    from celery.contrib.testing.worker import start_worker

    assert not app.conf.task_always_eager

    @contextlib.contextmanager
    def running(pool="solo", **options):
        app.control.purge()
        with start_worker(app, pool=pool, shutdown_timeout=30, **options) as worker:
            yield worker

    return running


@pytest.fixture
def filed_mail(settings, tmp_path):
    """E-mail goes to files (as a real worker, another thread, cannot use the
    test's outbox); calling the fixture reads back every message sent."""
    folder = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)

    def messages():
        # One file per connection, messages separated by a line of 79 dashes.
        found = []
        for path in sorted(folder.glob("*.log")):
            for part in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if part.strip():
                    found.append(email.message_from_bytes(part, policy=email.policy.default))
        return found

    return messages
