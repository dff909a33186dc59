"""`manage.py benchmark` on tiny generated data: every entry measured and
reported, as a table and as JSON, and nothing left behind. Timings mean
something only on PostgreSQL, so it runs in the PostgreSQL pass."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection

from assurance.benchmark import BENCHMARK_EMAIL, ENTRIES
from assurance.models import ReturnComment
from assurance.national_data import national_data_generate
from organisations.models import User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The benchmark is measured on PostgreSQL."
)


def test_every_entry_is_measured_and_reported(reference, settings, tmp_path, capsys):
    settings.DEBUG = True
    national_data_generate(providers=40, scale=2, seed=2, today=datetime.date.today(), history=True)
    path = tmp_path / "benchmark.json"
    call_command("benchmark", "--runs", "1", "--json", str(path))
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
        assert measured["median_ms"] > 0 and measured["queries"] > 0, name
        assert measured["floor_ratio"] > 0
    assert report["entries"]["floor"]["floor_ratio"] == 1
    # Its national admin and sessions were rolled back.
    assert not User.objects.filter(email=BENCHMARK_EMAIL).exists()

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
    assert set(entries["register_national"]["targets"]) == {"≤ 5× floor"}
