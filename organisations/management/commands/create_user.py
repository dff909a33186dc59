from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from organisations.audit import system_actor
from organisations.models import Organisation, Role
from organisations.services import membership_grant, user_create, user_invite_send


class Command(BaseCommand):
    help = (
        "Create a user with a role in an organisation and email them a link to set their "
        "password. Example: create_user jo@nhs.net 'Jo Bloggs' QMF icb_editor"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("full_name")
        parser.add_argument("organisation", help="the organisation's code, e.g. QMF or Y56")
        parser.add_argument("role", choices=[r.value for r in Role])

    def handle(self, *args, email, full_name, organisation, role, **options) -> None:
        org = Organisation.objects.filter(code=organisation.upper()).first()
        if org is None:
            raise CommandError(f"No organisation with the code {organisation!r}.")
        try:
            with transaction.atomic():
                user = user_create(actor=system_actor(), email=email, full_name=full_name)
                membership_grant(actor=system_actor(), user=user, organisation=org, role=role)
                link = user_invite_send(
                    actor=system_actor(), user=user, base_url=settings.SAAF_BASE_URL
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.email}; invitation sent."))
        if settings.DEBUG:
            self.stdout.write(f"Set-password link: {link}")
