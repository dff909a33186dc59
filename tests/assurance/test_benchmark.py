"""`manage.py benchmark` on tiny generated data: every entry measured and
reported, as a table and as JSON, the load included (5 users for 5 seconds
against a real gunicorn, so the data is committed: a transactional test), and
nothing left behind. Timings mean something only on PostgreSQL, so it runs in
the PostgreSQL pass (the whole run is heavy). Timings are never asserted: the
machine is shared."""

import datetime
import json

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection

from assurance.benchmark import BENCHMARK_EMAIL, ENTRIES
from assurance.benchmark_load import LOAD_EMAIL_PREFIX
from assurance.models import QuarterlyReturn, ReportingPeriod, ReturnComment
from assurance.national_data import national_data_generate
from organisations.audit import system_actor
from organisations.models import ApiToken, User
from organisations.reference_data import reference_data_load

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The benchmark is measured on PostgreSQL."
)


LOAD_KEYS = {"users", "seconds", "requests", "errors", "p50_ms", "p95_ms", "floor_p95_ms", "ratio"}


def _children() -> set[int]:
    """This process's gunicorn and locust descendants (psutil comes with
    locust). Only theirs: a browser test earlier in the process leaves its
    Chromium running, whose helper processes come and go on their own."""
    import psutil

    found = set()
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:  # gone meanwhile
            continue
        if "gunicorn" in command or "locust" in command:
            found.add(child.pid)
    return found


@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_every_entry_is_measured_and_reported(settings, tmp_path, capsys):
    settings.DEBUG = True
    # As `migrate` leaves a database (the test session's loads the toolkits):
    # no toolkit, the history makes the versions and periods it needs.
    call_command("flush", interactive=False, verbosity=0)
    reference_data_load(actor=system_actor())
    # The history's last two years: every entry has something to measure.
    national_data_generate(
        providers=40,
        scale=2,
        seed=2,
        today=datetime.date.today(),
        history=True,
        history_since=datetime.date.today().year - 1,
    )
    # The drafts of the periods open today, which the history made (the
    # reference data alone has none).
    today = datetime.date.today()
    open_now = ReportingPeriod.objects.filter(opens_on__lte=today, closes_on__gte=today)
    assert open_now.exists()
    for period in open_now:
        assert QuarterlyReturn.objects.filter(period=period, submissions__isnull=True).exists()
    before = _children()
    path = tmp_path / "benchmark.json"
    call_command(
        "benchmark", "--runs", "1", "--load-users", "5", "--load-seconds", "5",
        "--json", str(path),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert {
        "floor",
        "register_national",
        "register_region",
        "register_icb",
        "register_export_national",
        "return_task_list",
        "return_section",
        "return_submit",
        "return_validation",
        "return_comment_post",
        "return_workbook",
        "return_versions",
        "return_version_detail",
        "return_version_compare",
        "heatmap_national",
        "heatmap_region",
        "api_returns_list",
        "rollup_national",
        "pdf_national",
        "load",
    } <= set(ENTRIES)
    for name in ENTRIES:
        assert f"\n{name} " in out
    assert "40 providers" in out and "generated at scale 2" in out
    report = json.loads(path.read_text())
    assert report["database"] == "postgresql"
    assert report["data"]["providers"] == 40 and report["data"]["synthetic_icbs"] > 0
    assert report["data"]["scale"] == 2
    assert report["data"]["returns"] > 0 and report["data"]["answers"] > 0
    # The comment posts were rolled back with the rest.
    assert not ReturnComment.objects.filter(text__startswith="Benchmark:").exists()
    # With the returns' history generated, no entry lacks something to measure.
    assert report["skipped"] == {}
    assert set(report["entries"]) == set(ENTRIES)
    for name, measured in report["entries"].items():
        if name == "load":  # timed by locust, not by the test client (below)
            continue
        assert measured["median_ms"] > 0 and measured["queries"] > 0, name
        assert measured["floor_ratio"] > 0
    assert report["entries"]["floor"]["floor_ratio"] == 1
    api = report["entries"]["api_returns_list"]
    assert api["path"] == "/api/v1/returns/"  # its floor target is checked at scale 1 only
    for name in ("rollup_national", "pdf_national"):
        assert report["entries"][name]["peak_rss_mb"] > 0, name

    load = report["entries"]["load"]
    assert set(load) >= LOAD_KEYS
    assert load["users"] == 5 and load["seconds"] == 5
    assert load["errors"] == 0 and load["targets"]["0 errors"] is True
    assert load["requests"] > 0
    assert load["requests"] == sum(page["requests"] for page in load["pages"].values())
    # Each user opens the floor first: the floor's p95 under load is known.
    assert load["pages"]["floor"]["requests"] >= 5
    assert load["p50_ms"] > 0 and load["p95_ms"] >= load["p50_ms"]
    assert load["floor_p95_ms"] > 0
    assert load["ratio"] == pytest.approx(load["p95_ms"] / load["floor_p95_ms"])
    assert "5 users, 5 s" in out

    # Its national admin and sessions were rolled back; the load's users,
    # tokens and sessions deleted; gunicorn and locust stopped.
    assert not User.objects.filter(email=BENCHMARK_EMAIL).exists()
    assert not User.objects.filter(email__startswith=LOAD_EMAIL_PREFIX).exists()
    assert not ApiToken.objects.exists() and not Session.objects.exists()
    assert _children() <= before

    # Against a baseline (here the same data), the scale targets are checked.
    again = tmp_path / "again.json"
    call_command(
        "benchmark", "--runs", "1", "--only", "register_national", "--baseline", str(path),
        "--json", str(again),
    )  # fmt: skip
    assert "× baseline" in capsys.readouterr().out
    national = json.loads(again.read_text())["entries"]["register_national"]
    assert national["targets"]["same queries as baseline"] is True
    assert "≤ 10× baseline" in national["targets"]
    assert national["baseline_ratio"] > 0


def test_the_floor_target_is_checked_at_scale_one(reference, settings, tmp_path):
    settings.DEBUG = True
    national_data_generate(providers=20, seed=3, today=datetime.date.today())
    path = tmp_path / "benchmark.json"
    call_command("benchmark", "--runs", "1", "--only", "register_national", "--json", str(path))
    entries = json.loads(path.read_text())["entries"]
    assert set(entries) == {"floor", "register_national"}
    national = entries["register_national"]
    assert set(national["targets"]) == {"≤ 5× floor"}
    # A page's multiple is of the floor timed in turn with it, not of the
    # floor's own run a while before.
    assert national["floor_ms"] > 0 and entries["floor"]["floor_ms"] is None
    assert national["floor_ratio"] == pytest.approx(national["median_ms"] / national["floor_ms"])


def test_the_load_is_skipped_where_a_server_cannot_see_the_data(reference, tmp_path):
    # A test's transaction: another process would see none of its rows.
    path = tmp_path / "benchmark.json"
    call_command("benchmark", "--runs", "1", "--only", "load", "--json", str(path))
    report = json.loads(path.read_text())
    assert set(report["entries"]) == {"floor"}
    assert "transaction" in report["skipped"]["load"]
