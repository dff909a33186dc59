"""Fixtures for the reviews tracker: places and providers around the London
ICBs, people in each role, and reviews made through the services."""

import datetime

import pytest

from organisations.models import Commissioning, Role
from reviews import services
from reviews.models import AgeGroup, ConveningBody, ReviewKind
from tests.factories import PlaceFactory, ProviderFactory, enrol_totp, member

NOTIFIED = datetime.date(2026, 5, 4)


@pytest.fixture
def world(reference):
    """Z9B2Z and QMF (London) and QE1 (North West), a place in each London
    ICB, a provider each leads, and one Z9B2Z leads that QMF also commissions."""
    z9, qmf, qe1 = reference["Z9B2Z"], reference["QMF"], reference["QE1"]
    camden = PlaceFactory(code="E09000007", name="Camden", parent=z9)
    hackney = PlaceFactory(code="E09000012", name="Hackney", parent=qmf)
    z9_trust = ProviderFactory(code="RZ901", name="Royal Free Test Trust")
    Commissioning.objects.create(icb=z9, provider=z9_trust, is_lead=True)
    shared = ProviderFactory(code="RZ902", name="Whittington Test Trust")
    Commissioning.objects.create(icb=z9, provider=shared, is_lead=True)
    Commissioning.objects.create(icb=qmf, provider=shared)
    qmf_trust = ProviderFactory(code="RQF01", name="Barts Test Trust")
    Commissioning.objects.create(icb=qmf, provider=qmf_trust, is_lead=True)
    return {
        "z9": z9,
        "qmf": qmf,
        "qe1": qe1,
        "london": reference["Y56"],
        "north_west": reference["Y62"],
        "national": reference["X24"],
        "camden": camden,
        "hackney": hackney,
        "z9_trust": z9_trust,
        "shared": shared,
        "qmf_trust": qmf_trust,
    }


@pytest.fixture
def people(world):
    made = {
        "z9_editor": member(world["z9"], Role.ICB_EDITOR),
        "z9_approver": member(world["z9"], Role.ICB_APPROVER),
        "z9_viewer": member(world["z9"], Role.ICB_VIEWER),
        "qmf_editor": member(world["qmf"], Role.ICB_EDITOR),
        "qmf_viewer": member(world["qmf"], Role.ICB_VIEWER),
        "qe1_editor": member(world["qe1"], Role.ICB_EDITOR),
        "london_lead": member(world["london"], Role.REGIONAL_LEAD),
        "london_nurse": member(world["london"], Role.REGIONAL_CHIEF_NURSE),
        "north_west_lead": member(world["north_west"], Role.REGIONAL_LEAD),
        "nssg": member(world["national"], Role.NSSG_MEMBER),
        "national_admin": member(world["national"], Role.NATIONAL_ADMIN),
    }
    for user in made.values():
        enrol_totp(user)
    return made


@pytest.fixture
def make_review(world, people):
    """A review led by Z9B2Z (unless told otherwise), through the service."""

    def make(**values):
        defaults = {
            "actor": people["z9_editor"],
            "lead_icb": world["z9"],
            "kind": ReviewKind.SAR,
            "reference": "CAMDEN-SAR-01",
            "convening_body": ConveningBody.SAB,
            "area": world["camden"],
            "age_group": AgeGroup.ADULT,
            "notified_on": NOTIFIED,
        }
        return services.review_create(**(defaults | values))

    return make
