import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from organisations import services
from organisations.audit import audit_record, system_actor
from organisations.models import AuditAction, AuditEvent, Commissioning, Organisation, Role, User
from tests.factories import UserFactory, member


def test_audit_record_refuses_to_run_outside_a_transaction(reference, django_db_blocker):
    # pytest-django wraps the test in a transaction; step outside it on purpose.
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            audit_record(
                actor=system_actor(), action=AuditAction.PLACE_CREATED, target=reference["QMF"]
            )
    finally:
        connection.in_atomic_block = saved


def test_a_failed_change_leaves_neither_change_nor_event(reference):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.provider_create(
            actor=admin,
            code="RBAD",
            name="Bad",
            provider_kind="nhs_trust",
            lead_icb=reference["QMF"],
            other_icbs=(reference["Y56"],),  # a region, not an ICB
        )
    assert not Organisation.objects.filter(code="RBAD").exists()
    assert not Commissioning.objects.filter(provider__code="RBAD").exists()
    assert AuditEvent.objects.count() == before


def test_provider_create_and_update_are_audited(reference):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    provider = services.provider_create(
        actor=admin,
        code="rhh",
        name="Homerton Healthcare NHS Foundation Trust",
        provider_kind="foundation_trust",
        lead_icb=reference["QMF"],
        other_icbs=(reference["Z9B2Z"],),
        provides_maternity=True,
    )
    assert provider.code == "RHH"
    lead = Commissioning.objects.get(provider=provider, is_lead=True)
    assert lead.icb.code == "QMF"
    event = AuditEvent.objects.for_object(provider).get()
    assert (event.actor, event.action, event.organisation) == (admin, "provider.created", provider)

    services.provider_update(actor=admin, provider=provider, runs_unscheduled_care=True)
    latest = AuditEvent.objects.for_object(provider).first()
    assert latest.action == "provider.updated"
    assert latest.changes == {"runs_unscheduled_care": [False, True]}
    # No change, no event.
    services.provider_update(actor=admin, provider=provider, runs_unscheduled_care=True)
    assert AuditEvent.objects.for_object(provider).count() == 2
    with pytest.raises(ValidationError, match="cannot be changed here"):
        services.provider_update(actor=admin, provider=provider, code="NEW")


def test_membership_grant_validates_and_audits(reference):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    user = services.user_create(actor=admin, email="New.Person@nhs.net", full_name="New Person")
    assert user.email == "new.person@nhs.net" and not user.has_usable_password()
    with pytest.raises(ValidationError, match="already a user"):
        services.user_create(actor=admin, email="new.person@NHS.net")
    with pytest.raises(ValidationError):
        services.membership_grant(
            actor=admin, user=user, organisation=reference["QMF"], role=Role.REGIONAL_LEAD
        )
    membership = services.membership_grant(
        actor=admin, user=user, organisation=reference["QMF"], role=Role.ICB_EDITOR
    )
    assert (
        AuditEvent.objects.filter(
            action="membership.granted", organisation=reference["QMF"], actor=admin
        ).count()
        == 1
    )
    services.membership_revoke(actor=admin, membership=membership)
    assert not user.memberships.exists()
    assert AuditEvent.objects.filter(action="membership.revoked").count() == 1
    assert User.objects.filter(email="new.person@nhs.net").exists()


def test_place_create(reference):
    place = services.place_create(
        actor=system_actor(), code="e09000007", name="Camden", icb=reference["Z9B2Z"]
    )
    assert place.parent.code == "Z9B2Z" and place.kind == "place"
    with pytest.raises(ValidationError, match="place belongs to an ICB"):
        services.place_create(actor=system_actor(), code="E1", name="Nowhere", icb=reference["Y56"])


def test_the_django_admin_follows_the_national_admin_role(reference):
    user = UserFactory()
    membership = services.membership_grant(
        actor=system_actor(), user=user, organisation=reference["X24"], role=Role.NATIONAL_ADMIN
    )
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser
    services.membership_revoke(actor=system_actor(), membership=membership)
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser
    services.membership_grant(
        actor=system_actor(), user=user, organisation=reference["X24"], role=Role.NSSG_MEMBER
    )
    user.refresh_from_db()
    assert not user.is_staff


def test_audit_record_refuses_free_strings_and_a_missing_actor(reference):
    with pytest.raises(TypeError, match="AuditAction"):
        audit_record(actor=system_actor(), action="provider.touched", target=reference["QMF"])
    with pytest.raises(ValueError, match="needs an actor"):
        audit_record(actor=None, action=AuditAction.PLACE_CREATED, target=reference["QMF"])


def test_a_failed_sign_in_is_the_only_event_without_an_actor(reference):
    from django.db import IntegrityError

    event = audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        target=reference["X24"],
        attempted_email="someone@example.nhs.uk",
    )
    assert event.actor is None and event.attempted_email == "someone@example.nhs.uk"
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.PLACE_CREATED)


def test_foreign_keys_are_recorded_with_id_code_and_name(reference):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    services.place_create(actor=admin, code="E09000012", name="Hackney", icb=reference["QMF"])
    event = AuditEvent.objects.get(action=AuditAction.PLACE_CREATED)
    qmf = reference["QMF"]
    assert event.changes["icb"] == [None, {"id": qmf.pk, "code": "QMF", "name": qmf.name}]


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, ref: services.user_create(actor=actor, email="x@nhs.net"),
        lambda actor, ref: services.place_create(
            actor=actor, code="E1", name="Nowhere", icb=ref["QMF"]
        ),
        lambda actor, ref: services.provider_create(
            actor=actor, code="RX", name="X", provider_kind="nhs_trust", lead_icb=ref["QMF"]
        ),
        lambda actor, ref: services.membership_grant(
            actor=actor, user=actor, organisation=ref["X24"], role=Role.NATIONAL_ADMIN
        ),
    ],
)
@pytest.mark.parametrize(
    "role,org", [(Role.ICB_APPROVER, "QMF"), (Role.REGIONAL_LEAD, "Y56"), (Role.NSSG_MEMBER, "X24")]
)
def test_organisation_services_refuse_every_role_but_the_national_admin(reference, call, role, org):
    from organisations.permissions import NotPermitted

    actor = member(reference[org], role)
    before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        call(actor, reference)
    assert AuditEvent.objects.count() == before
    assert not actor.memberships.filter(role=Role.NATIONAL_ADMIN).exists()
