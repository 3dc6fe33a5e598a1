"""Running wrk and reading its answer.

wrk prints a human summary; the Lua script beside this file (report.lua) adds one line
`BENCH_JSON {...}` from wrk's `done()` hook with the request count, the duration, the
latency percentiles and the error counts. `wrk_parse` turns that line into a `WrkResult`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA_REPORT = Path(__file__).with_name("report.lua")
MARKER = "BENCH_JSON "
ERROR_KINDS = ("connect", "read", "write", "timeout", "status")


class WrkError(RuntimeError):
    """wrk did not run, or its output has no BENCH_JSON line."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def wrk_parse(output: str) -> WrkResult:
    """The BENCH_JSON line of wrk's output (the last one, if several)."""
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise WrkError(f"wrk printed no {MARKER.strip()} line:\n{output[-2000:]}")
    try:
        data = json.loads(lines[-1][len(MARKER) :])
        latency = data["latency_us"]
        errors = {kind: int(data["errors"][kind]) for kind in ERROR_KINDS}
        return WrkResult(
            requests=int(data["requests"]),
            duration_s=int(data["duration_us"]) / 1_000_000,
            p50_ms=latency["p50"] / 1000,
            p95_ms=latency["p95"] / 1000,
            p99_ms=latency["p99"] / 1000,
            errors=errors,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise WrkError(f"Cannot read wrk's report {lines[-1]!r}: {exc}") from exc


def wrk_command(
    *,
    wrk: str,
    url: str,
    duration_s: float,
    connections: int,
    threads: int,
    headers: dict[str, str] | None = None,
    timeout_s: float = 10,
) -> list[str]:
    command = [
        wrk,
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration_s))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        f"--script={LUA_REPORT}",
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    return [*command, url]


def wrk_run(command: list[str]) -> WrkResult:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise WrkError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return wrk_parse(completed.stdout)


def wrk_find(path: str = "/usr/bin/wrk") -> str:
    """wrk's path; Debian's package is installed when missing (as root with apt-get)."""
    found = shutil.which("wrk") or (path if Path(path).exists() else None)
    if found:
        return found
    import os

    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's wrk for the benchmark", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=True)
        found = shutil.which("wrk")
    if not found:
        raise WrkError("The benchmark needs wrk: sudo apt-get install wrk")
    return found
