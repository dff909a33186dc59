"""Every write to the annual reports: the regional narrative, its sign-off
and withdrawal, the national parts, starting a rollup, and publishing a
report as a frozen PDF (and checking it before it is sent). Each service
checks its permission, locks what two people could race on, validates, and
records its audit event in the same transaction."""

from __future__ import annotations

import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from organisations.audit import audit_record, field_changes
from organisations.models import AuditAction, Organisation, OrganisationKind, User
from organisations.permissions import permission_require
from organisations.reference_data import NATIONAL_CODE
from reporting.models import (
    ACTIVE_STATES,
    PUBLISH_ACTIVE_STATES,
    FigureKind,
    NationalReport,
    PublishedReport,
    PublishState,
    RegionalReport,
    ReportFigure,
    ReportRun,
    ReportRunRegion,
)
from reporting.permissions import (
    can_publish_reports,
    can_run_rollup,
    can_sign_off_regional_report,
    can_write_national_report,
    can_write_regional_report,
)
from saaf.dates import nhs_date

logger = logging.getLogger(__name__)

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
    Health & Justice section (which has no returns: narrative only). Once
    published the text can still be corrected: what was published is frozen
    in its PDF versions, and a correction reaches the archive by publishing
    again (a new version)."""
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


# --- Publishing: the frozen PDF ---------------------------------------------------------


def report_publish(*, actor: User, financial_year: int, area: Organisation) -> PublishedReport:
    """Publish the national report (`area` the national organisation) or a
    region's: a new version, whose PDF a task makes once this commits. A
    publication of the same report already under way is returned instead."""
    from reporting.tasks import published_report_render

    permission_require(can_publish_reports(actor), "Only the national team publishes reports.")
    if area.kind == OrganisationKind.REGION:
        regional = RegionalReport.objects.filter(region=area, financial_year=financial_year).first()
        if regional is None or not regional.is_signed_off:
            raise ValidationError(
                f"{area.name}'s report is not signed off: its chief nurse signs it off before "
                "it can be published."
            )
    elif area.code != NATIONAL_CODE:
        raise ValidationError("Only the national report and the regions' reports are published.")
    if not ReportFigure.objects.filter(
        financial_year=financial_year, area=area, kind=FigureKind.COMPLETENESS
    ).exists():
        raise ValidationError(
            "The figures have not been computed: compute them (the rollup) before publishing."
        )
    try:
        with transaction.atomic():
            active = PublishedReport.objects.filter(
                financial_year=financial_year, area=area, state__in=PUBLISH_ACTIVE_STATES
            ).first()
            if active:
                return active
            last = (
                PublishedReport.objects.select_for_update()
                .filter(financial_year=financial_year, area=area)
                .order_by("-version")
                .first()
            )
            published = PublishedReport.objects.create(
                financial_year=financial_year,
                area=area,
                version=(last.version + 1) if last else 1,
                requested_by=actor,
                progress="Waiting for a worker",
            )
            audit_record(
                actor=actor,
                action=AuditAction.REPORT_PUBLISH_REQUESTED,
                target=published,
                organisation=area,
                changes={"version": [None, published.version]},
            )
            published_id = published.pk
            transaction.on_commit(lambda: published_report_render.delay(published_id))
    except IntegrityError:
        # Two clicks at once: the other one's publication is under way.
        return PublishedReport.objects.get(
            financial_year=financial_year, area=area, state__in=PUBLISH_ACTIVE_STATES
        )
    return published


def _progress(published_id: int, words: str) -> None:
    PublishedReport.objects.filter(pk=published_id).update(progress=words[:200])


def published_report_render(*, published_id: int) -> PublishedReport:
    """Make a publication's PDF, store it with its SHA-256, and mark the
    versions it replaces superseded. Safe to run twice: a version already
    published is left as it is."""
    from reporting.pdf import report_pdf

    published = PublishedReport.objects.select_related("area", "requested_by").get(pk=published_id)
    if published.state in (PublishState.PUBLISHED, PublishState.FAILED):
        return published
    PublishedReport.objects.filter(pk=published_id).update(state=PublishState.RENDERING)
    rendered = report_pdf(
        financial_year=published.financial_year,
        region=None if published.is_national else published.area,
        user=published.requested_by,
        as_of=timezone.localdate(published.requested_at),
        progress=lambda words: _progress(published_id, words),
    )
    _progress(published_id, f"Storing the PDF ({rendered.pages} pages)")
    checksum = hashlib.sha256(rendered.content).hexdigest()
    name = default_storage.save(
        f"reports/{published.financial_year}/{published.filename}", ContentFile(rendered.content)
    )
    with transaction.atomic():
        published = (
            PublishedReport.objects.select_for_update().select_related("area").get(pk=published_id)
        )
        if published.state == PublishState.PUBLISHED:  # a redelivery got here first
            default_storage.delete(name)
            return published
        now = timezone.now()
        published.pdf.name = name
        published.sha256 = checksum
        published.size = len(rendered.content)
        published.pages = rendered.pages
        published.state = PublishState.PUBLISHED
        published.published_at = now
        published.progress = f"Published: {rendered.pages} pages"
        published.error = ""
        published.save()
        superseded = list(
            PublishedReport.objects.published()
            .filter(
                financial_year=published.financial_year,
                area=published.area,
                superseded_by__isnull=True,
            )
            .exclude(pk=published.pk)
            .values_list("version", flat=True)
        )
        PublishedReport.objects.published().filter(
            financial_year=published.financial_year,
            area=published.area,
            superseded_by__isnull=True,
        ).exclude(pk=published.pk).update(superseded_by=published, superseded_at=now)
        if published.is_national:
            NationalReport.objects.get_or_create(financial_year=published.financial_year)
            NationalReport.objects.filter(financial_year=published.financial_year).update(
                published=True, published_at=now
            )
        audit_record(
            actor=published.requested_by,
            action=AuditAction.REPORT_PUBLISHED,
            target=published,
            organisation=published.area,
            changes={
                "sha256": [None, checksum],
                "pages": [None, rendered.pages],
                "superseded_versions": [None, superseded],
            },
        )
    return published


def published_report_fail(*, published_id: int, error: str) -> None:
    """The task gave up: the version says so, and it can be published again."""
    PublishedReport.objects.filter(pk=published_id, state__in=PUBLISH_ACTIVE_STATES).update(
        state=PublishState.FAILED, error=error[:2000], progress="Failed"
    )


class PublishedFileRefused(Exception):
    """The stored PDF is missing or is not the file that was published."""


def published_report_pdf_read(*, actor: User, published: PublishedReport) -> bytes:
    """The published PDF's bytes, once they match the SHA-256 recorded when it
    was published; a file changed since (or gone) is refused, and recorded."""
    try:
        with default_storage.open(published.pdf.name, "rb") as f:
            content = f.read()
    except FileNotFoundError:
        content = None
    if content is not None and hashlib.sha256(content).hexdigest() == published.sha256:
        return content
    why = (
        "the stored file is missing"
        if content is None
        else "the stored file does not match the checksum recorded when it was published"
    )
    logger.error("Published report %s refused: %s", published.pk, why)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_DOWNLOAD_REFUSED,
            target=published,
            organisation=published.area,
            reason=why,
        )
    raise PublishedFileRefused(
        f"This PDF cannot be sent: {why}, so it may have been changed or damaged. "
        "Ask the national team to publish the report again; the event has been recorded."
    )
