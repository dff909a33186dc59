"""Annual reports for the generated national data (`generate_national_data`):
for every complete financial year of the history, each region's annual
report written by its lead and signed off by its chief nurse, and the
national report's foreword, national update and Health & Justice section
written by the national team (not published: publishing renders a PDF,
which the benchmark times on its own).

Each region's narrative is of the length of the seeds' reports to the NSSG:
an introduction of two paragraphs, five or six key achievements and four or
five priorities, a sentence or two each, drawn from the themes the seeds'
regions report. A contributor for `assurance.national_data`, registered in
`ReportingConfig.ready()`; rows are bulk inserted, but each is what
`reporting.services` would save (a test runs `full_clean` and the services'
limits on a sample).
"""

from __future__ import annotations

import datetime
import random

from assurance.models import ReportingPeriod
from assurance.models.periods import financial_year_label, financial_year_of
from assurance.national_people import GENERATED_DOMAIN
from organisations.choices import Role
from organisations.models import Membership, Organisation, User
from reporting.models import NationalReport, RegionalReport
from saaf.dates import LONDON

_INTRODUCTIONS = [
    "{region}'s integrated care boards gave their quarterly assurance through the portal "
    "throughout {year}. The regional team reviewed every return, validated the ratings where "
    "the evidence differed from the boards' self-assessment, and followed up the gaps in the "
    "designated professionals' posts with the boards concerned.",
    "The region's safeguarding network met every month: designated professionals, named GPs "
    "and the boards' executive leads shared the learning from the statutory reviews and "
    "agreed where the region would act together rather than board by board.",
    "Demand rose again this year, in children's mental health and in adults who self-neglect, "
    "and the boards' safeguarding teams carried vacancies for part of it. The returns show "
    "where that left gaps, and this report sets out what the region did about them.",
    "The boards' work with their safeguarding partnerships is stronger than a year ago: every "
    "board sits on its local children's partnership and safeguarding adults board at "
    "executive level, and the region's team attended each partnership's annual review.",
]
_ACHIEVEMENTS = [
    "Every integrated care board has a designated nurse and a designated doctor for "
    "children in post, and the named GP posts vacant at the start of the year are filled.",
    "Child Protection Information Sharing is live in every unscheduled care setting in the "
    "region, including the urgent treatment centres opened this year.",
    "A regional training programme for named GPs and practice safeguarding leads, "
    "commissioned with the boards, reached over 500 delegates with very good evaluations.",
    "Returns sent back for more evidence were resubmitted within the quarter, and no board "
    "missed a return in the second half of the year.",
    "The learning from the region's safeguarding adult reviews on self-neglect was shared "
    "at a regional event and built into level 3 adult safeguarding training.",
    "A regional Prevent forum now brings the boards' Prevent leads together each quarter "
    "with the counter-terrorism police and the Home Office's regional coordinator.",
    "The region's female genital mutilation clinical reference group produced a shared "
    "pathway that every maternity provider has adopted.",
    "Supervision for designated professionals is in place in every board, with a regional "
    "peer supervision group for those working alone.",
    "Rapid reviews were completed within 15 working days in nearly every case, and the "
    "region helped the boards where partnerships asked for more time.",
    "The boards' domestic abuse leads worked with the region's independent domestic violence "
    "advisers in emergency departments to reach victims earlier.",
    "The voice of children in care and of care leavers informed the boards' commissioning, "
    "through a panel of young people that met each quarter.",
    "Mental Capacity Act compliance audits were completed by every board and shared with "
    "their safeguarding adults boards.",
]
_PRIORITIES = [
    "Fill the vacant designated professional posts before the second quarter, and plan for "
    "the retirements the register shows in the next two years.",
    "Bring the statutory reviews' overdue actions to completion, with the boards reporting "
    "progress each quarter until none is overdue.",
    "Support the integrated care boards formed by the 2026 mergers through their first year, "
    "so that no provider's assurance is lost in the change.",
    "Raise the share of staff trained to the level their role needs to 90% in every board, "
    "starting with level 3 adult safeguarding in primary care.",
    "Embed professional curiosity, the learning theme the reviews raise most, in audits, "
    "supervision and training across the region.",
    "Strengthen information sharing between primary care and partner agencies, the other "
    "theme that recurs in the year's reviews.",
    "Prepare the boards for the Liberty Protection Safeguards when they are introduced, "
    "including for 16 and 17 year olds.",
    "Reduce the late and missing returns to none, with the region's team supporting the "
    "boards whose returns were late this year.",
    "Work with the region's violence reduction units on serious violence and the "
    "exploitation of children and young adults.",
    "Make the transition from children's to adults' services safer for young people with "
    "safeguarding needs, with the boards' designated professionals for both.",
]
_FOREWORD = [
    "This report brings together the seven regions' assurance of the integrated care boards' "
    "safeguarding arrangements for {year}, from their quarterly returns against the "
    "Safeguarding Commissioning Assurance Toolkit, the register of designated and named "
    "professionals and the statutory reviews the boards took part in.",
    "The boards gave that assurance in a year of change: the reorganisation of the integrated "
    "care boards, rising demand and vacancies in specialist posts. The regions' reports show "
    "what was achieved and where the NSSG asks for more next year.",
]
_NATIONAL_ACHIEVEMENTS = [
    "Every region reviewed its boards' quarterly returns through the portal, with the "
    "ratings validated where the evidence differed.",
    "The register of designated and named professionals shows every board's posts "
    "nationally, and the gaps it showed are being filled.",
    "The learning from the statutory reviews is tracked to the actions the boards own, and "
    "the recurring themes are reported to the NSSG each quarter.",
]
_NATIONAL_PRIORITIES = [
    "Carry the boards' safeguarding arrangements through the 2026 mergers without gaps.",
    "Reduce the late and missing returns to none.",
    "Bring the statutory reviews' overdue actions to completion in every region.",
]
_HEALTH_AND_JUSTICE = (
    "Health & Justice commissioners assured the safeguarding arrangements of healthcare in "
    "prisons, young offender institutions and secure children's homes through their own "
    "contract reviews; no return is made through the portal."
)


def national_reports_generate(
    rng: random.Random,
    icbs: list[Organisation],
    *,
    today: datetime.date,
    actor: User,
    years: list[int] | None = None,
    national: bool = True,
) -> dict[str, int]:
    """The annual reports of each complete financial year of the periods (the
    years before today's; or `years`): every region's (of `icbs`) signed off,
    and, unless not `national`, the national one's narrative. Returns the
    counts for the summary."""
    if years is None:
        current = financial_year_of(today)
        years = sorted(
            set(
                ReportingPeriod.objects.filter(financial_year__lt=current).values_list(
                    "financial_year", flat=True
                )
            )
        )
    region_ids = sorted({icb.parent_id for icb in icbs})
    regions = list(Organisation.objects.filter(pk__in=region_ids).order_by("code"))
    if not years or not regions:
        return {}
    chief_nurses = _chief_nurses(regions)
    # Never after the start of the generator's day (so the same for a seed and
    # a day, and never in the future).
    latest = datetime.datetime.combine(today, datetime.time(0, 1), tzinfo=LONDON)
    reports = []
    for year in years:
        # Signed off in the June after the year ends, as the NSSG's timetable asks.
        signed = min(
            datetime.datetime(year + 1, 6, 1, 10, tzinfo=LONDON)
            + datetime.timedelta(days=rng.randint(0, 28), minutes=rng.randint(0, 420)),
            latest,
        )
        for region in regions:
            reports.append(
                RegionalReport(
                    region=region,
                    financial_year=year,
                    introduction=_introduction(rng, region.name, year),
                    achievements=rng.sample(_ACHIEVEMENTS, rng.randint(5, 6)),
                    priorities=rng.sample(_PRIORITIES, rng.randint(4, 5)),
                    signed_off_by=chief_nurses[region.pk],
                    signed_off_at=signed,
                )
            )
    RegionalReport.objects.bulk_create(reports)
    if not national:
        return {"regional annual reports signed off": len(reports)}
    NationalReport.objects.bulk_create(
        [
            NationalReport(
                financial_year=year,
                foreword="\n".join(p.format(year=financial_year_label(year)) for p in _FOREWORD),
                achievements=_NATIONAL_ACHIEVEMENTS,
                priorities=_NATIONAL_PRIORITIES,
                health_and_justice=_HEALTH_AND_JUSTICE,
            )
            for year in years
        ]
    )
    return {"regional annual reports signed off": len(reports), "national reports": len(years)}


def _introduction(rng: random.Random, region: str, year: int) -> str:
    first, *rest = _INTRODUCTIONS
    paragraphs = [first, rng.choice(rest)]
    return "\n".join(p.format(region=region, year=financial_year_label(year)) for p in paragraphs)


def _chief_nurses(regions: list[Organisation]) -> dict[int, User]:
    """A chief nurse per region, who signs its reports off (no password)."""
    users = []
    for number, region in enumerate(regions):
        user = User(
            email=f"chiefnurse.{region.code.lower()}@{GENERATED_DOMAIN}",
            full_name=f"{_FIRST[number]} {_LAST[number]}",
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    by_email = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
    chief_nurses = {
        region.pk: by_email[f"chiefnurse.{region.code.lower()}@{GENERATED_DOMAIN}"]
        for region in regions
    }
    Membership.objects.bulk_create(
        [
            Membership(user=user, organisation_id=pk, role=Role.REGIONAL_CHIEF_NURSE)
            for pk, user in chief_nurses.items()
        ]
    )
    return chief_nurses


_FIRST = ["Kemi", "Laura", "Marcus", "Nadia", "Owen", "Priya", "Rhys"]
_LAST = ["Kaur", "Lowe", "Morris", "Njoku", "O'Brien", "Parry", "Quinn"]
