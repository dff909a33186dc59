"""The register rules of the shipped toolkit: each holds on a register that
meets it and fails on one that breaks it, naming the posts concerned; the
check is serialisable, takes a fixed number of queries, and is refused for
what it cannot judge."""

import datetime
import json
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.findings import FindingKind
from assurance.models import Post, PostType, RegisterGroup, RegisterScope, Standard
from assurance.register_rules import (
    GROUP_WORDS,
    RegisterCheck,
    RegisterRule,
    standard_register_check,
    standards_register_check,
)
from assurance.services.register import post_create, post_types_load, tenure_add, tenure_update
from assurance.services.toolkit import standard_update
from assurance.toolkit_content import toolkit_content_read
from organisations.audit import system_actor
from organisations.models import Commissioning, ProviderKind, Role
from tests.factories import ProviderFactory, member

ON = datetime.date(2026, 11, 23)

# The shipped standards that depend on the register, read from the file, so a
# standard given a rule later is covered here without editing this test.
SHIPPED = toolkit_content_read()["standard"]
RULED = sorted(code for code, values in SHIPPED.items() if values["register_groups"])

WORDS = {
    "DP1": "Green needs: no missing or vacant designated professional posts in the ICB.",
    "DP2": "Green needs: no missing or vacant named GP posts in the ICB.",
    "DP3": "Green needs: no designated professional, named GP or named professional posts in "
    "the ICB or the providers it leads whose holder is overdue for supervision.",
    "DP4": "Green needs: no missing or vacant named professional, MCA lead, Prevent lead or "
    "executive lead posts in the providers the ICB leads.",
    "MC1": "Green needs: no missing or vacant MCA lead posts in the ICB or the providers it leads.",
    "PV1": "Green needs: no missing or vacant Prevent lead posts in the ICB or the providers it "
    "leads.",
}


@pytest.fixture
def post_types(db):
    post_types_load(actor=system_actor())
    return list(PostType.objects.all())


@pytest.fixture
def icb(reference):
    return reference["Z9B2Z"]


@pytest.fixture
def editor(icb):
    return member(icb, Role.ICB_EDITOR)


def led_provider(icb, **fields):
    provider = ProviderFactory(**fields)
    Commissioning.objects.create(icb=icb, provider=provider, is_lead=True)
    return provider


def fill(editor, organisation, post_types) -> dict[str, Post]:
    """Every post `organisation` must have, each with a holder who meets it:
    in post, trained to the post's level, supervised three weeks ago."""
    posts = {}
    for post_type in post_types:
        if not post_type.is_required_for(organisation):
            continue
        post = post_create(actor=editor, organisation=organisation, post_type=post_type)
        tenure_add(
            actor=editor,
            post=post,
            holder_name=f"Holder of {post_type.code}",
            start_date=datetime.date(2025, 1, 6),
            whole_time_equivalent=Decimal("1.0"),
            training_level=post_type.training_level,
            training_date=datetime.date(2025, 3, 1) if post_type.training_level else None,
            last_supervision=ON - relativedelta(weeks=3),
        )
        posts[post_type.code] = post
    return posts


@pytest.fixture
def sound_register(icb, editor, post_types):
    """The ICB and the providers it leads (a trust with maternity services and
    a GP practice), every required post filled as it should be."""
    trust = led_provider(icb, provides_maternity=True)
    practice = led_provider(icb, provider_kind=ProviderKind.GP_PRACTICE)
    posts = {}
    for organisation in (icb, trust, practice):
        for code, post in fill(editor, organisation, post_types).items():
            posts[organisation.code, code] = post
    return {"icb": icb, "trust": trust, "practice": practice, "posts": posts}


@pytest.fixture
def shipped(toolkit):
    """The 2026/27 standards as loaded, by code."""
    return {s.code: s for s in toolkit[2026].standards.all()}


def test_the_loaded_toolkit_has_the_files_rules(shipped):
    assert RULED == ["DP1", "DP2", "DP3", "DP4", "MC1", "PV1"]
    assert sorted(code for code, s in shipped.items() if s.register_rule) == RULED
    for code in RULED:
        rule = shipped[code].register_rule
        assert rule.groups and rule.kinds
        assert list(rule.groups) == SHIPPED[code]["register_groups"]


@pytest.mark.parametrize("code", RULED)
def test_every_shipped_rule_in_words(shipped, code):
    assert shipped[code].register_rule.words == WORDS[code]


def test_every_group_and_kind_has_words():
    assert set(GROUP_WORDS) == set(RegisterGroup.values)
    rule = RegisterRule(("designated", "named_gp"), tuple(FindingKind.LABELS), RegisterScope.ICB)
    assert rule.words == (
        "Green needs: no missing or vacant designated professional or named GP posts in the "
        "ICB, and none whose holder is overdue for supervision or trained below the post's "
        "level."
    )


def _target(rule: RegisterRule, sides: dict, post_types) -> tuple:
    """A post the rule covers, on a side it looks at, that can break it the
    way the rule's first finding kind says."""
    kind = rule.kinds[0]
    for post_type in post_types:
        if post_type.register_group not in rule.groups:
            continue
        for side in ("icb", "trust"):
            org = sides[side]
            if rule.scope == RegisterScope.ICB and side != "icb":
                continue
            if rule.scope == RegisterScope.PROVIDERS and side == "icb":
                continue
            if not post_type.is_required_for(org):
                continue
            if kind == FindingKind.SUPERVISION_OVERDUE and not post_type.supervision_applies:
                continue
            if kind == FindingKind.BELOW_LEVEL and not post_type.training_level:
                continue
            return org, post_type, kind
    raise AssertionError(f"no post to break {rule}")


def _break(editor, post: Post, post_type: PostType, kind: str) -> str:
    """Break the post as `kind` says; return the finding kind it now shows."""
    tenure = post.tenures.get()
    if kind in (FindingKind.MISSING, FindingKind.VACANT):
        tenure_update(actor=editor, tenure=tenure, end_date=ON - relativedelta(months=1))
        return FindingKind.VACANT
    if kind == FindingKind.SUPERVISION_OVERDUE:
        tenure_update(actor=editor, tenure=tenure, last_supervision=ON - relativedelta(months=5))
        return kind
    tenure_update(actor=editor, tenure=tenure, training_level=post_type.training_level - 1)
    return kind


@pytest.mark.parametrize("code", RULED)
def test_each_shipped_rule_holds_on_a_sound_register_and_fails_when_broken(
    shipped, sound_register, editor, post_types, code
):
    icb = sound_register["icb"]
    standards = [shipped[c] for c in RULED]
    before = standards_register_check(standards=standards, icb=icb, on=ON)
    assert set(before) == set(RULED)
    assert all(check.holds for check in before.values()), {
        c: check.concerned for c, check in before.items() if not check.holds
    }
    assert before[code].posts_required == before[code].posts_filled > 0

    rule = shipped[code].register_rule
    org, post_type, kind = _target(rule, sound_register, post_types)
    post = sound_register["posts"][org.code, post_type.code]
    shown = _break(editor, post, post_type, kind)

    check = standard_register_check(standard=shipped[code], icb=icb, on=ON)
    assert not check.holds
    assert check.counts[shown] == 1
    assert sum(check.counts.values()) == 1
    [concerned] = check.concerned
    assert (concerned.post_id, concerned.name, concerned.organisation_code, concerned.kind) == (
        post.pk,
        post_type.name,
        org.code,
        shown,
    )
    assert concerned.detail

    # Every other rule fails exactly when it covers that post and that finding.
    after = standards_register_check(standards=standards, icb=icb, on=ON)
    for other in RULED:
        other_rule = shipped[other].register_rule
        covers = (
            post_type.register_group in other_rule.groups
            and shown in other_rule.kinds
            and (
                other_rule.scope == RegisterScope.ICB_AND_PROVIDERS
                or (other_rule.scope == RegisterScope.ICB) == (org == icb)
            )
        )
        assert after[other].holds is not covers, other


def test_a_post_never_set_up_is_named_by_its_type(shipped, icb, editor, post_types):
    practice = led_provider(icb, provider_kind=ProviderKind.GP_PRACTICE)
    fill(editor, icb, post_types)
    check = standard_register_check(standard=shipped["MC1"], icb=icb, on=ON)
    assert not check.holds
    [concerned] = check.concerned
    assert concerned.kind == FindingKind.MISSING
    assert concerned.post_id is None
    assert concerned.post_type_code == "GP_LEAD"
    assert concerned.organisation_code == practice.code
    assert check.counts == {FindingKind.MISSING: 1, FindingKind.VACANT: 0}
    assert (check.posts_required, check.posts_filled) == (2, 1)


def test_a_provider_the_icb_does_not_lead_is_not_its_concern(shipped, reference, icb, editor):
    post_types_load(actor=system_actor())
    fill(editor, icb, list(PostType.objects.all()))
    other = ProviderFactory()
    Commissioning.objects.create(icb=reference["QMF"], provider=other, is_lead=True)
    Commissioning.objects.create(icb=icb, provider=other)  # co-commissions, does not lead
    check = standard_register_check(standard=shipped["DP4"], icb=icb, on=ON)
    assert check.holds and check.posts_required == 0


def test_the_check_is_serialisable_and_reads_back(shipped, icb, editor, post_types):
    fill(editor, icb, post_types)
    trust = led_provider(icb)
    check = standard_register_check(standard=shipped["PV1"], icb=icb, on=ON)
    data = json.loads(json.dumps(check.to_dict()))
    assert data["holds"] is False
    assert data["icb_code"] == "Z9B2Z" and data["on"] == "2026-11-23"
    assert data["rule"]["words"] == WORDS["PV1"]
    assert data["concerned"] == [
        {
            "kind": "missing",
            "post_id": None,
            "post_type_code": "PRV_PREVENT_LEAD",
            "name": "Prevent lead",
            "organisation_code": trust.code,
            "organisation_name": trust.name,
            "detail": "No Prevent lead recorded.",
            "tenure_id": None,
        }
    ]
    assert RegisterCheck.from_dict(data) == check


def test_the_check_takes_a_fixed_number_of_queries(shipped, sound_register, editor, post_types):
    icb = sound_register["icb"]
    standards = [shipped[c] for c in RULED]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            checks = standards_register_check(standards=standards, icb=icb, on=ON)
            json.dumps([c.to_dict() for c in checks.values()])
        return len(captured)

    few = queries()
    for _ in range(3):
        fill(editor, led_provider(icb, provides_maternity=True), post_types)
    led_provider(icb, provider_kind=ProviderKind.GP_PRACTICE)  # one more, missing its lead
    assert queries() == few <= 4
    assert not standards_register_check(standards=standards, icb=icb, on=ON)["MC1"].holds


def test_what_cannot_be_checked_is_refused(shipped, reference, post_types):
    with pytest.raises(ValueError, match="does not depend on the posts register"):
        standard_register_check(standard=shipped["LG1"], icb=reference["Z9B2Z"], on=ON)
    trust = ProviderFactory()
    with pytest.raises(ValueError, match="is not an ICB"):
        standard_register_check(standard=shipped["DP1"], icb=trust, on=ON)
    assert standards_register_check(standards=[shipped["LG1"]], icb=trust, on=ON) == {}


# --- The rule on the model and through the service -----------------------------------------


def _standard(**fields) -> Standard:
    return Standard(
        code="X1",
        statement="A statement.",
        **{"register_scope": RegisterScope.ICB_AND_PROVIDERS, **fields},
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"register_groups": ["nurses"], "register_findings": ["vacant"]},
            "register_groups",
            "nurses: not a register group. Choose from: Designated professionals (ICB), Named "
            "GPs (ICB),",
        ),
        (
            {"register_groups": ["named"], "register_findings": ["late"]},
            "register_findings",
            "late: not a kind of register finding. Choose from: Required post missing, Vacant,",
        ),
        (
            {"register_groups": ["named"]},
            "register_findings",
            "Choose which findings stand in the way of green for the groups chosen",
        ),
        (
            {"register_findings": ["vacant"]},
            "register_groups",
            "Choose the groups of posts whose findings count",
        ),
        (
            {"register_note": "Named nurses"},
            "register_note",
            "A register note explains a register rule",
        ),
        (
            {"register_groups": "designated", "register_findings": ["vacant"]},
            "register_groups",
            "Choose the register groups from the list.",
        ),
        (
            {
                "register_groups": ["designated", "prevent"],
                "register_findings": ["vacant"],
                "register_scope": RegisterScope.PROVIDERS,
            },
            "register_scope",
            "There are no designated professional posts in the providers the ICB leads: choose "
            "whose posts count",
        ),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_refused_with_what_to_fix(
    post_types, fields, field, message
):
    with pytest.raises(ValidationError) as refused:
        _standard(**fields).clean()
    assert message in " ".join(refused.value.message_dict[field])


def test_the_lists_are_kept_in_the_order_of_the_choices(db):
    standard = _standard(
        register_groups=["prevent", "designated", "prevent"],
        register_findings=["vacant", "missing"],
    )
    standard.clean()
    assert standard.register_groups == ["designated", "prevent"]
    assert standard.register_findings == ["missing", "vacant"]


def test_the_admin_sets_a_rule_through_the_service(draft, national_admin, post_types):
    lg1 = draft.standards.get(code="LG1")
    changed = standard_update(
        actor=national_admin,
        standard=lg1,
        register_groups=["leadership"],
        register_findings=["missing", "vacant"],
        register_scope=RegisterScope.ICB,
    )
    assert changed.register_rule.words == (
        "Green needs: no missing or vacant executive lead posts in the ICB."
    )
    with pytest.raises(ValidationError) as refused:
        standard_update(actor=national_admin, standard=lg1, register_findings=["late"])
    assert "late: not a kind of register finding" in str(refused.value)
