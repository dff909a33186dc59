"""The demo world: providers, places and one persona per role, so a newcomer
can try the portal as each kind of user. Never in production.

Personas whose role requires MFA are enrolled with a known TOTP secret, and
`manage.py persona_code` prints their current code, so nobody needs a phone.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from organisations import services
from organisations.audit import system_actor
from organisations.models import MFA_REQUIRED_ROLES, Organisation, ProviderKind, Role, User

# Apps above organisations contribute their demo records here, from their
# AppConfig.ready(), in the order the apps are installed.
_demo_populators: list[Callable[[], None]] = []


def demo_populator_register(populate: Callable[[], None]) -> None:
    if populate not in _demo_populators:
        _demo_populators.append(populate)


def demo_populators() -> list[Callable[[], None]]:
    return list(_demo_populators)


DEMO_DOMAIN = "demo.saaf.nhs.uk"


@dataclass(frozen=True)
class Persona:
    email: str
    full_name: str
    organisation_code: str
    role: str

    @property
    def needs_mfa(self) -> bool:
        return self.role in MFA_REQUIRED_ROLES

    @property
    def totp_secret(self) -> str:
        """Known and stable, derived from the email: demo use only."""
        digest = hashlib.sha256(f"saaf-demo-totp:{self.email}".encode()).digest()[:20]
        return base64.b32encode(digest).decode()

    def current_code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


PERSONAS = [
    Persona(f"approver.z9b2z@{DEMO_DOMAIN}", "Amara Okafor", "Z9B2Z", Role.ICB_APPROVER),
    Persona(f"editor.z9b2z@{DEMO_DOMAIN}", "Ben Hughes", "Z9B2Z", Role.ICB_EDITOR),
    Persona(f"viewer.z9b2z@{DEMO_DOMAIN}", "Chloe Patel", "Z9B2Z", Role.ICB_VIEWER),
    Persona(f"approver.qmf@{DEMO_DOMAIN}", "Daniel Mensah", "QMF", Role.ICB_APPROVER),
    Persona(f"lead.london@{DEMO_DOMAIN}", "Eleanor Wright", "Y56", Role.REGIONAL_LEAD),
    Persona(f"chiefnurse.london@{DEMO_DOMAIN}", "Farah Begum", "Y56", Role.REGIONAL_CHIEF_NURSE),
    Persona(f"nssg@{DEMO_DOMAIN}", "George Allen", "X24", Role.NSSG_MEMBER),
    Persona(f"admin@{DEMO_DOMAIN}", "Hannah Reid", "X24", Role.NATIONAL_ADMIN),
]

# (code, name, kind, lead ICB, other ICBs, maternity, unscheduled care)
PROVIDERS = [
    ("R1H", "Barts Health NHS Trust", ProviderKind.NHS_TRUST, "QMF", [], True, True),
    (
        "RQX",
        "Homerton Healthcare NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "QMF",
        [],
        True,
        True,
    ),
    (
        "RWK",
        "East London NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "QMF",
        ["Z9B2Z"],
        False,
        False,
    ),
    (
        "DEMO-GP-QMF1",
        "Demo Hackney Health Centre (GP practice)",
        ProviderKind.GP_PRACTICE,
        "QMF",
        [],
        False,
        False,
    ),
    (
        "DEMO-PCN-QMF1",
        "Demo Hackney Central Primary Care Network",
        ProviderKind.PCN,
        "QMF",
        [],
        False,
        False,
    ),
    (
        "RAL",
        "Royal Free London NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "Z9B2Z",
        [],
        True,
        True,
    ),
    (
        "RYJ",
        "Imperial College Healthcare NHS Trust",
        ProviderKind.NHS_TRUST,
        "Z9B2Z",
        [],
        True,
        True,
    ),
    (
        "RV3",
        "Central and North West London NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "Z9B2Z",
        [],
        False,
        True,
    ),
    ("RKE", "Whittington Health NHS Trust", ProviderKind.NHS_TRUST, "Z9B2Z", ["QMF"], True, True),
    (
        "DEMO-IND-Z1",
        "Demo Harrow Independent Hospital",
        ProviderKind.INDEPENDENT,
        "Z9B2Z",
        [],
        False,
        False,
    ),
    (
        "DEMO-GP-Z1",
        "Demo Camden Road Surgery (GP practice)",
        ProviderKind.GP_PRACTICE,
        "Z9B2Z",
        [],
        False,
        False,
    ),
    (
        "RAJ",
        "Mid and South Essex NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "D7T5G",
        [],
        True,
        True,
    ),
    (
        "RXN",
        "Lancashire Teaching Hospitals NHS Foundation Trust",
        ProviderKind.FOUNDATION_TRUST,
        "QE1",
        [],
        True,
        True,
    ),
]

PLACES = [
    ("E09000007", "Camden", "Z9B2Z"),
    ("E09000019", "Islington", "Z9B2Z"),
    ("E09000005", "Brent", "Z9B2Z"),
    ("E09000012", "Hackney", "QMF"),
    ("E09000030", "Tower Hamlets", "QMF"),
]


@dataclass
class DemoResult:
    created_personas: list[str]
    password: str | None  # set only when this run chose or changed it


def persona_by_email(email: str) -> Persona | None:
    email = email.strip().lower()
    return next((p for p in PERSONAS if p.email == email or p.email.split("@")[0] == email), None)


def demo_world_create(*, password: str | None = None) -> DemoResult:
    """Create what is missing of the demo world; safe to run again. With a
    `password`, every persona's password is (re)set to it; without one, new
    personas get a random password, returned once."""
    orgs = {o.code: o for o in Organisation.objects.filter(kind__in=["icb", "region", "national"])}
    chosen = password or None
    created: list[str] = []
    with transaction.atomic():
        for code, name, kind, lead, others, maternity, unscheduled in PROVIDERS:
            if Organisation.objects.filter(code=code).exists():
                continue
            services.provider_create(
                actor=system_actor(),
                code=code,
                name=name,
                provider_kind=kind,
                lead_icb=orgs[lead],
                other_icbs=tuple(orgs[o] for o in others),
                provides_maternity=maternity,
                runs_unscheduled_care=unscheduled,
            )
        for code, name, icb in PLACES:
            if not Organisation.objects.filter(code=code).exists():
                services.place_create(actor=system_actor(), code=code, name=name, icb=orgs[icb])

        for persona in PERSONAS:
            user = User.objects.filter(email=persona.email).first()
            if user is None:
                chosen = chosen or secrets.token_urlsafe(12)
                user = services.user_create(
                    actor=system_actor(),
                    email=persona.email,
                    full_name=persona.full_name,
                    password=chosen,
                )
                # Dates relative to today: the personas joined a few months ago.
                user.date_joined = timezone.now() - datetime.timedelta(days=120)
                user.save(update_fields=["date_joined"])
                services.membership_grant(
                    actor=system_actor(),
                    user=user,
                    organisation=orgs[persona.organisation_code],
                    role=persona.role,
                )
                created.append(persona.email)
            elif password:
                user.set_password(password)
                user.save(update_fields=["password"])
            if (
                persona.needs_mfa
                and not Authenticator.objects.filter(
                    user=user, type=Authenticator.Type.TOTP
                ).exists()
            ):
                TOTP.activate(user, persona.totp_secret)
    return DemoResult(created_personas=created, password=chosen if (created or password) else None)
