"""The people of the generated history (`assurance.national_history`): an
approver per ICB and a safeguarding lead per region, who signed, reviewed
and commented. They have no password: nobody signs in as them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from assurance.models import ReportingPeriod
from organisations.choices import Role
from organisations.models import Membership, Organisation, User

BATCH_SIZE = 2000
GENERATED_DOMAIN = "national-data.saaf.invalid"


@dataclass
class GeneratedPeople:
    """A generated approver per ICB and lead per region (no password)."""

    approvers: dict[int, User]
    leads: dict[int, User]
    names: dict[int, str]  # the ICBs'

    @classmethod
    def make(
        cls, periods: list[ReportingPeriod], *, excluded: frozenset[int] = frozenset()
    ) -> GeneratedPeople:
        first, last = periods[0].ends_on, periods[-1].ends_on + datetime.timedelta(days=1)
        icbs = list(
            Organisation.objects.icbs()
            .filter(established__lte=last)
            .exclude(closed__lt=first)
            .exclude(pk__in=excluded)
            .select_related("parent")
        )
        regions = {icb.parent_id: icb.parent for icb in icbs}
        users = [_user(f"approver.{icb.code}", n) for n, icb in enumerate(icbs)]
        users += [_user(f"lead.{r.code}", n + 7) for n, r in enumerate(regions.values())]
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        by_email = {u.email: u for u in User.objects.filter(email__endswith=GENERATED_DOMAIN)}
        approvers = {icb.pk: by_email[_email(f"approver.{icb.code}")] for icb in icbs}
        leads = {pk: by_email[_email(f"lead.{r.code}")] for pk, r in regions.items()}
        Membership.objects.bulk_create(
            [
                Membership(user=user, organisation_id=pk, role=role)
                for people, role in ((approvers, Role.ICB_APPROVER), (leads, Role.REGIONAL_LEAD))
                for pk, user in people.items()
            ],
            batch_size=BATCH_SIZE,
        )
        return cls(approvers, leads, {icb.pk: icb.name for icb in icbs})


def _email(local: str) -> str:
    return f"{local.lower()}@{GENERATED_DOMAIN}"


_FIRST = ["Amina", "Ben", "Carys", "Dev", "Esther", "Felix", "Gita", "Hugh", "Ines", "Jon"]
_LAST = ["Adams", "Bello", "Chen", "Doyle", "Ekwueme", "Flynn", "Gill", "Hart", "Ivens", "Joshi"]


def _user(local: str, number: int) -> User:
    name = f"{_FIRST[number % 10]} {_LAST[(number // 10 + number) % 10]}"
    user = User(email=_email(local), full_name=name)
    user.set_unusable_password()
    return user
