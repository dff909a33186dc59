"""`manage.py benchmark` on tiny generated data: every entry measured and
reported, as a table and as JSON, and nothing left behind. Timings mean
something only on PostgreSQL, so it runs in the PostgreSQL pass."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection

from assurance.benchmark import BENCHMARK_EMAIL, ENTRIES
from assurance.national_data import national_data_generate
from organisations.models import User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The benchmark is measured on PostgreSQL."
)


def test_every_entry_is_measured_and_reported(reference, settings, tmp_path, capsys):
    settings.DEBUG = True
    national_data_generate(providers=40, scale=2, seed=2, today=datetime.date.today())
    path = tmp_path / "benchmark.json"
    call_command("benchmark", "--runs", "1", "--json", str(path))
    out = capsys.readouterr().out
    assert {
        "floor",
        "register_national",
        "register_region",
        "register_icb",
        "register_export_national",
    } <= set(ENTRIES)
    for name in ENTRIES:
        assert f"\n{name} " in out
    assert "40 providers" in out and "scale 2, seed 2" in out
    report = json.loads(path.read_text())
    assert report["database"] == "postgresql"
    assert report["data"]["providers"] == 40 and report["data"]["synthetic_icbs"] > 0
    assert set(report["entries"]) == set(ENTRIES)
    for name, measured in report["entries"].items():
        assert measured["median_ms"] > 0 and measured["queries"] > 0, name
        assert measured["floor_ratio"] > 0
    assert report["entries"]["floor"]["floor_ratio"] == 1
    assert report["entries"]["register_national"]["target_ratio"] == 5
    # Its national admin and sessions were rolled back.
    assert not User.objects.filter(email=BENCHMARK_EMAIL).exists()
