import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_with_and_without_slash(client):
    for path in ("/healthz/", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_healthz_touches_no_database(client):
    # No django_db mark: any query here would raise instead of answering.
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ok_when_database_cache_and_broker_answer(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_and_broker_when_redis_is_down(client, settings):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CELERY_BROKER_URL = url
    response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["code"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("unavailable")
    assert body["checks"]["broker"].startswith("unavailable")
    assert "cache" in body["detail"] and "broker" in body["detail"]


def test_readyz_with_redis_url_at_a_closed_port_in_a_fresh_process():
    """The real environment switch: REDIS_URL moves cache and broker, and readiness sees it."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz/');"
        "print(r.status_code, json.dumps(r.json()['checks'], sort_keys=True))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "true",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, checks = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert '"database": "ok"' in checks
    assert '"cache": "unavailable' in checks
    assert '"broker": "unavailable' in checks
