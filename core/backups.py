"""Backups of the database, with a manifest of the media files, and their restore.

A backup is a folder named `shop-<UTC time>` holding:

- `database.dump`: `pg_dump --format=custom` of the whole database;
- `manifest.json`: when, which database and server, every table's row count and checksum
  (read in the same snapshot as the dump, so they describe exactly what it holds), and
  the newest migration of each app;
- `media.jsonl`: one line per media file (name, size, and its SHA-256 on a local
  folder or its ETag on S3), to check the media storage against after a restore.

It is written to a local folder or to an S3 bucket (`s3://bucket/prefix`), and only the
newest `keep` backups are kept there. A restore takes a backup into an empty database
with `pg_restore` in one transaction, then counts and checksums every table again and
compares them with the manifest. For recovery to any moment between backups, archive
PostgreSQL's WAL (docs/deploy.md, "Backups and restores").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.files.storage import default_storage
from psycopg import sql

NAME_PREFIX = "shop-"
NAME = re.compile(r"^shop-\d{8}T\d{6}(?:\d{6})?Z$")
DUMP = "database.dump"
MANIFEST = "manifest.json"
MEDIA = "media.jsonl"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


# --- The database ---------------------------------------------------------------------


def database_settings(alias: str = "default") -> dict[str, Any]:
    database = settings.DATABASES[alias]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(
            "Backups need PostgreSQL (DATABASE_URL=postgres://...). The quickstart's "
            "SQLite database is one file: copy db.sqlite3 while the shop is stopped."
        )
    return database


def libpq_environment(database: dict[str, Any]) -> dict[str, str]:
    """pg_dump's and pg_restore's connection, in libpq's variables (no password in the
    command line, where `ps` shows it)."""
    env = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if database.get(key):
            env[variable] = str(database[key])
    return env


# How a row turns into text for its checksum, fixed so that a restore on a server set up
# otherwise (another time zone, date style) computes the same checksums.
_TEXT_SETTINGS = (
    "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3"
)


def connect(database: dict[str, Any]) -> psycopg.Connection:
    return psycopg.connect(
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname=database["NAME"],
        options=_TEXT_SETTINGS,
        autocommit=False,
    )


def tables(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).fetchall()
    return [row[0] for row in rows]


def _key_columns(connection: psycopg.Connection, table: str) -> list[str]:
    rows = connection.execute(
        """
        SELECT a.attname
          FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = %s::regclass AND i.indisprimary
         ORDER BY array_position(i.indkey, a.attnum)
        """,
        [f'public."{table}"'],
    ).fetchall()
    return [row[0] for row in rows]


def table_figures(connection: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Each table's row count and a checksum of its rows (MD5 over the MD5 of each row's
    text, in primary-key order, or in the order of the whole row without one)."""
    figures = {}
    for table in tables(connection):
        keys = _key_columns(connection, table)
        order = (
            sql.SQL(", ").join(sql.SQL("t.") + sql.Identifier(key) for key in keys)
            if keys
            else sql.SQL("t::text")
        )
        query = sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY {order})), '')"
            " FROM {table} AS t"
        ).format(order=order, table=sql.Identifier(table))
        count, checksum = connection.execute(query).fetchone()
        figures[table] = {"rows": count, "checksum": checksum}
    return figures


def migrations(connection: psycopg.Connection) -> dict[str, str]:
    """The newest migration applied of each app."""
    if "django_migrations" not in tables(connection):
        return {}
    rows = connection.execute(
        "SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app"
    ).fetchall()
    return dict(rows)


# --- The media files ------------------------------------------------------------------


def media_manifest(storage=None) -> Iterator[dict[str, Any]]:
    """One entry per file of the media storage: its name, size and a fingerprint."""
    storage = storage or default_storage
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # django-storages' S3: the listing has sizes and ETags
        prefix = getattr(storage, "location", "") or ""
        for item in bucket.objects.filter(Prefix=f"{prefix}/" if prefix else ""):
            name = item.key[len(prefix) + 1 :] if prefix else item.key
            yield {"name": name, "size": item.size, "etag": item.e_tag.strip('"')}
        return
    root = Path(storage.location)
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield {
                "name": path.relative_to(root).as_posix(),
                "size": path.stat().st_size,
                "sha256": _sha256(path),
            }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_missing(entries: list[dict[str, Any]], storage=None) -> list[str]:
    """The files of a manifest that the media storage does not hold (or holds with
    another size)."""
    storage = storage or default_storage
    present = {entry["name"]: entry["size"] for entry in media_manifest(storage)}
    return [entry["name"] for entry in entries if present.get(entry["name"]) != entry["size"]]


# --- Where backups are kept -----------------------------------------------------------


class Location:
    """A local folder or an S3 prefix holding backups (each a folder of three files)."""

    def names(self) -> list[str]:
        raise NotImplementedError

    def put(self, name: str, folder: Path) -> None:
        raise NotImplementedError

    def get(self, name: str, folder: Path) -> None:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class FolderLocation(Location):
    def __init__(self, path: Path) -> None:
        self.path = path

    def names(self) -> list[str]:
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.is_dir() and NAME.match(p.name))

    def put(self, name: str, folder: Path) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        partial = self.path / f".{name}.partial"
        shutil.copytree(folder, partial)
        partial.rename(self.path / name)  # whole or not at all

    def get(self, name: str, folder: Path) -> None:
        source = self.path / name
        if not source.is_dir():
            raise BackupError(f"No backup {name} in {self}.")
        for file in (DUMP, MANIFEST, MEDIA):
            shutil.copy2(source / file, folder / file)

    def delete(self, name: str) -> None:
        shutil.rmtree(self.path / name)

    def __str__(self) -> str:
        return str(self.path)


class S3Location(Location):
    """s3://bucket/prefix, reached with BACKUP_S3_OPTIONS (the AWS_* variables the media
    storage uses; boto3's own chain of credentials without them)."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", **settings.BACKUP_S3_OPTIONS)

    def _key(self, *parts: str) -> str:
        return "/".join(part for part in (self.prefix, *parts) if part)

    def names(self) -> list[str]:
        base = self._key("") + "/" if self.prefix else ""
        found = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
            for item in page.get("Contents", []):
                name, _, file = item["Key"][len(base) :].partition("/")
                # A backup counts once its manifest, uploaded last, is there.
                if NAME.match(name) and file == MANIFEST:
                    found.add(name)
        return sorted(found)

    def put(self, name: str, folder: Path) -> None:
        for file in (DUMP, MEDIA, MANIFEST):  # the manifest last: it marks it complete
            self.client.upload_file(str(folder / file), self.bucket, self._key(name, file))

    def get(self, name: str, folder: Path) -> None:
        from botocore.exceptions import ClientError

        for file in (DUMP, MANIFEST, MEDIA):
            try:
                self.client.download_file(self.bucket, self._key(name, file), str(folder / file))
            except ClientError as exc:
                raise BackupError(f"No backup {name} in {self}: {exc}") from exc

    def delete(self, name: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(name) + "/"):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def location(target: str | None = None) -> Location:
    """`target` (default BACKUP_LOCATION): `s3://bucket/prefix` or a folder."""
    target = target or settings.BACKUP_LOCATION
    if target.startswith("s3://"):
        bucket, _, prefix = target[len("s3://") :].partition("/")
        if not bucket:
            raise BackupError(f"{target}: name the bucket, s3://bucket/prefix.")
        return S3Location(bucket, prefix)
    return FolderLocation(Path(target).expanduser())


# --- Backup and restore ----------------------------------------------------------------


@dataclass
class Backup:
    name: str
    location: str
    tables: int
    rows: int
    media_files: int
    dump_bytes: int
    removed: list[str] = field(default_factory=list)


@contextmanager
def _workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="shop-backup-") as folder:
        yield Path(folder)


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # pg_dump and pg_restore, with arguments made here (no shell).
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} is not installed: it comes with PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client)."
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[-2000:]}") from exc


def backup(
    *,
    target: str | None = None,
    keep: int | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Backup:
    """Dump the database in one snapshot with the figures of every table, list the
    media files, store the three at `target` and remove all but the newest `keep`."""
    database = database_settings()
    keep = settings.BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    where = location(target)
    name = NAME_PREFIX + now().strftime("%Y%m%dT%H%M%S%fZ")
    with _workspace() as folder, connect(database) as connection:
        # The figures and the dump read one snapshot: what the manifest counts is
        # exactly what the dump holds, while the shop goes on writing.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={folder / DUMP}",
            ],
            libpq_environment(database),
        )
        figures = table_figures(connection)
        applied = migrations(connection)
        server = connection.execute("SHOW server_version").fetchone()[0]
        connection.rollback()
        media = list(media_manifest())
        with (folder / MEDIA).open("w") as handle:
            for entry in media:
                handle.write(json.dumps(entry, sort_keys=True) + "\n")
        manifest = {
            "format": FORMAT,
            "name": name,
            "dump_sha256": _sha256(folder / DUMP),
            "created_at": now().isoformat(),
            "database": database["NAME"],
            "server_version": server,
            "tables": figures,
            "migrations": applied,
            "media_files": len(media),
            "media_bytes": sum(entry["size"] for entry in media),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        dump_bytes = (folder / DUMP).stat().st_size
        where.put(name, folder)
    # The newest `keep` by name (the time), never the one just made.
    removed = [old for old in where.names()[:-keep] if old != name]
    for old in removed:
        where.delete(old)
    return Backup(
        name=name,
        location=str(where),
        tables=len(figures),
        rows=sum(table["rows"] for table in figures.values()),
        media_files=len(media),
        dump_bytes=dump_bytes,
        removed=removed,
    )


@dataclass
class Restore:
    name: str
    tables: int
    rows: int
    media_missing: list[str]


def restore(*, name: str | None = None, source: str | None = None) -> Restore:
    """Bring backup `name` (the newest when None) from `source` into the database,
    which must be empty, then check every table against the manifest."""
    database = database_settings()
    where = location(source)
    names = where.names()
    if not names:
        raise BackupError(f"No backups in {where}.")
    name = name or names[-1]
    if name not in names:
        raise BackupError(f"No backup {name} in {where}; there are: {', '.join(names)}.")
    with connect(database) as connection:
        present = tables(connection)
    if present:
        raise BackupError(
            f"The database {database['NAME']} is not empty ({len(present)} tables): a "
            "backup is restored into an empty database only. Create one and point "
            "DATABASE_URL at it."
        )
    with _workspace() as folder:
        where.get(name, folder)
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("dump_sha256") not in (None, _sha256(folder / DUMP)):
            raise BackupError(f"The dump of {name} is damaged: its SHA-256 is not the manifest's.")
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={database['NAME']}",
                str(folder / DUMP),
            ],
            libpq_environment(database),
        )
        media = [json.loads(line) for line in (folder / MEDIA).read_text().splitlines() if line]
    with connect(database) as connection:
        # Fresh statistics for the planner: a restored database has none.
        connection.autocommit = True
        connection.execute("ANALYZE")
        found = table_figures(connection)
    expected = manifest["tables"]
    differences = [
        f"{table}: {expected.get(table)} in the backup, {found.get(table)} restored"
        for table in sorted(set(expected) | set(found))
        if expected.get(table) != found.get(table)
    ]
    if differences:
        raise BackupError(
            "The restored database differs from the backup:\n" + "\n".join(differences)
        )
    return Restore(
        name=name,
        tables=len(found),
        rows=sum(table["rows"] for table in found.values()),
        media_missing=media_missing(media),
    )
