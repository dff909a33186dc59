"""National data for measuring the portal at scale: `manage.py
generate_national_data --scale N --seed S`.

On top of the reference organisations and the post types, it makes about
1,500 × N providers (about 85% GP practices, the rest NHS trusts, foundation
trusts and independent providers, some with maternity or unscheduled care),
each led by one current ICB; for N > 1, N − 1 synthetic copies of each
current ICB in the same regions. Every ICB and provider gets its required
posts with holders and history, and a spread of findings like the one a
national lead sees: some posts missing, some vacant (never filled, or since
a holder left), holders overdue supervision or trained below the post's
level, job shares and hosted posts. The ICBs closed in the 2026 mergers get
their registers as they stood on their last day (their holders leaving
then), so the years they reported in have findings; they are not copied at
scale N.

Everything generated is marked `is_synthetic`; the same seed and day give the
same data. Rows are bulk inserted, in batches, but each is built as the
services build it (`full_clean` passes on any of them, a test checks a
sample); made-up data is nobody's change, so it writes no audit events. It
is refused in production mode, and refused a second time.
Draft quarterly returns for every ICB in the open periods come from
`assurance.national_returns`, the closed periods' returns (submitted,
reviewed, accepted ...) from `assurance.national_history`; later issues
(reviews, reports) add theirs.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from assurance.models.register import Post, PostType, Tenure
from assurance.national_history import national_history_generate
from assurance.national_returns import national_returns_generate
from assurance.services.register import post_types_load
from organisations.audit import system_actor
from organisations.models import Commissioning, Organisation, OrganisationKind, ProviderKind
from organisations.reference_data import reference_data_load

PROVIDERS_PER_SCALE = 1500
BATCH_SIZE = 2000
CODE_PREFIX = "ND"  # every generated provider's code starts with it

# Share of each kind of provider, in order (GP practices about 85%).
PROVIDER_MIX = [
    (ProviderKind.GP_PRACTICE, 0.85),
    (ProviderKind.NHS_TRUST, 0.06),
    (ProviderKind.FOUNDATION_TRUST, 0.05),
    (ProviderKind.INDEPENDENT, 0.04),
]
_CODE_LETTER = {
    ProviderKind.GP_PRACTICE: "G",
    ProviderKind.NHS_TRUST: "T",
    ProviderKind.FOUNDATION_TRUST: "F",
    ProviderKind.INDEPENDENT: "I",
}
# (maternity, unscheduled care) chances by kind.
_SERVICES = {
    ProviderKind.GP_PRACTICE: (0.0, 0.05),
    ProviderKind.NHS_TRUST: (0.6, 0.7),
    ProviderKind.FOUNDATION_TRUST: (0.6, 0.7),
    ProviderKind.INDEPENDENT: (0.1, 0.1),
}

# Chances, per required post, of each state (the rest are filled).
MISSING = 0.04
VACANT = 0.06
# Per holder.
SUPERVISION_OVERDUE = 0.12
SUPERVISION_NONE = 0.03
BELOW_LEVEL = 0.07
LEVEL_NOT_RECORDED = 0.02
HISTORY = 0.35
ACTING = 0.05
JOB_SHARE = 0.2  # of posts that may be shared (the ICB's named GPs)
HOSTED = 0.15  # of posts that may be hosted, where the ICB leads a trust

_PLACES = [
    "Ashford", "Barnsley", "Bedford", "Blackburn", "Bolton", "Bradford", "Brighton", "Bristol",
    "Burnley", "Cambridge", "Carlisle", "Chester", "Colchester", "Coventry", "Crewe", "Croydon",
    "Darlington", "Derby", "Doncaster", "Dorchester", "Durham", "Ealing", "Exeter", "Gateshead",
    "Gloucester", "Grimsby", "Halifax", "Harrogate", "Hastings", "Hereford", "Huddersfield",
    "Ipswich", "Kendal", "Kettering", "Lancaster", "Leicester", "Lincoln", "Luton", "Maidstone",
    "Mansfield", "Middlesbrough", "Milton Keynes", "Newark", "Northampton", "Norwich",
    "Nottingham", "Oldham", "Oxford", "Peterborough", "Plymouth", "Portsmouth", "Preston",
    "Reading", "Rochdale", "Salisbury", "Scarborough", "Sheffield", "Shrewsbury", "Southampton",
    "Stafford", "Stockport", "Sunderland", "Swindon", "Taunton", "Telford", "Torbay", "Truro",
    "Wakefield", "Walsall", "Warrington", "Watford", "Weston", "Wigan", "Winchester", "Worcester",
    "Worthing", "Yeovil", "York",
]  # fmt: skip
_STREETS = [
    "Abbey Road", "Albion Street", "Bridge Street", "Castle Hill", "Church Lane", "Elm Grove",
    "Falcon Road", "George Street", "Green Lane", "Grove Park", "High Street", "Hill Top",
    "King's Road", "London Road", "Manor Way", "Market Square", "Mill Lane", "New Road",
    "North Street", "Oak Tree", "Park Road", "Priory", "Queen's Road", "Riverside", "St John's",
    "Station Road", "The Avenue", "Victoria Road", "West End", "Willow Bank",
]  # fmt: skip
_PRACTICE = ["Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice"]
_TRUST = ["Hospitals", "Teaching Hospitals", "Community Health", "Mental Health", "University"]
_FIRST = [
    "Aisha", "Ben", "Chloe", "Daniel", "Eleanor", "Farah", "George", "Hannah", "Imran", "Jade",
    "Kwame", "Laura", "Mohammed", "Nia", "Oliver", "Priya", "Rachel", "Sam", "Tom", "Uma",
    "Victoria", "William", "Yusuf", "Zoe",
]  # fmt: skip
_LAST = [
    "Adeyemi", "Brennan", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Mensah", "Nolan", "Okafor", "Patel", "Price", "Rahman", "Shah",
    "Taylor", "Walker", "Wright", "Young",
]  # fmt: skip
_WTE = [Decimal("0.4"), Decimal("0.5"), Decimal("0.6"), Decimal("0.8"), Decimal("1.0")]
_SESSIONAL = {"GP_LEAD", "ICB_NAMED_GP_C", "ICB_NAMED_GP_A"}


# Later apps add their part (assurance never imports them): each contributor is
# called as func(rng, icbs, today=, actor=) after the registers and returns, in
# the same transaction, and returns {"what it made": count} for the summary.
_contributors: list[Callable[..., dict[str, int]]] = []


def national_data_contributor_register(func: Callable[..., dict[str, int]]) -> None:
    if func not in _contributors:
        _contributors.append(func)


class NationalDataRefused(Exception):
    """The data cannot be generated here: production mode, or already there."""


@dataclass
class NationalDataReport:
    scale: int
    seed: int
    icbs: int = 0
    synthetic_icbs: int = 0
    providers: dict[str, int] = field(default_factory=dict)
    commissionings: int = 0
    posts: int = 0
    tenures: int = 0
    returns: int = 0
    answers: int = 0
    metric_values: int = 0
    contributed: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.providers.items())
        return (
            f"Scale {self.scale}, seed {self.seed}: {self.icbs} ICBs "
            f"({self.synthetic_icbs} synthetic), {sum(self.providers.values())} providers "
            f"({kinds}), {self.commissionings} commissioning links, {self.posts} posts, "
            f"{self.tenures} holders; {self.returns} draft returns with {self.answers} answers "
            f"and {self.metric_values} metric values."
            + "".join(f" {count} {what}." for what, count in self.contributed.items())
        )


def national_data_generate(
    *,
    scale: int = 1,
    seed: int = 1,
    providers: int | None = None,
    today: datetime.date | None = None,
    history: bool = False,
    history_since: int | None = None,
) -> NationalDataReport:
    """Generate the national data (see the module's doc). `providers`
    overrides 1,500 × `scale` (tests use a few dozen); `today` is the day the
    findings are as of (default: today in London); `history` adds the closed
    periods' returns (`assurance.national_history`: the command's default;
    tests of the register alone leave them out, as they take seconds), from
    the financial year `history_since` (default: the first, 2022/23)."""
    if not settings.DEBUG:
        raise NationalDataRefused(
            "Generated national data is never loaded in production mode (DJANGO_DEBUG off): "
            "it is for measuring the portal on a development or test database."
        )
    if scale < 1:
        raise NationalDataRefused("The scale is a whole number from 1.")
    if Organisation.objects.filter(is_synthetic=True).exists():
        raise NationalDataRefused(
            "National data has already been generated in this database (there are synthetic "
            "organisations). Generate into a fresh database: drop it, migrate, and run again."
        )
    if today is not None and today > timezone.localdate():
        raise NationalDataRefused(
            "The findings are as of a day that has come: today or earlier "
            "(supervision and training dates cannot be in the future)."
        )
    today = today or timezone.localdate()
    total = PROVIDERS_PER_SCALE * scale if providers is None else providers
    rng = random.Random(seed)  # noqa: S311 (made-up data, not security)
    report = NationalDataReport(scale=scale, seed=seed)
    with transaction.atomic():
        actor = system_actor()
        reference_data_load(actor=actor)
        post_types_load(actor=actor)
        post_types = list(PostType.objects.order_by("required_for", "display_order", "code"))
        real = list(Organisation.objects.icbs().existing_on(today).order_by("code"))
        copies = _synthetic_icbs(real, scale)
        icbs = real + copies
        generated = _providers(rng, total, icbs)
        report.icbs, report.synthetic_icbs = len(icbs), len(copies)
        for provider, _ in generated:
            label = ProviderKind(provider.provider_kind).label
            report.providers[label] = report.providers.get(label, 0) + 1
        report.commissionings = _commission(rng, generated, icbs)
        led_trusts: dict[int, list[Organisation]] = {}
        for provider, lead in generated:
            if provider.provider_kind != ProviderKind.GP_PRACTICE:
                led_trusts.setdefault(lead.pk, []).append(provider)
        organisations = [*icbs, *(provider for provider, _ in generated)]
        report.posts, report.tenures = _registers(
            rng, organisations, post_types, led_trusts, today=today
        )
        # Its own random stream, so the current organisations' data are as before.
        before = random.Random(f"{seed}:predecessors")  # noqa: S311 (made-up data)
        closed = Organisation.objects.icbs().filter(
            is_synthetic=False, closed__isnull=False, closed__lt=today
        )
        posts, tenures = registers_generate(before, closed, post_types, today=today)
        report.posts += posts
        report.tenures += tenures
        if history:  # its own random stream: the contributors' data stay the same without it
            since = {} if history_since is None else {"since": history_since}
            report.contributed |= national_history_generate(seed=seed, today=today, **since)
        # After the history, which makes the toolkit versions and the periods
        # where the reference data has none (before it, no period was open).
        report.returns, report.answers, report.metric_values = national_returns_generate(
            rng, icbs, today=today, actor=actor
        )
        for contributor in _contributors:
            report.contributed |= contributor(rng, icbs, today=today, actor=actor)
    _analyse()
    return report


def _analyse() -> None:
    """Refresh PostgreSQL's statistics after the bulk inserts, so that the
    first queries on the new data get good plans (autovacuum would, later).
    Every table: the history adds toolkit versions too, and with their
    standards still counted as the shipped 90 (290 by then), the heatmap's
    count read every answer by standard instead of by submission (5× slower)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _synthetic_icbs(real: list[Organisation], scale: int) -> list[Organisation]:
    copies = [
        Organisation(
            kind=OrganisationKind.ICB,
            code=f"{icb.code}-S{copy}",
            name=f"{icb.name} (synthetic {copy})",
            parent_id=icb.parent_id,
            established=icb.established,
            is_synthetic=True,
        )
        for copy in range(1, scale)
        for icb in real
    ]
    return Organisation.objects.bulk_create(copies, batch_size=BATCH_SIZE)


def _provider_kind(rng: random.Random) -> str:
    draw, upto = rng.random(), 0.0
    for kind, share in PROVIDER_MIX:
        upto += share
        if draw < upto:
            return kind
    return PROVIDER_MIX[-1][0]


def _provider_name(rng: random.Random, kind: str) -> str:
    place = rng.choice(_PLACES)
    if kind == ProviderKind.GP_PRACTICE:
        return f"{rng.choice(_STREETS)} {rng.choice(_PRACTICE)}, {place}"
    if kind == ProviderKind.NHS_TRUST:
        return f"{place} {rng.choice(_TRUST)} NHS Trust"
    if kind == ProviderKind.FOUNDATION_TRUST:
        return f"{place} {rng.choice(_TRUST)} NHS Foundation Trust"
    return f"{place} {rng.choice(['Independent Hospital', 'Clinic', 'Healthcare'])}"


def _providers(
    rng: random.Random, total: int, icbs: list[Organisation]
) -> list[tuple[Organisation, Organisation]]:
    """The providers, each with its lead ICB (spread evenly over the ICBs)."""
    pairs = []
    for number in range(1, total + 1):
        kind = _provider_kind(rng)
        maternity, unscheduled = _SERVICES[kind]
        provider = Organisation(
            kind=OrganisationKind.PROVIDER,
            code=f"{CODE_PREFIX}{_CODE_LETTER[kind]}{number:06d}",
            name=_provider_name(rng, kind),
            provider_kind=kind,
            provides_maternity=rng.random() < maternity,
            runs_unscheduled_care=rng.random() < unscheduled,
            is_synthetic=True,
        )
        pairs.append((provider, icbs[(number - 1) % len(icbs)]))
    Organisation.objects.bulk_create([p for p, _ in pairs], batch_size=BATCH_SIZE)
    return pairs


def _commission(rng: random.Random, generated, icbs: list[Organisation]) -> int:
    """A lead commissioner for each provider; some trusts also commissioned by
    another ICB of the same region."""
    by_region: dict[int, list[Organisation]] = {}
    for icb in icbs:
        by_region.setdefault(icb.parent_id, []).append(icb)
    links = []
    for provider, lead in generated:
        links.append(Commissioning(icb=lead, provider=provider, is_lead=True))
        neighbours = [icb for icb in by_region[lead.parent_id] if icb.pk != lead.pk]
        shared = provider.provider_kind != ProviderKind.GP_PRACTICE and neighbours
        if shared and rng.random() < 0.3:
            links.append(Commissioning(icb=rng.choice(neighbours), provider=provider))
    Commissioning.objects.bulk_create(links, batch_size=BATCH_SIZE)
    return len(links)


def _days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))


def _registers(rng, organisations, post_types, led_trusts, *, today) -> tuple[int, int]:
    """Posts and holders for every organisation, inserted a batch at a time."""
    posts: list[Post] = []
    holders: list[list[dict]] = []  # the tenures of each post, as field values
    post_count = tenure_count = 0

    def flush() -> None:
        nonlocal post_count, tenure_count
        Post.objects.bulk_create(posts, batch_size=BATCH_SIZE)
        tenures = [
            Tenure(post=post, **values)
            for post, post_holders in zip(posts, holders, strict=True)
            for values in post_holders
        ]
        Tenure.objects.bulk_create(tenures, batch_size=BATCH_SIZE)
        post_count += len(posts)
        tenure_count += len(tenures)
        posts.clear()
        holders.clear()

    for organisation in organisations:
        for post_type in post_types:
            if not post_type.is_required_for(organisation):
                continue
            made = _post(rng, organisation, post_type, led_trusts, today=today)
            if made is not None:
                posts.append(made[0])
                holders.append(made[1])
        if len(posts) >= BATCH_SIZE:
            flush()
    flush()
    return post_count, tenure_count


def registers_generate(rng, organisations, post_types, *, today) -> tuple[int, int]:
    """The organisations' registers, one at a time, none hosted: an open
    one's as on `today`; an ICB closed in a reorganisation (the 2026 mergers)
    as it stood on its last day, so a year it reported in (2025/26) has its
    findings at its end. Its holders left that day, when the successors took
    over; its posts stay, for the years before. Also the demo's, outside its
    own region (`assurance.demo_england`)."""
    post_count = tenure_count = 0
    for organisation in sorted(organisations, key=lambda organisation: organisation.code):
        closed = organisation.closed
        last_day = closed if closed and closed < today else None
        posts, tenures = _registers(rng, [organisation], post_types, {}, today=last_day or today)
        if last_day:
            Tenure.objects.filter(post__organisation=organisation, end_date__isnull=True).update(
                end_date=last_day
            )
        post_count += posts
        tenure_count += tenures
    return post_count, tenure_count


def _post(rng, organisation, post_type, led_trusts, *, today):
    """One required post with its holders (or None: the post is missing)."""
    draw = rng.random()
    if draw < MISSING:
        return None
    hosts = led_trusts.get(organisation.pk, [])
    hosted_by = (
        rng.choice(hosts) if post_type.hosted_allowed and hosts and rng.random() < HOSTED else None
    )
    job_share = post_type.code == "ICB_NAMED_GP_C" and rng.random() < JOB_SHARE
    post = Post(
        organisation=organisation, post_type=post_type, hosted_by=hosted_by, job_share=job_share
    )
    tenures: list[dict] = []
    if draw < MISSING + VACANT:
        if rng.random() < 0.5:  # never filled since it was set up
            post.vacant_since = today - _days(rng, 7, 300)
        else:  # its holder left
            ended = today - _days(rng, 1, 240)
            left = _holder(rng, post_type, start=ended - _days(rng, 200, 2000), today=ended)
            left["end_date"] = ended
            tenures.append(left)
        return post, tenures
    start = today - _days(rng, 120, 2500)
    for _ in range(2 if job_share else 1):
        tenures.append(_holder(rng, post_type, start=start, today=today, share=job_share))
    if not job_share and rng.random() < HISTORY:
        before = start - datetime.timedelta(days=1)
        earlier = _holder(rng, post_type, start=before - _days(rng, 300, 2500), today=before)
        earlier["end_date"] = before
        tenures.append(earlier)
    return post, tenures


def _holder(rng, post_type, *, start, today, share: bool = False) -> dict:
    """A holder's record as the tenure form would take it, current on `today`."""
    doctor = "_DR_" in post_type.code or "GP" in post_type.code
    name = f"{'Dr ' if doctor else ''}{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    values = {
        "holder_name": name,
        "holder_email": "",
        "whole_time_equivalent": None,
        "sessions_per_week": None,
        "start_date": start,
        "end_date": None,
        "acting": rng.random() < ACTING,
        "last_supervision": None,
        "training_level": None,
        "training_date": None,
    }
    if post_type.code in _SESSIONAL:
        values["sessions_per_week"] = Decimal(rng.randint(1, 4))
    else:
        values["whole_time_equivalent"] = Decimal("0.5") if share else rng.choice(_WTE)
    if post_type.supervision_applies:
        draw = rng.random()
        if draw < SUPERVISION_NONE:
            pass
        elif draw < SUPERVISION_NONE + SUPERVISION_OVERDUE:
            values["last_supervision"] = max(start, today - _days(rng, 100, 400))
        else:
            values["last_supervision"] = max(start, today - _days(rng, 0, 85))
    if post_type.training_level:
        draw = rng.random()
        if draw >= LEVEL_NOT_RECORDED:
            below = draw < LEVEL_NOT_RECORDED + BELOW_LEVEL
            values["training_level"] = post_type.training_level - (1 if below else 0)
            values["training_date"] = max(start, today - _days(rng, 30, 900))
    return values
