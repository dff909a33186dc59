import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from assurance.national_data import (
    PROVIDERS_PER_SCALE,
    NationalDataRefused,
    national_data_generate,
)


class Command(BaseCommand):
    help = (
        f"Generate national data for measuring the portal: about {PROVIDERS_PER_SCALE:,} × "
        "SCALE providers led by the current ICBs (and SCALE − 1 synthetic copies of each ICB), "
        "with posts, holders, history and findings, and quarterly returns: drafts for the open "
        "periods and, for the closed ones since Q2 2022/23, submitted, reviewed and accepted "
        "returns. Deterministic for a seed; refused in "
        "production mode and when it has already run. See docs/performance.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Multiples of national size.")
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same data.")
        parser.add_argument(
            "--providers",
            type=int,
            default=None,
            help=f"Number of providers instead of {PROVIDERS_PER_SCALE:,} × SCALE (for tests).",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day the findings are as of, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Leave out the closed periods' returns (submitted, reviewed, accepted).",
        )

    def handle(self, *args, scale, seed, providers, today, no_history, **options) -> None:
        started = time.perf_counter()
        try:
            report = national_data_generate(
                scale=scale, seed=seed, providers=providers, today=today, history=not no_history
            )
        except NationalDataRefused as refusal:
            raise CommandError(str(refusal)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{report.summary()} ({elapsed:.1f} s)"))
