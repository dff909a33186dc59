import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organisations.models import Commissioning, Membership, Organisation, Role
from tests.factories import PlaceFactory, ProviderFactory, UserFactory


def test_existing_on_counts_first_and_last_days(reference):
    qmj = reference["QMJ"]
    icbs = Organisation.objects.icbs()
    assert icbs.existing_on(datetime.date(2026, 3, 31)).filter(pk=qmj.pk).exists()
    assert not icbs.existing_on(datetime.date(2026, 4, 1)).filter(pk=qmj.pk).exists()
    assert qmj.existed_on(datetime.date(2022, 7, 1))
    assert not qmj.existed_on(datetime.date(2022, 6, 30))


def test_region_of_an_icb_and_a_place(reference):
    place = PlaceFactory(parent=reference["QMF"])
    assert reference["QMF"].region.code == "Y56"
    assert place.region.code == "Y56"
    assert reference["X24"].region is None


def test_an_organisation_cannot_close_before_it_opened(reference):
    org = Organisation(
        kind="icb",
        code="QXX",
        name="Test ICB",
        parent=reference["Y56"],
        established=datetime.date(2026, 4, 1),
        closed=datetime.date(2026, 3, 1),
    )
    with pytest.raises(ValidationError, match="cannot close before it was established"):
        org.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        org.save()


def test_an_icb_belongs_to_a_region(reference):
    org = Organisation(kind="icb", code="QXX", name="Test ICB", parent=reference["QMF"])
    with pytest.raises(ValidationError, match="belongs to region"):
        org.full_clean()


def test_a_provider_needs_a_provider_kind(reference):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind="provider", code="RXX", name="Nameless")


def test_a_provider_has_one_lead_commissioner(reference):
    provider = ProviderFactory()
    Commissioning.objects.create(icb=reference["QMF"], provider=provider, is_lead=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commissioning.objects.create(icb=reference["QKK"], provider=provider, is_lead=True)
    Commissioning.objects.create(icb=reference["QKK"], provider=provider, is_lead=False)
    assert provider.commissioners.count() == 2


def test_a_role_is_held_in_the_right_kind_of_organisation(reference):
    user = UserFactory()
    wrong = Membership(user=user, organisation=reference["Y56"], role=Role.ICB_EDITOR)
    with pytest.raises(ValidationError, match="held in an integrated care board"):
        wrong.full_clean()
    Membership(user=user, organisation=reference["QMF"], role=Role.ICB_EDITOR).full_clean()
    with pytest.raises(ValidationError, match="held in a national"):
        Membership(user=user, organisation=reference["Y56"], role=Role.NSSG_MEMBER).full_clean()


def test_users_are_identified_by_email(db):
    from organisations.models import User

    user = User.objects.create_user("Someone@Example.NHS.uk", password="x" * 14)
    assert user.email == "someone@example.nhs.uk"
    assert User.USERNAME_FIELD == "email"
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", password="x")
