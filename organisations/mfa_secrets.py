"""TOTP secrets and recovery-code seeds encrypted at rest.

allauth keeps each authenticator's secret in `mfa_authenticator.data` and
passes it through its MFA adapter's `encrypt()`/`decrypt()` hooks, which store
it in the clear by default. Ours seals it with Fernet (AES-128-CBC with an
HMAC) under a key from the environment, `SAAF_MFA_ENCRYPTION_KEY`, so a copy
of the database (a backup, a read replica, a stray SQL export) does not give
anyone a working second factor.

Stored values carry a `fernet:` prefix, so encrypted values are told apart
from the clear ones written before encryption (the data migration
0004_encrypt_mfa_secrets encrypts those, skipping values already sealed).
Several comma-separated keys may be given: the first encrypts, all decrypt,
so a key can be rotated without locking anyone out.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"


def _fernet() -> MultiFernet:
    keys = settings.SAAF_MFA_ENCRYPTION_KEYS
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "SAAF_MFA_ENCRYPTION_KEY must be one or more comma-separated Fernet keys (32 "
            "url-safe base64-encoded bytes each)."
        ) from error


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def secret_encrypt(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode()).decode("ascii")


def secret_decrypt(value: str) -> str:
    if not is_encrypted(value):
        # A clear value means the data migration has not run: refuse rather
        # than quietly accept a secret anyone with the database could read.
        raise ImproperlyConfigured(
            "An MFA secret is stored unencrypted: run `manage.py migrate` (organisations "
            "0004_encrypt_mfa_secrets encrypts them)."
        )
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An MFA secret cannot be decrypted with SAAF_MFA_ENCRYPTION_KEY: was the key changed "
            "without keeping the old one after it (comma-separated)?"
        ) from error
