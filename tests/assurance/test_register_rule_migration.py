"""The migration from prose to register rules: every standard of the shipped
toolkit that had a register finding gets the rule the file now ships, and a
text the admin typed is read and kept as the note."""

import importlib
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assurance.toolkit_content import toolkit_content_read

# Generated national data or a migration run: once, in the PostgreSQL pass.
pytestmark = pytest.mark.heavy

MIGRATIONS = Path(__file__).resolve().parents[2] / "assurance" / "migrations"


def _migration(suffix: str) -> str:
    # Found by name, so the lead may renumber them at merge.
    [path] = MIGRATIONS.glob(f"[0-9][0-9][0-9][0-9]_{suffix}.py")
    return path.stem


SCHEMA = _migration("standard_register_rule")
DATA = _migration("standard_register_rule_from_prose")
conversion = importlib.import_module(f"assurance.migrations.{DATA}")
BEFORE = importlib.import_module(f"assurance.migrations.{SCHEMA}").Migration.dependencies[0]

# The register findings the shipped toolkit had as prose, before this change.
SHIPPED_PROSE = {
    "DP1": "ICB designated posts filled",
    "DP2": "ICB named GP posts filled",
    "DP3": "supervision within the interval for every designated and named post of the ICB "
    "and its providers",
    "DP4": "required named posts filled in every provider the ICB leads",
    "MC1": "designated MCA lead (ICB) and MCA lead (providers) filled",
    "PV1": "Prevent lead filled in the ICB and every provider it leads",
}


def _shipped_rule(code: str) -> dict:
    values = toolkit_content_read()["standard"][code]
    return {
        "groups": values["register_groups"],
        "findings": values["register_findings"],
        "scope": values["register_scope"],
        "note": values["register_note"],
    }


def test_the_prose_standards_are_the_ruled_ones():
    ruled = {c for c, v in toolkit_content_read()["standard"].items() if v["register_groups"]}
    assert ruled == set(SHIPPED_PROSE)


@pytest.mark.parametrize("code", sorted(SHIPPED_PROSE))
def test_each_shipped_text_becomes_the_shipped_rule(code):
    assert conversion.rule_from_prose(SHIPPED_PROSE[code]) == _shipped_rule(code)
    # Case and spacing do not matter; the text was the same in both versions.
    assert conversion.rule_from_prose(f"  {SHIPPED_PROSE[code].upper()}. ") == _shipped_rule(code)


def test_a_typed_text_is_read_and_kept_as_the_note():
    assert conversion.rule_from_prose("Named GP for adults in post") == {
        "groups": ["named_gp"],
        "findings": ["missing", "vacant"],
        "scope": "icb",
        "note": "Named GP for adults in post",
    }
    assert conversion.rule_from_prose("Every provider's named nurse supervised")["scope"] == (
        "providers"
    )
    no_group = conversion.rule_from_prose("See the annual report")
    assert (no_group["groups"], no_group["findings"], no_group["note"]) == (
        [],
        [],
        "See the annual report",
    )
    assert conversion.rule_from_prose("")["groups"] == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_loaded_toolkit():
    """Back to the schema before the rule, a version as the shipped toolkit
    loaded it (prose on six standards, none on the others, one text typed by
    the admin), then forward: every standard that had prose has its rule."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    version = old.get_model("assurance", "ToolkitVersion").objects.create(financial_year=2031)
    section = old.get_model("assurance", "Section").objects.create(
        version=version, code="DP", title="Designated and named professionals"
    )
    Standard = old.get_model("assurance", "Standard")
    for code, text in {**SHIPPED_PROSE, "LG1": "", "X9": "Named GP for adults in post"}.items():
        Standard.objects.create(
            version=version, section=section, code=code, statement="S", register_finding=text
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    converted = {
        s.code: {
            "groups": s.register_groups,
            "findings": s.register_findings,
            "scope": s.register_scope,
            "note": s.register_note,
        }
        for s in new.get_model("assurance", "Standard").objects.filter(version__pk=version.pk)
    }
    for code in SHIPPED_PROSE:
        assert converted[code] == _shipped_rule(code), code
        assert converted[code]["groups"] and converted[code]["findings"]
    assert converted["LG1"]["groups"] == [] and converted["LG1"]["note"] == ""
    assert converted["X9"]["groups"] == ["named_gp"]
    assert converted["X9"]["note"] == "Named GP for adults in post"
