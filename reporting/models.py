"""Annual safeguarding assurance reports (SAAF Appendix 1).

Each region writes an annual report to the National Safeguarding Steering
Group: its regional lead writes the narrative (an introduction, the year's
key achievements and outcomes, next year's priorities) and its regional chief
nurse signs it off, which freezes it. The NSSG's national report is built
from the regions' reports: a foreword and national update and the Health &
Justice section written by the national team, then one section per region.

What the portal knows is added as figures (`ReportFigure`), computed by the
rollup (`reporting.rollup`) from the year's current submissions and stored
per region and for England, each with the ids of the submissions (or ICBs)
behind it, so every figure can be traced to its returns. A rollup is a
`ReportRun`: a row its tasks update as regions complete, which the page
reads for progress.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from assurance.models.periods import financial_year_label
from organisations.choices import OrganisationKind
from organisations.scoping import ScopedQuerySet


class RegionalReport(models.Model):
    """One region's annual report for a financial year. Signed off (frozen)
    by the regional chief nurse; un-signing records a reason."""

    region = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="regional_reports"
    )
    financial_year = models.PositiveSmallIntegerField()
    introduction = models.TextField(blank=True)
    achievements = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "region"

    class Meta:
        ordering = ["financial_year", "region__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "financial_year"], name="regional_report_one_per_year"
            ),
            models.CheckConstraint(
                name="regional_report_signed_off_by_and_at",
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} annual report {financial_year_label(self.financial_year)}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None

    @property
    def year_label(self) -> str:
        return financial_year_label(self.financial_year)


class NationalReport(models.Model):
    """The NSSG's national annual safeguarding assurance report for a year.
    Drafts are read by national admins only; NSSG members read it once
    published (issue 18 publishes it as a PDF)."""

    financial_year = models.PositiveSmallIntegerField(unique=True)
    foreword = models.TextField(blank=True)
    achievements = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    health_and_justice = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["financial_year"]

    def __str__(self) -> str:
        return f"National annual safeguarding assurance report {self.year_label}"

    @property
    def year_label(self) -> str:
        return financial_year_label(self.financial_year)


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Complete"
    FAILED = "failed", "Failed"


ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)


class ReportRun(models.Model):
    """One rollup of a year's figures: a task per region, then the national
    step, run by whichever region task completes last. Pages poll this row."""

    financial_year = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.QUEUED)
    regions_total = models.PositiveSmallIntegerField(default=7)
    regions_done = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One rollup of a year at a time: a second click finds the first.
            models.UniqueConstraint(
                fields=["financial_year"],
                condition=Q(state__in=["queued", "running"]),
                name="report_run_one_active_per_year",
            ),
            models.CheckConstraint(
                name="report_run_done_within_total",
                condition=Q(regions_done__lte=models.F("regions_total")),
            ),
        ]

    def __str__(self) -> str:
        return f"Rollup of {financial_year_label(self.financial_year)} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        steps = self.regions_total + 1  # the national step
        done = self.regions_done + (self.state == RunState.DONE)
        return round(100 * done / steps) if steps else 100


class ReportRunRegion(models.Model):
    """A region's part of a run: done once, whatever the redeliveries, so the
    run's counter counts each region once."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="regions")
    region = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region__name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "region"], name="report_run_region_once")
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.region_id}"


class FigureKind(models.TextChoices):
    RAG = "rag", "RAG distribution of a section in a quarter"
    METRIC = "metric", "Metric value in a quarter"
    FINDINGS = "findings", "Register findings at year end"
    REVIEWS = "reviews", "Statutory reviews in the year"
    COMPLETENESS = "completeness", "Returns in a quarter"


class ReportFigureQuerySet(models.QuerySet["ReportFigure"]):
    def of(self, *, financial_year: int, area) -> ReportFigureQuerySet:
        return self.filter(financial_year=financial_year, area=area)


class ReportFigure(models.Model):
    """One stored figure of a year's report, for a region or England (`area`
    is the national organisation). `period` is the quarter (empty for
    year-level figures, stored as `quarter_key` 0), `code` the section,
    metric or figure's code. `counts` holds the counted figures; `value` a
    single figure (a metric's median or sum). `submission_ids` and `icb_ids`
    are what it was computed from, so the page can list the returns behind
    it within its reader's scope. Rewritten whole by each rollup."""

    financial_year = models.PositiveSmallIntegerField()
    area = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=FigureKind.choices)
    period = models.ForeignKey(
        "assurance.ReportingPeriod",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quarter_key = models.PositiveIntegerField(
        default=0, help_text="financial year × 10 + quarter, or 0 for the whole year."
    )
    code = models.CharField(max_length=60, blank=True)
    label = models.CharField(max_length=300, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    submission_ids = models.JSONField(default=list, blank=True)
    icb_ids = models.JSONField(default=list, blank=True)

    objects = ReportFigureQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "code", "quarter_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "area", "kind", "code", "quarter_key"],
                name="report_figure_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.quarter_key}"

    # In a figure's address, the code of a figure that has none.
    NO_CODE = "-"

    def get_absolute_url(self) -> str:
        """The figure's address by what it is (year, area, kind, code,
        quarter), not by its row: each rollup rewrites the rows, and a
        published PDF's links must still reach the same figure years later.
        Reads `area`: give it (`figure.area = area`) where figures are listed."""
        args = [self.financial_year, self.area.code, self.kind]
        if self.code or self.quarter_key:
            args.append(self.code or self.NO_CODE)
        if self.quarter_key:
            args.append(self.quarter_key)
        return reverse("reporting:figure", args=args)


class PublishState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Making the PDF"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


PUBLISH_ACTIVE_STATES = (PublishState.QUEUED, PublishState.RENDERING)


class PublishedReportQuerySet(models.QuerySet["PublishedReport"]):
    def published(self) -> PublishedReportQuerySet:
        return self.filter(state=PublishState.PUBLISHED)

    def current(self) -> PublishedReportQuerySet:
        """The latest published version of each report."""
        return self.published().filter(superseded_by__isnull=True)


class PublishedReport(models.Model):
    """A published version of an annual report: the national report (`area`
    is the national organisation) or a region's, frozen as the PDF the NSSG
    archives, stored with its SHA-256 so a download can prove it is the file
    that was published. Republishing makes a new version; the old one stays
    downloadable, marked superseded by it. The PDF is made by a task; this
    row carries its progress (`state`, `progress`) for the page."""

    financial_year = models.PositiveSmallIntegerField()
    area = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=20, choices=PublishState.choices, default=PublishState.QUEUED
    )
    progress = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to="reports/", max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = PublishedReportQuerySet.as_manager()

    class Meta:
        ordering = ["-financial_year", "area__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "area", "version"], name="published_report_version_once"
            ),
            # One publication of a report under way at a time.
            models.UniqueConstraint(
                fields=["financial_year", "area"],
                condition=Q(state__in=["queued", "rendering"]),
                name="published_report_one_active",
            ),
            models.CheckConstraint(
                name="published_report_has_checksum",
                condition=~Q(state="published") | (~Q(sha256="") & ~Q(pdf="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.year_label}, version {self.version}"

    @property
    def is_national(self) -> bool:
        return self.area.kind == OrganisationKind.NATIONAL

    @property
    def title(self) -> str:
        if self.is_national:
            return "National annual safeguarding assurance report"
        return f"{self.area.name} annual safeguarding assurance report"

    @property
    def year_label(self) -> str:
        return financial_year_label(self.financial_year)

    @property
    def is_active(self) -> bool:
        return self.state in PUBLISH_ACTIVE_STATES

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_id is not None

    @property
    def filename(self) -> str:
        slug = "national" if self.is_national else self.area.code.lower()
        return f"saaf-annual-report-{self.year_label.replace('/', '-')}-{slug}-v{self.version}.pdf"
