"""The Django admin for the national admin. Audit events are read-only here:
the admin must never be a way round the services."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from organisations.models import (
    AuditEvent,
    Commissioning,
    Membership,
    Organisation,
    Succession,
    User,
)
from saaf.nhs_forms import PortalModelForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class UserAddForm(PortalModelForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # New users get no password here: the service emails them a link to set one.
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name")}),)
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        from django.conf import settings

        from organisations.services import user_create, user_invite_send

        user = user_create(actor=request.user, email=obj.email, full_name=obj.full_name)
        user_invite_send(actor=request.user, user=user, base_url=settings.SAAF_BASE_URL)
        obj.pk = user.pk
        obj.password = user.password
        obj._state.adding = False
        obj._state.db = user._state.db


class CommissioningInline(admin.TabularInline):
    model = Commissioning
    fk_name = "provider"
    extra = 0
    autocomplete_fields = ["icb"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "established", "closed"]
    list_filter = ["kind", "provider_kind", "parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    inlines = [CommissioningInline]


@admin.register(Succession)
class SuccessionAdmin(admin.ModelAdmin):
    list_display = ["predecessor", "successor", "kind", "date"]
    list_select_related = ["predecessor", "successor"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor", "action", "target_repr", "organisation"]
    list_filter = ["action"]
    list_select_related = ["actor", "organisation"]
    search_fields = ["target_repr", "action", "actor__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
