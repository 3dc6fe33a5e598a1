"""The restore drill: seed a shop, back it up, drop its database, restore the backup into
an empty one and find every table as it was (row counts and a checksum of every row).

It runs the commands an operator runs (`manage.py backup`, `manage.py restore`) as
processes against a database of its own on the PostgreSQL server of the tests, with
pg_dump and pg_restore, to a folder and to S3 (boto3 against a local S3 server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest
from django.db import connection
from psycopg import sql

from tests.catalog.test_media_s3 import CREDENTIALS, REGION, s3_endpoint  # noqa: F401

pytestmark = pytest.mark.postgresql
ROOT = Path(__file__).resolve().parents[2]


def _server() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
    }


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as admin:
        admin.execute(statement)


def _figures(name: str) -> dict[str, tuple[int, str]]:
    """Every table's rows counted and checksummed, by a query of the test's own (not
    the one the backup uses): MD5 of the rows' text in the order of that text."""
    found = {}
    with psycopg.connect(dbname=name, **_server()) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        for table in tables:
            found[table] = db.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    " FROM {} AS t"
                ).format(sql.Identifier(table))
            ).fetchone()
    return found


@pytest.fixture
def drill(tmp_path):
    """A database of the drill's own, and `manage(*args)` running a command on it."""
    name = f"drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = _server()
    password = f":{server['password']}" if server["password"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_DEBUG": "true",
        "PAYMENTS_ALLOW_DUMMY": "true",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }

    def manage(*args: str, check: bool = True, extra: dict | None = None):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )

    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    manage.name = name
    try:
        yield manage
    finally:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _recreate_empty(name: str) -> None:
    _admin(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def test_the_restore_drill_brings_back_every_table_row_for_row(drill, tmp_path, s3_endpoint):  # noqa: F811
    drill("migrate", "--noinput")
    drill("seed_demo", "--products", "40")
    drill("seed_orders", "--orders", "60")
    seeded = _figures(drill.name)
    assert seeded["orders_order"][0] >= 60 and seeded["catalog_product"][0] >= 40
    assert len(seeded) > 50

    folder = tmp_path / "backups"
    made = drill("backup", "--to", str(folder), "--keep", "2")
    assert "Backed up to" in made.stdout
    (name,) = [path.name for path in folder.iterdir()]
    assert {path.name for path in (folder / name).iterdir()} == {
        "database.dump",
        "manifest.json",
        "media.jsonl",
    }
    media = (folder / name / "media.jsonl").read_text().splitlines()
    assert len(media) == len(list((tmp_path / "media").rglob("*.*")))

    # A restore goes only into an empty database: the seeded one is refused, untouched.
    refused = drill("restore", "--from", str(folder), check=False)
    assert refused.returncode != 0 and "is not empty" in refused.stderr
    assert _figures(drill.name) == seeded

    _recreate_empty(drill.name)
    assert _figures(drill.name) == {}
    restored = drill("restore", "--from", str(folder))
    assert f"Restored {name}" in restored.stdout
    assert "Every media file of the backup's manifest is in the media storage" in restored.stdout
    assert _figures(drill.name) == seeded
    # The restored shop works: its migrations are all there and it answers checks.
    drill("migrate", "--check")

    # The same through S3, keeping the newest two of three.
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    bucket = f"backups-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    aws = {
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"],
        "BACKUP_LOCATION": f"s3://{bucket}/nightly",
        "BACKUP_KEEP": "2",
    }
    for _ in range(3):
        drill("backup", extra=aws)
    listed = drill("restore", "--list", extra=aws).stdout.split()
    assert len(listed) == 2 and listed == sorted(listed)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 6 and all(key.startswith("nightly/shop-") for key in keys)

    _recreate_empty(drill.name)
    restored = drill("restore", extra=aws)
    assert f"Restored {listed[-1]}" in restored.stdout
    assert _figures(drill.name) == seeded


def test_a_restore_finds_a_backup_that_does_not_match_its_manifest(drill, tmp_path):
    """A dump that does not hold what the manifest says fails the restore's check."""
    drill("migrate", "--noinput", "shops")
    folder = tmp_path / "backups"
    drill("backup", "--to", str(folder))
    (name,) = [path.name for path in folder.iterdir()]
    manifest_path = folder / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["django_migrations"]["rows"] += 1
    manifest_path.write_text(json.dumps(manifest))

    _recreate_empty(drill.name)
    failed = drill("restore", "--from", str(folder), check=False)
    assert failed.returncode != 0
    assert "differs from the backup" in failed.stderr and "django_migrations" in failed.stderr

    missing = drill("restore", "shop-20000101T000000Z", "--from", str(folder), check=False)
    assert missing.returncode != 0 and "No backup shop-20000101T000000Z" in missing.stderr


def test_backups_need_postgresql(tmp_path):
    answer = subprocess.run(
        [sys.executable, "manage.py", "backup", "--to", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        capture_output=True,
        text=True,
    )
    assert answer.returncode != 0 and "Backups need PostgreSQL" in answer.stderr


def test_a_backup_taken_while_the_shop_writes_restores_as_its_manifest_says(drill, tmp_path):
    """The counts and checksums are read in the dump's own snapshot: rows written while
    pg_dump runs are in both or in neither, and the restore's check passes."""
    import threading

    drill("migrate", "--noinput", "shops")
    server = _server()
    with psycopg.connect(dbname=drill.name, autocommit=True, **server) as db:
        db.execute("CREATE TABLE heartbeat (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
    stop = threading.Event()
    written = []

    def write() -> None:
        with psycopg.connect(dbname=drill.name, autocommit=True, **server) as db:
            while not stop.is_set():
                db.execute("INSERT INTO heartbeat DEFAULT VALUES")
                written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        folder = tmp_path / "backups"
        drill("backup", "--to", str(folder))
    finally:
        stop.set()
        writer.join()
    assert len(written) > 10  # the shop really wrote during the backup
    (name,) = [path.name for path in folder.iterdir()]

    _recreate_empty(drill.name)
    restored = drill("restore", "--from", str(folder))
    assert f"Restored {name}" in restored.stdout
    manifest = json.loads((folder / name / "manifest.json").read_text())
    assert _figures(drill.name)["heartbeat"][0] == manifest["tables"]["heartbeat"]["rows"]

    # A damaged dump is refused before anything is restored.
    dump = folder / name / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    _recreate_empty(drill.name)
    damaged = drill("restore", "--from", str(folder), check=False)
    assert damaged.returncode != 0 and "is damaged" in damaged.stderr
    assert _figures(drill.name) == {}
