"""Register findings, computed as of a date: the one selector that pages,
exports and the quarterly return all read.

For each organisation: every post the SAAF requires of it that is missing
(not set up by the day) or vacant (no holder on the day), every holder whose last
documented supervision (or, with none recorded, whose start in post) is older
than the interval (default 3 months, `SAAF_SUPERVISION_INTERVAL_MONTHS`) and
every holder trained below the post's level. Only what was true on the day
counts: posts set up later, holders who started later and vacancies that began
later are not shown. An ICB's register rolls up its own posts and those of the providers it
leads as lead commissioner.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings

from assurance.models.register import Post, PostType, Tenure
from organisations.models import Commissioning, Organisation, OrganisationKind
from saaf.dates import nhs_date


class FindingKind:
    MISSING = "missing"
    VACANT = "vacant"
    SUPERVISION_OVERDUE = "supervision_overdue"
    BELOW_LEVEL = "below_level"

    LABELS = {
        MISSING: "Required post missing",
        VACANT: "Vacant",
        SUPERVISION_OVERDUE: "Supervision overdue",
        BELOW_LEVEL: "Training below level",
    }


@dataclass(frozen=True)
class Finding:
    organisation: Organisation
    post_type: PostType
    kind: str
    detail: str
    post: Post | None = None
    tenure: Tenure | None = None

    @property
    def label(self) -> str:
        return FindingKind.LABELS[self.kind]


@dataclass
class PostRow:
    """One line of a register: a post type an organisation must (or chose to) have."""

    organisation: Organisation
    post_type: PostType
    required: bool
    post: Post | None
    holders: list[Tenure]  # current on the day
    findings: list[Finding] = field(default_factory=list)

    @property
    def vacant(self) -> bool:
        return self.post is not None and not self.holders


@dataclass
class Register:
    """The register of one organisation on one day."""

    organisation: Organisation
    on: datetime.date
    rows: list[PostRow]

    @property
    def findings(self) -> list[Finding]:
        return [f for row in self.rows for f in row.findings]

    def counts(self) -> dict[str, int]:
        required = [r for r in self.rows if r.required]
        findings = self.findings
        return {
            "required": len(required),
            "filled": sum(1 for r in required if r.holders),
            "vacant": sum(1 for f in findings if f.kind == FindingKind.VACANT),
            "missing": sum(1 for f in findings if f.kind == FindingKind.MISSING),
            "supervision_overdue": sum(
                1 for f in findings if f.kind == FindingKind.SUPERVISION_OVERDUE
            ),
            "below_level": sum(1 for f in findings if f.kind == FindingKind.BELOW_LEVEL),
        }


def supervision_cutoff(on: datetime.date, months: int | None = None) -> datetime.date:
    """The oldest supervision date still within the interval on `on`."""
    interval = months if months is not None else settings.SAAF_SUPERVISION_INTERVAL_MONTHS
    return on - relativedelta(months=interval)


def registers_for(
    organisations: Iterable[Organisation],
    *,
    on: datetime.date,
    supervision_months: int | None = None,
    groups: Collection[str] | None = None,
) -> list[Register]:
    """The registers of `organisations` on `on`, in three queries whatever
    their number; with `groups`, of the post types in those register groups
    only (what a register rule covers)."""
    organisations = list(organisations)
    post_types = list(PostType.objects.all())
    chosen = Post.objects.filter(organisation__in=organisations)
    if groups is not None:
        post_types = [pt for pt in post_types if pt.register_group in groups]
        chosen = chosen.filter(post_type__in=post_types)
    # Posts by key, so unsorted (the model's order joins two tables to sort);
    # their tenures read in one query and grouped here, newest first.
    posts: dict[int, Post] = {
        post.pk: post for post in chosen.select_related("hosted_by").order_by()
    }
    posts_by_org: dict[int, dict[int, Post]] = defaultdict(dict)
    for post in posts.values():
        post.all_tenures = []
        posts_by_org[post.organisation_id][post.post_type_id] = post
    for tenure in Tenure.objects.filter(post_id__in=list(posts)).order_by("-start_date", "-id"):
        post = posts[tenure.post_id]
        tenure.post = post
        post.all_tenures.append(tenure)
    cutoff = supervision_cutoff(on, supervision_months)
    return [
        _register(org, post_types, posts_by_org[org.pk], on=on, cutoff=cutoff)
        for org in organisations
    ]


def _register(org, post_types, posts: dict[int, Post], *, on, cutoff) -> Register:
    rows = []
    for post_type in post_types:
        required = post_type.is_required_for(org)
        post = posts.get(post_type.pk)
        if post is not None and not post.existed_on(on, post.all_tenures):
            post = None  # set up after the day shown
        if not required and post is None:
            continue
        holders = [t for t in (post.all_tenures if post else []) if t.is_current_on(on)]
        row = PostRow(org, post_type, required, post, holders)
        if required:
            row.findings = _findings(row, on=on, cutoff=cutoff)
        rows.append(row)
    return Register(org, on, rows)


def _findings(row: PostRow, *, on, cutoff) -> list[Finding]:
    org, post_type, post = row.organisation, row.post_type, row.post
    if post is None:
        return [
            Finding(
                org,
                post_type,
                FindingKind.MISSING,
                f"No {post_type.name_in_sentence} recorded.",
            )
        ]
    if not row.holders:
        ended = [t.end_date for t in post.all_tenures if t.end_date and t.end_date < on]
        since = max(ended) + datetime.timedelta(days=1) if ended else post.vacant_since
        detail = f"Vacant since {nhs_date(since)}." if since and since <= on else "Vacant."
        return [Finding(org, post_type, FindingKind.VACANT, detail, post=post)]
    found = []
    for tenure in row.holders:
        # Overdue when the last supervision, or with none the start in post, is
        # older than the interval: a holder new in post is not overdue.
        supervised = tenure.last_supervision
        if post_type.supervision_applies and (supervised or tenure.start_date) < cutoff:
            when = (
                f"last supervision on {nhs_date(supervised)}"
                if supervised
                else f"no supervision recorded since starting on {nhs_date(tenure.start_date)}"
            )
            found.append(
                Finding(
                    org,
                    post_type,
                    FindingKind.SUPERVISION_OVERDUE,
                    f"{tenure.holder_name}: {when}.",
                    post,
                    tenure,
                )
            )
        if post_type.training_level and (
            tenure.training_level is None or tenure.training_level < post_type.training_level
        ):
            level = (
                f"training at level {tenure.training_level}"
                if tenure.training_level
                else "no training level"
            )
            found.append(
                Finding(
                    org,
                    post_type,
                    FindingKind.BELOW_LEVEL,
                    f"{tenure.holder_name}: {level} recorded; the post needs level "
                    f"{post_type.training_level}.",
                    post,
                    tenure,
                )
            )
    return found


def providers_led_by(icbs: Iterable[Organisation]) -> dict[int, list[Organisation]]:
    """The providers each ICB leads as lead commissioner, by ICB id, in one query."""
    led: dict[int, list[Organisation]] = defaultdict(list)
    for link in (
        Commissioning.objects.filter(icb__in=list(icbs), is_lead=True)
        .select_related("provider")
        .order_by("provider__name")
    ):
        led[link.icb_id].append(link.provider)
    return led


@dataclass
class IcbRegister:
    """An ICB's register rolled up over the providers it leads."""

    icb: Organisation
    own: Register
    providers: list[Register]

    @property
    def all(self) -> list[Register]:
        return [self.own, *self.providers]

    @property
    def findings(self) -> list[Finding]:
        return [f for register in self.all for f in register.findings]

    def counts(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for register in self.all:
            for key, value in register.counts().items():
                total[key] += value
        return dict(total)


def icb_registers(
    icbs: Iterable[Organisation],
    *,
    on: datetime.date,
    supervision_months: int | None = None,
    groups: Collection[str] | None = None,
) -> list[IcbRegister]:
    """Rolled-up registers for several ICBs (a region's overview) in a fixed
    number of queries (of the post types in `groups` only, if given)."""
    icbs = [icb for icb in icbs if icb.kind == OrganisationKind.ICB]
    led = providers_led_by(icbs)
    everyone = [*icbs, *(p for icb in icbs for p in led[icb.pk])]
    registers = {
        r.organisation.pk: r
        for r in registers_for(
            everyone, on=on, supervision_months=supervision_months, groups=groups
        )
    }
    return [
        IcbRegister(icb, registers[icb.pk], [registers[p.pk] for p in led[icb.pk]]) for icb in icbs
    ]
