"""gunicorn's settings for the web service (`gunicorn -c config/gunicorn.py ...`).

Metrics (core.metrics) in prometheus-client's multiprocess mode: the folder named by
PROMETHEUS_MULTIPROC_DIR is emptied when the server starts (counters of an earlier run
must not add up with these), and a worker that ends is marked dead so that its gauges
leave the scrape (its counters stay counted).
"""

import os
import shutil
from pathlib import Path


def on_starting(server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
