"""The vocabulary of organisations and roles, apart from the models so that the
scoping layer (which the models build on) can use it without importing them."""

from django.db import models

# The system actor: commands and scheduled tasks act as this user, so every
# audit event names who did it. It cannot sign in (inactive, no usable password).
SYSTEM_ACTOR_EMAIL = "system@saaf.invalid"


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
