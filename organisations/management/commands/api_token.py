from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organisations.audit import system_actor
from organisations.models import User
from organisations.tokens import TOKEN_MAX_DAYS, api_token_create, api_token_revoke, api_tokens_of


class Command(BaseCommand):
    help = (
        "API tokens for a system that uses the API as a user. "
        "create EMAIL --name NAME --days N prints the new token once; "
        "list EMAIL shows a user's tokens; revoke EMAIL STARTS_WITH revokes one."
    )

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token and print it once")
        create.add_argument("email")
        create.add_argument("--name", required=True, help="the system that will use it")
        create.add_argument(
            "--days", type=int, default=90, help=f"how long it lasts, 1 to {TOKEN_MAX_DAYS}"
        )
        listing = actions.add_parser("list", help="a user's tokens that have not expired")
        listing.add_argument("email")
        revoke = actions.add_parser("revoke", help="revoke a token by its first characters")
        revoke.add_argument("email")
        revoke.add_argument("starts_with")

    def handle(self, *args, action, email, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if action == "create":
            try:
                token, secret = api_token_create(
                    actor=system_actor(), user=user, name=options["name"], days=options["days"]
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stderr.write(
                f"Token “{token.name}” for {user.email}, expires {token.expiry:%Y-%m-%d}. "
                "It is shown only now:"
            )
            self.stdout.write(secret)
        elif action == "list":
            for token in api_tokens_of(user).order_by("-created", "digest"):
                self.stdout.write(
                    f"{token.token_key}…\t{token.name}\texpires {token.expiry:%Y-%m-%d}"
                )
        else:
            token = api_tokens_of(user).filter(token_key__startswith=options["starts_with"])
            if len(options["starts_with"]) < 8 or token.count() != 1:
                raise CommandError("Give at least the first 8 characters of exactly one token.")
            api_token_revoke(actor=system_actor(), token=token.get())
            self.stdout.write(self.style.SUCCESS("Revoked."))
