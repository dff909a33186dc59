from django.core.management.base import BaseCommand

from assurance.services.register import post_types_load
from organisations.audit import system_actor


class Command(BaseCommand):
    help = "Load the safeguarding post types the SAAF requires. Safe to run again."

    def handle(self, *args, **options) -> None:
        result = post_types_load(actor=system_actor())
        self.stdout.write(
            self.style.SUCCESS(
                f"Post types: {len(result['created'])} created, {len(result['updated'])} updated."
            )
        )
