"""Register counts aggregated in the database, for the overviews and the
national export: per ICB (its own posts and those of the providers it leads)
and per organisation.

`assurance.findings` builds every post and holder as an object, which an ICB's
page needs; counting a region or the nation that way grows worse than
linearly with the number of providers. Here the same findings are counted by
conditional aggregation (`COUNT(...) FILTER (WHERE ...)`) in one query, and
the counts are the same as `IcbRegister.counts()` and `Register.counts()`
give (a test holds the two to each other):

- required: the post types the organisation must have (`PostType.is_required_for`);
- filled: required posts with at least one holder on the day;
- vacant: required posts set up but with no holder on the day;
- missing: required posts never set up;
- supervision_overdue: holders on the day of a required post with
  supervision whose last supervision is older than the interval, or none;
- below_level: holders on the day of a required post with a training level
  who are trained below it, or have no level recorded.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import reduce
from operator import or_

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce

from assurance.findings import FindingKind, supervision_cutoff
from assurance.models.register import PostCondition, PostRequiredFor, PostType
from organisations.models import Organisation, OrganisationKind

COUNT_KEYS = (
    "required",
    "filled",
    FindingKind.MISSING,
    FindingKind.VACANT,
    FindingKind.SUPERVISION_OVERDUE,
    FindingKind.BELOW_LEVEL,
)

_POST = "safeguarding_posts__"
_TENURE = "safeguarding_posts__tenures__"


def required_q(post_type: PostType, prefix: str = "") -> Q:
    """The organisations (reached through `prefix`) that must have `post_type`:
    `PostType.is_required_for` as a query."""
    q = Q(**{f"{prefix}kind": post_type.required_for})
    if post_type.required_for == PostRequiredFor.PROVIDER:
        q &= Q(**{f"{prefix}provider_kind__in": list(post_type.provider_kinds)})
        if post_type.condition == PostCondition.MATERNITY:
            q &= Q(**{f"{prefix}provides_maternity": True})
    return q


def _required_post_q(post_types: list[PostType]) -> Q:
    """An organisation's posts (joined through `_POST`) of a type it must have.
    Post types with the same rule share one condition."""
    by_rule: dict[tuple, list[PostType]] = defaultdict(list)
    for post_type in post_types:
        rule = (post_type.required_for, tuple(post_type.provider_kinds), post_type.condition)
        by_rule[rule].append(post_type)
    conditions = [
        Q(**{f"{_POST}post_type_id__in": [pt.pk for pt in same]}) & required_q(same[0])
        for same in by_rule.values()
    ]
    return reduce(or_, conditions, Q(pk__in=[]))


def _counting_annotations(post_types: list[PostType], *, on: datetime.date, cutoff) -> dict:
    required_post = _required_post_q(post_types)
    current = Q(**{f"{_TENURE}start_date__lte": on}) & (
        Q(**{f"{_TENURE}end_date__isnull": True}) | Q(**{f"{_TENURE}end_date__gte": on})
    )
    held = required_post & current
    supervised = [pt.pk for pt in post_types if pt.supervision_applies]
    overdue = Q(**{f"{_POST}post_type_id__in": supervised}) & (
        Q(**{f"{_TENURE}last_supervision__isnull": True})
        | Q(**{f"{_TENURE}last_supervision__lt": cutoff})
    )
    levels: dict[int, list[int]] = defaultdict(list)
    for pt in post_types:
        if pt.training_level:
            levels[pt.training_level].append(pt.pk)
    below = reduce(
        or_,
        [
            Q(**{f"{_POST}post_type_id__in": ids})
            & (
                Q(**{f"{_TENURE}training_level__isnull": True})
                | Q(**{f"{_TENURE}training_level__lt": level})
            )
            for level, ids in levels.items()
        ],
        Q(pk__in=[]),
    )
    return {
        "set_up": Count(f"{_POST}id", filter=required_post, distinct=True),
        "filled": Count(f"{_POST}id", filter=held, distinct=True),
        FindingKind.SUPERVISION_OVERDUE: Count(f"{_TENURE}id", filter=held & overdue),
        FindingKind.BELOW_LEVEL: Count(f"{_TENURE}id", filter=held & below),
    }


def _required_count(post_types: list[PostType]):
    """How many post types an organisation of a (kind, provider kind,
    maternity) profile must have, remembered per profile."""
    memo: dict[tuple, int] = {}
    probe = Organisation()

    def count(kind: str, provider_kind: str, provides_maternity: bool) -> int:
        key = (kind, provider_kind, provides_maternity)
        if key not in memo:
            probe.kind, probe.provider_kind, probe.provides_maternity = key
            memo[key] = sum(1 for pt in post_types if pt.is_required_for(probe))
        return memo[key]

    return count


def _with_icb(queryset: QuerySet) -> QuerySet:
    """Organisations with `icb_key`: the ICB whose register shows them (itself
    for an ICB, the lead commissioner for a provider)."""
    return queryset.annotate(
        lead=FilteredRelation("commissioners", condition=Q(commissioners__is_lead=True))
    ).annotate(icb_key=Coalesce(F("lead__icb_id"), F("id")))


def _in_registers_of(queryset: QuerySet, icb_ids) -> QuerySet:
    return queryset.filter(
        Q(kind=OrganisationKind.ICB, id__in=icb_ids)
        | Q(kind=OrganisationKind.PROVIDER, lead__icb_id__in=icb_ids)
    )


def _finish(counts: dict, required: int) -> dict[str, int]:
    set_up, filled = counts["set_up"], counts["filled"]
    return {
        "required": required,
        "filled": filled,
        FindingKind.MISSING: required - set_up,
        FindingKind.VACANT: set_up - filled,
        FindingKind.SUPERVISION_OVERDUE: counts[FindingKind.SUPERVISION_OVERDUE],
        FindingKind.BELOW_LEVEL: counts[FindingKind.BELOW_LEVEL],
    }


def icb_counts(
    icbs: Iterable[Organisation] | QuerySet,
    *,
    on: datetime.date,
    supervision_months: int | None = None,
) -> dict[int, dict[str, int]]:
    """Each ICB's rolled-up counts, by ICB id, in two queries whatever the
    number of ICBs and providers (`icbs` may be a queryset: it is used as a
    subquery)."""
    if isinstance(icbs, QuerySet):
        icb_ids = icbs.filter(kind=OrganisationKind.ICB).values("pk")
    else:
        icb_ids = [icb.pk for icb in icbs if icb.kind == OrganisationKind.ICB]
    post_types = list(PostType.objects.all())
    cutoff = supervision_cutoff(on, supervision_months)
    required_count = _required_count(post_types)
    rows = (
        _in_registers_of(_with_icb(Organisation.objects.all()), icb_ids)
        .values("icb_key", "kind", "provider_kind", "provides_maternity")
        .annotate(
            organisations=Count("id", distinct=True),
            **_counting_annotations(post_types, on=on, cutoff=cutoff),
        )
        .order_by()
    )
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_KEYS, 0))
    for row in rows:
        required = row["organisations"] * required_count(
            row["kind"], row["provider_kind"], row["provides_maternity"]
        )
        total = totals[row["icb_key"]]
        for key, value in _finish(row, required).items():
            total[key] += value
    return totals


def organisation_count_rows(
    icbs: QuerySet, *, on: datetime.date, supervision_months: int | None = None
) -> Iterator[dict]:
    """One row per organisation in the registers of `icbs` (the ICB, then the
    providers it leads), ordered by region, ICB and name, with its counts.
    Read from the database in chunks as the rows are consumed, so memory stays
    flat however many organisations there are."""
    post_types = list(PostType.objects.all())
    cutoff = supervision_cutoff(on, supervision_months)
    required_count = _required_count(post_types)
    rows = (
        _in_registers_of(_with_icb(Organisation.objects.all()), icbs.values("pk"))
        .annotate(
            icb_name=Coalesce(F("lead__icb__name"), F("name")),
            icb_code=Coalesce(F("lead__icb__code"), F("code")),
            region_name=Coalesce(F("lead__icb__parent__name"), F("parent__name")),
        )
        .values(
            "id",
            "code",
            "name",
            "kind",
            "provider_kind",
            "provides_maternity",
            "icb_name",
            "icb_code",
            "region_name",
        )
        .annotate(**_counting_annotations(post_types, on=on, cutoff=cutoff))
        .order_by("region_name", "icb_name", "icb_code", "kind", "name", "code")
    )
    for row in rows.iterator(chunk_size=2000):
        required = required_count(row["kind"], row["provider_kind"], row["provides_maternity"])
        yield {**row, **_finish(row, required)}
