"""gunicorn for the benchmark: started on a free port with the production settings, its
workers' resident memory sampled from /proc while it runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def vmrss_mb(status_text: str) -> float | None:
    """VmRSS of a /proc/<pid>/status text, in MB (MiB); None when absent."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            parts = line.split()
            return int(parts[1]) / 1024 if parts[2].lower() == "kb" else None
    return None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class RssSampler(threading.Thread):
    """Every `interval` seconds, each worker's RSS; keeps the largest seen per worker."""

    def __init__(self, master_pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.interval = interval
        self.peak_mb: dict[int, float] = {}
        self._stop_event = threading.Event()

    def sample(self) -> None:
        for pid in children_of(self.master_pid):
            try:
                rss = vmrss_mb(Path(f"/proc/{pid}/status").read_text())
            except OSError:
                continue
            if rss is not None:
                self.peak_mb[pid] = max(rss, self.peak_mb.get(pid, 0.0))

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()  # and once more after the load


class Gunicorn:
    def __init__(self, *, python: str, env: dict[str, str], workers: int, worker_class: str,
                 log_path: Path) -> None:  # fmt: skip
        self.python = python
        self.env = env
        self.workers = workers
        self.worker_class = worker_class
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.sampler: RssSampler | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> None:
        command = [
            self.python,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            f"--worker-class={self.worker_class}",
            "--backlog=2048",
            "--timeout=60",
            "--log-level=warning",
            "--error-logfile=-",
        ]  # fmt: skip  (no --access-logfile: gunicorn's access log stays off)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz/", timeout=2) as answer:
                    if answer.status == 200 and len(children_of(self.process.pid)) >= self.workers:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn did not answer /healthz/ in {timeout_s:.0f} s")
        self.sampler = RssSampler(self.process.pid)
        self.sampler.start()

    def wait_idle(self, timeout_s: float = 300) -> None:
        """Wait until the requests still queued from the last load are served: wrk stops
        with up to one request per connection in gunicorn's queue, which the sync
        workers serve to nobody; the next endpoint must not be measured behind them.
        Two answers of /healthz/ in a row, each queued behind whatever was there."""
        for _turn in range(2):
            with urllib.request.urlopen(self.base_url + "/healthz/", timeout=timeout_s):
                pass

    def worker_peaks_mb(self) -> dict[str, float]:
        if self.sampler is None:
            return {}
        return {str(pid): round(mb, 1) for pid, mb in sorted(self.sampler.peak_mb.items())}

    def stop(self) -> None:
        if self.sampler is not None and self.sampler.is_alive():
            self.sampler.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "_log"):
            self._log.close()


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
