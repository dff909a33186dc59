"""The shipped toolkit: loaded as two published versions with its codes, and
loading again changes nothing, not even when the file's wording has moved."""

from pathlib import Path

import pytest
from django.core.management import call_command

from assurance.models import Metric, ReportingPeriod, Section, Standard, ToolkitVersion
from assurance.toolkit_content import DATA_FILE, toolkit_content_load
from organisations.audit import system_actor
from organisations.models import AuditEvent


def test_shipped_versions_hold_the_starting_content(toolkit):
    assert set(toolkit) == {2025, 2026}
    for version in toolkit.values():
        assert version.is_published
        assert version.published_at is not None
        assert version.sections.count() == 17
        assert version.standards.count() == 58
        assert version.metrics.count() == 16
    v = toolkit[2026]
    assert v.label == "2026/27"
    lg5 = v.standards.get(code="LG5")
    assert lg5.section.code == "LG"
    assert lg5.theme == 1
    dp1 = v.standards.get(code="DP1")
    assert (dp1.register_groups, dp1.register_findings, dp1.register_scope) == (
        ["designated"],
        ["missing", "vacant"],
        "icb",
    )
    prevent = v.metrics.get(code="PREVENT_TRAINED")
    assert (prevent.unit, prevent.higher_is_better, prevent.green, prevent.amber) == (
        "percent",
        True,
        85,
        75,
    )
    overdue = v.metrics.get(code="REVIEW_ACTIONS_OVERDUE")
    assert (overdue.higher_is_better, overdue.green, overdue.amber) == (False, 0, 2)
    assert overdue.is_computed and overdue.computed_from == "reviews_tracker"
    fgm = v.metrics.get(code="FGM_NEW_CASES")
    assert not fgm.is_rated and not fgm.is_computed


def test_both_years_have_their_four_quarters(toolkit):
    periods = ReportingPeriod.objects.all()
    assert [p.label for p in periods] == [
        f"Q{q} {fy}" for fy in ("2025/26", "2026/27") for q in (1, 2, 3, 4)
    ]
    assert all(p.toolkit_version.financial_year == p.financial_year for p in periods)


def _counts():
    return (
        ToolkitVersion.objects.count(),
        Section.objects.count(),
        Standard.objects.count(),
        Metric.objects.count(),
        ReportingPeriod.objects.count(),
        AuditEvent.objects.count(),
    )


def test_loading_twice_changes_nothing(toolkit):
    before = _counts()
    report = toolkit_content_load(actor=system_actor())
    assert not report.changed
    assert report.differences == []
    assert _counts() == before


def test_command_is_idempotent(reference, capsys):
    call_command("load_toolkit")
    before = _counts()
    call_command("load_toolkit")
    assert _counts() == before
    assert "toolkit versions created: none" in capsys.readouterr().out


def test_changed_wording_is_reported_not_applied(toolkit, tmp_path: Path):
    changed = tmp_path / "toolkit.yaml"
    text = DATA_FILE.read_text(encoding="utf-8")
    changed.write_text(
        text.replace(
            "- code: LG1\n        statement: The ICB", "- code: LG1\n        statement: An"
        ),
        encoding="utf-8",
    )
    original = Standard.objects.get(version=toolkit[2026], code="LG1").statement
    before = _counts()
    report = toolkit_content_load(actor=system_actor(), path=changed)
    assert "2026/27: standard LG1 has a different statement." in report.differences
    assert "2025/26: standard LG1 has a different statement." in report.differences
    assert Standard.objects.get(version=toolkit[2026], code="LG1").statement == original
    assert _counts() == before


def test_periods_moved_by_the_admin_are_kept(toolkit):
    period = ReportingPeriod.objects.get(financial_year=2026, quarter=1)
    ReportingPeriod.objects.filter(pk=period.pk).update(closes_on="2026-09-30")
    toolkit_content_load(actor=system_actor())
    period.refresh_from_db()
    assert str(period.closes_on) == "2026-09-30"


@pytest.mark.parametrize("missing", [2025, 2026])
def test_a_missing_version_is_created_again(toolkit, missing):
    ReportingPeriod.objects.filter(financial_year=missing).delete()
    toolkit[missing].delete()
    report = toolkit_content_load(actor=system_actor())
    assert report.created_versions == [toolkit[missing].label]
    assert ToolkitVersion.objects.get(financial_year=missing).standards.count() == 58
