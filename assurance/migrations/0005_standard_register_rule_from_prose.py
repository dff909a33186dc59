"""Turn each standard's prose register finding into its register rule.

The six texts the shipped toolkit used are mapped exactly (a published
version keeps meaning what it meant: the rule says what the prose said, in
fields). Any other text, which the national admin may have typed into a
draft, is read for the groups, findings and scope it names, and kept as the
register note so nothing it said is lost; if it names no group, the standard
keeps only the note, and the standard form asks for the rule before the
standard can be saved again.

The mapping lives here, not in the app, so the migration means the same
thing whatever the app's code becomes.
"""

import re

from django.db import migrations

MISSING_OR_VACANT = ["missing", "vacant"]

# The prose of the shipped toolkit (both versions, and drafts copied from
# them) and the rule each one meant.
SHIPPED = {
    "ICB designated posts filled": {
        "groups": ["designated"],
        "findings": MISSING_OR_VACANT,
        "scope": "icb",
    },
    "ICB named GP posts filled": {
        "groups": ["named_gp"],
        "findings": MISSING_OR_VACANT,
        "scope": "icb",
    },
    "supervision within the interval for every designated and named post of the ICB and "
    "its providers": {
        "groups": ["designated", "named_gp", "named"],
        "findings": ["supervision_overdue"],
        "scope": "icb_and_providers",
    },
    # DP4's statement lists the whole provider set: named professionals, the
    # MCA lead, the Prevent lead and the executive lead.
    "required named posts filled in every provider the ICB leads": {
        "groups": ["named", "mca", "prevent", "leadership"],
        "findings": MISSING_OR_VACANT,
        "scope": "providers",
    },
    "designated MCA lead (ICB) and MCA lead (providers) filled": {
        "groups": ["mca"],
        "findings": MISSING_OR_VACANT,
        "scope": "icb_and_providers",
    },
    "Prevent lead filled in the ICB and every provider it leads": {
        "groups": ["prevent"],
        "findings": MISSING_OR_VACANT,
        "scope": "icb_and_providers",
    },
}
BY_TEXT = {re.sub(r"\s+", " ", text).lower(): rule for text, rule in SHIPPED.items()}
GROUP_ORDER = ["designated", "named_gp", "named", "mca", "prevent", "leadership"]
FINDING_ORDER = ["missing", "vacant", "supervision_overdue", "below_level"]


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".").lower()


def _read(text: str) -> dict:
    """The rule an unfamiliar text names, as far as its words say."""
    groups = set()
    if "mca" in text:
        groups.add("mca")
    if re.search(r"designated(?! mca)", text):
        groups.add("designated")
    if "named gp" in text:
        groups.add("named_gp")
    if re.search(r"named(?! gp)", text):
        groups.add("named")
    if "prevent" in text:
        groups.add("prevent")
    if "executive" in text:
        groups.add("leadership")
    findings = set()
    if "supervis" in text:
        findings.add("supervision_overdue")
    if "training" in text or "level" in text:
        findings.add("below_level")
    if any(word in text for word in ("filled", "in post", "vacan", "missing")) or not findings:
        findings.update(MISSING_OR_VACANT)
    if "provider" not in text:
        scope = "icb"
    elif groups and groups <= {"named"}:
        scope = "providers"
    else:
        scope = "icb_and_providers"
    return {
        "groups": [g for g in GROUP_ORDER if g in groups],
        "findings": [f for f in FINDING_ORDER if f in findings] if groups else [],
        "scope": scope,
    }


def rule_from_prose(prose: str) -> dict:
    """The register fields for a prose register finding: groups, findings,
    scope and the note to keep (only for a text that is not a shipped one)."""
    text = _normalised(prose)
    if not text:
        return {"groups": [], "findings": [], "scope": "icb_and_providers", "note": ""}
    if text in BY_TEXT:
        return {**BY_TEXT[text], "note": ""}
    return {**_read(text), "note": prose.strip()[:300]}


def forwards(apps, schema_editor):
    Standard = apps.get_model("assurance", "Standard")
    changed = []
    for standard in Standard.objects.exclude(register_finding=""):
        rule = rule_from_prose(standard.register_finding)
        standard.register_groups = rule["groups"]
        standard.register_findings = rule["findings"]
        standard.register_scope = rule["scope"]
        standard.register_note = rule["note"]
        changed.append(standard)
    Standard.objects.bulk_update(
        changed, ["register_groups", "register_findings", "register_scope", "register_note"]
    )


def backwards(apps, schema_editor):
    """Back to prose: the shipped text for a shipped rule, else the note, else
    the rule's fields spelt out."""
    Standard = apps.get_model("assurance", "Standard")
    prose = {
        (tuple(r["groups"]), tuple(r["findings"]), r["scope"]): text
        for text, r in SHIPPED.items()
    }
    changed = []
    for standard in Standard.objects.all():
        if not standard.register_groups and not standard.register_note:
            continue
        key = (
            tuple(standard.register_groups),
            tuple(standard.register_findings),
            standard.register_scope,
        )
        standard.register_finding = (
            standard.register_note
            or prose.get(key)
            or f"{', '.join(key[0])}: no {' or '.join(key[1])} ({key[2]})"
        )[:300]
        changed.append(standard)
    Standard.objects.bulk_update(changed, ["register_finding"])


class Migration(migrations.Migration):
    dependencies = [("assurance", "0004_standard_register_rule")]

    operations = [migrations.RunPython(forwards, backwards)]
