# TOTP secrets and recovery-code seeds written before organisations/mfa_secrets.py
# were stored in the clear: seal them with SAAF_MFA_ENCRYPTION_KEY. Idempotent:
# values already encrypted (the "fernet:" prefix) are left alone. Reversible.
from django.db import migrations

# The encryption keeps one definition (the adapter's), so a value written here
# reads back exactly as the adapter reads it.
from organisations.mfa_secrets import is_encrypted, secret_decrypt, secret_encrypt


def _transform(data, convert, needs):
    changed = False
    for field in ("secret", "seed"):
        value = data.get(field)
        if isinstance(value, str) and needs(value):
            data[field] = convert(value)
            changed = True
    codes = data.get("migrated_codes")
    if isinstance(codes, list):
        new_codes = [convert(c) if isinstance(c, str) and needs(c) else c for c in codes]
        if new_codes != codes:
            data["migrated_codes"] = new_codes
            changed = True
    return changed


def encrypt_existing(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]):
        data = dict(authenticator.data or {})
        if _transform(data, secret_encrypt, lambda v: not is_encrypted(v)):
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def decrypt_existing(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]):
        data = dict(authenticator.data or {})
        if _transform(data, secret_decrypt, is_encrypted):
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0003_audit_event_has_actor"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_existing, decrypt_existing)]
