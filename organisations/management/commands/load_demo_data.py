import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from organisations.audit import system_actor
from organisations.demo import PERSONAS, demo_populators, demo_world_create
from organisations.services import reference_data_load


class Command(BaseCommand):
    help = (
        "Create the demo world on top of the reference data: providers, places and one "
        "persona per role. The password comes from SAAF_DEMO_PASSWORD or is printed once. "
        "Refused in production mode."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is never loaded in production mode (DJANGO_DEBUG off).")
        reference_data_load(actor=system_actor())
        result = demo_world_create(password=os.environ.get("SAAF_DEMO_PASSWORD") or None)
        # Apps above this one add their demo records through the registry they
        # fill in their AppConfig.ready(), so this command imports none of them.
        for populate in demo_populators():
            populate()

        self.stdout.write(self.style.SUCCESS("Demo world ready. Personas:"))
        for persona in PERSONAS:
            name = persona.email.split("@")[0]
            mfa = f"  (MFA: manage.py persona_code {name})" if persona.needs_mfa else ""
            self.stdout.write(f"  {persona.email:<40} {persona.role}{mfa}")
        if result.password:
            self.stdout.write(self.style.WARNING(f"Password for every persona: {result.password}"))
        else:
            self.stdout.write(
                "Personas already existed: their password is unchanged "
                "(set SAAF_DEMO_PASSWORD and run again to reset it)."
            )
