"""generate_national_data with annual reports: every complete financial
year's regional reports, written and signed off as the services would, and
the national report's narrative."""

import datetime
import random

import pytest
from django.utils import timezone

from assurance import national_data
from assurance.models import ReportingPeriod
from assurance.models.periods import financial_year_of
from assurance.national_data import national_data_generate
from organisations.choices import Role
from organisations.models import Membership, Organisation
from reporting.models import NationalReport, RegionalReport
from reporting.national_data import national_reports_generate
from reporting.services import MAX_ITEM_LENGTH, MAX_ITEMS, MAX_TEXT_LENGTH
from saaf.dates import LONDON

# Generated national data: once, in the PostgreSQL pass.
pytestmark = [pytest.mark.heavy, pytest.mark.usefixtures("generator_allowed")]

TODAY = datetime.date.today()


def test_the_reporting_app_contributes_to_the_national_data():
    # Registered in ReportingConfig.ready(): assurance never imports reporting.
    assert national_reports_generate in national_data._contributors


def test_each_complete_year_has_every_regions_report_signed_off(reference):
    report = national_data_generate(providers=30, seed=5, today=TODAY)
    complete = sorted(
        set(
            ReportingPeriod.objects.filter(financial_year__lt=financial_year_of(TODAY)).values_list(
                "financial_year", flat=True
            )
        )
    )
    assert complete  # the shipped toolkits' periods include a complete year
    regions = list(Organisation.objects.regions())
    reports = list(RegionalReport.objects.select_related("region", "signed_off_by"))
    assert sorted((r.region.code, r.financial_year) for r in reports) == sorted(
        (region.code, year) for region in regions for year in complete
    )
    assert report.contributed["regional annual reports signed off"] == len(reports)
    assert sorted(NationalReport.objects.values_list("financial_year", flat=True)) == complete
    assert not NationalReport.objects.filter(published=True).exists()

    rng = random.Random(2)
    for row in rng.sample(reports, min(10, len(reports))):
        row.full_clean()
        # What the services accept: the limits of the narrative's form.
        assert 0 < len(row.introduction) <= MAX_TEXT_LENGTH
        assert row.region.name in row.introduction
        for items in (row.achievements, row.priorities):
            assert 0 < len(items) <= MAX_ITEMS and len(set(items)) == len(items)
            assert all(0 < len(item) <= MAX_ITEM_LENGTH for item in items)
        # Signed off by the region's chief nurse, after the year's end, not in the future.
        assert Membership.objects.filter(
            user=row.signed_off_by, organisation=row.region, role=Role.REGIONAL_CHIEF_NURSE
        ).exists()
        year_end = datetime.datetime(row.financial_year + 1, 4, 1, tzinfo=LONDON)
        assert year_end < row.signed_off_at <= timezone.now()
    for national in NationalReport.objects.all():
        national.full_clean()
        assert national.foreword and national.health_and_justice
        assert national.achievements and national.priorities
