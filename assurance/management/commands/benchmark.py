import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assurance.benchmark import (
    DEFAULT_LOAD_SECONDS,
    DEFAULT_LOAD_USERS,
    DEFAULT_RUNS,
    ENTRIES,
    BenchmarkError,
    run_benchmark,
)


class Command(BaseCommand):
    help = (
        "Time the portal's heaviest pages and exports on this database (server time, median "
        "of RUNS runs after warm-up, Django test client, signed in as a national admin) "
        "against a minimal signed-in page, the floor; then the load entry: concurrent "
        "signed-in users (locust) against gunicorn on this database. Prints a table; "
        "--json writes the "
        "figures. Entries: " + ", ".join(ENTRIES) + ". See docs/performance.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", dest="json_path", default=None, help="Write JSON here.")
        parser.add_argument(
            "--runs", type=int, default=DEFAULT_RUNS, help=f"Timed runs (default {DEFAULT_RUNS})."
        )
        parser.add_argument(
            "--baseline",
            default=None,
            metavar="PATH",
            help="An earlier run's JSON (scale 1): report each entry against it and check "
            "the scale targets.",
        )
        parser.add_argument(
            "--load-users",
            type=int,
            default=DEFAULT_LOAD_USERS,
            help=f"Simulated users of the load entry (default {DEFAULT_LOAD_USERS}).",
        )
        parser.add_argument(
            "--load-seconds",
            type=int,
            default=DEFAULT_LOAD_SECONDS,
            help=f"How long the load runs (default {DEFAULT_LOAD_SECONDS}).",
        )
        parser.add_argument(
            "--only", nargs="+", default=None, metavar="ENTRY", help="Measure only these."
        )

    def handle(
        self, *args, json_path, runs, only, baseline, load_users, load_seconds, **options
    ) -> None:
        try:
            baseline = json.loads(Path(baseline).read_text()) if baseline else None
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the baseline {baseline}: {error}") from None
        try:
            report = run_benchmark(
                runs=runs,
                only=only,
                baseline=baseline,
                load_users=load_users,
                load_seconds=load_seconds,
            )
        except BenchmarkError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.table())
        if json_path:
            Path(json_path).write_text(json.dumps(report.as_json(), indent=2) + "\n")
            self.stdout.write(f"Written to {json_path}.")
