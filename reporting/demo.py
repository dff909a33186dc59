"""Demo annual reports for the last complete financial year, so the report
pages have something to show each persona:

- London's report written by its lead (introduction, key achievements,
  priorities) and signed off by its chief nurse;
- North West's report, a draft its lead is still writing (a lead who cannot
  sign in: the national team sees the region has not signed off yet);
- the other five regions' reports written and signed off as the national
  data generator writes them (`populate_england`, over the rest of England's
  returns from `assurance.demo_england`), so the national report has every
  region's narrative, as the NSSG's reports do;
- the national report's foreword, national update and Health & Justice
  section, written by the national admin (a draft: the NSSG reads it once
  published);
- a completed rollup of the year's figures, started by the national admin
  (the tasks run in-process in the embedded default, on the worker where a
  broker is configured);
- the national report published once (its PDF made by the same task as a
  publication from the page), so an NSSG member has a report to read and
  download from the archive.

Made through the services, after the London returns' history
(`assurance.demo_history`) whose figures it rolls up: it is left out when
that is. Run by `manage.py load_demo_data`; never in production. What
exists is left as it is (a persona may have changed it), so running it
again changes nothing.
"""

from __future__ import annotations

import random

from django.db import transaction

from assurance.models import ReportingPeriod
from assurance.models.periods import financial_year_of
from organisations import services as organisation_services
from organisations.audit import system_actor
from organisations.demo import DEMO_DOMAIN, demo_populators
from organisations.models import Organisation, Role, User
from organisations.reference_data import NATIONAL_CODE
from reporting.models import (
    FigureKind,
    NationalReport,
    PublishedReport,
    RegionalReport,
    ReportFigure,
    ReportRun,
)
from reporting.services import (
    national_report_save,
    regional_report_narrative_save,
    regional_report_sign_off,
    report_publish,
    report_run_start,
)
from saaf.dates import today

LONDON = "Y56"
DRAFT_REGION = "Y62"  # North West

LONDON_INTRODUCTION = (
    "London's integrated care boards completed every quarterly return this year, "
    "one of them late. The regional team reviewed each return, validated the "
    "ratings where the evidence differed from the self-assessment, and "
    "followed up the gaps in the designated professionals' posts with the "
    "boards concerned."
)
LONDON_ACHIEVEMENTS = [
    "Every London ICB has a designated nurse for children in care in post.",
    "Child Protection Information Sharing in every unscheduled care setting.",
    "Returns sent back for more evidence were resubmitted within the quarter.",
]
LONDON_PRIORITIES = [
    "Fill the vacant designated doctor posts before the second quarter.",
    "Bring the statutory reviews' overdue actions to completion.",
    "Support the ICB formed from North Central and North West London in its first year.",
]

DRAFT_INTRODUCTION = (
    "Draft: the North West's introduction is being written with the ICBs' designated professionals."
)
DRAFT_ACHIEVEMENTS = ["Safeguarding training compliance above 90% in every ICB."]

FOREWORD = (
    "This report brings together the seven regions' assurance of the integrated "
    "care boards' safeguarding arrangements for the year, from their quarterly "
    "returns, the posts register and the statutory reviews."
)
NATIONAL_ACHIEVEMENTS = [
    "Every region reviewed its ICBs' quarterly returns through the portal.",
    "The posts register shows each ICB's designated professionals nationally.",
]
NATIONAL_PRIORITIES = [
    "Carry the ICBs' safeguarding arrangements through the 2026 mergers.",
    "Reduce the late and missing returns to none.",
]
HEALTH_AND_JUSTICE = (
    "Health & Justice commissioners assured the safeguarding arrangements of "
    "healthcare in prisons, young offender institutions and secure children's "
    "homes through their own contract reviews; no return is made through the portal."
)


def _persona(local_part: str) -> User | None:
    return User.objects.filter(email=f"{local_part}@{DEMO_DOMAIN}").first()


def _region_lead(region: Organisation) -> User:
    """The region's lead, made once (no password: the draft's author, not a way in)."""
    email = f"lead.{region.code.lower()}@{DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        actor = system_actor()
        user = organisation_services.user_create(
            actor=actor, email=email, full_name="Isaac Thompson"
        )
        organisation_services.membership_grant(
            actor=actor, user=user, organisation=region, role=Role.REGIONAL_LEAD
        )
    return user


def report_year() -> int:
    """The last complete financial year."""
    return financial_year_of(today()) - 1


def populate_england() -> None:
    """The last complete year's reports of the regions other than London
    (the demo's own, by hand) and North West (its draft): written and signed
    off, as the national data generator writes them, over the rest of
    England's returns (`assurance.demo_england`). Made once."""
    from assurance.demo_england import SEED, outside_icbs
    from reporting.national_data import national_reports_generate

    year = report_year()
    if not ReportingPeriod.objects.filter(financial_year=year).exists():
        return
    written = RegionalReport.objects.filter(financial_year=year).values("region")
    icbs = list(
        outside_icbs()
        .exclude(parent__code=DRAFT_REGION)
        .exclude(parent__in=written)
        .order_by("code")
    )
    if icbs:
        rng = random.Random(f"demo-reports-{SEED}")  # noqa: S311 (made-up data)
        with transaction.atomic():
            national_reports_generate(
                rng, icbs, today=today(), actor=system_actor(), years=[year], national=False
            )


def populate() -> None:
    from assurance import demo_history

    # The figures are the London returns' history: nothing to report without it.
    if demo_history.populate not in demo_populators():
        return
    year = report_year()
    if not ReportingPeriod.objects.filter(financial_year=year).exists():
        return
    london = Organisation.objects.filter(code=LONDON).first()
    draft_region = Organisation.objects.filter(code=DRAFT_REGION).first()
    lead, chief_nurse, admin = (
        _persona("lead.london"),
        _persona("chiefnurse.london"),
        _persona("admin"),
    )
    if london is None or lead is None or chief_nurse is None or admin is None:
        return

    if not RegionalReport.objects.filter(region=london, financial_year=year).exists():
        report = regional_report_narrative_save(
            actor=lead,
            region=london,
            financial_year=year,
            introduction=LONDON_INTRODUCTION,
            achievements=LONDON_ACHIEVEMENTS,
            priorities=LONDON_PRIORITIES,
        )
        regional_report_sign_off(actor=chief_nurse, report=report)

    if (
        draft_region is not None
        and not RegionalReport.objects.filter(region=draft_region, financial_year=year).exists()
    ):
        regional_report_narrative_save(
            actor=_region_lead(draft_region),
            region=draft_region,
            financial_year=year,
            introduction=DRAFT_INTRODUCTION,
            achievements=DRAFT_ACHIEVEMENTS,
            priorities=[],
        )

    if not NationalReport.objects.filter(financial_year=year).exists():
        national_report_save(
            actor=admin,
            financial_year=year,
            foreword=FOREWORD,
            achievements=NATIONAL_ACHIEVEMENTS,
            priorities=NATIONAL_PRIORITIES,
            health_and_justice=HEALTH_AND_JUSTICE,
        )

    # Queued once this commits; eager in the embedded default, so complete on return.
    if not ReportRun.objects.filter(financial_year=year).exists():
        report_run_start(actor=admin, financial_year=year)

    # Published once the rollup has computed the figures: after it, as the
    # rollup is queued on commit (at once outside a transaction, and eager in
    # the embedded default, so the figures are there; with a worker still
    # computing them, a later run of the demo publishes).
    transaction.on_commit(lambda: _national_publish(admin, year))


def _national_publish(admin: User, year: int) -> None:
    england = Organisation.objects.filter(code=NATIONAL_CODE).first()
    computed = ReportFigure.objects.filter(
        financial_year=year, area=england, kind=FigureKind.COMPLETENESS
    ).exists()
    if (
        england is not None
        and computed
        and not PublishedReport.objects.filter(financial_year=year, area=england).exists()
    ):
        report_publish(actor=admin, financial_year=year, area=england)
