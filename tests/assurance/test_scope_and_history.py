"""Foundation III across assurance: services refuse the wrong role whoever
calls them, pages read the user's scope once, object pages show their history,
and every list and link starts from the reader's scope."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from markupsafe import escape  # as the Jinja2 pages escape (an apostrophe as &#39;)

from assurance.models import PostType
from assurance.services import register as register_services
from assurance.services import toolkit as toolkit_services
from organisations.audit import system_actor
from organisations.models import AuditAction, AuditEvent, Commissioning, Role
from organisations.permissions import NotPermitted
from tests.factories import ProviderFactory, enrol_totp, member

ROLES = [
    (Role.ICB_VIEWER, "Z9B2Z"),
    (Role.ICB_EDITOR, "QMF"),  # another ICB's editor
    (Role.ICB_APPROVER, "QMF"),
    (Role.REGIONAL_LEAD, "Y56"),
    (Role.REGIONAL_CHIEF_NURSE, "Y56"),
    (Role.NSSG_MEMBER, "X24"),
    (Role.NATIONAL_ADMIN, "X24"),  # national admins do not keep ICBs' registers
]


@pytest.fixture
def register(reference):
    register_services.post_types_load(actor=system_actor())
    types = {pt.code: pt for pt in PostType.objects.all()}
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    post = register_services.post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=types["ICB_DES_DR_SC"]
    )
    return {"editor": editor, "post": post, "types": types}


@pytest.mark.parametrize("role,org", ROLES)
def test_register_services_refuse_every_role_but_the_icbs_editors(reference, register, role, org):
    actor = member(reference[org], role)
    post = register["post"]
    before = AuditEvent.objects.count()
    calls = [
        lambda: register_services.post_create(
            actor=actor,
            organisation=reference["Z9B2Z"],
            post_type=register["types"]["ICB_DES_NURSE_SC"],
        ),
        lambda: register_services.post_update(actor=actor, post=post, notes="changed"),
        lambda: register_services.tenure_add(
            actor=actor,
            post=post,
            holder_name="Dr A",
            whole_time_equivalent=1,
            start_date=datetime.date(2025, 1, 1),
        ),
    ]
    for call in calls:
        with pytest.raises(NotPermitted, match="cannot change the posts register"):
            call()
    assert AuditEvent.objects.count() == before
    post.refresh_from_db()
    assert post.notes == "" and not post.tenures.exists()


@pytest.mark.parametrize("role,org", [r for r in ROLES if r[0] != Role.NATIONAL_ADMIN])
def test_toolkit_services_refuse_every_role_but_the_national_admin(reference, toolkit, role, org):
    actor = member(reference[org], role)
    draft_source = toolkit[2026]
    calls = [
        lambda: toolkit_services.toolkit_version_copy(actor=actor, source=draft_source),
        lambda: toolkit_services.toolkit_version_publish(actor=actor, version=draft_source),
        lambda: toolkit_services.reporting_periods_ensure(actor=actor, version=draft_source),
        lambda: toolkit_services.reporting_period_update(
            actor=actor,
            period=draft_source.periods.first(),
            opens_on=datetime.date(2026, 4, 1),
            due_on=datetime.date(2026, 8, 1),
            closes_on=datetime.date(2026, 9, 1),
        ),
        lambda: toolkit_services.section_create(
            actor=actor, version=draft_source, code="ZZ", title="Z", saaf_reference=""
        ),
    ]
    before = AuditEvent.objects.count()
    for call in calls:
        with pytest.raises(NotPermitted, match="Only the national admin"):
            call()
    assert AuditEvent.objects.count() == before


def test_post_types_load_refuses_an_icb_editor(reference):
    with pytest.raises(NotPermitted):
        register_services.post_types_load(actor=member(reference["QMF"], Role.ICB_EDITOR))


def test_the_post_page_shows_its_whole_history(client, reference, register):
    post, editor = register["post"], register["editor"]
    tenure = register_services.tenure_add(
        actor=editor,
        post=post,
        holder_name="Dr Ada Example",
        whole_time_equivalent=1,
        start_date=datetime.date(2025, 1, 1),
    )
    register_services.tenure_update(actor=editor, tenure=tenure, training_level=4)
    # A holder's events are filed under the post: one query finds all three.
    assert {e.action for e in AuditEvent.objects.for_object(post)} == {
        AuditAction.POST_CREATED,
        AuditAction.POST_HOLDER_ADDED,
        AuditAction.POST_HOLDER_UPDATED,
    }
    client.force_login(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    page = client.get(reverse("assurance:post_detail", args=[post.pk])).content.decode()
    history = page.split('id="history-heading"', 1)[1]
    assert "Holder recorded: Dr Ada Example" in history
    assert "Training level: none → 4" in history
    assert "Post created" in history
    assert str(escape(editor.full_name)) in history  # the page escapes "O'Donnell"


def test_the_toolkit_version_page_shows_its_history(client, reference, toolkit):
    admin = member(reference["X24"], Role.NATIONAL_ADMIN)
    enrol_totp(admin)
    draft = toolkit_services.toolkit_version_copy(actor=admin, source=toolkit[2026])
    standard = draft.standards.get(code="LG1")
    toolkit_services.standard_update(actor=admin, standard=standard, guidance="Read the SAAF.")
    client.force_login(admin)
    page = client.get(
        reverse("assurance:toolkit_version_detail", args=[draft.financial_year])
    ).content.decode()
    history = page.split('id="history-heading"', 1)[1]
    assert "Standard changed" in history and "Toolkit draft started" in history


def test_back_link_from_a_co_commissioned_providers_post_stays_in_scope(
    client, reference, register
):
    """A provider led by QMF and co-commissioned by Z9B2Z: Z9B2Z's reader goes
    back to Z9B2Z's register, not to QMF's, which they cannot open."""
    trust = ProviderFactory(code="RSHR9", name="Shared Trust")
    Commissioning.objects.create(icb=reference["QMF"], provider=trust, is_lead=True)
    Commissioning.objects.create(icb=reference["Z9B2Z"], provider=trust, is_lead=False)
    qmf_editor = member(reference["QMF"], Role.ICB_EDITOR)
    post = register_services.post_create(
        actor=qmf_editor, organisation=trust, post_type=register["types"]["PRV_NAMED_NURSE_SC"]
    )
    client.force_login(member(reference["Z9B2Z"], Role.ICB_VIEWER))
    page = client.get(reverse("assurance:post_detail", args=[post.pk])).content.decode()
    back = reverse("assurance:register_icb", args=["Z9B2Z"])
    assert f'href="{back}"' in page
    assert client.get(back).status_code == 200
    assert reverse("assurance:register_icb", args=["QMF"]) not in page


def test_hosted_by_offers_only_the_region(reference, register):
    from assurance.forms.register import PostForm

    form = PostForm(organisation=reference["Z9B2Z"])
    choices = set(form.fields["hosted_by"].queryset.values_list("code", flat=True))
    assert "QMF" in choices  # a London neighbour
    assert "QE1" not in choices  # North West
    assert "QMJ" not in choices  # dissolved
    assert "Z9B2Z" not in choices  # itself


def test_a_page_reads_the_users_memberships_once(client, reference, register):
    client.force_login(register["editor"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("assurance:post_detail", args=[register["post"].pk]))
    assert response.status_code == 200
    membership_reads = [q["sql"] for q in queries if 'FROM "organisations_membership"' in q["sql"]]
    assert len(membership_reads) == 1, membership_reads


def test_an_icb_teams_returns_are_read_by_list_as_by_the_general_subquery(reference, toolkit):
    """`visible_to` reads a return's ICB from the user's own ICBs (and those
    they succeeded) for an ICB's team, rather than every organisation they
    may read: the same returns either way, for every ICB role and for a
    successor reading its predecessors'."""
    from assurance.models import QuarterlyReturn, ReportingPeriod
    from organisations.scoping import scope_of

    period = ReportingPeriod.objects.get(financial_year=2025, quarter=4)
    for code in ("QMJ", "QRV", "QNQ", "QMF", "QHL"):
        QuarterlyReturn.objects.create(
            icb=reference[code], period=period, started_by=system_actor()
        )
    for code, role in [
        ("Z9B2Z", Role.ICB_VIEWER),  # successor of QMJ and QRV
        ("S0E4D", Role.ICB_EDITOR),  # one of QNQ's successors
        ("QMF", Role.ICB_APPROVER),
        ("Y56", Role.REGIONAL_LEAD),  # the general path: not the list
    ]:
        user = member(reference[code], role)
        listed = set(QuarterlyReturn.objects.visible_to(user).values_list("icb__code", flat=True))
        general = set(
            QuarterlyReturn.objects.filter(icb__in=scope_of(user).visible_ids()).values_list(
                "icb__code", flat=True
            )
        )
        assert listed == general, code
        assert listed, code
