"""`manage.py benchmark`'s `load` entry: concurrent signed-in users against a
real server.

The command starts gunicorn (2 workers, the project's WSGI application) on a
free port of 127.0.0.1 against the database it is measuring, and drives it
with locust, headless (`assurance/benchmark_locustfile.py`): `users`
simulated national admins for `seconds`, each with a session and an API token
of its own, over a mix of the home page, the heatmaps, the largest return's
pages and the API's returns list, with the floor page among them, reading
each page for 5 to 15 seconds before the next. It reports
the requests, the errors (anything but a 200), the median and 95th
percentile response times over every request, the floor page's own 95th
percentile under the same load, and `ratio`, the first p95 over the floor's
(target at scale 1: no errors and a ratio of at most 5).

A server in another process only sees committed rows, so this entry runs
after the benchmark's rolled-back transaction: its users, authenticators,
tokens and sessions are committed, and deleted again at the end whatever
happens; gunicorn and locust are stopped in the same `finally`. Inside a
transaction the server cannot see (a test's), it is skipped.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from assurance.benchmark import (
    Bench,
    BenchmarkError,
    BenchmarkSkipped,
    Measurement,
    _heatmap_period,
    _largest_return,
    _return_args,
    entry,
)
from organisations.models import ApiToken, AuditEvent, Membership, Organisation, Role, User
from organisations.reference_data import NATIONAL_CODE

LOAD_TARGET = 5  # p95 at most this many times the floor's p95, at scale 1
LOAD_EMAIL_PREFIX = "benchmark.load."
LOAD_EMAIL = LOAD_EMAIL_PREFIX + "{n}@saaf.invalid"
DAY = datetime.timedelta(days=1)
LOCUSTFILE = Path(__file__).with_name("benchmark_locustfile.py")
# How often each simulated user picks each page (relative).
WEIGHTS = {
    "home": 3,
    "heatmap_national": 2,
    "heatmap_region": 2,
    "return_task_list": 2,
    "return_section": 2,
    "api_returns_list": 2,
    "floor": 2,
}
# Each simulated user reads a page for this long (uniformly, seconds) before
# the next, as a person does: with one to three seconds, 50 users asked more
# than the 2-core machine serves and every page, the floor included, queued
# for seconds (a ratio near 1 that says nothing about the pages).
THINK_SECONDS = (5, 15)
SERVER_START_SECONDS = 60
STOP_SECONDS = 10


@dataclass
class LoadMeasurement(Measurement):
    users: int = 0
    seconds: int = 0
    think_seconds: tuple[int, int] = THINK_SECONDS
    requests: int = 0
    errors: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    floor_p95_ms: float | None = None
    # Per page: requests, errors, p50_ms, p95_ms.
    pages: dict[str, dict] = field(default_factory=dict)

    def summary(self) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.0f} ms"

        ratio = "-" if self.ratio is None else f"{self.ratio:.1f}"
        return (
            f"{self.users} users, {self.seconds} s: {self.requests} requests, "
            f"{self.errors} errors, p50 {ms(self.p50_ms)}, p95 {ms(self.p95_ms)}, "
            f"floor p95 {ms(self.floor_p95_ms)}, ratio {ratio}"
        )


def _database_url() -> str:
    """The database this process is connected to (a test database too), as a URL."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pages(bench: Bench) -> dict[str, str]:
    period = _heatmap_period()
    ret = _largest_return()
    section = (
        ret.period.toolkit_version.sections.annotate(n=Count("standards"))
        .order_by("-n", "position")
        .first()
    )
    heatmap_args = [period.financial_year, period.quarter]
    return {
        "floor": reverse("usersessions_list"),
        "home": reverse("organisations:home"),
        "heatmap_national": reverse("assurance:heatmap_national", args=heatmap_args),
        "heatmap_region": reverse(
            "assurance:heatmap_region", args=[*heatmap_args, bench.region.code]
        ),
        "return_task_list": reverse("assurance:return_detail", args=_return_args(ret)),
        "return_section": reverse(
            "assurance:return_section", args=[*_return_args(ret), section.code]
        ),
        "api_returns_list": reverse("api:returns"),
    }


def _identities_create(count: int) -> tuple[list[dict], list[str]]:
    """`count` national admins with an authenticator, a session and an API
    token each (committed: the server reads them). Returns what locust needs
    and the session keys, for the clean-up."""
    import pyotp
    from allauth.mfa.totp.internal.auth import TOTP

    from organisations.tokens import TOKEN_PREFIX

    england = Organisation.objects.filter(code=NATIONAL_CODE).first()
    if england is None:
        raise BenchmarkError("Load the reference data first (manage.py load_reference_data).")
    identities, session_keys = [], []
    with transaction.atomic():
        for n in range(count):
            user = User.objects.create_user(LOAD_EMAIL.format(n=n), full_name=f"Load {n}")
            Membership.objects.create(user=user, organisation=england, role=Role.NATIONAL_ADMIN)
            TOTP.activate(user, pyotp.random_base32())
            # The token's row as `api_token_create` makes it, without its
            # audit event: the benchmark's own bookkeeping, deleted after.
            _, secret = ApiToken.objects.create(
                user=user, expiry=DAY, prefix=TOKEN_PREFIX, name="Benchmark load"
            )
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            session_keys.append(session)
            identities.append({"session": session, "token": secret})
    return identities, session_keys


def _identities_delete(session_keys: list[str]) -> None:
    users = User.objects.filter(
        email__startswith=LOAD_EMAIL_PREFIX, email__endswith="@saaf.invalid"
    )
    with transaction.atomic():
        AuditEvent.objects.filter(actor__in=users).delete()
        Session.objects.filter(session_key__in=session_keys).delete()
        users.delete()  # their memberships, authenticators, tokens and usersessions with them


def _server_start(port: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "saaf.settings"),
        "PYTHONUNBUFFERED": "1",
    }
    if settings.REDIS_URL:  # the cache this process uses (a test run picks its own)
        env["REDIS_URL"] = settings.REDIS_URL
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "gunicorn", "saaf.wsgi:application", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: its workers stop with it
    )


def _server_wait(server: subprocess.Popen, url: str, log_path: Path) -> None:
    """Until the server answers (any status), or give up with its log."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchmarkError(f"gunicorn stopped at start:\n{_tail(log_path)}")
        try:
            urllib.request.urlopen(url, timeout=5)  # noqa: S310 (our own http://127.0.0.1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise BenchmarkError(f"gunicorn did not answer in {SERVER_START_SECONDS} s:\n{_tail(log_path)}")


def _warm_up(base: str, pages: dict[str, str], identity: dict) -> None:
    """Each page twice before timing, so both workers (most likely) have
    loaded its templates and opened their database connection."""
    for _ in range(2):
        for name, path in pages.items():
            headers = (
                {"Authorization": f"Bearer {identity['token']}"}
                if name.startswith("api_")
                else {"Cookie": f"{settings.SESSION_COOKIE_NAME}={identity['session']}"}
            )
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as error:
                raise BenchmarkError(f"{path} answered {error.code} before the load.") from None


def _process_stop(process: subprocess.Popen | None, *, group: bool) -> None:
    """Stop a process we started (and, for gunicorn, its workers: its group)."""
    if process is None or process.poll() is not None:
        return
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:  # "N/A": no requests of that page
        return None


def _stats(prefix: Path) -> dict[str, dict]:
    """locust's final stats per request name (and "Aggregated")."""
    path = Path(f"{prefix}_stats.csv")
    if not path.exists():
        raise BenchmarkError("locust wrote no statistics.")
    with path.open(newline="") as stats_file:
        return {
            row["Name"]: {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
            }
            for row in csv.DictReader(stats_file)
        }


def _locust_command(base: str, users: int, seconds: int, prefix: Path) -> list[str]:
    options = {
        "--users": users,
        "--spawn-rate": users,  # all at once: each then waits its turn (start_spread)
        "--run-time": f"{seconds}s",
        "--stop-timeout": 2,  # for requests in flight at the end
        "--host": base,
        "--csv": prefix,
        "--exit-code-on-error": 0,  # errors are counted, not a failure of the run
        "--loglevel": "WARNING",
    }
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    for option, value in options.items():
        command += [option, str(value)]
    return [*command, "--only-summary"]


@entry("load", scale_target=10, committed=True)
def load(bench: Bench) -> Measurement:
    if connection.vendor != "postgresql":
        raise BenchmarkSkipped("the load runs a server on PostgreSQL")
    if connection.in_atomic_block:
        raise BenchmarkSkipped("the data is in a transaction another process cannot see")
    if find_spec("locust") is None or find_spec("gunicorn") is None:
        raise BenchmarkSkipped("locust and gunicorn are not installed (pip install '.[dev]')")
    users, seconds = bench.load_users, bench.load_seconds
    pages = _pages(bench)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = runner = None
    session_keys: list[str] = []
    with tempfile.TemporaryDirectory(prefix="saaf-load-") as folder:
        folder = Path(folder)
        log_path = folder / "server.log"
        try:
            identities, session_keys = _identities_create(users)
            plan = folder / "plan.json"
            plan.write_text(
                json.dumps(
                    {
                        "pages": pages,
                        "weights": WEIGHTS,
                        "think_seconds": THINK_SECONDS,
                        # Users arrive over the first quarter of the run.
                        "start_spread": min(THINK_SECONDS[1], seconds / 4),
                        "identities": identities,
                        "cookie_name": settings.SESSION_COOKIE_NAME,
                    }
                )
            )
            with log_path.open("wb") as log:
                server = _server_start(port, log)
                _server_wait(server, base + pages["floor"], log_path)
                _warm_up(base, pages, identities[0])
                prefix = folder / "locust"
                runner = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                    _locust_command(base, users, seconds, prefix),
                    cwd=folder,
                    env={**os.environ, "SAAF_LOAD_PLAN": str(plan)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                try:
                    _, stderr = runner.communicate(timeout=seconds + 120)
                except subprocess.TimeoutExpired:
                    raise BenchmarkError("locust did not finish in time.") from None
                if runner.returncode != 0:
                    raise BenchmarkError(
                        f"locust failed ({runner.returncode}):\n"
                        + stderr.decode(errors="replace")[-2000:]
                    )
                stats = _stats(prefix)
        finally:
            _process_stop(runner, group=False)
            _process_stop(server, group=True)
            _identities_delete(session_keys)

    total, floor = stats.get("Aggregated", {}), stats.get("floor", {})
    if not total.get("requests"):
        raise BenchmarkError("locust made no requests.")
    measured = LoadMeasurement(
        "load",
        f"{users} users for {seconds} s on gunicorn (2 workers)",
        median_ms=total.get("p50_ms") or 0.0,
        queries=0,
        runs=total.get("requests", 0),
    )
    measured.users, measured.seconds = users, seconds
    measured.requests, measured.errors = total.get("requests", 0), total.get("errors", 0)
    measured.p50_ms, measured.p95_ms = total.get("p50_ms"), total.get("p95_ms")
    measured.floor_p95_ms = floor.get("p95_ms")
    measured.pages = {name: stats[name] for name in pages if name in stats}
    if measured.p95_ms and measured.floor_p95_ms:
        measured.ratio = measured.p95_ms / measured.floor_p95_ms
    measured.targets["0 errors"] = measured.errors == 0
    if measured.ratio is not None:
        measured.targets[f"p95 ≤ {LOAD_TARGET}× the floor's p95"] = measured.ratio <= LOAD_TARGET
    return measured
