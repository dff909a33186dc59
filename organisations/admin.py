"""The Django admin for the national admin: a window on the data, never a way
round the services, the audit trail or the roles.

Everything here is read-only except what a service does: adding a user
(`user_create` and `user_invite_send`), granting a role (`membership_grant`)
and removing one (`membership_revoke`), each with its audit event and the
staff-flag sync. Nothing shows or edits a password hash, a TOTP secret, a
recovery code or a session key; nobody changes another person's password or
MFA here (people reset their own by e-mail). allauth's own registrations
(e-mail addresses, authenticators, sessions) are replaced by read-only ones,
and Django's groups are removed: roles live in memberships, not groups.
"""

from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group

from organisations.models import (
    AuditEvent,
    Commissioning,
    Membership,
    Organisation,
    Succession,
    User,
)
from organisations.services import (
    membership_grant,
    membership_revoke,
    user_create,
    user_invite_send,
)
from saaf.nhs_forms import PortalModelForm

# organisations is listed before django.contrib.auth and allauth (its commands
# win), so their admin modules are imported here first, to have registered
# what is replaced.
import_module("django.contrib.auth.admin")
import_module("allauth.account.admin")
import_module("allauth.mfa.admin")
import_module("allauth.usersessions.admin")
for model in (Group, EmailAddress, Authenticator, UserSession):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ReadOnlyAdminMixin:
    """Shown, never written: no add, change or delete (nor the bulk delete action)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Users and their roles -----------------------------------------------------


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A user's roles, read-only here: grant and remove them under Memberships."""

    model = Membership
    extra = 0
    fields = ["organisation", "role", "created_at"]
    readonly_fields = fields
    show_change_link = True


class UserAddForm(PortalModelForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Users are added through the service, which e-mails them a link to set
    their own password; after that they are read-only here. The staff flags
    follow the national admin role (membership services), and there is no
    password page: not Django's UserAdmin, whose change-password URL lets one
    person set another's password."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fields = [
        "email",
        "full_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    readonly_fields = fields
    inlines = [MembershipInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = UserAddForm
            kwargs["fields"] = UserAddForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.fields if obj is not None else UserAddForm.Meta.fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        user = user_create(actor=request.user, email=obj.email, full_name=obj.full_name)
        user_invite_send(actor=request.user, user=user, base_url=settings.SAAF_BASE_URL)
        # The admin goes on with `obj` (its log entry, its redirect): make it the saved user.
        obj.pk = user.pk
        obj.password = user.password
        obj._state.adding = False
        obj._state.db = user._state.db


class MembershipGrantForm(PortalModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organisation", "role"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Granting a role is `membership_grant`, removing one `membership_revoke`:
    the same audited services as everywhere else, with the staff flags
    following the national admin role. A role is never edited in place."""

    form = MembershipGrantForm
    list_display = ["user", "role", "organisation", "created_at"]
    list_filter = ["role", "organisation__kind"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "user__full_name", "organisation__name", "organisation__code"]
    autocomplete_fields = ["user", "organisation"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation", "role", "created_at"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        membership = membership_grant(
            actor=request.user, user=obj.user, organisation=obj.organisation, role=obj.role
        )
        obj.pk = membership.pk
        obj.created_at = membership.created_at
        obj._state.adding = False
        obj._state.db = membership._state.db

    def delete_model(self, request, obj):
        membership_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "organisation"):
            membership_revoke(actor=request.user, membership=membership)


# --- Organisations -------------------------------------------------------------


class CommissioningInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Commissioning
    fk_name = "provider"
    extra = 0
    fields = ["icb", "is_lead"]
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Organisations come from the reference data and the provider services."""

    list_display = ["name", "code", "kind", "parent", "established", "closed"]
    list_filter = ["kind", "provider_kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    inlines = [CommissioningInline]


@admin.register(Succession)
class SuccessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["predecessor", "successor", "kind", "date"]
    list_select_related = ["predecessor", "successor"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "actor", "action", "target_repr", "organisation"]
    list_filter = ["action"]
    list_select_related = ["actor", "organisation"]
    search_fields = ["target_repr", "action", "actor__email"]


# --- allauth's records, read-only and without their secrets ----------------------


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which kind of second factor a user has and when it was used; never its
    data (the encrypted TOTP secret, the recovery-code seed)."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A user's e-mail is their identity here: changed only through a service."""

    list_display = ["email", "user", "primary", "verified"]
    list_select_related = ["user"]
    search_fields = ["email", "user__email"]
    fields = ["email", "user", "primary", "verified"]
    readonly_fields = fields


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who is signed in from where; never the session key, which would let the
    reader take the session over."""

    list_display = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    list_select_related = ["user"]
    search_fields = ["user__email", "ip"]
    fields = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    readonly_fields = fields
