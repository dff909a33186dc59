"""Loading the toolkit content shipped with the portal.

`assurance/data/toolkit.yaml` is our own copy of the starting content set
(17 sections, 58 standards, 16 metrics, with their stable codes). It is
loaded as the published 2025/26 and 2026/27 versions, and the quarters of
those years get their reporting periods with the default dates.

Loading is idempotent, and it never changes a published version: a version
that is missing is created from the file; a version that exists is compared
with the file and every difference is reported, not applied. A published
toolkit only changes by the national admin copying it into next year's draft.
Reporting periods that exist are likewise left with the dates the admin set.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from assurance.models import (
    Metric,
    MetricUnit,
    RegisterScope,
    Section,
    Standard,
    ToolkitStatus,
    ToolkitVersion,
    financial_year_label,
)
from assurance.services.toolkit import reporting_periods_ensure, toolkit_audit
from organisations.models import AuditAction

DATA_FILE = Path(__file__).resolve().parent / "data" / "toolkit.yaml"
SHIPPED_FINANCIAL_YEARS = (2025, 2026)

_COMPUTED_FROM = {"posts register": "posts_register", "reviews tracker": "reviews_tracker"}


@dataclass
class ToolkitLoadReport:
    created_versions: list[str] = field(default_factory=list)
    created_periods: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_versions or self.created_periods)

    def summary(self) -> str:
        versions = ", ".join(self.created_versions) or "none"
        return (
            f"toolkit versions created: {versions}; "
            f"reporting periods created: {len(self.created_periods)}; "
            f"differences from the file left unapplied: {len(self.differences)}"
        )


def _threshold(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _theme(value: Any) -> int | None:
    return int(str(value).strip().upper().removeprefix("Q")) if value else None


def _register_rule(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "register_groups": list(value.get("groups", [])),
        "register_findings": list(value.get("findings", [])),
        "register_scope": value.get("scope", RegisterScope.ICB_AND_PROVIDERS),
        "register_note": (value.get("note") or "").strip(),
    }


def toolkit_content_read(path: Path = DATA_FILE) -> dict[str, dict[str, dict[str, Any]]]:
    """The file's content keyed by kind and code, in the models' field names."""
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    content: dict[str, dict[str, dict[str, Any]]] = {"section": {}, "standard": {}, "metric": {}}
    for s_pos, section in enumerate(raw["sections"], start=1):
        content["section"][section["code"]] = {
            "title": section["title"].strip(),
            "saaf_reference": str(section.get("saaf", "")).strip(),
            "position": s_pos,
        }
        for pos, standard in enumerate(section["standards"], start=1):
            content["standard"][standard["code"]] = {
                "section": section["code"],
                "statement": standard["statement"].strip(),
                "guidance": (standard.get("guidance") or "").strip(),
                "evidence": (standard.get("evidence") or "").strip(),
                "theme": _theme(standard.get("theme")),
                **_register_rule(standard.get("register")),
                "position": pos,
            }
    for pos, metric in enumerate(raw["metrics"], start=1):
        content["metric"][metric["code"]] = {
            "section": metric["section"],
            "name": metric["name"].strip(),
            "unit": MetricUnit(metric["unit"]).value,
            "higher_is_better": bool(metric.get("higher_is_better", True)),
            "green": _threshold(metric.get("green")),
            "amber": _threshold(metric.get("amber")),
            "computed_from": _COMPUTED_FROM[metric["computed_from"]]
            if metric.get("computed_from")
            else "",
            "position": pos,
        }
    return content


def toolkit_published_dates(path: Path = DATA_FILE) -> dict[int, datetime.date]:
    """The day each shipped version was published, by financial year (the
    file's `published`, keyed by labels such as "2025/26")."""
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    dates = {}
    for label, day in (raw.get("published") or {}).items():
        if not isinstance(day, datetime.date):
            raise ValueError(f"{path}: the publication date of {label} must be YYYY-MM-DD.")
        dates[int(str(label)[:4])] = day
    return dates


def _published_at(day: datetime.date | None) -> datetime.datetime:
    """Noon in London on `day` (or now, for a year the file gives no date)."""
    if day is None:
        return timezone.now()
    return datetime.datetime.combine(
        day, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/London")
    )


def _version_content(version: ToolkitVersion) -> dict[str, dict[str, dict[str, Any]]]:
    content: dict[str, dict[str, dict[str, Any]]] = {"section": {}, "standard": {}, "metric": {}}
    for s in version.sections.all():
        content["section"][s.code] = {
            "title": s.title,
            "saaf_reference": s.saaf_reference,
            "position": s.position,
        }
    for st in version.standards.select_related("section"):
        content["standard"][st.code] = {
            "section": st.section.code,
            "statement": st.statement,
            "guidance": st.guidance,
            "evidence": st.evidence,
            "theme": st.theme,
            "register_groups": st.register_groups,
            "register_findings": st.register_findings,
            "register_scope": st.register_scope,
            "register_note": st.register_note,
            "position": st.position,
        }
    for m in version.metrics.select_related("section"):
        content["metric"][m.code] = {
            "section": m.section.code,
            "name": m.name,
            "unit": m.unit,
            "higher_is_better": m.higher_is_better,
            "green": m.green,
            "amber": m.amber,
            "computed_from": m.computed_from,
            "position": m.position,
        }
    return content


def toolkit_content_differences(version: ToolkitVersion, content: dict) -> list[str]:
    """How a stored version differs from the file, one sentence each."""
    stored = _version_content(version)
    lines = []
    for kind in ("section", "standard", "metric"):
        ours, theirs = stored[kind], content[kind]
        for code in sorted(theirs.keys() - ours.keys()):
            lines.append(f"{version.label}: {kind} {code} is in the file but not in the version.")
        for code in sorted(ours.keys() - theirs.keys()):
            lines.append(f"{version.label}: {kind} {code} is in the version but not in the file.")
        for code in sorted(ours.keys() & theirs.keys()):
            for name, value in theirs[code].items():
                if name == "position":
                    continue
                if ours[code][name] != value:
                    lines.append(f"{version.label}: {kind} {code} has a different {name}.")
    return lines


def _create_version(
    *, actor, financial_year: int, content: dict, published_on: datetime.date | None = None
) -> ToolkitVersion:
    version = ToolkitVersion(
        financial_year=financial_year,
        status=ToolkitStatus.PUBLISHED,
        published_at=_published_at(published_on),
    )
    version.full_clean()
    version.save()
    sections = {}
    for code, values in content["section"].items():
        section = Section(version=version, code=code, **values)
        section.full_clean()
        section.save()
        sections[code] = section
    for code, values in content["standard"].items():
        standard = Standard(
            version=version, code=code, **{**values, "section": sections[values["section"]]}
        )
        standard.full_clean()
        standard.save()
    for code, values in content["metric"].items():
        metric = Metric(
            version=version, code=code, **{**values, "section": sections[values["section"]]}
        )
        metric.full_clean()
        metric.save()
    toolkit_audit(
        actor=actor,
        action=AuditAction.TOOLKIT_VERSION_LOADED,
        target=version,
        changes={
            "financial_year": [None, version.label],
            "status": [None, version.status],
            "sections": [None, len(content["section"])],
            "standards": [None, len(content["standard"])],
            "metrics": [None, len(content["metric"])],
        },
    )
    return version


def toolkit_content_load(
    *,
    actor,
    path: Path = DATA_FILE,
    financial_years: tuple[int, ...] = SHIPPED_FINANCIAL_YEARS,
) -> ToolkitLoadReport:
    """Create the shipped toolkit versions and their periods where missing;
    report, never apply, differences from versions that already exist."""
    content = toolkit_content_read(path)
    published = toolkit_published_dates(path)
    report = ToolkitLoadReport()
    with transaction.atomic():
        for financial_year in financial_years:
            version = ToolkitVersion.objects.filter(financial_year=financial_year).first()
            if version is None:
                version = _create_version(
                    actor=actor,
                    financial_year=financial_year,
                    content=content,
                    published_on=published.get(financial_year),
                )
                report.created_versions.append(version.label)
            else:
                report.differences += toolkit_content_differences(version, content)
                if not version.is_published:
                    report.differences.append(
                        f"{financial_year_label(financial_year)} is a draft: left as it is, "
                        "without reporting periods."
                    )
                    continue
            periods = reporting_periods_ensure(actor=actor, version=version)
            report.created_periods += [p.label for p in periods]
    return report
