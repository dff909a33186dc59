"""Loading the reference organisations shipped with the portal.

`organisations/data/` holds our own copy of the public facts: NHS England,
its Health & Justice directorate, the 7 regions, every ICB since July 2022
with its ODS code and dates, and the successions of 1 April 2026. Loading is
idempotent: it matches on codes, updates what changed (a renamed ICB keeps
its row), creates what is missing, and writes an audit event for each change.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation, OrganisationKind, Succession
from organisations.permissions import can_manage_organisations, permission_require

DATA_DIR = Path(__file__).resolve().parent / "data"

NATIONAL_CODE = "X24"  # NHS England's ODS code
NATIONAL_NAME = "NHS England"
HEALTH_AND_JUSTICE_CODE = "NHSE-HJ"
HEALTH_AND_JUSTICE_NAME = "Health & Justice"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
        )


def _date(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text.strip() else None


def _upsert(
    report: LoadReport,
    actor,
    model,
    *,
    lookup: dict,
    values: dict,
    label: str,
    action: str,
    organisation: Organisation | None = None,
):
    """Create the row matching `lookup`, or bring its `values` up to date, with
    an audit event for whatever changed. The audit event belongs to
    `organisation`, or to the row itself when it is an organisation."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values)
        changes = {k: [None, v] for k, v in values.items()}
        verb = "created"
    else:
        changes = field_changes(row, values)
        verb = "updated"
        if not changes:
            report.unchanged += 1
            return row
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction(f"{action}.{verb}"),
        target=row,
        organisation=organisation or row,
        changes=changes,
        reason="reference data",
    )
    (report.created if verb == "created" else report.updated).append(label)
    return row


def _upsert_organisation(report: LoadReport, actor, *, code: str, values: dict) -> Organisation:
    return _upsert(
        report,
        actor,
        Organisation,
        lookup={"code": code},
        values=values,
        label=code,
        action="organisation",
    )


def reference_data_load(*, actor, data_dir: Path = DATA_DIR) -> LoadReport:
    """Bring the reference organisations and successions in line with the data files."""
    permission_require(
        can_manage_organisations(actor), "Only the national admin can load reference data."
    )
    report = LoadReport()
    with (data_dir / "icbs.csv").open(newline="", encoding="utf-8") as f:
        icb_rows = list(csv.DictReader(f))
    with (data_dir / "icb_successions.csv").open(newline="", encoding="utf-8") as f:
        succession_rows = list(csv.DictReader(f))

    with transaction.atomic():
        national = _upsert_organisation(
            report,
            actor,
            code=NATIONAL_CODE,
            values={"kind": OrganisationKind.NATIONAL, "name": NATIONAL_NAME, "parent": None},
        )
        _upsert_organisation(
            report,
            actor,
            code=HEALTH_AND_JUSTICE_CODE,
            values={
                "kind": OrganisationKind.DIRECTORATE,
                "name": HEALTH_AND_JUSTICE_NAME,
                "parent": national,
            },
        )
        regions: dict[str, Organisation] = {}
        for row in icb_rows:
            code = row["region_code"].strip()
            if code not in regions:
                regions[code] = _upsert_organisation(
                    report,
                    actor,
                    code=code,
                    values={
                        "kind": OrganisationKind.REGION,
                        "name": row["region_name"].strip(),
                        "parent": national,
                    },
                )
        icbs: dict[str, Organisation] = {}
        for row in icb_rows:
            code = row["icb_ods_code"].strip()
            icbs[code] = _upsert_organisation(
                report,
                actor,
                code=code,
                values={
                    "kind": OrganisationKind.ICB,
                    "name": row["icb_name"].strip(),
                    "parent": regions[row["region_code"].strip()],
                    "established": _date(row["established"]),
                    "closed": _date(row["closed"]),
                },
            )
        for row in succession_rows:
            _upsert_succession(report, actor, row, icbs)
    return report


def _upsert_succession(report: LoadReport, actor, row: dict, icbs: dict) -> None:
    predecessor = icbs[row["predecessor_ods_code"].strip()]
    successor = icbs[row["successor_ods_code"].strip()]
    _upsert(
        report,
        actor,
        Succession,
        lookup={"predecessor": predecessor, "successor": successor},
        values={"date": _date(row["succession_date"]), "kind": row["kind"].strip()},
        label=f"{predecessor.code}->{successor.code}",
        action="succession",
        organisation=successor,
    )
