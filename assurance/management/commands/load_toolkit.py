from django.core.management.base import BaseCommand

from assurance.toolkit_content import toolkit_content_load
from organisations.audit import system_actor


class Command(BaseCommand):
    help = (
        "Load the shipped Safeguarding-CAT as the published 2025/26 and 2026/27 versions and "
        "create those years' reporting periods with the default dates. Safe to run again: "
        "what exists is never changed; differences between the file and a stored version "
        "are reported, not applied (a published version never changes)."
    )

    def handle(self, *args, **options) -> None:
        report = toolkit_content_load(actor=system_actor())
        for line in report.differences:
            self.stdout.write(self.style.WARNING(line))
        self.stdout.write(self.style.SUCCESS(f"Safeguarding-CAT: {report.summary()}."))
