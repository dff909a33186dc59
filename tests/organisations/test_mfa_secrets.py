"""TOTP secrets and recovery-code seeds are encrypted in the database."""

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from organisations.mfa_secrets import is_encrypted, secret_decrypt, secret_encrypt
from tests.factories import TEST_TOTP_SECRET, UserFactory, enrol_totp, totp_code

pytestmark = pytest.mark.django_db

migration = importlib.import_module("organisations.migrations.0004_encrypt_mfa_secrets")


def raw_data(authenticator) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        return str(cursor.fetchone()[0])


def test_a_totp_secret_is_not_readable_in_the_database_but_codes_still_work():
    user = UserFactory()
    authenticator = enrol_totp(user)

    stored = raw_data(authenticator)
    assert TEST_TOTP_SECRET not in stored
    assert TEST_TOTP_SECRET.lower() not in stored.lower()
    assert "fernet:" in stored
    assert TOTP(Authenticator.objects.get(pk=authenticator.pk)).validate_code(
        totp_code(TEST_TOTP_SECRET)
    )


def test_a_recovery_code_seed_is_not_readable_in_the_database():
    user = UserFactory()
    enrol_totp(user)
    codes = RecoveryCodes.activate(user)
    seed = secret_decrypt(codes.instance.data["seed"])

    assert seed not in raw_data(codes.instance)
    fresh = RecoveryCodes(Authenticator.objects.get(pk=codes.instance.pk))
    assert fresh.validate_code(fresh.generate_codes()[0])


def test_the_data_migration_encrypts_clear_secrets_once_and_can_be_reversed():
    user = UserFactory()
    authenticator = enrol_totp(user)
    clear_codes = ["12345678", "87654321"]
    recovery = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "ab" * 40, "used_mask": 0, "migrated_codes": clear_codes},
    )
    # As stored before encryption existed.
    Authenticator.objects.filter(pk=authenticator.pk).update(data={"secret": TEST_TOTP_SECRET})

    migration.encrypt_existing(apps, None)
    sealed = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert is_encrypted(sealed) and secret_decrypt(sealed) == TEST_TOTP_SECRET
    recovery.refresh_from_db()
    assert all(is_encrypted(v) for v in [recovery.data["seed"], *recovery.data["migrated_codes"]])
    assert RecoveryCodes(recovery).generate_codes() == clear_codes

    # Run again: values already encrypted are left exactly as they are.
    migration.encrypt_existing(apps, None)
    assert Authenticator.objects.get(pk=authenticator.pk).data["secret"] == sealed
    assert TEST_TOTP_SECRET not in raw_data(authenticator)

    migration.decrypt_existing(apps, None)
    assert Authenticator.objects.get(pk=authenticator.pk).data["secret"] == TEST_TOTP_SECRET


def test_a_clear_or_foreign_value_is_refused_rather_than_trusted(settings):
    with pytest.raises(ImproperlyConfigured, match="unencrypted"):
        secret_decrypt(TEST_TOTP_SECRET)
    sealed = secret_encrypt("secret")
    settings.SAAF_MFA_ENCRYPTION_KEYS = ["Xo1yP7ZrcN7Eo8RyAZo1ySwJ8ivVpmY4lKNmzNQSAvI="]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        secret_decrypt(sealed)


def test_a_second_key_keeps_old_secrets_readable_while_the_new_one_encrypts(settings):
    old_key = settings.SAAF_MFA_ENCRYPTION_KEYS[0]
    sealed_with_old = secret_encrypt("secret")
    settings.SAAF_MFA_ENCRYPTION_KEYS = ["Xo1yP7ZrcN7Eo8RyAZo1ySwJ8ivVpmY4lKNmzNQSAvI=", old_key]
    assert secret_decrypt(sealed_with_old) == "secret"
    settings.SAAF_MFA_ENCRYPTION_KEYS = ["Xo1yP7ZrcN7Eo8RyAZo1ySwJ8ivVpmY4lKNmzNQSAvI="]
    assert secret_decrypt(secret_encrypt("new")) == "new"
