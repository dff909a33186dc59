"""Replaces Django's createsuperuser, which would make an admin outside the
roles: no membership, no audit event, no MFA enrolment. The admin belongs to
national admins, and their staff flags follow that membership."""

import sys

from django.core.management.base import BaseCommand, CommandError

REFUSAL = (
    "createsuperuser is switched off: admin access follows the national admin role. "
    "Create a national admin instead, e.g.\n"
    "  python manage.py create_user you@nhs.net 'Your Name' X24 national_admin\n"
    "(X24 is NHS England; they set their password from the e-mailed link and "
    "set up TOTP at their first sign-in)."
)


class Command(BaseCommand):
    help = "Switched off: use `manage.py create_user EMAIL NAME X24 national_admin`."

    def add_arguments(self, parser) -> None:
        # Django's options, accepted so that any call gets the same answer.
        parser.add_argument("ignored", nargs="*")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        for option in ("--email", "--username", "--database"):
            parser.add_argument(option)

    def run_from_argv(self, argv) -> None:
        # Refuse whatever options were given (--noinput, --email ...), with our message.
        self.stderr.write(REFUSAL)
        sys.exit(1)

    def handle(self, *args, **options) -> None:
        raise CommandError(REFUSAL)
