"""Counts aggregated in the database agree with the findings built post by
post, and the overviews' query counts do not grow with the data."""

import datetime

import pytest
from django.db import transaction
from django.test import override_settings

from assurance.findings import icb_registers, registers_for
from assurance.models import Metric, Post, PostType, RegisterGroup, RegisterScope, Standard
from assurance.national_data import national_data_generate
from assurance.register_counts import (
    COUNT_KEYS,
    icb_counts,
    icb_post_type_counts,
    organisation_count_rows,
    required_q,
)
from assurance.register_rules import (
    DESIGNATED_AND_NAMED,
    FINDING_KINDS,
    register_metric_values,
    standards_register_check,
)
from organisations.models import Commissioning, Organisation
from tests.conftest import reference_data_ensure

TODAY = datetime.date.today()


# Every test here reads the one generated register (below).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """National data generated once for the module, whose tests only read it:
    made in a transaction rolled back after the module, inside which each
    test's own transaction is a savepoint (made for each test, it was most of
    the module's time)."""
    with django_db_blocker.unblock(), transaction.atomic():
        reference_data_ensure()  # a transactional test in this process may have flushed it
        with override_settings(DEBUG=True):  # the generator refuses production mode
            national_data_generate(providers=150, scale=2, seed=11, today=TODAY)
        # Some posts set up today with neither a holder nor a vacancy date: on
        # an earlier day the register did not have them yet.
        bare = Post.objects.filter(vacant_since__isnull=False, tenures__isnull=True)[:10]
        assert Post.objects.filter(pk__in=list(bare.values_list("pk", flat=True))).update(
            vacant_since=None
        )
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("on", [TODAY, TODAY - datetime.timedelta(days=200)])
def test_icb_counts_are_the_findings_counted(generated, on):
    icbs = list(Organisation.objects.icbs().existing_on(TODAY).order_by("code"))
    counted = icb_counts(icbs, on=on)
    for rollup in icb_registers(icbs, on=on):
        assert counted[rollup.icb.pk] == rollup.counts(), rollup.icb.code


@pytest.mark.parametrize("on", [TODAY, TODAY - datetime.timedelta(days=200)])
def test_icb_post_type_counts_are_the_findings_counted_by_type(generated, on):
    icbs = list(Organisation.objects.icbs().existing_on(TODAY).order_by("code"))
    for rollup in icb_registers(icbs, on=on):
        built = {pt.pk: dict.fromkeys((*COUNT_KEYS, "holders"), 0) for pt in PostType.objects.all()}
        for register in rollup.all:
            for row in register.rows:
                if not row.required:
                    continue
                count = built[row.post_type.pk]
                count["required"] += 1
                count["filled"] += bool(row.holders)
                count["holders"] += len(row.holders)
                for finding in row.findings:
                    count[finding.kind] += 1
        _, counted = icb_post_type_counts(rollup.icb, on=on)
        assert counted == built, rollup.icb.code


def _rules() -> list[Standard]:
    """Unsaved standards with every kind of register rule: each group alone
    and all together, each finding kind alone and all together, each scope."""
    groups = [[g] for g in RegisterGroup.values] + [list(RegisterGroup.values)]
    kinds = [[k] for k in FINDING_KINDS] + [list(FINDING_KINDS)]
    return [
        Standard(
            code=f"R{i}",
            register_groups=g,
            register_findings=k,
            register_scope=scope,
        )
        for i, (g, k, scope) in enumerate(
            (g, k, scope) for g in groups for k in kinds for scope in RegisterScope.values
        )
    ]


@pytest.mark.parametrize("on", [TODAY, TODAY - datetime.timedelta(days=200)])
def test_each_rule_checked_alone_is_as_every_rule_checked_together(generated, on):
    """A rule's check reads only the posts of its groups: for every ICB and
    kind of rule, the same as checked with every other rule (on more of the
    register); and some rules hold while others do not."""
    standards = _rules()
    seen = set()
    # Every sixth ICB: each is 121 roll-ups a day, and the ICBs differ only
    # in their generated posts (all 36 took a minute a day on SQLite).
    for icb in list(Organisation.objects.icbs().existing_on(TODAY).order_by("code"))[::6]:
        checks = standards_register_check(standards=standards, icb=icb, on=on)
        seen |= {check.holds for check in checks.values()}
        for standard in standards:
            (alone,) = standards_register_check(standards=[standard], icb=icb, on=on).values()
            assert alone == checks[standard.code], (icb.code, standard.code)
    assert seen == {True, False}


def test_register_metrics_are_the_posts_and_holders_built_one_by_one(generated):
    """The register's computed metrics, from the counts by post type, say
    what the roll-up's rows say."""
    metrics = [Metric(code="DESIGNATED_FILLED"), Metric(code="SUPERVISION_CURRENT")]
    for rollup in icb_registers(Organisation.objects.icbs().existing_on(TODAY), on=TODAY):
        rows = [row for register in rollup.all for row in register.rows if row.required]
        designated = [
            row
            for row in rows
            if row.organisation.pk == rollup.icb.pk
            and row.post_type.register_group == RegisterGroup.DESIGNATED
        ]
        supervised = [
            row
            for row in rows
            if row.post_type.register_group in DESIGNATED_AND_NAMED
            and row.post_type.supervision_applies
        ]
        filled = sum(1 for row in designated if row.holders)
        holders = sum(len(row.holders) for row in supervised)
        overdue = sum(
            1 for row in supervised for f in row.findings if f.kind == "supervision_overdue"
        )
        values = register_metric_values(metrics=metrics, icb=rollup.icb, on=TODAY)
        assert values["DESIGNATED_FILLED"].detail == (
            f"{filled} of {len(designated)} required posts filled."
            if designated
            else "Not computed: no designated posts are required."
        ), rollup.icb.code
        assert values["SUPERVISION_CURRENT"].detail == (
            f"{holders - overdue} of {holders} holders supervised within the interval."
            if holders
            else "Not computed: no designated or named post has a holder."
        ), rollup.icb.code


def test_organisation_rows_are_each_registers_counts(generated):
    icbs = Organisation.objects.icbs().existing_on(TODAY)
    rows = list(organisation_count_rows(icbs, on=TODAY))
    registers = {r.organisation.pk: r for r in registers_for(icbs_and_led(icbs), on=TODAY)}
    assert len(rows) == len(registers)
    for row in rows:
        counts = registers[row["id"]].counts()
        assert {key: row[key] for key in counts} == counts, row["code"]
    # Ordered by region and ICB, each ICB before the providers it leads.
    keys = [(r["region_name"], r["icb_name"], r["icb_code"]) for r in rows]
    assert keys == sorted(keys)
    first = rows[0]
    assert first["kind"] == "icb" and first["icb_code"] == first["code"]


def icbs_and_led(icbs):
    led = Commissioning.objects.filter(icb__in=icbs, is_lead=True).values("provider")
    return Organisation.objects.filter(pk__in=icbs.values("pk")) | Organisation.objects.filter(
        pk__in=led
    )


def test_required_q_is_is_required_for(generated):
    organisations = list(Organisation.objects.filter(kind__in=["icb", "provider"]))
    for post_type in PostType.objects.all():
        matched = set(
            Organisation.objects.filter(required_q(post_type)).values_list("pk", flat=True)
        )
        assert matched == {o.pk for o in organisations if post_type.is_required_for(o)}
