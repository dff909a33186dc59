"""Computed metrics: the registry that lets an app provide values without the
return importing it, and the posts register's provider on the demo world."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.findings import supervision_cutoff
from assurance.metric_providers import (
    ComputedValue,
    MetricProviderRegistry,
    metric_value_compute,
    metric_values_compute,
    registry,
)
from assurance.models import ComputedFrom, Metric, PostType, RegisterGroup, Tenure
from assurance.register_rules import register_metric_values
from assurance.services.register import post_types_load, tenure_update
from assurance.services.toolkit import metric_create
from organisations.audit import system_actor
from organisations.models import Organisation, Role
from tests.assurance.test_register_rules import ON, fill, led_provider
from tests.factories import member


@pytest.fixture
def post_types(db):
    post_types_load(actor=system_actor())
    return list(PostType.objects.all())


@pytest.fixture
def editor(reference):
    return member(reference["Z9B2Z"], Role.ICB_EDITOR)


def _metric(code: str, computed_from: str = ComputedFrom.POSTS_REGISTER) -> Metric:
    return Metric(code=code, name=code, unit="percent", computed_from=computed_from)


# --- The registry ----------------------------------------------------------------------------


def test_the_posts_register_provides_its_metrics_once_the_app_is_ready():
    assert registry.provider(ComputedFrom.POSTS_REGISTER) is register_metric_values
    # ... and the reviews tracker, from the reviews app's ready().
    assert registry.codes() == [ComputedFrom.POSTS_REGISTER, ComputedFrom.REVIEWS_TRACKER]
    assert registry.metric_codes(ComputedFrom.POSTS_REGISTER) == {
        "DESIGNATED_FILLED",
        "SUPERVISION_CURRENT",
    }


def test_a_metric_its_source_cannot_compute_is_refused(draft, national_admin):
    section = draft.sections.get(code="DP")
    with pytest.raises(ValidationError) as refused:
        metric_create(
            actor=national_admin,
            section=section,
            code="NAMED_FILLED",
            name="Named posts filled",
            unit="percent",
            computed_from=ComputedFrom.POSTS_REGISTER,
        )
    assert refused.value.message_dict["computed_from"] == [
        "The posts register computes only DESIGNATED_FILLED, SUPERVISION_CURRENT, not "
        'NAMED_FILLED: choose "Reported by the ICB" for a figure the ICB gives.'
    ]
    # The reviews tracker (registered from the reviews app) says what it computes too.
    with pytest.raises(ValidationError, match="computes only REVIEW_ACTIONS_OVERDUE"):
        metric_create(
            actor=national_admin,
            section=section,
            code="REVIEWS_OPEN",
            name="Open reviews",
            unit="count",
            computed_from=ComputedFrom.REVIEWS_TRACKER,
        )
    reported = metric_create(
        actor=national_admin, section=section, code="NAMED_FILLED", name="N", unit="percent"
    )
    assert not reported.is_computed


def test_a_provider_is_registered_once_under_a_known_source():
    fresh = MetricProviderRegistry()

    def reviews(*, metrics, icb, on):
        return {}

    def other(*, metrics, icb, on):
        return {}

    fresh.register(ComputedFrom.REVIEWS_TRACKER, reviews)
    assert fresh.metric_codes(ComputedFrom.REVIEWS_TRACKER) is None  # did not say
    fresh.register(ComputedFrom.REVIEWS_TRACKER, reviews, metric_codes=["OVERDUE"])  # harmless
    assert fresh.metric_codes(ComputedFrom.REVIEWS_TRACKER) == {"OVERDUE"}
    with pytest.raises(ImproperlyConfigured, match="already have a provider"):
        fresh.register(ComputedFrom.REVIEWS_TRACKER, other)
    with pytest.raises(ImproperlyConfigured, match="'reviews' is not a source of computed"):
        fresh.register("reviews", other)
    with pytest.raises(ImproperlyConfigured, match="the sources are: posts_register, reviews"):
        fresh.register(ComputedFrom.REPORTED, other)
    assert fresh.codes() == [ComputedFrom.REVIEWS_TRACKER]


def test_each_provider_is_asked_once_for_all_its_metrics(reference):
    fresh = MetricProviderRegistry()
    calls = []

    def reviews(*, metrics, icb, on):
        calls.append([m.code for m in metrics])
        return {"OVERDUE": ComputedValue("OVERDUE", Decimal(3), "3 actions overdue.")}

    fresh.register(ComputedFrom.REVIEWS_TRACKER, reviews)
    metrics = [
        _metric("OVERDUE", ComputedFrom.REVIEWS_TRACKER),
        _metric("ON_TIME", ComputedFrom.REVIEWS_TRACKER),
        _metric("FILLED", ComputedFrom.POSTS_REGISTER),
        _metric("TYPED", ComputedFrom.REPORTED),
    ]
    values = fresh.compute(metrics=metrics, icb=reference["Z9B2Z"], on=ON)
    assert calls == [["OVERDUE", "ON_TIME"]]
    assert set(values) == {"OVERDUE", "ON_TIME", "FILLED"}  # the reported one is the ICB's
    assert values["OVERDUE"].value == 3
    assert values["ON_TIME"] == ComputedValue(
        "ON_TIME", None, "Not computed: the reviews tracker has no rule for ON_TIME."
    )
    assert values["FILLED"].value is None
    assert values["FILLED"].detail == (
        "Not computed: nothing in the portal computes figures from the posts register yet."
    )
    assert ComputedValue.from_dict(values["OVERDUE"].to_dict()) == values["OVERDUE"]


# --- The posts register's metrics ---------------------------------------------------------


def test_register_metrics_from_a_register_with_a_gap(reference, post_types, editor):
    icb = reference["Z9B2Z"]
    posts = fill(editor, icb, post_types)
    trust = led_provider(icb, provides_maternity=True)
    trust_posts = fill(editor, trust, post_types)
    tenure_update(
        actor=editor,
        tenure=posts["ICB_DES_DR_CD"].tenures.get(),
        end_date=ON - relativedelta(months=1),
    )
    tenure_update(
        actor=editor,
        tenure=trust_posts["PRV_NAMED_MIDWIFE"].tenures.get(),
        last_supervision=ON - relativedelta(months=4),
    )
    filled = metric_value_compute(metric=_metric("DESIGNATED_FILLED"), icb=icb, on=ON)
    assert filled == ComputedValue("DESIGNATED_FILLED", Decimal("83.33"), "5 of 6 required "
                                   "posts filled.")  # fmt: skip
    supervised = metric_value_compute(metric=_metric("SUPERVISION_CURRENT"), icb=icb, on=ON)
    # 5 designated and 2 named GP holders in the ICB, 6 named in the trust; one overdue.
    assert supervised.detail == "12 of 13 holders supervised within the interval."
    assert supervised.value == Decimal("92.30")  # rounded down, never up into a better band
    assert metric_value_compute(metric=_metric("X", ComputedFrom.REPORTED), icb=icb, on=ON) is None


def test_nothing_to_count_is_not_a_zero(reference, post_types):
    values = metric_values_compute(
        metrics=[_metric("DESIGNATED_FILLED"), _metric("SUPERVISION_CURRENT")],
        icb=reference["Z9B2Z"],
        on=ON,
    )
    assert values["DESIGNATED_FILLED"].value == 0  # six required, none set up
    assert values["SUPERVISION_CURRENT"] == ComputedValue(
        "SUPERVISION_CURRENT", None, "Not computed: no designated or named post has a holder."
    )


def test_the_shipped_metrics_on_the_demo_world(toolkit, reference, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("SAAF_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo_data", stdout=StringIO())
    today = datetime.date.today()
    metrics = list(toolkit[2026].metrics.all())
    z9, qmf = Organisation.objects.get(code="Z9B2Z"), Organisation.objects.get(code="QMF")

    with CaptureQueriesContext(connection) as captured:
        values = metric_values_compute(metrics=metrics, icb=z9, on=today)
    # The register's roll-up, and the reviews tracker's period figures (five
    # queries: the selector the annual report reads, so the two agree).
    assert len(captured) <= 9
    assert set(values) == {m.code for m in metrics if m.is_computed}
    assert set(values) == {"DESIGNATED_FILLED", "SUPERVISION_CURRENT", "REVIEW_ACTIONS_OVERDUE"}
    # The demo leaves Z9B2Z's designated nurse for children in care vacant.
    assert values["DESIGNATED_FILLED"].value == Decimal("83.33")
    # The demo's review actions (reviews app) as of today, computed by the tracker.
    from reviews.selectors import review_action_counts

    counts = review_action_counts(on=today, icb_ids=[z9.pk])
    assert values["REVIEW_ACTIONS_OVERDUE"].value == (counts[z9.pk].overdue if counts else 0)

    # Supervision counted straight from the tenures, as a cross-check.
    led = Organisation.objects.filter(commissioners__icb=z9, commissioners__is_lead=True)
    holders = Tenure.objects.filter(
        post__organisation__in=[z9, *led],
        post__post_type__register_group__in=[
            RegisterGroup.DESIGNATED,
            RegisterGroup.NAMED_GP,
            RegisterGroup.NAMED,
        ],
        post__post_type__supervision_applies=True,
        start_date__lte=today,
        end_date__isnull=True,
    )
    supervised = holders.filter(last_supervision__gte=supervision_cutoff(today)).count()
    assert holders.count() > supervised > 0
    assert values["SUPERVISION_CURRENT"].detail == (
        f"{supervised} of {holders.count()} holders supervised within the interval."
    )

    assert metric_values_compute(metrics=metrics, icb=qmf, on=today)[
        "DESIGNATED_FILLED"
    ].value == Decimal("100")
