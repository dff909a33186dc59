"""Every write to the annual reports: the regional narrative, its sign-off
and withdrawal, the national parts, and starting a rollup. Each service
checks its permission, locks what two people could race on, validates, and
records its audit event in the same transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation, OrganisationKind, User
from organisations.permissions import permission_require
from organisations.reference_data import NATIONAL_CODE
from reporting.models import (
    ACTIVE_STATES,
    NationalReport,
    RegionalReport,
    ReportRun,
    ReportRunRegion,
)
from reporting.permissions import (
    can_run_rollup,
    can_sign_off_regional_report,
    can_write_national_report,
    can_write_regional_report,
)
from saaf.dates import nhs_date

MAX_ITEMS = 12
MAX_ITEM_LENGTH = 400
MAX_TEXT_LENGTH = 5000


def _items_clean(field: str, items: list[str], errors: dict) -> list[str]:
    """Short items, one a line: blank lines dropped, each one short."""
    cleaned = [" ".join(str(item).split()) for item in items]
    cleaned = [item for item in cleaned if item]
    if len(cleaned) > MAX_ITEMS:
        errors[field] = f"Give at most {MAX_ITEMS} items, one a line (you gave {len(cleaned)})."
    too_long = [i + 1 for i, item in enumerate(cleaned) if len(item) > MAX_ITEM_LENGTH]
    if too_long:
        errors[field] = (
            f"Item {too_long[0]} is longer than {MAX_ITEM_LENGTH} characters: shorten it or "
            "split it into two items."
        )
    return cleaned


def _text_clean(field: str, text: str, errors: dict) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT_LENGTH:
        errors[field] = f"Keep this to {MAX_TEXT_LENGTH} characters (it has {len(text)})."
    return text


def _region_report_locked(region: Organisation, financial_year: int) -> RegionalReport:
    report, _ = RegionalReport.objects.get_or_create(region=region, financial_year=financial_year)
    return RegionalReport.objects.select_for_update().select_related("region").get(pk=report.pk)


def regional_report_narrative_save(
    *,
    actor: User,
    region: Organisation,
    financial_year: int,
    introduction: str,
    achievements: list[str],
    priorities: list[str],
) -> RegionalReport:
    """The regional lead writes the region's introduction, key achievements
    and outcomes, and priorities for next year. A signed-off report is frozen."""
    permission_require(
        can_write_regional_report(actor, region),
        "Only the region's safeguarding lead writes its annual report.",
    )
    errors: dict[str, str] = {}
    values = {
        "introduction": _text_clean("introduction", introduction, errors),
        "achievements": _items_clean("achievements", achievements, errors),
        "priorities": _items_clean("priorities", priorities, errors),
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = _region_report_locked(region, financial_year)
        if report.is_signed_off:
            raise ValidationError(
                f"The chief nurse signed this report off on {nhs_date(report.signed_off_at)}: "
                "ask them to withdraw the sign-off, with a reason, before changing it."
            )
        changes = field_changes(report, values)
        if changes:
            report.save()
            audit_record(
                actor=actor,
                action=AuditAction.REPORT_NARRATIVE_SAVED,
                target=report,
                organisation=region,
                changes=changes,
            )
    return report


def regional_report_sign_off(*, actor: User, report: RegionalReport) -> RegionalReport:
    """The regional chief nurse signs the report off, which freezes its narrative."""
    permission_require(
        can_sign_off_regional_report(actor, report.region),
        "Only the region's chief nurse signs off its annual report.",
    )
    with transaction.atomic():
        report = (
            RegionalReport.objects.select_for_update().select_related("region").get(pk=report.pk)
        )
        if report.is_signed_off:
            raise ValidationError("This report is already signed off.")
        if not report.achievements or not report.priorities:
            raise ValidationError(
                "The report needs at least one key achievement and one priority before it "
                "can be signed off: ask the regional lead to add them."
            )
        report.signed_off_by = actor
        report.signed_off_at = timezone.now()
        report.save()
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_SIGNED_OFF,
            target=report,
            organisation=report.region,
        )
    return report


def regional_report_unsign(*, actor: User, report: RegionalReport, reason: str) -> RegionalReport:
    """The chief nurse withdraws the sign-off, saying why, so the lead can change it."""
    permission_require(
        can_sign_off_regional_report(actor, report.region),
        "Only the region's chief nurse can withdraw its sign-off.",
    )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the sign-off is withdrawn."})
    if len(reason) > MAX_ITEM_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {MAX_ITEM_LENGTH} characters."})
    with transaction.atomic():
        report = (
            RegionalReport.objects.select_for_update().select_related("region").get(pk=report.pk)
        )
        if not report.is_signed_off:
            raise ValidationError("This report is not signed off.")
        changes = {"signed_off_at": [report.signed_off_at, None]}
        report.signed_off_by = None
        report.signed_off_at = None
        report.save()
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_UNSIGNED,
            target=report,
            organisation=report.region,
            changes=changes,
            reason=reason,
        )
    return report


def national_report_save(
    *,
    actor: User,
    financial_year: int,
    foreword: str,
    achievements: list[str],
    priorities: list[str],
    health_and_justice: str,
) -> NationalReport:
    """The national admin writes the foreword, the national update and the
    Health & Justice section (which has no returns: narrative only)."""
    permission_require(
        can_write_national_report(actor), "Only the national team writes the national report."
    )
    errors: dict[str, str] = {}
    values = {
        "foreword": _text_clean("foreword", foreword, errors),
        "achievements": _items_clean("achievements", achievements, errors),
        "priorities": _items_clean("priorities", priorities, errors),
        "health_and_justice": _text_clean("health_and_justice", health_and_justice, errors),
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        NationalReport.objects.get_or_create(financial_year=financial_year)
        report = NationalReport.objects.select_for_update().get(financial_year=financial_year)
        if report.published:
            raise ValidationError("This report is published and archived: it cannot change.")
        changes = field_changes(report, values)
        if changes:
            report.save()
            audit_record(
                actor=actor,
                action=AuditAction.REPORT_NARRATIVE_SAVED,
                target=report,
                organisation=Organisation.objects.get(code=NATIONAL_CODE),
                changes=changes,
            )
    return report


def report_run_start(*, actor: User, financial_year: int) -> ReportRun:
    """Start the rollup of a year's figures: a task per region, queued once
    this commits. A rollup of the year already under way is returned instead
    of a second one."""
    from reporting.tasks import report_region_rollup

    permission_require(can_run_rollup(actor), "Only the national team runs the rollup.")
    regions = list(Organisation.objects.filter(kind=OrganisationKind.REGION).order_by("name"))
    try:
        with transaction.atomic():
            active = ReportRun.objects.filter(
                financial_year=financial_year, state__in=ACTIVE_STATES
            ).first()
            if active:
                return active
            run = ReportRun.objects.create(
                financial_year=financial_year, regions_total=len(regions), requested_by=actor
            )
            ReportRunRegion.objects.bulk_create(
                [ReportRunRegion(run=run, region=region) for region in regions]
            )
            audit_record(
                actor=actor,
                action=AuditAction.REPORT_ROLLUP_REQUESTED,
                target=run,
                organisation=Organisation.objects.get(code=NATIONAL_CODE),
            )
            run_id, region_ids = run.pk, [r.pk for r in regions]

            def queue() -> None:
                for region_id in region_ids:
                    report_region_rollup.delay(run_id, region_id)

            transaction.on_commit(queue)
    except IntegrityError:
        # Two clicks at once: the other one's run is the one under way.
        return ReportRun.objects.get(financial_year=financial_year, state__in=ACTIVE_STATES)
    return run
