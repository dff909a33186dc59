"""Server-side timings of the portal's heaviest pages: `manage.py benchmark`.

Each entry is a named function that measures one page or export with
Django's test client as a signed-in national admin (MFA satisfied): one run
to count its queries, warm-up runs, then the median of `runs` timed runs
(response fully read, streamed exports included). `floor` is a minimal
signed-in page (allauth's sessions page); every other entry is also given as
a multiple of it (`floor_ratio`), which is what the targets are written in
(docs/performance.md). A page's runs alternate with the floor's (page,
floor, floor, page, …), and its multiple is of the floor's median in those
runs (`floor_ms`): on a shared machine whose speed drifts over a run, a
floor timed minutes earlier moved the multiples by a fifth or more.

Later issues add their entries (heatmaps, return pages, the API, rollup,
PDF, load) with `@entry("name")`. Everything the benchmark writes (its user,
sessions) is rolled back at the end: it leaves the database as it found it.
An entry marked `committed` (the load on a real server, which reads the
database from other processes) runs after that rollback and deletes what it
wrote itself. Log records below WARNING (one per request) are silenced while
it measures.
"""

from __future__ import annotations

import gc
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client, override_settings
from django.urls import reverse

from assurance.models import Answer, QuarterlyReturn, ReportingPeriod, ReturnStatus
from assurance.models.register import Post, Tenure
from organisations.models import Membership, Organisation, OrganisationKind, Role, User
from organisations.reference_data import NATIONAL_CODE

DEFAULT_RUNS = 7
DEFAULT_LOAD_USERS = 50
DEFAULT_LOAD_SECONDS = 60
WARM_UP_RUNS = 2
BENCHMARK_EMAIL = "benchmark@saaf.invalid"


class BenchmarkError(Exception):
    """The benchmark cannot run here, or a page did not answer 200."""


class BenchmarkSkipped(Exception):
    """An entry has nothing to measure in this data (its message says what is
    missing): reported as skipped, never as a failure."""


@dataclass
class Measurement:
    name: str
    path: str
    median_ms: float
    queries: int
    runs: int
    floor_ratio: float | None = None
    # The floor page's median in runs taken in turn with this entry's (a page's).
    floor_ms: float | None = None
    # Against the same entry in a baseline run (--baseline: the scale-1 JSON).
    baseline_ratio: float | None = None
    baseline_queries: int | None = None
    # Each target checked: its wording, and whether it was met.
    targets: dict[str, bool] = field(default_factory=dict)
    # For an entry that computes rather than serves a page (rollup_national):
    # the same aggregates by one hand-written SQL query, and the multiple.
    raw_sql_ms: float | None = None
    ratio: float | None = None

    def summary(self) -> str:
        """What the table adds after the figures (an entry's own measures)."""
        if self.raw_sql_ms is not None:
            return f"raw SQL {self.raw_sql_ms:.1f} ms, ratio {self.ratio:.1f}"
        return ""


@dataclass
class Entry:
    name: str
    measure: Callable[[Bench], Measurement]
    # At scale 1: at most this many times the floor.
    floor_target: float | None = None
    # Against the scale-1 baseline: at most this many times its time, and
    # the same number of queries.
    scale_target: float | None = None
    # Runs outside the benchmark's rolled-back transaction (other processes
    # must read what it writes) and cleans up after itself.
    committed: bool = False


ENTRIES: dict[str, Entry] = {}


def entry(
    name: str,
    *,
    floor_target: float | None = None,
    scale_target: float | None = None,
    committed: bool = False,
):
    """Register a benchmark entry: a function of the `Bench` that returns a
    `Measurement` (usually `bench.measure(name, path)`), with its targets."""

    def register(function: Callable[[Bench], Measurement]):
        ENTRIES[name] = Entry(name, function, floor_target, scale_target, committed)
        return function

    return register


@dataclass
class Bench:
    """What the entries measure with: a signed-in client and the data's landmarks."""

    client: Client
    runs: int
    region: Organisation
    icb: Organisation
    warm_up: int = WARM_UP_RUNS
    # The load entry's simulated users, and how long they run.
    load_users: int = DEFAULT_LOAD_USERS
    load_seconds: int = DEFAULT_LOAD_SECONDS

    def _get(self, path: str, post: dict | None = None, client: Client | None = None) -> int:
        client = client or self.client
        if post is not None:  # a form posted: answered with a redirect
            response = client.post(path, post, secure=True)
            if response.status_code != 302:
                raise BenchmarkError(f"POST {path} answered {response.status_code}, not 302.")
            return len(response.content)
        response = client.get(path, secure=True)
        if response.status_code != 200:
            raise BenchmarkError(f"{path} answered {response.status_code}, not 200.")
        # The test client closes the response itself (for a streamed one,
        # once its content is read): closing it here would close the
        # database connection in the middle of the benchmark's transaction.
        if response.streaming:
            return sum(len(chunk) for chunk in response.streaming_content)
        return len(response.content)

    def measure(
        self, name: str, path: str, *, post: dict | None = None, client: Client | None = None
    ) -> Measurement:
        """GET `path` (or POST `post` to it, as `client` if given) and time it."""
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            self._get(path, post, client)
        for _ in range(self.warm_up):
            self._get(path, post, client)
        # The floor in turn with the page (not for the floor itself).
        floor = None if name == "floor" else reverse("usersessions_list")
        gc.collect()
        times: list[float] = []
        floor_times: list[float] = []
        for run in range(self.runs):
            order = (True, False) if run % 2 else (False, True)
            for is_floor in order if floor else (False,):
                started = time.perf_counter()
                if is_floor:
                    self._get(floor)
                else:
                    self._get(path, post, client)
                (floor_times if is_floor else times).append((time.perf_counter() - started) * 1000)
        measured = Measurement(name, path, statistics.median(times), len(queries), self.runs)
        measured.floor_ms = statistics.median(floor_times) if floor_times else None
        return measured


@entry("floor")
def floor(bench: Bench) -> Measurement:
    return bench.measure("floor", reverse("usersessions_list"))


@entry("register_national", floor_target=5, scale_target=10)
def register_national(bench: Bench) -> Measurement:
    return bench.measure("register_national", reverse("assurance:register_national"))


@entry("register_region")
def register_region(bench: Bench) -> Measurement:
    path = reverse("assurance:register_region", args=[bench.region.code])
    return bench.measure("register_region", path)


@entry("register_icb")
def register_icb(bench: Bench) -> Measurement:
    return bench.measure("register_icb", reverse("assurance:register_icb", args=[bench.icb.code]))


@entry("register_export_national")
def register_export_national(bench: Bench) -> Measurement:
    """Every organisation in England's registers with its counts, as CSV (streamed)."""
    path = reverse("assurance:register_national_organisations_export", args=["csv"])
    return bench.measure("register_export_national", path)


@entry("register_export_national_xlsx")
def register_export_national_xlsx(bench: Bench) -> Measurement:
    path = reverse("assurance:register_national_organisations_export", args=["xlsx"])
    return bench.measure("register_export_national_xlsx", path)


def _largest_return():
    """The return with the most answers: the heaviest task list and section page."""
    found = (
        QuarterlyReturn.objects.annotate(answered=Count("answers"))
        .select_related("icb", "period")
        .order_by("-answered", "pk")
        .first()
    )
    if found is None:
        raise BenchmarkError("No quarterly return to measure: generate the national data first.")
    return found


@entry("return_task_list")
def return_task_list(bench: Bench) -> Measurement:
    ret = _largest_return()
    path = reverse(
        "assurance:return_detail",
        args=[ret.icb.code, ret.period.financial_year, ret.period.quarter],
    )
    return bench.measure("return_task_list", path)


@entry("return_section")
def return_section(bench: Bench) -> Measurement:
    """The section page with the most standards, read-only for the national admin."""
    ret = _largest_return()
    section = (
        ret.period.toolkit_version.sections.annotate(n=Count("standards"))
        .order_by("-n", "position")
        .first()
    )
    path = reverse(
        "assurance:return_section",
        args=[ret.icb.code, ret.period.financial_year, ret.period.quarter, section.code],
    )
    return bench.measure("return_section", path)


@entry("return_workbook")
def return_workbook(bench: Bench) -> Measurement:
    """The largest return's draft as an Excel workbook (built in the request)."""
    ret = _largest_return()
    path = reverse(
        "assurance:return_workbook",
        args=[ret.icb.code, ret.period.financial_year, ret.period.quarter],
    )
    return bench.measure("return_workbook", path)


def _largest_submission(*, versions: int = 1):
    """The submission with the most answers among those of version
    `versions` or later (2: a return that has a previous version)."""
    from assurance.models import Submission

    found = (
        Submission.objects.filter(version__gte=versions)
        .annotate(answered=Count("answers"))
        .select_related("quarterly_return__icb", "quarterly_return__period")
        .order_by("-answered", "pk")
        .first()
    )
    if found is None:
        raise BenchmarkSkipped(
            "No submitted return"
            + (" with two versions" if versions > 1 else "")
            + " to measure: generate national data with historical returns."
        )
    return found


@entry("return_versions")
def return_versions(bench: Bench) -> Measurement:
    """The list of the largest submitted return's versions."""
    ret = _largest_submission().quarterly_return
    args = [ret.icb.code, ret.period.financial_year, ret.period.quarter]
    return bench.measure("return_versions", reverse("assurance:return_versions", args=args))


@entry("return_version_detail")
def return_version_detail(bench: Bench) -> Measurement:
    """The largest submission read as it was submitted."""
    submission = _largest_submission()
    ret = submission.quarterly_return
    path = reverse(
        "assurance:return_version_detail",
        args=[ret.icb.code, ret.period.financial_year, ret.period.quarter, submission.version],
    )
    return bench.measure("return_version_detail", path)


@entry("return_version_compare")
def return_version_compare(bench: Bench) -> Measurement:
    """What changed between the largest resubmitted return's last two versions."""
    submission = _largest_submission(versions=2)
    ret = submission.quarterly_return
    path = reverse(
        "assurance:return_version_compare",
        args=[ret.icb.code, ret.period.financial_year, ret.period.quarter],
    )
    query = f"?from={submission.version - 1}&to={submission.version}"
    return bench.measure("return_version_compare", path + query)


def _busiest_period():
    """The period with the most returns (the generated history's latest
    quarter, or the open one): the lists at their fullest."""
    found = (
        ReportingPeriod.objects.annotate(n=Count("returns"))
        .order_by("-n", "-financial_year", "-quarter")
        .first()
    )
    if found is None:
        raise BenchmarkError("No reporting period: load the toolkit (manage.py load_toolkit).")
    return found


@entry("returns_national")
def returns_national(bench: Bench) -> Measurement:
    """England's returns for a period, grouped by region with their totals."""
    period = _busiest_period()
    path = reverse("assurance:period_returns", args=[period.financial_year, period.quarter])
    return bench.measure("returns_national", path)


@entry("returns_region")
def returns_region(bench: Bench) -> Measurement:
    """The returns of the region with the most ICBs, for the same period."""
    period = _busiest_period()
    path = reverse(
        "assurance:region_returns",
        args=[period.financial_year, period.quarter, bench.region.code],
    )
    return bench.measure("returns_region", path)


@entry("returns_export_national")
def returns_export_national(bench: Bench) -> Measurement:
    """England's list of returns for the period as .xlsx."""
    period = _busiest_period()
    path = reverse(
        "assurance:period_returns_export", args=[period.financial_year, period.quarter, "xlsx"]
    )
    return bench.measure("returns_export_national", path)


def _largest(returns) -> QuarterlyReturn:
    found = (
        returns.annotate(answered=Count("answers"))
        .select_related("icb", "period")
        .order_by("-answered", "pk")
        .first()
    )
    if found is None:
        raise BenchmarkError("No such return to measure: generate the national data first.")
    return found


def _return_args(ret: QuarterlyReturn) -> list:
    return [ret.icb.code, ret.period.financial_year, ret.period.quarter]


@entry("return_submit")
def return_submit(bench: Bench) -> Measurement:
    """The submit page of the largest draft as its ICB's approver: the whole
    completeness check (anyone else is only told they cannot submit)."""
    drafts = QuarterlyReturn.objects.filter(status=ReturnStatus.DRAFT)
    ret = _largest(drafts if drafts.exists() else QuarterlyReturn.objects.all())
    approver = _signed_in_client(
        email="benchmark.approver@saaf.invalid", organisation=ret.icb, role=Role.ICB_APPROVER
    )
    path = reverse("assurance:return_submit", args=_return_args(ret))
    return bench.measure("return_submit", path, client=approver)


@entry("return_validation")
def return_validation(bench: Bench) -> Measurement:
    """The validated ratings page of the submitted return with the most
    submitted answers (all its versions)."""
    ret = (
        QuarterlyReturn.objects.annotate(rows=Count("submissions__answers"))
        .filter(rows__gt=0)
        .select_related("icb", "period")
        .order_by("-rows", "pk")
        .first()
    )
    if ret is None:
        raise BenchmarkSkipped(
            "No submitted return to measure: generate national data with historical returns."
        )
    path = reverse("assurance:return_validation", args=_return_args(ret))
    return bench.measure("return_validation", path)


@entry("return_comment_post")
def return_comment_post(bench: Bench) -> Measurement:
    """Posting a comment on a standard of the largest return, as its region's
    safeguarding lead (every post is rolled back with the rest)."""
    ret = _largest_return()
    standard = ret.period.toolkit_version.standards.order_by("position", "code").first()
    lead = _signed_in_client(
        email="benchmark.lead@saaf.invalid", organisation=ret.icb.parent, role=Role.REGIONAL_LEAD
    )
    path = reverse("assurance:return_comment", args=_return_args(ret))
    data = {"standard": standard.code, "text": "Benchmark: what assures you on this standard?"}
    return bench.measure("return_comment_post", path, post=data, client=lead)


def _heatmap_period() -> ReportingPeriod:
    """The latest period whose returns have been submitted: the heatmaps'
    first page (the busiest period may hold only drafts, which rate nothing)."""
    found = (
        ReportingPeriod.objects.annotate(n=Count("returns__submissions"))
        .filter(n__gt=0)
        .order_by("-financial_year", "-quarter")
        .first()
    )
    return found or _busiest_period()


@entry("heatmap_national", floor_target=3, scale_target=10)
def heatmap_national(bench: Bench) -> Measurement:
    """England's heatmap of sections, validated ratings, with trends."""
    period = _heatmap_period()
    path = reverse("assurance:heatmap_national", args=[period.financial_year, period.quarter])
    return bench.measure("heatmap_national", path)


@entry("heatmap_region", floor_target=3, scale_target=10)
def heatmap_region(bench: Bench) -> Measurement:
    """The heatmap of the region with the most ICBs, for the same period."""
    period = _heatmap_period()
    path = reverse(
        "assurance:heatmap_region",
        args=[period.financial_year, period.quarter, bench.region.code],
    )
    return bench.measure("heatmap_region", path)


@dataclass
class BenchmarkReport:
    database: str
    data: dict
    runs: int
    entries: list[Measurement] = field(default_factory=list)
    baseline_data: dict | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # entry: why

    @property
    def met(self) -> bool:
        return all(all(m.targets.values()) for m in self.entries)

    def as_json(self) -> dict:
        return {
            "database": self.database,
            "data": self.data,
            "runs": self.runs,
            "warm_up_runs": WARM_UP_RUNS,
            "baseline_data": self.baseline_data,
            "entries": {m.name: asdict(m) for m in self.entries},
            "skipped": dict(self.skipped),
        }

    def table(self) -> str:
        lines = [
            f"Benchmark on {self.database}: {_describe(self.data)}",
            f"Median of {self.runs} runs after {WARM_UP_RUNS} warm-up runs, server time "
            "(Django test client); a page's × floor is of the floor's median in runs taken "
            "in turn with it.",
        ]
        if self.baseline_data:
            lines.append(f"Baseline: {_describe(self.baseline_data)}")
        lines += [
            "",
            f"{'entry':<32}{'median ms':>10}{'× floor':>9}{'queries':>9}"
            + (f"{'× baseline':>12}" if self.baseline_data else "")
            + "  targets",
        ]
        for m in self.entries:
            ratio = f"{m.floor_ratio:.1f}" if m.floor_ratio is not None else ""
            line = f"{m.name:<32}{m.median_ms:>10.1f}{ratio:>9}{m.queries:>9}"
            if self.baseline_data:
                line += f"{m.baseline_ratio:>12.1f}" if m.baseline_ratio is not None else " " * 12
            checks = "; ".join(
                f"{wording}: {'met' if met else 'NOT MET'}" for wording, met in m.targets.items()
            )
            if m.summary():
                checks = f"{m.summary()}; {checks}"
            lines.append(f"{line}  {checks}".rstrip())
        lines += [f"{name:<32}skipped: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _describe(data: dict) -> str:
    text = (
        f"{data['icbs']} ICBs ({data['synthetic_icbs']} synthetic), {data['providers']:,} "
        f"providers, {data['posts']:,} posts, {data['tenures']:,} holders"
    )
    if data.get("returns"):
        text += f", {data['returns']:,} returns with {data['answers']:,} answers"
    if data.get("scale"):
        text += f"; generated at scale {data['scale']}"
    return text


def _check_targets(report: BenchmarkReport, baseline: dict | None) -> None:
    at_scale_one = report.data.get("scale") in (None, 1)
    for m in report.entries:
        item = ENTRIES[m.name]
        if item.floor_target is not None and at_scale_one:
            m.targets[f"≤ {item.floor_target:g}× floor"] = m.floor_ratio <= item.floor_target
        before = (baseline or {}).get("entries", {}).get(m.name)
        if before and before["median_ms"]:
            m.baseline_ratio = m.median_ms / before["median_ms"]
            m.baseline_queries = before["queries"]
            if item.scale_target is not None:
                m.targets[f"≤ {item.scale_target:g}× baseline"] = (
                    m.baseline_ratio <= item.scale_target
                )
                if before["queries"]:  # the load counts none
                    m.targets["same queries as baseline"] = m.queries == before["queries"]


def data_size() -> dict:
    """How much data the benchmark ran on, and the scale it was generated at
    (1 + the synthetic copies per real current ICB), where it was generated."""
    icbs = (
        Organisation.objects.icbs()
        .current()
        .aggregate(all=Count("id"), synthetic=Count("id", filter=Q(is_synthetic=True)))
    )
    size = {
        "icbs": icbs["all"],
        "synthetic_icbs": icbs["synthetic"],
        "providers": Organisation.objects.providers().count(),
        "generated_providers": Organisation.objects.providers().filter(is_synthetic=True).count(),
        "posts": Post.objects.count(),
        "tenures": Tenure.objects.count(),
        "returns": QuarterlyReturn.objects.count(),
        "answers": Answer.objects.count(),
        "scale": None,
    }
    real = icbs["all"] - icbs["synthetic"]
    if size["generated_providers"] and real:
        size["scale"] = 1 + icbs["synthetic"] // real
    return size


def _landmarks() -> tuple[Organisation, Organisation]:
    """The region with the most current ICBs, and the current ICB that leads
    the most providers."""
    region = (
        Organisation.objects.regions()
        .annotate(
            icb_count=Count(
                "children", filter=Q(children__kind=OrganisationKind.ICB, children__closed=None)
            )
        )
        .order_by("-icb_count", "code")
        .first()
    )
    icb = (
        Organisation.objects.icbs()
        .current()
        .annotate(led=Count("commissioned", filter=Q(commissioned__is_lead=True)))
        .order_by("-led", "code")
        .first()
    )
    if region is None or icb is None:
        raise BenchmarkError(
            "There are no regions or ICBs: load the reference data "
            "(manage.py load_reference_data) or generate national data first."
        )
    return region, icb


def _signed_in_client(
    *,
    email: str = BENCHMARK_EMAIL,
    organisation: Organisation | None = None,
    role: str = Role.NATIONAL_ADMIN,
) -> Client:
    """A client signed in as a national admin (or `role` in `organisation`)
    with an authenticator, so the MFA middleware lets them through (the user
    is rolled back afterwards)."""
    import pyotp
    from allauth.mfa.totp.internal.auth import TOTP

    organisation = organisation or Organisation.objects.filter(code=NATIONAL_CODE).first()
    if organisation is None:
        raise BenchmarkError("Load the reference data first (manage.py load_reference_data).")
    user = User.objects.create_user(email, full_name="Benchmark")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    # Any secret will do: the user only needs an authenticator to exist, and
    # is rolled back with everything else.
    TOTP.activate(user, pyotp.random_base32())
    client = Client()
    client.force_login(user)
    return client


class _Rollback(Exception):
    pass


def run_benchmark(
    *,
    runs: int = DEFAULT_RUNS,
    only: list[str] | None = None,
    baseline: dict | None = None,
    load_users: int = DEFAULT_LOAD_USERS,
    load_seconds: int = DEFAULT_LOAD_SECONDS,
) -> BenchmarkReport:
    """Measure every registered entry (or those named in `only`; the floor is
    always measured, for the ratios), and check their targets: against the
    floor at scale 1, and against `baseline` (an earlier report's JSON, the
    scale-1 run) at larger scales. The `committed` entries (the load) run
    last, after the rollback."""
    unknown = set(only or []) - set(ENTRIES)
    if unknown:
        raise BenchmarkError(f"No such entries: {', '.join(sorted(unknown))}.")
    if runs < 1:
        raise BenchmarkError("Runs is a whole number from 1.")
    if load_users < 1 or load_seconds < 1:
        raise BenchmarkError("The load's users and seconds are whole numbers from 1.")

    def selected(name: str) -> bool:
        return not only or name in only or name == "floor"

    report = BenchmarkReport(connection.vendor, data_size(), runs)
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    # One log line per request would bury the table: quiet while measuring.
    logging.disable(logging.INFO)
    try:
        try:
            with override_settings(ALLOWED_HOSTS=hosts), transaction.atomic():
                region, icb = _landmarks()
                bench = Bench(
                    _signed_in_client(),
                    runs,
                    region,
                    icb,
                    load_users=load_users,
                    load_seconds=load_seconds,
                )
                floor_measured = ENTRIES["floor"].measure(bench)
                for name, item in ENTRIES.items():
                    if not selected(name) or item.committed:
                        continue
                    try:
                        measured = floor_measured if name == "floor" else item.measure(bench)
                    except BenchmarkSkipped as skipped:
                        report.skipped[name] = str(skipped)
                        continue
                    # A page against the floor timed in turn with it; the
                    # others (the rollup, the PDF) against the floor's own run.
                    floor_ms = measured.floor_ms or floor_measured.median_ms
                    measured.floor_ratio = measured.median_ms / floor_ms
                    report.entries.append(measured)
                raise _Rollback
        except _Rollback:
            pass
        for name, item in ENTRIES.items():
            if not selected(name) or not item.committed:
                continue
            try:
                report.entries.append(item.measure(bench))
            except BenchmarkSkipped as skipped:
                report.skipped[name] = str(skipped)
    finally:
        logging.disable(logging.NOTSET)
    report.baseline_data = baseline["data"] if baseline else None
    _check_targets(report, baseline)
    return report
