"""`manage.py generate_national_data`: deterministic national data for
measuring the portal, valid row by row, never in production, never twice."""

import datetime
import random

import pytest
from django.core.management import CommandError, call_command

from assurance.findings import FindingKind
from assurance.models import Answer, MetricValue, Post, QuarterlyReturn, ReturnAction, Tenure
from assurance.national_data import CODE_PREFIX, NationalDataRefused, national_data_generate
from assurance.national_people import GENERATED_DOMAIN
from assurance.register_counts import icb_counts
from organisations.models import Commissioning, Organisation, ProviderKind, User
from reporting.models import NationalReport, RegionalReport

# Generated national data or a migration run: once, in the PostgreSQL pass.
pytestmark = [pytest.mark.heavy, pytest.mark.usefixtures("generator_allowed")]

TODAY = datetime.date.today()


def generate(**options):
    return national_data_generate(**{"providers": 60, "seed": 7, "today": TODAY, **options})


def snapshot() -> dict:
    """What was generated, without database ids."""
    generated = Organisation.objects.filter(is_synthetic=True)
    return {
        "organisations": list(
            generated.order_by("code").values_list(
                "code",
                "name",
                "kind",
                "provider_kind",
                "provides_maternity",
                "runs_unscheduled_care",
                "parent__code",
            )
        ),  # fmt: skip
        "commissioning": sorted(
            Commissioning.objects.filter(provider__in=generated).values_list(
                "icb__code", "provider__code", "is_lead"
            )
        ),
        "posts": sorted(
            Post.objects.values_list(
                "organisation__code",
                "post_type__code",
                "hosted_by__code",
                "job_share",
                "vacant_since",
            )
        ),  # fmt: skip
        "tenures": sorted(
            Tenure.objects.values_list(
                "post__organisation__code",
                "post__post_type__code",
                "holder_name",
                "whole_time_equivalent",
                "sessions_per_week",
                "start_date",
                "end_date",
                "acting",
                "last_supervision",
                "training_level",
                "training_date",
            )
        ),  # fmt: skip
        "annual reports": sorted(
            RegionalReport.objects.values_list(
                "region__code",
                "financial_year",
                "introduction",
                "achievements",
                "priorities",
                "signed_off_at",
            )
        ),
    }


def remove_generated() -> None:
    from reviews.models import Action, Recommendation, Review

    RegionalReport.objects.all().delete()
    NationalReport.objects.all().delete()
    User.objects.filter(email__endswith=GENERATED_DOMAIN).delete()

    Action.objects.all().delete()
    Recommendation.objects.all().delete()
    Review.objects.all().delete()
    QuarterlyReturn.objects.all().delete()
    Tenure.objects.all().delete()
    Post.objects.all().delete()
    generated = Organisation.objects.filter(is_synthetic=True)
    Commissioning.objects.filter(provider__in=generated).delete()
    Commissioning.objects.filter(icb__in=generated).delete()
    generated.filter(kind="place").delete()  # the reviews' places, under generated ICBs
    generated.delete()


def test_the_same_seed_gives_the_same_data(reference):
    generate(scale=2)
    first = snapshot()
    assert first["tenures"] and first["annual reports"]
    remove_generated()
    generate(scale=2)
    assert snapshot() == first
    remove_generated()
    generate(scale=2, seed=8)
    assert snapshot() != first


def test_providers_and_icbs_as_specified(reference):
    report = generate(providers=200, scale=2)
    current = list(Organisation.objects.icbs().existing_on(TODAY).filter(is_synthetic=False))
    providers = Organisation.objects.providers().filter(is_synthetic=True)
    assert providers.count() == 200 == sum(report.providers.values())
    assert all(p.code.startswith(CODE_PREFIX) for p in providers)
    practices = providers.filter(provider_kind=ProviderKind.GP_PRACTICE).count()
    assert 0.75 * 200 <= practices <= 0.95 * 200  # about 85%
    others = set(providers.values_list("provider_kind", flat=True)) - {ProviderKind.GP_PRACTICE}
    assert others == {
        ProviderKind.NHS_TRUST,
        ProviderKind.FOUNDATION_TRUST,
        ProviderKind.INDEPENDENT,
    }
    assert providers.filter(provides_maternity=True).exists()
    assert providers.filter(runs_unscheduled_care=True).exists()
    # Scale 2: one synthetic copy of each current ICB, in the same region.
    copies = Organisation.objects.icbs().filter(is_synthetic=True)
    assert copies.count() == len(current) == report.synthetic_icbs
    by_code = {icb.code: icb for icb in current}
    for copy in copies:
        original = by_code[copy.code.removesuffix("-S1")]
        assert copy.parent_id == original.parent_id and "(synthetic 1)" in copy.name
    # Each provider is led by exactly one current ICB (real or synthetic).
    leads = Commissioning.objects.filter(provider__in=providers, is_lead=True)
    assert leads.count() == 200
    assert set(leads.values_list("icb__kind", flat=True)) == {"icb"}
    assert not leads.exclude(icb__in=Organisation.objects.icbs().existing_on(TODAY)).exists()
    # Reference organisations are not marked synthetic.
    assert not Organisation.objects.filter(code="QMF", is_synthetic=True).exists()


def test_a_realistic_spread_of_findings_and_history(reference):
    generate(providers=300)
    icbs = Organisation.objects.icbs().existing_on(TODAY)
    totals = dict.fromkeys(
        ["required", "filled", "missing", "vacant", "supervision_overdue", "below_level"], 0
    )
    for counts in icb_counts(icbs, on=TODAY).values():
        for key, value in counts.items():
            totals[key] += value
    assert totals["required"] > 0
    assert 0.75 <= totals["filled"] / totals["required"] <= 0.97
    for kind in (
        FindingKind.MISSING,
        FindingKind.VACANT,
        FindingKind.SUPERVISION_OVERDUE,
        FindingKind.BELOW_LEVEL,
    ):
        assert 0 < totals[kind] < totals["required"] / 4, kind
    assert Tenure.objects.filter(end_date__isnull=False).exists()  # history
    # The ICBs closed in the 2026 mergers: their registers as on their last
    # day, a like spread of findings, every holder leaving that day.
    closed = list(Organisation.objects.icbs().filter(closed__lt=TODAY))
    assert closed
    last_day = max(icb.closed for icb in closed)
    counts = icb_counts(closed, on=last_day)
    required = sum(c["required"] for c in counts.values())
    assert 0.7 <= sum(c["filled"] for c in counts.values()) / required <= 0.97
    held = Tenure.objects.filter(post__organisation__in=closed)
    assert held.exists() and not held.filter(end_date__isnull=True).exists()
    assert not held.filter(end_date__gt=last_day).exists()
    assert Post.objects.filter(job_share=True).exists()
    assert Post.objects.filter(hosted_by__isnull=False).exists()
    assert Post.objects.filter(vacant_since__isnull=False).exists()


def test_every_row_is_valid_as_the_services_would_make_it(reference):
    generate(providers=120, scale=2)
    rng = random.Random(1)
    organisations = list(Organisation.objects.filter(is_synthetic=True))
    links = list(Commissioning.objects.filter(provider__is_synthetic=True))
    posts = list(
        Post.objects.select_related("organisation", "post_type").prefetch_related("tenures")
    )
    tenures = list(Tenure.objects.select_related("post"))
    returns = list(QuarterlyReturn.objects.select_related("icb", "period"))
    answers = list(Answer.objects.select_related("standard", "quarterly_return"))
    values = list(MetricValue.objects.select_related("metric", "quarterly_return"))
    actions = list(ReturnAction.objects.select_related("answer"))
    assert returns and answers and values and actions
    for sample in (organisations, links, posts, tenures, returns, answers, values, actions):
        for row in rng.sample(sample, min(40, len(sample))):
            row.full_clean()
    # A post that is not a job share never has two holders at once.
    for post in posts:
        if not post.job_share:
            spans = sorted((t.start_date, t.end_date) for t in post.tenures.all())
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert end is not None and end < start
    # Every generated ICB has its draft for each open period, against that period's toolkit.
    for ret in rng.sample(returns, min(20, len(returns))):
        assert ret.icb.existed_on(ret.period.ends_on)
        assert {a.standard.version_id for a in answers if a.quarterly_return_id == ret.pk} <= {
            ret.period.toolkit_version_id
        }


def test_it_refuses_production_mode(reference, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="never loaded in production mode"):
        call_command("generate_national_data", "--providers", "5")
    assert not Organisation.objects.filter(is_synthetic=True).exists()


def test_it_refuses_a_day_to_come(reference):
    with pytest.raises(NationalDataRefused, match="today or earlier"):
        generate(today=TODAY + datetime.timedelta(days=1))


def test_it_refuses_to_run_twice(reference, capsys):
    # Without the returns' history: the refusal is what is tested here.
    call_command("generate_national_data", "--providers", "10", "--seed", "3", "--no-history")
    assert "10 providers" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already been generated"):
        call_command("generate_national_data", "--providers", "10")
    with pytest.raises(NationalDataRefused):
        generate()
    assert Organisation.objects.providers().filter(is_synthetic=True).count() == 10
