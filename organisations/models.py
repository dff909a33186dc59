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
from knox.models import AbstractAuthToken

from organisations.choices import (  # noqa: F401  (re-exported: the models' vocabulary)
    ICB_ROLES,
    ICB_WRITE_ROLES,
    MFA_REQUIRED_ROLES,
    NATIONAL_ROLES,
    REGIONAL_ROLES,
    SYSTEM_ACTOR_EMAIL,
    OrganisationKind,
    ProviderKind,
    Role,
)
from organisations.scoping import ScopedQuerySet, succession_closure
from saaf.dates import today

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


class OrganisationQuerySet(ScopedQuerySet):
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
        return self.existing_on(today())


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
    scope_path = "pk"

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
        return self.existed_on(today())

    def predecessors(self) -> OrganisationQuerySet:
        """Every organisation this one succeeded, directly or through earlier successions."""
        return Organisation.objects.filter(pk__in=succession_ids(self.pk, backwards=True))

    def successors(self) -> OrganisationQuerySet:
        """Every organisation that succeeded this one, directly or later on."""
        return Organisation.objects.filter(pk__in=succession_ids(self.pk, backwards=False))


def succession_links() -> list[tuple[int, int]]:
    """Every (predecessor id, successor id) link: a few dozen rows, read in one query."""
    return list(Succession.objects.values_list("predecessor_id", "successor_id"))


def succession_ids(organisation_id: int, *, backwards: bool) -> set[int]:
    """The ids of every organisation `organisation_id` succeeded (backwards) or
    that succeeded it (forwards), through any number of reorganisations."""
    return succession_closure(succession_links(), {organisation_id}, backwards=backwards)


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

    objects = ScopedQuerySet.as_manager()
    scope_path = "provider"

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

    # Who holds a role in an organisation is read by those who may read it.
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation"

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


class AuditAction(models.TextChoices):
    """Every kind of event the audit trail records: a fixed list, so the
    history of a return, a post or a toolkit version can be read and filtered
    by what happened. Values are stored; add new ones at the end of a group."""

    # People and access
    USER_CREATED = "user.created", "User created"
    USER_INVITED = "user.invited", "User invited"
    USER_EMAIL_CHANGED = "user.email_changed", "User's email changed"
    MEMBERSHIP_GRANTED = "membership.granted", "Role granted"
    MEMBERSHIP_REVOKED = "membership.revoked", "Role removed"
    # Account security (allauth's flows, recorded by signal receivers)
    SIGNED_IN = "account.signed_in", "Signed in"
    SIGN_IN_FAILED = "account.sign_in_failed", "Sign-in failed"
    SIGNED_OUT = "account.signed_out", "Signed out"
    PASSWORD_CHANGED = "account.password_changed", "Password changed"
    PASSWORD_SET = "account.password_set", "Password set"
    PASSWORD_RESET = "account.password_reset", "Password reset"
    SESSIONS_ENDED = "account.sessions_ended", "Other sessions signed out"
    MFA_ENABLED = "mfa.enabled", "Two-factor authentication enabled"
    MFA_DISABLED = "mfa.disabled", "Two-factor authentication removed"
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated", "Recovery codes renewed"
    MFA_RESET = "mfa.reset", "Two-factor authentication reset by the national team"
    EXPIRED_SESSIONS_PURGED = "account.expired_sessions_purged", "Expired sessions purged"
    API_TOKEN_CREATED = "account.api_token_created", "API token created"
    API_TOKEN_REVOKED = "account.api_token_revoked", "API token revoked"
    # Organisations (the reference loader and providers, places)
    ORGANISATION_CREATED = "organisation.created", "Organisation created"
    ORGANISATION_UPDATED = "organisation.updated", "Organisation updated"
    SUCCESSION_CREATED = "succession.created", "Succession created"
    SUCCESSION_UPDATED = "succession.updated", "Succession updated"
    PROVIDER_CREATED = "provider.created", "Provider created"
    PROVIDER_UPDATED = "provider.updated", "Provider updated"
    PLACE_CREATED = "place.created", "Place created"
    # Posts register
    POST_TYPE_CREATED = "post_type.created", "Post type created"
    POST_TYPE_UPDATED = "post_type.updated", "Post type updated"
    POST_CREATED = "post.created", "Post created"
    POST_UPDATED = "post.updated", "Post updated"
    POST_HOLDER_ADDED = "post.holder_added", "Holder recorded"
    POST_HOLDER_UPDATED = "post.holder_updated", "Holder updated"
    # Toolkit and reporting periods
    TOOLKIT_VERSION_LOADED = "toolkit_version.loaded", "Toolkit loaded"
    TOOLKIT_VERSION_COPIED = "toolkit_version.copied", "Toolkit draft started"
    TOOLKIT_VERSION_PUBLISHED = "toolkit_version.published", "Toolkit published"
    TOOLKIT_VERSION_DELETED = "toolkit_version.deleted", "Toolkit draft discarded"
    SECTION_CREATED = "section.created", "Section added"
    SECTION_UPDATED = "section.updated", "Section changed"
    SECTION_DELETED = "section.deleted", "Section removed"
    STANDARD_CREATED = "standard.created", "Standard added"
    STANDARD_UPDATED = "standard.updated", "Standard changed"
    STANDARD_DELETED = "standard.deleted", "Standard removed"
    METRIC_CREATED = "metric.created", "Metric added"
    METRIC_UPDATED = "metric.updated", "Metric changed"
    METRIC_DELETED = "metric.deleted", "Metric removed"
    REPORTING_PERIOD_CREATED = "reporting_period.created", "Reporting period created"
    REPORTING_PERIOD_UPDATED = "reporting_period.updated", "Reporting period changed"
    # Quarterly returns
    RETURN_STARTED = "return.started", "Return started"
    RETURN_SUCCESSOR_NAMED = "return.successor_named", "Successor named to complete the return"
    RETURN_ANSWER_SAVED = "return.answer_saved", "Answer saved"
    RETURN_METRIC_SAVED = "return.metric_saved", "Metric value saved"
    RETURN_EVIDENCE_ADDED = "return.evidence_added", "Evidence file added"
    RETURN_EVIDENCE_REMOVED = "return.evidence_removed", "Evidence file removed"
    RETURN_SUBMITTED = "return.submitted", "Return submitted"
    RETURN_REVIEW_STARTED = "return.review_started", "Regional review started"
    RETURN_ACCEPTED = "return.accepted", "Return accepted"
    RETURN_SENT_BACK = "return.sent_back", "Return returned for changes"
    RETURN_RATING_VALIDATED = "return.rating_validated", "Validated rating recorded"
    RETURN_COMMENTED = "return.commented", "Comment added"
    RETURN_REOPENED = "return.reopened", "Locked return reopened"
    RETURN_NOTIFIED = "return.notified", "E-mail sent"
    RETURN_CARRIED_FORWARD = "return.carried_forward", "Answers carried forward"
    RETURN_ANSWERS_CONFIRMED = "return.answers_confirmed", "Carried-forward answers confirmed"
    RETURN_REMINDED = "return.reminded", "Deadline reminder sent"
    # Statutory reviews
    REVIEW_CREATED = "review.created", "Review recorded"
    REVIEW_UPDATED = "review.updated", "Review changed"
    RECOMMENDATION_CREATED = "recommendation.created", "Recommendation added"
    RECOMMENDATION_UPDATED = "recommendation.updated", "Recommendation changed"
    ACTION_CREATED = "action.created", "Action added"
    ACTION_UPDATED = "action.updated", "Action changed"
    ACTION_COMPLETED = "action.completed", "Action completed"
    ACTION_EVIDENCE_ADDED = "action.evidence_added", "Evidence file added to an action"
    ACTION_EVIDENCE_REMOVED = "action.evidence_removed", "Evidence file removed from an action"
    # Annual assurance reports
    REPORT_NARRATIVE_SAVED = "report.narrative_saved", "Annual report narrative saved"
    REPORT_SIGNED_OFF = "report.signed_off", "Regional annual report signed off"
    REPORT_UNSIGNED = "report.unsigned", "Regional annual report sign-off withdrawn"
    REPORT_ROLLUP_REQUESTED = "report.rollup_requested", "Annual report figures requested"
    REPORT_ROLLUP_FINISHED = "report.rollup_finished", "Annual report figures computed"
    REPORT_PUBLISH_REQUESTED = "report.publish_requested", "Annual report publication requested"
    REPORT_PUBLISHED = "report.published", "Annual report published as a PDF"
    REPORT_DOWNLOAD_REFUSED = "report.download_refused", "Published PDF failed its checksum"


class AuditEventQuerySet(ScopedQuerySet):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        """The events of `obj` and of everything recorded under it (a post's
        holders, a toolkit version's standards): one indexed query."""
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(
            Q(target_type=content_type, target_id=str(obj.pk))
            | Q(parent_type=content_type, parent_id=str(obj.pk))
        )


class AuditEvent(models.Model):
    """Who did what to which object, and when: written by services in the same
    transaction as the change, so a change without its event cannot exist.

    `parent` groups events under the object whose history they belong to (a
    holder's events under the post, a standard's under its toolkit version,
    later an answer's under its return), so an object's page lists its whole
    history in one query."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="Who did it: a person, or the system actor for commands and scheduled "
        "tasks. Empty only for a failed sign-in, which records the email tried.",
    )
    attempted_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    parent_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent_id = models.CharField(max_length=64, blank=True)
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
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()
    scope_path = "organisation"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["parent_type", "parent_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="audit_event_has_actor",
                condition=Q(actor__isnull=False) | Q(action=AuditAction.SIGN_IN_FAILED),
                violation_error_message="Every audit event names who acted; only a failed "
                "sign-in has nobody signed in.",
            )
        ]

    def __str__(self) -> str:
        who = self.actor or self.attempted_email or "unknown"
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {who} {self.action} {self.target_repr}"

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


# --- API tokens ----------------------------------------------------------------


class ApiToken(AbstractAuthToken):
    """A machine token for a system that reads or submits through the API on
    its user's behalf, with that user's memberships and roles. Only a hash is
    stored (django-rest-knox); the token itself is shown once, when created.
    It has a name so its user can tell which system holds it, and always an
    expiry, at most a year away (`organisations.services.api_token_create`)."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created", "digest"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key[:8]}…)"
