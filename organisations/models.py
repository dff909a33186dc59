"""Organisations, their history, the people in them and the audit trail.

Everything else in the portal hangs off an organisation: a return belongs to
the ICB that existed in its period, a post to the provider or ICB that must
fill it, a review to the ICBs involved in it. Who may see and change what is
derived here, once (`Organisation.objects.visible_to(user)`), from the
hierarchy national → region → ICB → provider and the 2026 successions.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# --- Users -------------------------------------------------------------------


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: identified by their email, never a username."""

    username = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


# --- Organisations -------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    NATIONAL = "national", "National"
    DIRECTORATE = "directorate", "National directorate"
    REGION = "region", "Region"
    ICB = "icb", "Integrated care board"
    PROVIDER = "provider", "Provider"
    PLACE = "place", "Place / local authority area"


class ProviderKind(models.TextChoices):
    NHS_TRUST = "nhs_trust", "NHS trust"
    FOUNDATION_TRUST = "foundation_trust", "NHS foundation trust"
    INDEPENDENT = "independent", "Independent provider"
    GP_PRACTICE = "gp_practice", "GP practice"
    PCN = "pcn", "Primary care network"
    OTHER = "other", "Other"


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def of_kind(self, kind: str) -> OrganisationQuerySet:
        return self.filter(kind=kind)

    def regions(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.REGION)

    def icbs(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.ICB)

    def providers(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.PROVIDER)

    def existing_on(self, day: datetime.date) -> OrganisationQuerySet:
        """Organisations that existed on `day` (open-ended dates count as always)."""
        return self.filter(
            Q(established__isnull=True) | Q(established__lte=day),
            Q(closed__isnull=True) | Q(closed__gte=day),
        )

    def current(self) -> OrganisationQuerySet:
        return self.existing_on(datetime.date.today())

    def visible_to(self, user) -> OrganisationQuerySet:
        """The organisations `user` may read: see `organisations.scoping`."""
        from organisations.scoping import visible_organisation_ids

        return self.filter(pk__in=visible_organisation_ids(user))

    def changeable_by(self, user) -> OrganisationQuerySet:
        """The organisations whose data `user` may change: see `organisations.scoping`."""
        from organisations.scoping import changeable_organisation_ids

        return self.filter(pk__in=changeable_organisation_ids(user))


class Organisation(models.Model):
    """A body in the safeguarding accountability hierarchy.

    One table for every kind, so that scoping, audit and every later record
    can point at "the organisation" whatever it is. `parent` is the line of
    accountability: region → national, ICB → region, directorate → national,
    place → the ICB whose area holds it. Providers are linked to the ICBs
    that commission them through `Commissioning`, not through `parent`.
    """

    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    code = models.CharField(
        max_length=20,
        unique=True,
        help_text="The ODS code where the organisation has one (ICBs, regions, providers); "
        "otherwise a short code of our own.",
    )
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    established = models.DateField(null=True, blank=True)
    closed = models.DateField(null=True, blank=True, help_text="The last day it existed.")

    provider_kind = models.CharField(
        max_length=20, choices=ProviderKind.choices, blank=True, default=""
    )
    provides_maternity = models.BooleanField(
        default=False, help_text="Maternity services: a named midwife is then required."
    )
    runs_unscheduled_care = models.BooleanField(
        default=False,
        help_text="A&E, walk-in, out of hours or ambulance: CP-IS is then required.",
    )
    is_synthetic = models.BooleanField(
        default=False,
        help_text="Generated for measuring the portal at national scale "
        "(manage.py generate_national_data), not a real body.",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_closed_after_established",
                condition=Q(closed__isnull=True)
                | Q(established__isnull=True)
                | Q(closed__gte=models.F("established")),
                violation_error_message="An organisation cannot close before it was established.",
            ),
            models.CheckConstraint(
                name="organisation_provider_kind_only_for_providers",
                condition=Q(kind=OrganisationKind.PROVIDER, provider_kind__gt="")
                | (~Q(kind=OrganisationKind.PROVIDER) & Q(provider_kind="")),
                violation_error_message="A provider needs a provider kind; other organisations "
                "have none.",
            ),
        ]
        indexes = [models.Index(fields=["kind", "parent"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected_parent = {
            OrganisationKind.NATIONAL: None,
            OrganisationKind.DIRECTORATE: OrganisationKind.NATIONAL,
            OrganisationKind.REGION: OrganisationKind.NATIONAL,
            OrganisationKind.ICB: OrganisationKind.REGION,
        }
        if self.kind in expected_parent:
            wanted = expected_parent[self.kind]
            actual = self.parent.kind if self.parent_id else None
            if actual != wanted:
                label = OrganisationKind(wanted).label.lower() if wanted else "no parent"
                raise ValidationError(
                    {"parent": f"A {self.get_kind_display().lower()} belongs to {label}."}
                )
        if (
            self.kind == OrganisationKind.PLACE
            and self.parent_id
            and self.parent.kind != OrganisationKind.ICB
        ):
            raise ValidationError({"parent": "A place belongs to an ICB."})

    @property
    def region(self) -> Organisation | None:
        """The region an ICB or place sits in (None above regions)."""
        org = self
        while org is not None and org.kind != OrganisationKind.REGION:
            org = org.parent
        return org

    def existed_on(self, day: datetime.date) -> bool:
        return (self.established is None or self.established <= day) and (
            self.closed is None or self.closed >= day
        )

    @property
    def is_current(self) -> bool:
        return self.existed_on(datetime.date.today())

    def predecessors(self) -> OrganisationQuerySet:
        """Every organisation this one succeeded, directly or through earlier successions."""
        return Organisation.objects.filter(pk__in=_walk_successions(self.pk, backwards=True))

    def successors(self) -> OrganisationQuerySet:
        """Every organisation that succeeded this one, directly or later on."""
        return Organisation.objects.filter(pk__in=_walk_successions(self.pk, backwards=False))


def _walk_successions(start_id: int, *, backwards: bool) -> set[int]:
    # One query per generation of successions: there has been one so far.
    found: set[int] = set()
    frontier = {start_id}
    near, far = (
        ("successor_id", "predecessor_id") if backwards else ("predecessor_id", "successor_id")
    )
    while frontier:
        step = set(
            Succession.objects.filter(**{f"{near}__in": frontier}).values_list(far, flat=True)
        )
        frontier = step - found - {start_id}
        found |= frontier
    return found


class SuccessionKind(models.TextChoices):
    MERGER = "merger", "Merger"
    SPLIT = "split", "Split"
    ACQUISITION = "acquisition", "Acquisition of territory"


class Succession(models.Model):
    """One predecessor → successor link of an ICB reorganisation.

    A merger has several predecessors for one successor; a split one
    predecessor for several successors, each of which reads the whole of the
    predecessor's history; an acquisition moves territory into an ICB that
    already existed.
    """

    predecessor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="successions_out"
    )
    successor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="successions_in"
    )
    date = models.DateField(help_text="The first day of the successor's responsibility.")
    kind = models.CharField(max_length=20, choices=SuccessionKind.choices)

    class Meta:
        ordering = ["date", "predecessor__code", "successor__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="succession_unique_link"
            ),
            models.CheckConstraint(
                name="succession_not_to_itself",
                condition=~Q(predecessor=models.F("successor")),
                violation_error_message="An organisation cannot succeed itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor.code} → {self.successor.code} ({self.get_kind_display()})"


class Commissioning(models.Model):
    """An ICB commissions a provider. One of a provider's ICBs is its lead
    commissioner, whose ICB keeps the provider's posts register."""

    icb = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="commissioned",
        limit_choices_to={"kind": OrganisationKind.ICB},
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="commissioners",
        limit_choices_to={"kind": OrganisationKind.PROVIDER},
    )
    is_lead = models.BooleanField(default=False)

    class Meta:
        ordering = ["provider__name", "-is_lead", "icb__name"]
        constraints = [
            models.UniqueConstraint(fields=["icb", "provider"], name="commissioning_unique_pair"),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(is_lead=True),
                name="commissioning_one_lead_per_provider",
                violation_error_message="A provider has only one lead commissioner.",
            ),
        ]

    def __str__(self) -> str:
        lead = " (lead)" if self.is_lead else ""
        return f"{self.icb.code} commissions {self.provider.name}{lead}"


# --- Memberships and roles -----------------------------------------------------------


class Role(models.TextChoices):
    ICB_APPROVER = "icb_approver", "ICB approver"
    ICB_EDITOR = "icb_editor", "ICB editor"
    ICB_VIEWER = "icb_viewer", "ICB viewer"
    REGIONAL_LEAD = "regional_lead", "Regional safeguarding lead"
    REGIONAL_CHIEF_NURSE = "regional_chief_nurse", "Regional chief nurse"
    NSSG_MEMBER = "nssg_member", "NSSG member"
    NATIONAL_ADMIN = "national_admin", "National admin"


ICB_ROLES = frozenset({Role.ICB_APPROVER, Role.ICB_EDITOR, Role.ICB_VIEWER})
ICB_WRITE_ROLES = frozenset({Role.ICB_APPROVER, Role.ICB_EDITOR})
REGIONAL_ROLES = frozenset({Role.REGIONAL_LEAD, Role.REGIONAL_CHIEF_NURSE})
NATIONAL_ROLES = frozenset({Role.NSSG_MEMBER, Role.NATIONAL_ADMIN})
# allauth does not enforce MFA; these roles must have it (see the MFA middleware).
MFA_REQUIRED_ROLES = frozenset({Role.ICB_APPROVER, Role.REGIONAL_LEAD, Role.NATIONAL_ADMIN})

ROLE_ORGANISATION_KIND = {
    **dict.fromkeys(ICB_ROLES, OrganisationKind.ICB),
    **dict.fromkeys(REGIONAL_ROLES, OrganisationKind.REGION),
    **dict.fromkeys(NATIONAL_ROLES, OrganisationKind.NATIONAL),
}


class Membership(models.Model):
    """A user holds a role in an organisation. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                name="membership_unique_role",
                violation_error_message="This user already holds that role there.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"

    def clean(self) -> None:
        wanted = ROLE_ORGANISATION_KIND.get(self.role)
        if wanted and self.organisation_id and self.organisation.kind != wanted:
            raise ValidationError(
                {
                    "organisation": f"The role {self.get_role_display()} is held in "
                    f"{'an' if wanted == OrganisationKind.ICB else 'a'} "
                    f"{OrganisationKind(wanted).label.lower()}, not in "
                    f"{self.organisation.name}."
                }
            )


# --- Audit ---------------------------------------------------------------------------


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user) -> AuditEventQuerySet:
        from organisations.scoping import visible_organisation_ids

        return self.filter(organisation_id__in=visible_organisation_ids(user))

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    """Who did what to which object, and when: written by services in the same
    transaction as the change, so a change without its event cannot exist."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="Empty when the system did it (a command or a scheduled task).",
    )
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="Whose data changed: scopes who may read the event.",
    )
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {who} {self.action} {self.target_repr}"
