"""Register counts aggregated in the database, for the overviews and the
national export: per ICB (its own posts and those of the providers it leads)
and per organisation.

`assurance.findings` builds every post and holder as an object, which an ICB's
page needs; counting a region or the nation that way grows worse than
linearly with the number of providers. Here the same findings are counted by
conditional aggregation (`COUNT(...) FILTER (WHERE ...)`) grouped by ICB or
by organisation, in a fixed number of queries, and
the counts are the same as `IcbRegister.counts()` and `Register.counts()`
give (a test holds the two to each other):

- required: the post types the organisation must have (`PostType.is_required_for`);
- filled: required posts with at least one holder on the day;
- vacant: required posts the register had on the day (`Post.existed_on`)
  but with no holder on it;
- missing: required posts not set up by the day;
- supervision_overdue: holders on the day of a required post with
  supervision whose last supervision (or, with none, their start in post) is
  older than the interval;
- below_level: holders on the day of a required post with a training level
  who are trained below it, or have no level recorded.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import reduce
from operator import or_

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assurance.findings import FindingKind, supervision_cutoff
from assurance.models.register import Post, PostCondition, PostRequiredFor, PostType, Tenure
from organisations.models import Organisation, OrganisationKind

COUNT_KEYS = (
    "required",
    "filled",
    FindingKind.MISSING,
    FindingKind.VACANT,
    FindingKind.SUPERVISION_OVERDUE,
    FindingKind.BELOW_LEVEL,
)


def required_q(post_type: PostType, prefix: str = "") -> Q:
    """The organisations (reached through `prefix`) that must have `post_type`:
    `PostType.is_required_for` as a query."""
    q = Q(**{f"{prefix}kind": post_type.required_for})
    if post_type.required_for == PostRequiredFor.PROVIDER:
        q &= Q(**{f"{prefix}provider_kind__in": list(post_type.provider_kinds)})
        if post_type.condition == PostCondition.MATERNITY:
            q &= Q(**{f"{prefix}provides_maternity": True})
    return q


def _required_post_q(
    post_types: list[PostType], *, post: str, organisation: str | None = None
) -> Q:
    """Posts (reached through `post`: "" from a post, "post__" from a holder,
    "posts__" from an organisation) of a type their organisation (reached
    through `organisation`, by default the post's) must have. Post types with
    the same rule share one condition."""
    if organisation is None:
        organisation = f"{post}organisation__"
    by_rule: dict[tuple, list[PostType]] = defaultdict(list)
    for post_type in post_types:
        rule = (post_type.required_for, tuple(post_type.provider_kinds), post_type.condition)
        by_rule[rule].append(post_type)
    conditions = [
        Q(**{f"{post}post_type_id__in": [pt.pk for pt in same]}) & required_q(same[0], organisation)
        for same in by_rule.values()
    ]
    return reduce(or_, conditions, Q(pk__in=[]))


def _current_q(on: datetime.date) -> Q:
    """Holders in post on `on`."""
    return Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))


def _existed_q(on: datetime.date, post: str = "") -> Q:
    """Posts (reached through `post`) the register had on `on`
    (`Post.existed_on`): set up, recorded vacant from, or first held on or
    before the day."""
    next_day = timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min)
    )
    return (
        Q(**{f"{post}created_at__lt": next_day})
        | Q(**{f"{post}vacant_since__lte": on})
        | Q(Exists(Tenure.objects.filter(post=OuterRef(f"{post}pk"), start_date__lte=on)))
    )


def _overdue_q(
    post_types: list[PostType], cutoff: datetime.date, tenure: str = "", post: str = "post__"
) -> Q:
    """Holders (reached through `tenure`) whose supervision is overdue, where
    their post (reached through `post`) has supervision: the last
    supervision, or with none recorded the start in post, is older than the
    interval."""
    supervised = [pt.pk for pt in post_types if pt.supervision_applies]
    return Q(**{f"{post}post_type_id__in": supervised}) & (
        Q(**{f"{tenure}last_supervision__lt": cutoff})
        | Q(**{f"{tenure}last_supervision__isnull": True, f"{tenure}start_date__lt": cutoff})
    )


def _below_q(post_types: list[PostType], tenure: str = "", post: str = "post__") -> Q:
    """Holders trained below their post's level, or with no level recorded."""
    levels: dict[int, list[int]] = defaultdict(list)
    for pt in post_types:
        if pt.training_level:
            levels[pt.training_level].append(pt.pk)
    return reduce(
        or_,
        [
            Q(**{f"{post}post_type_id__in": ids})
            & (
                Q(**{f"{tenure}training_level__isnull": True})
                | Q(**{f"{tenure}training_level__lt": level})
            )
            for level, ids in levels.items()
        ],
        Q(pk__in=[]),
    )


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


def _with_icb(queryset: QuerySet, organisation: str = "") -> QuerySet:
    """Rows with `icb_key`: the ICB whose register shows their organisation
    (reached through `organisation`): itself for an ICB, the lead
    commissioner for a provider."""
    return queryset.annotate(
        lead=FilteredRelation(
            f"{organisation}commissioners",
            condition=Q(**{f"{organisation}commissioners__is_lead": True}),
        )
    ).annotate(icb_key=Coalesce(F("lead__icb_id"), F(f"{organisation}id")))


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
    """Each ICB's rolled-up counts, by ICB id, in three queries whatever the
    number of ICBs and providers (`icbs` may be a queryset: it is then used
    as a subquery): the post types; the organisations by ICB and profile (how
    many posts they must have); and their required posts, each joined to its
    holders on the day and counted by ICB. Only the posts are counted
    distinctly (a job share has several holders), over the posts and holders
    of the day rather than the whole history."""
    if isinstance(icbs, QuerySet):
        icb_ids = icbs.filter(kind=OrganisationKind.ICB).values("pk")
    else:
        icb_ids = [icb.pk for icb in icbs if icb.kind == OrganisationKind.ICB]
    post_types = list(PostType.objects.all())
    cutoff = supervision_cutoff(on, supervision_months)
    required_count = _required_count(post_types)
    registers = [OrganisationKind.ICB, OrganisationKind.PROVIDER]

    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_KEYS, 0))
    organisations = (
        _with_icb(Organisation.objects.filter(kind__in=registers))
        .filter(icb_key__in=icb_ids)
        .values_list("icb_key", "kind", "provider_kind", "provides_maternity")
        .annotate(count=Count("id"))
        .order_by()
    )
    for icb_key, kind, provider_kind, maternity, count in organisations:
        totals[icb_key]["required"] += count * required_count(kind, provider_kind, maternity)

    # The required posts the register had on the day, each joined to its
    # holders on that day (none, one, or several for a job share).
    posts = (
        _with_icb(
            Post.objects.filter(_required_post_q(post_types, post=""), _existed_q(on)),
            "organisation__",
        )
        .annotate(
            holder=FilteredRelation(
                "tenures",
                condition=Q(tenures__start_date__lte=on)
                & (Q(tenures__end_date__isnull=True) | Q(tenures__end_date__gte=on)),
            )
        )
        .filter(icb_key__in=icb_ids)
        .values_list("icb_key")
        .annotate(
            set_up=Count("id", distinct=True),
            filled=Count("id", distinct=True, filter=Q(holder__id__isnull=False)),
            overdue=Count("holder__id", filter=_overdue_q(post_types, cutoff, "holder__", "")),
            below=Count("holder__id", filter=_below_q(post_types, "holder__", "")),
        )
        .order_by()
    )
    for icb_key, set_up, filled, overdue, below in posts:
        total = totals[icb_key]
        total["filled"] += filled
        total[FindingKind.VACANT] += set_up - filled
        total[FindingKind.MISSING] -= set_up
        total[FindingKind.SUPERVISION_OVERDUE] += overdue
        total[FindingKind.BELOW_LEVEL] += below

    for total in totals.values():
        total[FindingKind.MISSING] += total["required"]
    return totals


def organisation_count_rows(
    icbs: QuerySet, *, on: datetime.date, supervision_months: int | None = None
) -> Iterator[dict]:
    """One row per organisation in the registers of `icbs` (the ICB, then the
    providers it leads), ordered by region, ICB and name, with its counts.
    One query: each organisation joined to its posts and their holders on the
    day, counted by conditional aggregation grouped by organisation (as
    `icb_counts` groups by ICB; counted per organisation with four correlated
    subqueries it took three times as long). Read from the database in chunks
    as the rows are consumed, so the process's memory stays flat however many
    organisations there are."""
    post_types = list(PostType.objects.all())
    cutoff = supervision_cutoff(on, supervision_months)
    required_count = _required_count(post_types)
    # The organisation's posts of a type it must have (the join's condition),
    # and their holders on the day (a holder on the day means the register had
    # the post that day).
    rows = (
        _with_icb(
            Organisation.objects.filter(kind__in=[OrganisationKind.ICB, OrganisationKind.PROVIDER])
        )
        .filter(icb_key__in=icbs.values("pk"))
        .alias(
            post=FilteredRelation(
                "safeguarding_posts",
                condition=_required_post_q(
                    post_types, post="safeguarding_posts__", organisation=""
                ),
            ),
            holder=FilteredRelation(
                "post__tenures",
                condition=Q(post__tenures__start_date__lte=on)
                & (Q(post__tenures__end_date__isnull=True) | Q(post__tenures__end_date__gte=on)),
            ),
        )
        .values(
            "id",
            "code",
            "name",
            "kind",
            "provider_kind",
            "provides_maternity",
            icb_name=Coalesce(F("lead__icb__name"), F("name")),
            icb_code=Coalesce(F("lead__icb__code"), F("code")),
            region_name=Coalesce(F("lead__icb__parent__name"), F("parent__name")),
        )
        .annotate(
            set_up=Count("post", distinct=True, filter=_existed_q(on, "post__")),
            filled=Count("post", distinct=True, filter=Q(holder__id__isnull=False)),
            **{
                FindingKind.SUPERVISION_OVERDUE: Count(
                    "holder__id", filter=_overdue_q(post_types, cutoff, "holder__", "post__")
                ),
                FindingKind.BELOW_LEVEL: Count(
                    "holder__id", filter=_below_q(post_types, "holder__", "post__")
                ),
            },
        )
        .order_by("region_name", "icb_name", "icb_code", "kind", "name", "code")
    )
    for row in rows.iterator(chunk_size=2000):
        must = required_count(row["kind"], row["provider_kind"], row["provides_maternity"])
        yield {**row, **_finish(row, must)}


def icb_post_type_counts(
    icb: Organisation, *, on: datetime.date, supervision_months: int | None = None
) -> tuple[list[PostType], dict[int, dict[str, int]]]:
    """The post types, and the counts of `icb`'s rolled-up register (its own
    posts and its led providers') by post type id, in three queries: what a
    register rule needs to know whether it holds (`register_rules`), without
    building each post and holder. The counts are those of `icb_counts`,
    split by post type (zeros included), with `holders`: the holders on the
    day of the type's required posts (the register's metrics count them)."""
    post_types = list(PostType.objects.all())
    cutoff = supervision_cutoff(on, supervision_months)
    counts = {pt.pk: dict.fromkeys((*COUNT_KEYS, "holders"), 0) for pt in post_types}
    # The ICB and the providers it leads (those `_with_icb` gives it), read
    # by the commissioning index, so that the posts are found by theirs.
    register = [(icb.pk, icb.kind, icb.provider_kind, icb.provides_maternity)] + list(
        Organisation.objects.filter(
            commissioners__icb_id=icb.pk,
            commissioners__is_lead=True,
            kind__in=[OrganisationKind.ICB, OrganisationKind.PROVIDER],
        )
        .values_list("id", "kind", "provider_kind", "provides_maternity")
        .order_by()
    )
    # Which of these organisations must have which post type: worked out
    # here from their profiles, so the posts need no join to say it.
    probe = Organisation()
    required: set[tuple[int, int]] = set()
    for organisation_id, kind, provider_kind, maternity in register:
        probe.kind, probe.provider_kind, probe.provides_maternity = kind, provider_kind, maternity
        for pt in post_types:
            if pt.is_required_for(probe):
                required.add((organisation_id, pt.pk))
                counts[pt.pk]["required"] += 1
    # Each post the register had on the day, with its holders on that day.
    posts = (
        Post.objects.filter(_existed_q(on), organisation_id__in=[row[0] for row in register])
        .annotate(
            holder=FilteredRelation(
                "tenures",
                condition=Q(tenures__start_date__lte=on)
                & (Q(tenures__end_date__isnull=True) | Q(tenures__end_date__gte=on)),
            )
        )
        .values_list("organisation_id", "post_type_id")
        .annotate(
            holders=Count("holder__id"),
            overdue=Count("holder__id", filter=_overdue_q(post_types, cutoff, "holder__", "")),
            below=Count("holder__id", filter=_below_q(post_types, "holder__", "")),
        )
        .order_by()
    )
    for organisation_id, post_type_id, holders, overdue, below in posts:
        if (organisation_id, post_type_id) not in required:
            continue
        count = counts[post_type_id]
        count[FindingKind.MISSING] -= 1
        if holders:
            count["filled"] += 1
        else:
            count[FindingKind.VACANT] += 1
        count["holders"] += holders
        count[FindingKind.SUPERVISION_OVERDUE] += overdue
        count[FindingKind.BELOW_LEVEL] += below
    for count in counts.values():
        count[FindingKind.MISSING] += count["required"]
    return post_types, counts


# --- Kept for the home page ---------------------------------------------------------------

# The home page's register panel counts every post in its reader's scope: a
# national reader's is the whole register (about 130 ms at ten times England,
# on every home page). Its counts are kept a minute, and counted again at once
# after any change through the register's services (`register_changed`).
KEPT_SECONDS = 60
_GENERATION_KEY = "register:generation"


def register_changed() -> None:
    """The kept counts are stale: now, for the rest of this request, and
    again once the change commits (a reader counting meanwhile saw the
    register before it)."""
    _next_generation()
    transaction.on_commit(_next_generation)


def _next_generation() -> None:
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not there (expired, or a new cache)
        cache.set(_GENERATION_KEY, 1, timeout=None)


def icb_counts_kept(icbs: list[Organisation], *, on: datetime.date) -> dict[int, dict[str, int]]:
    """`icb_counts` of these ICBs on the day, kept `KEPT_SECONDS` and until
    the register next changes through its services."""
    generation = cache.get_or_set(_GENERATION_KEY, 0, timeout=None)
    ids = ",".join(str(pk) for pk in sorted(icb.pk for icb in icbs))
    digest = hashlib.sha256(ids.encode()).hexdigest()
    key = f"register:counts:{generation}:{on.isoformat()}:{digest}"
    counts = cache.get(key)
    if counts is None:
        counts = dict(icb_counts(icbs, on=on))
        cache.set(key, counts, timeout=KEPT_SECONDS)
    return counts
