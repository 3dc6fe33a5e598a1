"""A pytest plugin (loaded with `-p`, before Django reads its settings): each pytest-xdist
worker gets a Redis database of its own, so that one worker emptying the cache between
its tests (tests/conftest.py) never empties another's in the middle of a test.

gw0 keeps the database REDIS_URL names; gwN uses the Nth one after it. PostgreSQL needs
nothing of the kind: pytest-django gives each worker its own test database.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_url = os.environ.get("REDIS_URL", "")
if _worker.startswith("gw") and _url.startswith(("redis://", "rediss://")):
    _parts = urlsplit(_url)
    _base = int(_parts.path.strip("/") or 0)
    _database = _base + int(_worker[2:])
    os.environ["REDIS_URL"] = urlunsplit(_parts._replace(path=f"/{_database}"))
