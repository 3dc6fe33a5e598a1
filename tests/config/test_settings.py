"""The settings read the environment: defaults run everything locally, variables switch parts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "database": settings.DATABASES["default"]["ENGINE"],
    "binding": settings.DATABASES["default"].get("OPTIONS", {}).get("server_side_binding", False),
    "prepare": settings.DATABASES["default"].get("OPTIONS", {}).get("prepare_threshold"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "email": settings.EMAIL_BACKEND,
    "payments": settings.PAYMENT_PROVIDER,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
}))
"""


def run_settings(**variables: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process that sees only `variables` (no .env, no CI env)."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(**variables: str) -> dict:
    result = run_settings(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_run_everything_on_one_machine():
    values = load_settings(DJANGO_DEBUG="true")
    assert values == {
        "debug": True,
        "database": "django.db.backends.sqlite3",
        "binding": False,
        "prepare": None,
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "celery_eager": True,
        "broker": "memory://",
        "email": "django.core.mail.backends.console.EmailBackend",
        "payments": "dummy",
        "storage": "django.core.files.storage.FileSystemStorage",
        "ssl_redirect": False,
    }


def test_debug_is_off_unless_turned_on():
    values = load_settings(DJANGO_SECRET_KEY="x" * 60)
    assert values["debug"] is False
    assert values["ssl_redirect"] is True


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_each_variable_switches_its_part_to_the_real_service():
    values = load_settings(
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://shop:secret@db.internal:5432/shop",
        REDIS_URL="redis://cache.internal:6379/0",
        SENDGRID_API_KEY="SG.test",
        STRIPE_SECRET_KEY="sk_test_123",
        AWS_STORAGE_BUCKET_NAME="shop-media",
    )
    assert values["database"] == "django.db.backends.postgresql"
    assert values["binding"] is True  # parameters bound by the server
    assert values["prepare"] == 5  # a statement prepared at its fifth run on a connection
    assert values["cache"] == "core.cache.RedisCache"  # Django's, one client per process
    assert values["celery_eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["email"] == "anymail.backends.sendgrid.EmailBackend"
    assert values["payments"] == "stripe"
    assert values["storage"] == "storages.backends.s3.S3Storage"


def test_server_side_binding_can_be_turned_off_for_an_old_pooler():
    values = load_settings(
        DJANGO_DEBUG="true",
        DATABASE_URL="postgres://shop:secret@pgbouncer.internal:6432/shop",
        DATABASE_SERVER_SIDE_BINDING="false",
    )
    assert values["binding"] is False and values["prepare"] is None


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_statement_run_again_and_again_is_prepared_once_on_its_connection():
    """psycopg binds the parameters on the server and prepares a statement after its
    fifth run on a connection: PostgreSQL parses and plans it once."""
    import psycopg

    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)  # bound by the server
        for number in range(6):
            cursor.execute("SELECT %s::int + 41 AS answer_of_the_probe", [number])
            assert cursor.fetchone() == (number + 41,)
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement LIKE %s AND statement NOT LIKE %s",
            ["%answer_of_the_probe%", "%pg_prepared_statements%"],
        )
        assert cursor.fetchone() == (1,)


def production_environment(**extra: str) -> dict[str, str]:
    """The environment of a production process (no .env file, DEBUG off, real keys)."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k3y-" + "a1B2c3D4e5F6g7H8i9J0" * 3,
        "JWT_SIGNING_KEY": "jwt-" + "Z9y8X7w6V5u4T3s2R1q0" * 3,
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        **extra,
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    # Production takes payments through a real provider (payments.checks).
    result = check_deploy(
        production_environment(
            STRIPE_SECRET_KEY="sk_live_check",
            STRIPE_PUBLISHABLE_KEY="pk_live_check",
            STRIPE_WEBHOOK_SECRET="whsec_check",
        )
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_named_by_database_url():
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


MAIL_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    name: getattr(settings, name, None)
    for name in ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
                 "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_FILE_PATH",
                 "ANYMAIL"]
}))
"""


def mail_settings(**variables: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "DJANGO_ENV_FILE": "", "DJANGO_DEBUG": "true", **variables}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + MAIL_PROBE],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "filemail:///var/mail/shop",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/var/mail/shop",
            },
        ),
        (
            "smtp://mailer:s3cret@mail.example.com:587/?tls=True",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.com",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "s3cret",
                "EMAIL_USE_TLS": True,
            },
        ),
        (
            "smtp+ssl://mailer:s3cret@mail.example.com:465",
            {"EMAIL_USE_SSL": True, "EMAIL_PORT": 465},
        ),
        (
            "sendgrid://:SG.key@",
            {
                "EMAIL_BACKEND": "anymail.backends.sendgrid.EmailBackend",
                "ANYMAIL": {"SENDGRID_API_KEY": "SG.key"},
            },
        ),
    ],
)
def test_email_url_chooses_any_backend_with_its_settings(url, expected):
    result = mail_settings(EMAIL_URL=url)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert {name: values[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "EMAIL_FILE_PATH"),
        ({"EMAIL_URL": "smtp://"}, "EMAIL_HOST"),
        ({"EMAIL_URL": "sendgrid://"}, "API key"),
    ],
)
def test_a_backend_without_its_companion_setting_refuses_to_start(variables, named):
    result = mail_settings(**variables)
    assert result.returncode != 0
    assert "Mail is not set up" in result.stderr and named in result.stderr


def test_the_file_backend_with_its_folder_writes_the_mails_of_the_tasks(tmp_path):
    """What used to fail every mail task: EMAIL_BACKEND read, EMAIL_FILE_PATH not."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.core.mail import EmailMessage;"
            "from core.emails import queue_email;"
            "queue_email(EmailMessage('Hello', 'A body', to=['a@example.com']))",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    written = list(tmp_path.iterdir())
    assert len(written) == 1 and "Subject: Hello" in written[0].read_text()
