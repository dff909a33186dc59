from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from organisations.demo import PERSONAS, persona_by_email


class Command(BaseCommand):
    help = "Print a demo persona's current TOTP code (valid for 30 seconds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "persona", nargs="?", help="email or the part before @, e.g. approver.z9b2z"
        )

    def handle(self, *args, persona=None, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Persona codes exist only outside production mode.")
        if not persona:
            for p in PERSONAS:
                if p.needs_mfa:
                    self.stdout.write(f"{p.current_code()}  {p.email}")
            return
        found = persona_by_email(persona)
        if found is None:
            names = ", ".join(p.email.split("@")[0] for p in PERSONAS)
            raise CommandError(f"No persona called {persona!r}. Try one of: {names}.")
        if not found.needs_mfa:
            raise CommandError(
                f"{found.email} signs in without a code (their role does not require MFA)."
            )
        self.stdout.write(found.current_code())
