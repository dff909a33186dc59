"""The settings' modes, run in a fresh interpreter as a deployment would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='saaf.settings'; django.setup();"
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-the-test-0123456789-abcdef",
    "DJANGO_ALLOWED_HOSTS": "saaf.example.nhs.uk",
    "SAAF_MFA_ENCRYPTION_KEY": "Xo1yP7ZrcN7Eo8RyAZo1ySwJ8ivVpmY4lKNmzNQSAvI=",
}


def run(args, **env):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    return subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_embedded_default_needs_no_configuration():
    result = run(
        [
            "-c",
            (
                SETUP + "from django.conf import settings as s;"
                "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
                " s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, s.TIME_ZONE)"
            ),
        ]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.mail.backends.console.EmailBackend", "Europe/London",
    ]  # fmt: skip


def test_database_and_redis_urls_switch_to_postgresql_and_a_real_broker():
    result = run(
        [
            "-c",
            (
                SETUP + "from django.conf import settings as s;"
                "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'],"
                " s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
            ),
        ],
        DATABASE_URL="postgres://saaf@db:5432/saaf",
        REDIS_URL="redis://cache:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "saaf", "False", "redis://cache:6379/0",
        "django.core.cache.backends.redis.RedisCache",
    ]  # fmt: skip


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "needs DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {**PRODUCTION}
    del env["DJANGO_ALLOWED_HOSTS"]
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "needs DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_without_an_mfa_encryption_key():
    env = {**PRODUCTION}
    del env["SAAF_MFA_ENCRYPTION_KEY"]
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "needs SAAF_MFA_ENCRYPTION_KEY" in result.stderr


def test_production_refuses_the_development_mfa_key_and_a_malformed_one():
    from saaf.settings import _DEVELOPMENT_MFA_KEY

    result = run(
        ["manage.py", "check"], **{**PRODUCTION, "SAAF_MFA_ENCRYPTION_KEY": _DEVELOPMENT_MFA_KEY}
    )
    assert result.returncode != 0
    assert "not the development key" in result.stderr
    result = run(["manage.py", "check"], **{**PRODUCTION, "SAAF_MFA_ENCRYPTION_KEY": "not-a-key"})
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_production_passes_the_deployment_checks():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_serves_compressed_hashed_static_files_and_trusts_the_proxy():
    result = run(
        [
            "-c",
            (
                SETUP + "from django.conf import settings as s;"
                "print(s.STORAGES['staticfiles']['BACKEND'], s.MIDDLEWARE[1],"
                " s.SECURE_PROXY_SSL_HEADER[0], s.ALLAUTH_TRUSTED_PROXY_COUNT)"
            ),
        ],
        **PRODUCTION,
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "HTTP_X_FORWARDED_PROTO",
        "1",
    ]


@pytest.mark.heavy
def test_production_collects_static_files_compressed_with_hashed_names(tmp_path):
    result = run(
        ["manage.py", "collectstatic", "--noinput", "-v", "0", "--settings", "saaf.settings"],
        **PRODUCTION,
        DJANGO_STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"build/main.css": "build/main.' in manifest
    assert list(tmp_path.glob("build/main.*.css.gz"))


def test_createsuperuser_refuses_whatever_its_options_and_points_at_create_user():
    result = run(["manage.py", "createsuperuser", "--noinput", "--email", "me@example.com"])
    assert result.returncode == 1
    assert "manage.py create_user" in result.stderr and "national_admin" in result.stderr


@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_just_in_time():
    """JIT compiling cost the national aggregates ~20 ms a query (settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's setting: scripts/test checks it in that pass")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
