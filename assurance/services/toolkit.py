"""Every change to the toolkit and the reporting periods: one transaction
each, with its audit event, made by the national admin (views check who may
call them; services check what may change).

A published toolkit version never changes: returns answer it, and what was
submitted must keep meaning what it meant. Every edit therefore locks the
version row and refuses unless it is a draft; the national team changes next
year's toolkit by copying a published version into a draft.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone

from assurance.models import (
    Metric,
    RegisterScope,
    ReportingPeriod,
    Section,
    Standard,
    ToolkitStatus,
    ToolkitVersion,
    financial_year_label,
)
from assurance.models.periods import Quarter, default_dates
from assurance.permissions import can_manage_toolkit
from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation
from organisations.permissions import permission_require
from organisations.reference_data import NATIONAL_CODE

SECTION_FIELDS = ("code", "title", "saaf_reference")
STANDARD_FIELDS = (
    "section",
    "code",
    "statement",
    "guidance",
    "evidence",
    "theme",
    "register_groups",
    "register_findings",
    "register_scope",
    "register_note",
)
METRIC_FIELDS = (
    "section",
    "code",
    "name",
    "unit",
    "higher_is_better",
    "green",
    "amber",
    "computed_from",
)
PERIOD_FIELDS = ("opens_on", "due_on", "closes_on")


def published_refusal(version: ToolkitVersion) -> str:
    """What the national admin reads when an edit of a published version is refused."""
    return (
        f"The {version.label} toolkit is published and can no longer change. To change the "
        f"toolkit, start a draft for a later financial year from it and publish that."
    )


def _national() -> Organisation | None:
    # Toolkit and period events are national data: national roles read them.
    return Organisation.objects.filter(code=NATIONAL_CODE).first()


def _require_manager(actor) -> None:
    permission_require(
        can_manage_toolkit(actor),
        "Only the national admin can change the toolkit and the reporting periods.",
    )


def toolkit_audit(*, actor, action: AuditAction, target: Model, changes: dict[str, Any]) -> None:
    # A section's, standard's or metric's events belong to its version's history.
    parent = target.version if isinstance(target, (Section, Standard, Metric)) else None
    audit_record(
        actor=actor,
        action=action,
        target=target,
        parent=parent,
        organisation=_national(),
        changes=changes,
    )


def _lock_draft(version: ToolkitVersion) -> ToolkitVersion:
    """Re-read the version under a row lock (so an edit cannot race its
    publication) and refuse if it is published."""
    locked = ToolkitVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise ValidationError(published_refusal(locked))
    return locked


def _refuse_taken_code(model: type[Model], version: ToolkitVersion, code: str, pk=None) -> None:
    taken = model.objects.filter(version=version, code=code).exclude(pk=pk).exists()
    if taken:
        noun = model._meta.verbose_name
        raise ValidationError(
            {
                "code": f"The {version.label} toolkit already has a {noun} with the code "
                f"{code}. Codes are unique within a version."
            }
        )


def _refuse_other_version(section: Section, version: ToolkitVersion) -> None:
    if section.version_id != version.pk:
        raise ValidationError({"section": "The section belongs to another toolkit version."})


def _next_position(queryset) -> int:
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


def _clean_code(code: str) -> str:
    return code.strip().upper()


def _created(obj: Model, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f: [None, getattr(obj, f)] for f in fields if getattr(obj, f) not in ("", None)}


def _apply(obj: Model, values: dict[str, Any], allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {sorted(unknown)}")
    if "code" in values:
        values = {**values, "code": _clean_code(values["code"])}
    return field_changes(obj, values)


# --- Toolkit versions -----------------------------------------------------------


def toolkit_version_copy(
    *, actor, source: ToolkitVersion, financial_year: int | None = None
) -> ToolkitVersion:
    """Start a financial year's draft as a copy of a published version, codes
    and thresholds included; the source is not touched."""
    _require_manager(actor)
    financial_year = financial_year or source.financial_year + 1
    with transaction.atomic():
        if not source.is_published:
            raise ValidationError(
                {"source": f"The {source.label} toolkit is a draft: copy a published version."}
            )
        if ToolkitVersion.objects.filter(financial_year=financial_year).exists():
            raise ValidationError(
                {
                    "financial_year": f"There is already a toolkit for "
                    f"{financial_year_label(financial_year)}."
                }
            )
        draft = ToolkitVersion(financial_year=financial_year, copied_from=source)
        draft.full_clean()
        draft.save()
        sections = {}
        for section in source.sections.all():
            sections[section.pk] = Section.objects.create(
                version=draft,
                code=section.code,
                title=section.title,
                saaf_reference=section.saaf_reference,
                position=section.position,
            )
        Standard.objects.bulk_create(
            Standard(
                version=draft,
                section=sections[s.section_id],
                **{f: getattr(s, f) for f in STANDARD_FIELDS if f != "section"},
                position=s.position,
            )
            for s in source.standards.all()
        )
        Metric.objects.bulk_create(
            Metric(
                version=draft,
                section=sections[m.section_id],
                **{f: getattr(m, f) for f in METRIC_FIELDS if f != "section"},
                position=m.position,
            )
            for m in source.metrics.all()
        )
        toolkit_audit(
            actor=actor,
            action=AuditAction.TOOLKIT_VERSION_COPIED,
            target=draft,
            changes={
                "financial_year": [None, draft.label],
                "copied_from": [None, source.label],
                "status": [None, draft.status],
            },
        )
    return draft


def toolkit_version_publish(*, actor, version: ToolkitVersion) -> ToolkitVersion:
    """Fix a draft for good and make it the toolkit of its financial year's
    reporting periods (created with the default dates where missing)."""
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(version)
        if not version.sections.exists() or not version.standards.exists():
            raise ValidationError("A toolkit needs at least one section and one standard.")
        empty = list(version.sections.filter(standards__isnull=True).values_list("code", flat=True))
        if empty:
            raise ValidationError(
                f"Every section needs at least one standard; these have none: {', '.join(empty)}."
            )
        version.status = ToolkitStatus.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = actor if getattr(actor, "is_authenticated", False) else None
        version.full_clean()
        version.save()
        toolkit_audit(
            actor=actor,
            action=AuditAction.TOOLKIT_VERSION_PUBLISHED,
            target=version,
            changes={"status": [ToolkitStatus.DRAFT, ToolkitStatus.PUBLISHED]},
        )
        reporting_periods_ensure(actor=actor, version=version)
    return version


def toolkit_version_delete(*, actor, version: ToolkitVersion) -> None:
    """Discard a draft nobody needs any more."""
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(version)
        toolkit_audit(
            actor=actor,
            action=AuditAction.TOOLKIT_VERSION_DELETED,
            target=version,
            changes={"financial_year": [version.label, None]},
        )
        version.delete()


# --- Sections ---------------------------------------------------------------------


def section_create(
    *, actor, version: ToolkitVersion, code: str, title: str, saaf_reference: str = ""
) -> Section:
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(version)
        code = _clean_code(code)
        _refuse_taken_code(Section, version, code)
        section = Section(
            version=version,
            code=code,
            title=title.strip(),
            saaf_reference=saaf_reference.strip(),
            position=_next_position(version.sections),
        )
        section.full_clean()
        section.save()
        toolkit_audit(
            actor=actor,
            action=AuditAction.SECTION_CREATED,
            target=section,
            changes={"version": [None, version.label], **_created(section, SECTION_FIELDS)},
        )
    return section


def section_update(*, actor, section: Section, **values) -> Section:
    _require_manager(actor)
    with transaction.atomic():
        _lock_draft(section.version)
        section = Section.objects.select_related("version").get(pk=section.pk)
        changes = _apply(section, values, SECTION_FIELDS)
        if changes:
            if "code" in changes:
                _refuse_taken_code(Section, section.version, section.code, section.pk)
            section.full_clean()
            section.save()
            toolkit_audit(
                actor=actor, action=AuditAction.SECTION_UPDATED, target=section, changes=changes
            )
    return section


def section_delete(*, actor, section: Section) -> None:
    """Remove a section from a draft, with its standards and metrics (named in
    the audit event)."""
    _require_manager(actor)
    with transaction.atomic():
        _lock_draft(section.version)
        toolkit_audit(
            actor=actor,
            action=AuditAction.SECTION_DELETED,
            target=section,
            changes={
                "code": [section.code, None],
                "title": [section.title, None],
                "standards": [list(section.standards.values_list("code", flat=True)), None],
                "metrics": [list(section.metrics.values_list("code", flat=True)), None],
            },
        )
        section.delete()


# --- Standards ----------------------------------------------------------------------


def standard_create(
    *,
    actor,
    section: Section,
    code: str,
    statement: str,
    guidance: str = "",
    evidence: str = "",
    theme: int | None = None,
    register_groups: list[str] | None = None,
    register_findings: list[str] | None = None,
    register_scope: str = RegisterScope.ICB_AND_PROVIDERS,
    register_note: str = "",
) -> Standard:
    """Add a standard to a draft; with register groups and findings, a green
    rating for it will depend on the posts register."""
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(section.version)
        code = _clean_code(code)
        _refuse_taken_code(Standard, version, code)
        standard = Standard(
            version=version,
            section=section,
            code=code,
            statement=statement.strip(),
            guidance=guidance.strip(),
            evidence=evidence.strip(),
            theme=theme,
            register_groups=list(register_groups or []),
            register_findings=list(register_findings or []),
            register_scope=register_scope,
            register_note=register_note.strip(),
            position=_next_position(section.standards),
        )
        standard.full_clean()
        standard.save()
        toolkit_audit(
            actor=actor,
            action=AuditAction.STANDARD_CREATED,
            target=standard,
            changes={"version": [None, version.label], **_created(standard, STANDARD_FIELDS)},
        )
    return standard


def standard_update(*, actor, standard: Standard, **values) -> Standard:
    _require_manager(actor)
    return _item_update(
        actor=actor,
        item=standard,
        values=values,
        fields=STANDARD_FIELDS,
        action=AuditAction.STANDARD_UPDATED,
    )


def standard_delete(*, actor, standard: Standard) -> None:
    _require_manager(actor)
    with transaction.atomic():
        _lock_draft(standard.version)
        toolkit_audit(
            actor=actor,
            action=AuditAction.STANDARD_DELETED,
            target=standard,
            changes={"code": [standard.code, None], "statement": [standard.statement, None]},
        )
        standard.delete()


# --- Metrics ------------------------------------------------------------------------


def metric_create(
    *,
    actor,
    section: Section,
    code: str,
    name: str,
    unit: str,
    higher_is_better: bool = True,
    green: Decimal | None = None,
    amber: Decimal | None = None,
    computed_from: str = "",
) -> Metric:
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(section.version)
        code = _clean_code(code)
        _refuse_taken_code(Metric, version, code)
        metric = Metric(
            version=version,
            section=section,
            code=code,
            name=name.strip(),
            unit=unit,
            higher_is_better=higher_is_better,
            green=green,
            amber=amber,
            computed_from=computed_from,
            position=_next_position(version.metrics),
        )
        metric.full_clean()
        metric.save()
        toolkit_audit(
            actor=actor,
            action=AuditAction.METRIC_CREATED,
            target=metric,
            changes={"version": [None, version.label], **_created(metric, METRIC_FIELDS)},
        )
    return metric


def metric_update(*, actor, metric: Metric, **values) -> Metric:
    """Change a draft's metric, thresholds included (validated against its
    direction and unit by `Metric.clean`)."""
    _require_manager(actor)
    return _item_update(
        actor=actor,
        item=metric,
        values=values,
        fields=METRIC_FIELDS,
        action=AuditAction.METRIC_UPDATED,
    )


def _item_update(*, actor, item, values: dict, fields, action: AuditAction):
    """Change a standard or metric of a draft version: both live in a section
    of the same version and have a code unique within it."""
    model = type(item)
    with transaction.atomic():
        version = _lock_draft(item.version)
        item = model.objects.select_related("section").get(pk=item.pk)
        if "section" in values:
            _refuse_other_version(values["section"], version)
        changes = _apply(item, values, fields)
        if changes:
            if "code" in changes:
                _refuse_taken_code(model, version, item.code, item.pk)
            item.full_clean()
            item.save()
            toolkit_audit(actor=actor, action=action, target=item, changes=changes)
    return item


def metric_delete(*, actor, metric: Metric) -> None:
    _require_manager(actor)
    with transaction.atomic():
        _lock_draft(metric.version)
        toolkit_audit(
            actor=actor,
            action=AuditAction.METRIC_DELETED,
            target=metric,
            changes={"code": [metric.code, None], "name": [metric.name, None]},
        )
        metric.delete()


# --- Reporting periods ------------------------------------------------------------------


def reporting_periods_ensure(*, actor, version: ToolkitVersion) -> list[ReportingPeriod]:
    """Create the missing quarters of a published version's financial year,
    with the default dates. Existing periods are left as the admin set them."""
    _require_manager(actor)
    created = []
    with transaction.atomic():
        if not version.is_published:
            raise ValidationError("Reporting periods use a published toolkit version.")
        existing = set(
            ReportingPeriod.objects.of_year(version.financial_year).values_list(
                "quarter", flat=True
            )
        )
        for quarter in Quarter:
            if quarter.value in existing:
                continue
            period = ReportingPeriod(
                financial_year=version.financial_year,
                quarter=quarter.value,
                toolkit_version=version,
                **default_dates(version.financial_year, quarter.value),
            )
            period.full_clean()
            period.save()
            toolkit_audit(
                actor=actor,
                action=AuditAction.REPORTING_PERIOD_CREATED,
                target=period,
                changes={
                    "toolkit_version": [None, version.label],
                    **_created(period, PERIOD_FIELDS),
                },
            )
            created.append(period)
    return created


def reporting_period_update(
    *,
    actor,
    period: ReportingPeriod,
    opens_on: datetime.date,
    due_on: datetime.date,
    closes_on: datetime.date,
) -> ReportingPeriod:
    """Move a period's opening, due or closing date."""
    _require_manager(actor)
    with transaction.atomic():
        period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        changes = field_changes(
            period, {"opens_on": opens_on, "due_on": due_on, "closes_on": closes_on}
        )
        if changes:
            period.full_clean()
            period.save()
            toolkit_audit(
                actor=actor,
                action=AuditAction.REPORTING_PERIOD_UPDATED,
                target=period,
                changes=changes,
            )
    return period
