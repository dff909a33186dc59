from django.core.management.base import BaseCommand

from organisations.audit import system_actor
from organisations.services import reference_data_load


class Command(BaseCommand):
    help = (
        "Load NHS England, its regions, every ICB since July 2022 and the 2026 successions. "
        "Safe to run again: only changes are written, each with an audit event."
    )

    def handle(self, *args, **options) -> None:
        report = reference_data_load(actor=system_actor())
        self.stdout.write(self.style.SUCCESS(f"Reference organisations: {report.summary()}."))
