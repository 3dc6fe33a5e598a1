"""Workers' memory from /proc (bench/server.py), read from real processes."""

import os
import subprocess
import sys
import time

import pytest

from bench.server import RssSampler, children_of, free_port, vmrss_mb

STATUS = """Name:\tgunicorn
State:\tS (sleeping)
VmPeak:\t  312000 kB
VmRSS:\t  153600 kB
Threads:\t1
"""


def test_vmrss_is_read_in_megabytes():
    assert vmrss_mb(STATUS) == 150.0
    assert vmrss_mb("Name:\tkthreadd\nState:\tS\n") is None  # kernel threads have none


@pytest.fixture
def child():
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; b = bytearray(40 * 2**20); time.sleep(30)"]
    )
    yield process
    process.kill()
    process.wait()


def test_the_sampler_keeps_each_childs_largest_rss(child):
    assert child.pid in children_of(os.getpid())
    sampler = RssSampler(os.getpid(), interval=0.05)
    sampler.start()
    # The child allocates 40 MB at start: wait until a sample sees it.
    deadline = time.monotonic() + 10
    while sampler.peak_mb.get(child.pid, 0) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    assert 40 <= sampler.peak_mb[child.pid] < 200
    assert not sampler.is_alive()


def test_a_free_port_can_be_bound():
    import socket

    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
    assert 1024 < port < 65536
