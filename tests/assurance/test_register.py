"""The posts register: who must have which post, findings as of a date,
job shares, hosted posts, history, and who may change what."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from assurance.findings import FindingKind, icb_registers, registers_for, supervision_cutoff
from assurance.models import Post, PostType, Tenure
from assurance.services.register import post_create, post_types_load, tenure_add, tenure_update
from organisations.audit import system_actor
from organisations.models import AuditEvent, Commissioning, Role
from tests.factories import ProviderFactory, member

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def post_types(db):
    post_types_load(actor=system_actor())
    return {pt.code: pt for pt in PostType.objects.all()}


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


def led_provider(icb, **fields):
    provider = ProviderFactory(**fields)
    Commissioning.objects.create(icb=icb, provider=provider, is_lead=True)
    return provider


def required_codes(org, post_types):
    return {code for code, pt in post_types.items() if pt.is_required_for(org)}


def holder(**overrides):
    values = {
        "holder_name": "Dr A Example",
        "start_date": datetime.date(2025, 1, 6),
        "whole_time_equivalent": Decimal("1.0"),
        "training_level": 5,
        "training_date": datetime.date(2025, 3, 1),
        "last_supervision": TODAY,
    }
    values.update(overrides)
    return values


# --- Which posts each kind of organisation must have ---------------------------


def test_post_types_load_is_idempotent(post_types):
    assert post_types_load(actor=system_actor()) == {"created": [], "updated": []}
    assert len(post_types) == 21


def test_an_icb_must_have_its_designated_professionals(reference, post_types):
    codes = required_codes(reference["Z9B2Z"], post_types)
    assert codes == {
        "ICB_DES_DR_SC", "ICB_DES_NURSE_SC", "ICB_DES_DR_CIC", "ICB_DES_NURSE_CIC",
        "ICB_DES_ADULT", "ICB_DES_MCA", "ICB_DES_DR_CD", "ICB_NAMED_GP_C", "ICB_NAMED_GP_A",
        "ICB_EXEC_LEAD", "ICB_PREVENT_LEAD",
    }  # fmt: skip
    assert all(post_types[c].training_level == 5 for c in codes if "_DES_" in c)


def test_a_trust_needs_a_named_midwife_only_with_maternity_services(reference, post_types):
    with_maternity = led_provider(reference["Z9B2Z"], provides_maternity=True)
    without = led_provider(reference["Z9B2Z"], provides_maternity=False)
    assert "PRV_NAMED_MIDWIFE" in required_codes(with_maternity, post_types)
    assert "PRV_NAMED_MIDWIFE" not in required_codes(without, post_types)
    assert len(required_codes(without, post_types)) == 8
    assert all(
        post_types[c].training_level == 4
        for c in required_codes(without, post_types)
        if "NAMED" in c
    )


def test_independent_providers_have_the_named_set(reference, post_types):
    independent = led_provider(reference["QMF"], provider_kind="independent")
    assert "PRV_NAMED_NURSE_SC" in required_codes(independent, post_types)


def test_a_gp_practice_needs_a_safeguarding_and_mca_lead(reference, post_types):
    practice = led_provider(reference["QMF"], provider_kind="gp_practice")
    assert required_codes(practice, post_types) == {"GP_LEAD"}


def test_a_primary_care_network_needs_none_of_its_own(reference, post_types):
    pcn = led_provider(reference["QMF"], provider_kind="pcn")
    assert required_codes(pcn, post_types) == set()
    [register] = registers_for([pcn], on=TODAY)
    assert register.rows == [] and register.findings == []


# --- Findings -------------------------------------------------------------------


def test_every_required_post_is_missing_until_set_up(reference, post_types):
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    kinds = {f.post_type.code: f.kind for f in register.findings}
    assert len(kinds) == 11 and set(kinds.values()) == {FindingKind.MISSING}
    assert register.counts()["required"] == 11 and register.counts()["filled"] == 0


def test_a_post_without_a_holder_is_vacant_since_its_last_holder_left(
    reference, post_types, editor
):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_NURSE_SC"]
    )
    tenure_add(actor=editor, post=post, **holder(end_date=datetime.date(2026, 9, 30)))
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    [finding] = [f for f in register.findings if f.post_type.code == "ICB_DES_NURSE_SC"]
    assert finding.kind == FindingKind.VACANT
    assert finding.detail == "Vacant since 1 October 2026."
    # On a day the holder was in post, there was no finding for it.
    [earlier] = registers_for([reference["Z9B2Z"]], on=datetime.date(2026, 9, 30))
    assert not [f for f in earlier.findings if f.post_type.code == "ICB_DES_NURSE_SC"]


def test_supervision_at_the_interval_boundary(reference, post_types, editor):
    cutoff = supervision_cutoff(TODAY, 3)
    assert cutoff == TODAY - relativedelta(months=3) == datetime.date(2026, 8, 23)
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    tenure = tenure_add(actor=editor, post=post, **holder(last_supervision=cutoff))

    def overdue(on, months=None):
        [register] = registers_for([reference["Z9B2Z"]], on=on, supervision_months=months)
        return [
            f
            for f in register.findings
            if f.post_type.code == "ICB_DES_DR_SC" and f.kind == FindingKind.SUPERVISION_OVERDUE
        ]

    assert not overdue(TODAY)  # exactly three months ago: still within
    assert overdue(TODAY + datetime.timedelta(days=1))  # a day more: overdue
    assert not overdue(TODAY + datetime.timedelta(days=40), months=6)  # interval configurable
    tenure_update(actor=editor, tenure=tenure, last_supervision=None)
    [finding] = overdue(TODAY)
    assert finding.detail == (
        "Dr A Example: no supervision recorded since starting on 6 January 2025."
    )


def test_the_interval_comes_from_settings(reference, post_types, editor, settings):
    settings.SAAF_SUPERVISION_INTERVAL_MONTHS = 1
    assert supervision_cutoff(TODAY) == datetime.date(2026, 10, 23)


def test_training_below_the_posts_level(reference, post_types, editor):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_ADULT"]
    )
    tenure_add(actor=editor, post=post, **holder(training_level=4))
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    [finding] = [f for f in register.findings if f.post_type.code == "ICB_DES_ADULT"]
    assert finding.kind == FindingKind.BELOW_LEVEL
    assert "level 4 recorded; the post needs level 5" in finding.detail


def test_an_icbs_register_rolls_up_the_providers_it_leads(reference, post_types):
    z9 = reference["Z9B2Z"]
    led = led_provider(z9, provides_maternity=True)
    shared = ProviderFactory()
    Commissioning.objects.create(icb=reference["QMF"], provider=shared, is_lead=True)
    Commissioning.objects.create(icb=z9, provider=shared)
    [rollup] = icb_registers([z9], on=TODAY)
    assert [r.organisation for r in rollup.providers] == [led]  # not the one QMF leads
    assert rollup.counts()["missing"] == 11 + 9
    assert rollup.counts()["required"] == 20


def test_findings_take_a_fixed_number_of_queries(
    reference, post_types, editor, django_assert_max_num_queries
):
    for code in ("QMF", "QKK", "QWE", "Z9B2Z"):
        for _ in range(3):
            led_provider(reference[code])
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    tenure_add(actor=editor, post=post, **holder())
    icbs = list(reference["Y56"].children.icbs().current())
    with django_assert_max_num_queries(4):
        rollups = icb_registers(icbs, on=TODAY)
        for rollup in rollups:
            rollup.counts()
    assert len(rollups) == 4


# --- Job shares, hosted posts, history --------------------------------------------


def test_a_single_post_has_one_current_holder(reference, post_types, editor):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    tenure_add(actor=editor, post=post, **holder())
    with pytest.raises(ValidationError, match="is not a job share and Dr A Example holds it"):
        tenure_add(
            actor=editor,
            post=post,
            **holder(holder_name="Dr B Second", start_date=datetime.date(2026, 6, 1)),
        )
    assert post.tenures.count() == 1


def test_a_job_share_has_several_holders(reference, post_types, editor):
    post = post_create(
        actor=editor,
        organisation=reference["Z9B2Z"],
        post_type=post_types["ICB_NAMED_GP_C"],
        job_share=True,
    )
    tenure_add(
        actor=editor, post=post, **holder(whole_time_equivalent=Decimal("0.4"), training_level=4)
    )
    tenure_add(
        actor=editor,
        post=post,
        **holder(
            holder_name="Dr B Partner", training_level=4, whole_time_equivalent=Decimal("0.4")
        ),
    )
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    [row] = [r for r in register.rows if r.post_type.code == "ICB_NAMED_GP_C"]
    assert {t.holder_name for t in row.holders} == {"Dr A Example", "Dr B Partner"}
    assert row.findings == []


def test_an_icb_may_meet_access_to_posts_through_a_hosted_post(reference, post_types, editor):
    host = reference["QMF"]
    post = post_create(
        actor=editor,
        organisation=reference["Z9B2Z"],
        post_type=post_types["ICB_DES_MCA"],
        hosted_by=host,
    )
    tenure_add(actor=editor, post=post, **holder())
    [register] = registers_for([reference["Z9B2Z"]], on=TODAY)
    [row] = [r for r in register.rows if r.post_type.code == "ICB_DES_MCA"]
    assert row.post.hosted_by == host and row.findings == []
    with pytest.raises(ValidationError, match="cannot be hosted elsewhere"):
        post_create(
            actor=editor,
            organisation=reference["Z9B2Z"],
            post_type=post_types["ICB_DES_DR_SC"],
            hosted_by=host,
        )


def test_a_new_holder_keeps_the_old_tenure_readable(reference, post_types, editor):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    first = tenure_add(actor=editor, post=post, **holder())
    tenure_update(actor=editor, tenure=first, end_date=datetime.date(2026, 6, 30))
    tenure_add(
        actor=editor,
        post=post,
        **holder(holder_name="Dr C Next", start_date=datetime.date(2026, 7, 1)),
    )
    history = list(post.tenures.order_by("start_date").values_list("holder_name", "end_date"))
    assert history == [("Dr A Example", datetime.date(2026, 6, 30)), ("Dr C Next", None)]
    actions = list(
        AuditEvent.objects.filter(organisation=reference["Z9B2Z"], action__startswith="post.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "post.created",
        "post.holder_added",
        "post.holder_updated",
        "post.holder_added",
    ]


# --- Validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"end_date": datetime.date(2024, 1, 1)}, "end date cannot be before the start date"),
        ({"whole_time_equivalent": Decimal("0")}, "above 0 and at most 1.5"),
        ({"whole_time_equivalent": Decimal("1.6")}, "above 0 and at most 1.5"),
        ({"training_level": 6}, "less than or equal to 5"),
    ],
)
def test_bad_holder_details_are_refused_and_nothing_is_saved(
    reference, post_types, editor, values, message
):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        tenure_add(actor=editor, post=post, **holder(**values))
    assert not Tenure.objects.filter(post=post).exists()
    assert AuditEvent.objects.count() == events


def test_a_post_of_the_wrong_kind_is_refused(reference, post_types, editor):
    with pytest.raises(ValidationError, match="is a post for Providers"):
        post_create(
            actor=editor,
            organisation=reference["Z9B2Z"],
            post_type=post_types["PRV_NAMED_NURSE_SC"],
        )


# --- Who may change what -------------------------------------------------------------


def test_an_editor_changes_their_icb_and_the_providers_it_leads_only(reference, post_types, editor):
    mine = led_provider(reference["Z9B2Z"])
    theirs = led_provider(reference["QMF"])
    post_create(actor=editor, organisation=mine, post_type=post_types["PRV_NAMED_NURSE_SC"])
    with pytest.raises(PermissionDenied):
        post_create(actor=editor, organisation=theirs, post_type=post_types["PRV_NAMED_NURSE_SC"])
    with pytest.raises(PermissionDenied):
        post_create(
            actor=editor, organisation=reference["QMF"], post_type=post_types["ICB_DES_DR_SC"]
        )
    with pytest.raises(PermissionDenied):  # a predecessor's history is read-only
        post_create(
            actor=editor, organisation=reference["QMJ"], post_type=post_types["ICB_DES_DR_SC"]
        )


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("Z9B2Z", Role.ICB_VIEWER),
        ("Y56", Role.REGIONAL_LEAD),
        ("X24", Role.NATIONAL_ADMIN),
        ("X24", Role.NSSG_MEMBER),
    ],
)
def test_readers_change_nothing(reference, post_types, editor, code, role):
    post = post_create(
        actor=editor, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_DR_SC"]
    )
    reader = member(reference[code], role)
    assert Post.objects.visible_to(reader).filter(pk=post.pk).exists()
    with pytest.raises(PermissionDenied):
        tenure_add(actor=reader, post=post, **holder())
    with pytest.raises(PermissionDenied):
        post_create(
            actor=reader, organisation=reference["Z9B2Z"], post_type=post_types["ICB_DES_NURSE_SC"]
        )


def test_another_icbs_posts_are_out_of_sight(reference, post_types, editor):
    qmf_editor = member(reference["QMF"], Role.ICB_EDITOR)
    post = post_create(
        actor=qmf_editor, organisation=reference["QMF"], post_type=post_types["ICB_DES_DR_SC"]
    )
    assert not Post.objects.visible_to(editor).filter(pk=post.pk).exists()
    assert (
        Post.objects.visible_to(member(reference["Y56"], Role.REGIONAL_LEAD))
        .filter(pk=post.pk)
        .exists()
    )
    assert (
        not Post.objects.visible_to(member(reference["Y61"], Role.REGIONAL_LEAD))
        .filter(pk=post.pk)
        .exists()
    )


def test_a_post_existed_from_the_earliest_of_its_set_up_vacancy_and_holders():
    """`Post.existed_on` reads the day the post was set up (in London) only when
    the holders and the vacancy do not already answer; the answer is the same."""
    from types import SimpleNamespace

    day = datetime.date(2025, 6, 30)
    after = datetime.datetime(2025, 7, 1, 9, tzinfo=datetime.UTC)
    before = datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.UTC)
    # 23:30 UTC on 30 June is 1 July in London (summer time): set up after the day.
    late_evening = datetime.datetime(2025, 6, 30, 23, 30, tzinfo=datetime.UTC)
    held_from = [SimpleNamespace(start_date=datetime.date(2025, 5, 1))]
    held_later = [SimpleNamespace(start_date=datetime.date(2025, 8, 1))]
    cases = [
        (Post(created_at=after), held_from, True),  # a holder before the day
        (Post(created_at=after, vacant_since=datetime.date(2025, 6, 1)), [], True),
        (Post(created_at=after), held_later, False),
        (Post(created_at=before), held_later, True),  # set up before its first holder
        (Post(created_at=late_evening), [], False),
        (Post(created_at=None), [], True),  # nothing known: always there
        (Post(created_at=None), held_later, False),
    ]
    for post, tenures, existed in cases:
        assert post.existed_on(day, tenures) is existed, (post.created_at, tenures)
