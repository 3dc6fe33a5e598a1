"""Read replicas against a real streaming replica.

The setup makes a PostgreSQL primary of its own (initdb, on a free port) and a streaming
replica of it (pg_basebackup -R, on another port), migrates and seeds the shop on the
primary and serves it with gunicorn, reading from the replica (DATABASE_REPLICA_URLS).
Replaying WAL is paused on the replica to make it lag on purpose: a row changed on the
primary then shows who read where.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

pytestmark = pytest.mark.postgresql
ROOT = Path(__file__).resolve().parents[2]
MAX_LAG = 6  # REPLICA_MAX_LAG_S of the server under test
CHECK = 0.2  # REPLICA_CHECK_SECONDS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        answer = subprocess.run([found, "--bindir"], capture_output=True, text=True)
        if answer.returncode == 0 and (Path(answer.stdout.strip()) / "initdb").exists():
            return Path(answer.stdout.strip())
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    pytest.fail("The replica tests need PostgreSQL's server programs (initdb, pg_ctl).")


class Cluster:
    """A PostgreSQL cluster in a folder of the test's, run as the postgres user when the
    tests run as root (PostgreSQL refuses root)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.bin = _bindir()

    def run(self, program: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        answer = subprocess.run(
            [*prefix, str(self.bin / program), *args], capture_output=True, text=True, timeout=120
        )
        if answer.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"{program} {' '.join(args)}: {answer.stderr}\n{tail}")

    def start(self) -> None:
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
            "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "shop", params=None):
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else None


@pytest.fixture(scope="module")
def clusters():
    # Not under pytest's own temporary folder: the postgres user cannot enter root's.
    base = Path(tempfile.mkdtemp(prefix="shop-replication-"))
    primary = Cluster(base / "primary", _free_port())
    replica = Cluster(base / "replica", _free_port())
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    for cluster in (primary, replica):
        cluster.folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(cluster.folder, "postgres", "postgres")
    primary.run("initdb", "-D", str(primary.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
    with (primary.data / "postgresql.conf").open("a") as conf:
        # A test cluster: no need to survive a power cut.
        conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        conf.write("full_page_writes = off\nshared_buffers = 32MB\n")
    primary.start()
    try:
        primary.sql("CREATE DATABASE shop", database="postgres")
        # The replica: a base backup that streams from the primary from now on.
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        replica.start()
        yield primary, replica
    finally:
        if (replica.data / "postmaster.pid").exists():  # not stopped by the test
            replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


def _wait(condition, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"Waited {timeout} s for {message}")


def _caught_up(primary: Cluster, replica: Cluster) -> None:
    target = primary.sql("SELECT pg_current_wal_lsn()::text")[0][0]
    _wait(
        lambda: replica.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", params=[target])[0][0],
        30,
        "the replica to replay the primary's WAL",
    )


@pytest.fixture(scope="module")
def shop(clusters, tmp_path_factory):
    """The shop migrated and seeded on the primary, served by gunicorn reading from the
    replica: (base URL, primary, replica, log)."""
    primary, replica = clusters
    folder = tmp_path_factory.mktemp("replica-shop")
    env = {
        **{key: value for key, value in os.environ.items() if key != "REDIS_URL"},
        "DATABASE_URL": primary.url("shop"),
        "DATABASE_REPLICA_URLS": replica.url("shop"),
        "REPLICA_MAX_LAG_S": str(MAX_LAG),
        "REPLICA_CHECK_SECONDS": str(CHECK),
        "REPLICA_STICKY_SECONDS": str(MAX_LAG + 2),
        "DJANGO_DEBUG": "true",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(folder / "media"),
        "PAYMENTS_ALLOW_DUMMY": "true",
    }

    def manage(*args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
            capture_output=True, timeout=600,
        )  # fmt: skip

    manage("migrate", "--noinput")
    manage("seed_demo", "--products", "12")
    port = _free_port()
    log = folder / "gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _answers(base), 60, "gunicorn to start")
        yield base, primary, replica, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _names(session: requests.Session, base: str, product_id: int) -> str:
    """The product's name in the product list, asked with a query never asked before
    (the list's cache keys on the query: this one is read from a database)."""
    answer = session.get(
        f"{base}/api/v1/products/", params={"ids": product_id, "nocache": uuid.uuid4().hex}
    )
    assert answer.status_code == 200, answer.text
    (product,) = [item for item in answer.json()["results"] if item["id"] == product_id]
    return product["name"]


def _rename_on_the_primary(primary: Cluster, product_id: int, name: str) -> None:
    """A change made on the primary behind the shop's back (no cache is told)."""
    primary.sql("UPDATE catalog_product SET name = %s WHERE id = %s", params=[name, product_id])


def test_reads_come_from_the_replica_writers_read_their_writes_and_lag_or_loss_is_skipped(shop):
    base, primary, replica, log = shop
    product_id, name = primary.sql(
        "SELECT id, name FROM catalog_product WHERE is_active ORDER BY id LIMIT 1"
    )[0]
    visitor, writer = requests.Session(), requests.Session()
    _caught_up(primary, replica)
    assert _names(visitor, base, product_id) == name

    # A fresh write replayed, then replay paused: the replica is behind from now on.
    primary.sql("CREATE TABLE IF NOT EXISTS heartbeat (at timestamptz)")
    primary.sql("INSERT INTO heartbeat VALUES (now())")
    _caught_up(primary, replica)
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        _rename_on_the_primary(primary, product_id, "Renamed on the primary")
        paused_at = time.monotonic()

        # A visitor's list comes from the replica: the old name.
        assert _names(visitor, base, product_id) == name

        # Someone who writes (a guest cart: a row on the primary) reads from the primary
        # for a few seconds after, in this browser: the new name.
        token = writer.post(f"{base}/api/v1/cart/token/")
        assert token.status_code == 201, token.text
        assert "primary_until" in writer.cookies
        assert _names(writer, base, product_id) == "Renamed on the primary"
        # ...while the visitor, who wrote nothing, still reads the replica.
        assert _names(visitor, base, product_id) == name
        assert time.monotonic() - paused_at < MAX_LAG, "the machine was too slow to see it"

        # Behind by more than REPLICA_MAX_LAG_S, the replica is skipped for everyone.
        time.sleep(max(0.0, MAX_LAG + 0.5 - (time.monotonic() - paused_at)))
        assert _names(visitor, base, product_id) == "Renamed on the primary"
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")

    # Caught up again, the replica serves the visitor, with the new name...
    _caught_up(primary, replica)
    time.sleep(CHECK + 0.3)  # the next health check
    assert _names(visitor, base, product_id) == "Renamed on the primary"
    # ...from the replica itself: paused again, it does not show a change made since.
    primary.sql("INSERT INTO heartbeat VALUES (now())")
    _caught_up(primary, replica)
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        _rename_on_the_primary(primary, product_id, "Renamed a second time")
        assert _names(visitor, base, product_id) == "Renamed on the primary"
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")
    _caught_up(primary, replica)

    # The replica stops in the middle of things: nobody sees an error, and reads come
    # from the primary (they see a change the stopped replica cannot have).
    replica.stop("immediate")
    _rename_on_the_primary(primary, product_id, "Renamed while the replica was down")
    for _ in range(5):
        assert _names(requests.Session(), base, product_id) == "Renamed while the replica was down"
    assert "cannot be reached" in log.read_text() or "failed in a request" in log.read_text()
