"""Every scoping rule, from both sides: what each role sees and changes, and
what it does not."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import Http404

from organisations.models import (
    AuditAction,
    AuditEvent,
    Commissioning,
    Membership,
    Organisation,
    Role,
)
from organisations.permissions import (
    is_national_admin,
    organisation_get_visible,
    organisation_get_visible_by_code,
    roles_of,
)
from organisations.scoping import (
    _split_responsibility,
    scope_of,
    split_responsibility_register,
)
from tests.factories import PlaceFactory, ProviderFactory, member


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


@pytest.fixture
def providers(reference):
    """Providers led by QMJ (now dissolved), by Z9B2Z, by QMF, and one that
    QMF leads and Z9B2Z also commissions."""
    made = {}
    for code, lead, others in [
        ("RQMJ1", "QMJ", []),
        ("RZ9B1", "Z9B2Z", []),
        ("RQMF1", "QMF", []),
        ("RSHR1", "QMF", ["Z9B2Z"]),
        ("RQM71", "QM7", []),
    ]:
        provider = ProviderFactory(code=code)
        Commissioning.objects.create(icb=reference[lead], provider=provider, is_lead=True)
        for other in others:
            Commissioning.objects.create(icb=reference[other], provider=provider)
        made[code] = provider
    return made


@pytest.mark.parametrize("role", [Role.ICB_VIEWER, Role.ICB_EDITOR, Role.ICB_APPROVER])
def test_successor_users_see_their_predecessors_history(reference, providers, role):
    user = member(reference["Z9B2Z"], role)
    seen = codes(Organisation.objects.visible_to(user))
    assert {"Z9B2Z", "QMJ", "QRV"} <= seen
    assert {"RQMJ1", "RZ9B1", "RSHR1"} <= seen  # providers of the ICB and its predecessors
    assert not seen & {"QMF", "RQMF1", "QKK", "QM7", "RQM71", "Y56", "X24"}


def test_each_successor_of_a_split_sees_the_split_predecessor(reference, providers):
    essex = member(reference["D7T5G"], Role.ICB_VIEWER)
    central_east = member(reference["S1Y5D"], Role.ICB_VIEWER)
    for user in (essex, central_east):
        seen = codes(Organisation.objects.visible_to(user))
        assert "QM7" in seen and "RQM71" in seen
    assert codes(Organisation.objects.visible_to(essex)) & {"QH8", "QJG"} == {"QH8", "QJG"}
    assert "QHG" not in codes(Organisation.objects.visible_to(essex))  # S1Y5D's, not Essex's
    assert codes(Organisation.objects.visible_to(central_east)) & {"QHG", "QUE", "QH8"} == {
        "QHG",
        "QUE",
    }


def test_a_predecessor_does_not_see_its_successor(reference):
    user = member(reference["QMJ"], Role.ICB_VIEWER)
    seen = codes(Organisation.objects.visible_to(user))
    assert "QMJ" in seen
    assert not seen & {"Z9B2Z", "QRV"}


@pytest.mark.parametrize("role", [Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE])
def test_regional_users_see_their_regions_icbs_past_and_present(reference, providers, role):
    user = member(reference["Y56"], role)
    seen = codes(Organisation.objects.visible_to(user))
    assert {"Y56", "QMF", "QRV", "QMJ", "QKK", "QWE", "Z9B2Z"} <= seen
    assert {"RQMJ1", "RZ9B1", "RQMF1", "RSHR1"} <= seen
    assert not seen & {"Y61", "QM7", "RQM71", "S1Y5D", "QHL", "X24"}
    assert codes(Organisation.objects.visible_to(user).icbs()) == {
        "QMF", "QRV", "QMJ", "QKK", "QWE", "Z9B2Z",
    }  # fmt: skip


@pytest.mark.parametrize("role", [Role.NSSG_MEMBER, Role.NATIONAL_ADMIN])
def test_national_users_see_everything(reference, providers, role):
    user = member(reference["X24"], role)
    assert Organisation.objects.visible_to(user).count() == Organisation.objects.count()


def test_people_without_a_role_or_signed_out_see_nothing(reference, providers):
    assert not Organisation.objects.visible_to(AnonymousUser()).exists()
    lonely = member(reference["QMF"], Role.ICB_VIEWER)
    lonely.memberships.all().delete()
    assert not Organisation.objects.visible_to(lonely).exists()
    inactive = member(reference["X24"], Role.NSSG_MEMBER, is_active=False)
    assert not Organisation.objects.visible_to(inactive).exists()


def test_places_are_seen_with_their_icb(reference):
    camden = PlaceFactory(code="E09000007", name="Camden", parent=reference["QMJ"])
    barking = PlaceFactory(code="E09000002", name="Barking and Dagenham", parent=reference["QMF"])
    z9 = codes(Organisation.objects.visible_to(member(reference["Z9B2Z"], Role.ICB_VIEWER)))
    assert camden.code in z9 and barking.code not in z9
    london = codes(Organisation.objects.visible_to(member(reference["Y56"], Role.REGIONAL_LEAD)))
    assert {camden.code, barking.code} <= london


def test_several_memberships_add_up(reference):
    user = member(reference["QMF"], Role.ICB_VIEWER)
    from organisations.models import Membership

    Membership.objects.create(user=user, organisation=reference["Y61"], role=Role.REGIONAL_LEAD)
    seen = codes(Organisation.objects.visible_to(user))
    assert {"QMF", "S1Y5D", "QM7"} <= seen and "QKK" not in seen


# --- Changing -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ICB_EDITOR, Role.ICB_APPROVER])
def test_icb_editors_change_their_icb_and_the_providers_it_leads(reference, providers, role):
    user = member(reference["Z9B2Z"], role)
    assert codes(Organisation.objects.changeable_by(user)) == {"Z9B2Z", "RZ9B1"}
    # Not the shared provider QMF leads, nor the predecessors' history.


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("Z9B2Z", Role.ICB_VIEWER),
        ("Y56", Role.REGIONAL_LEAD),
        ("Y56", Role.REGIONAL_CHIEF_NURSE),
        ("X24", Role.NSSG_MEMBER),
        ("X24", Role.NATIONAL_ADMIN),
    ],
)
def test_roles_that_read_only_change_nothing(reference, providers, code, role):
    user = member(reference[code], role)
    assert Organisation.objects.visible_to(user).exists()
    assert not Organisation.objects.changeable_by(user).exists()


def test_a_dissolved_icbs_editors_change_nothing(reference, providers):
    user = member(reference["QMJ"], Role.ICB_EDITOR)
    assert "QMJ" in codes(Organisation.objects.visible_to(user))
    assert not Organisation.objects.changeable_by(user).exists()


# --- Fetch and authorise: out of scope is missing -----------------------------


def test_out_of_scope_is_the_same_404_as_missing(reference):
    user = member(reference["Z9B2Z"], Role.ICB_APPROVER)
    assert organisation_get_visible(user, reference["QMJ"].pk).code == "QMJ"
    assert organisation_get_visible_by_code(user, "QRV").code == "QRV"
    with pytest.raises(Http404) as out_of_scope:
        organisation_get_visible(user, reference["QMF"].pk)
    with pytest.raises(Http404) as missing:
        organisation_get_visible(user, 987654321)
    assert str(out_of_scope.value) == str(missing.value)
    with pytest.raises(Http404):
        organisation_get_visible_by_code(user, "QMF")
    with pytest.raises(Http404):
        organisation_get_visible(user, "not-a-number")


def test_scoped_queryset_scopes_any_records_that_belong_to_an_organisation(reference, providers):
    from organisations.audit import audit_record, system_actor

    system = system_actor()
    with transaction.atomic():
        for code in ("QMJ", "QMF", "RZ9B1"):
            audit_record(
                actor=system,
                action=AuditAction.ORGANISATION_UPDATED,
                target=reference.get(code) or providers[code],
                organisation=reference.get(code) or providers[code],
            )
    user = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    events = AuditEvent.objects.filter(action=AuditAction.ORGANISATION_UPDATED)
    assert set(events.visible_to(user).values_list("organisation__code", flat=True)) == {
        "QMJ", "RZ9B1",
    }  # fmt: skip
    assert set(events.changeable_by(user).values_list("organisation__code", flat=True)) == {"RZ9B1"}


def test_memberships_gain_scoping_by_naming_their_path(reference):
    """Membership had no scoping of its own: naming `scope_path` gives it the
    same read rule as everything else."""
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    colleague = member(reference["Z9B2Z"], Role.ICB_VIEWER)
    stranger = member(reference["QMF"], Role.ICB_EDITOR)
    london = member(reference["Y56"], Role.REGIONAL_LEAD)
    seen_by_editor = set(Membership.objects.visible_to(editor).values_list("user", flat=True))
    assert {editor.pk, colleague.pk} <= seen_by_editor
    assert stranger.pk not in seen_by_editor
    assert stranger.pk in set(Membership.objects.visible_to(london).values_list("user", flat=True))
    assert not Membership.objects.visible_to(AnonymousUser()).exists()


def test_scope_is_worked_out_once_per_user(reference, django_assert_num_queries):
    user = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    with django_assert_num_queries(2):  # memberships, succession links
        scope = scope_of(user)
        scope_of(user)
        is_national_admin(user)
        roles_of(user)
    assert scope.roles == {Role.ICB_EDITOR}
    with django_assert_num_queries(0):
        Organisation.objects.visible_to(user)  # lazy: the scope is already known


def test_successor_completes_a_merged_predecessors_returns_but_a_split_waits(reference):
    """QMJ merged into S0E4D... the scope's rule for returns: the successor's
    editors complete a dissolved ICB's outstanding return; a split predecessor's
    waits until the national admin names the responsible successor."""
    from organisations.models import Succession

    links = Succession.objects.values_list("predecessor__code", "successor__code")
    successors: dict[str, set[str]] = {}
    for predecessor, successor in links:
        successors.setdefault(predecessor, set()).add(successor)
    merged = next(p for p, s in successors.items() if len(s) == 1)
    split = next(p for p, s in successors.items() if len(s) > 1)
    heir = next(iter(successors[merged]))
    editor = member(reference[heir], Role.ICB_EDITOR)
    viewer = member(reference[heir], Role.ICB_VIEWER)
    assert reference[merged].pk in scope_of(editor).return_icb_ids()
    assert reference[merged].pk not in scope_of(viewer).return_icb_ids()

    split_heirs = sorted(successors[split])
    chosen, other = reference[split_heirs[0]], reference[split_heirs[1]]
    chosen_editor = member(chosen, Role.ICB_EDITOR)
    other_editor = member(other, Role.ICB_EDITOR)
    assert reference[split].pk not in scope_of(chosen_editor).return_icb_ids()

    def responsible(predecessor_id):
        return chosen.pk if predecessor_id == reference[split].pk else None

    split_responsibility_register(responsible)
    try:
        assert reference[split].pk in scope_of(chosen_editor).return_icb_ids()
        assert reference[split].pk not in scope_of(other_editor).return_icb_ids()
    finally:
        _split_responsibility.remove(responsible)


def test_scoping_takes_a_fixed_number_of_queries(
    reference, providers, django_assert_max_num_queries
):
    user = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    with django_assert_max_num_queries(5):
        list(Organisation.objects.visible_to(user))
