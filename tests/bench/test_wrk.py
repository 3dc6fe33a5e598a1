"""Reading wrk's answer (bench/wrk.py): the BENCH_JSON line that report.lua prints."""

import pytest

from bench.wrk import LUA_REPORT, WrkError, wrk_command, wrk_parse

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:40000/healthz/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.03ms    4.10ms  80.12ms   75.00%
    Req/Sec     1.33k   120.00     1.60k    70.00%
  39900 requests in 15.00s, 9.80MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2660.00
Transfer/sec:    669.00KB
BENCH_JSON {"requests": 39900, "duration_us": 15000000, "bytes": 10276044, \
"latency_us": {"p50": 11500, "p95": 19250, "p99": 31000, "mean": 12030.5, "max": 80120}, \
"errors": {"connect": 0, "read": 2, "write": 0, "timeout": 1, "status": 3}}
"""


def test_the_report_line_gives_throughput_percentiles_and_errors():
    result = wrk_parse(WRK_OUTPUT)
    assert result.requests == 39900
    assert result.duration_s == 15.0
    assert result.requests_per_s == 2660.0
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (11.5, 19.25, 31.0)
    assert result.errors == {"connect": 0, "read": 2, "write": 0, "timeout": 1, "status": 3}
    assert result.error_count == 6


def test_the_last_report_line_wins():
    later = WRK_OUTPUT.replace('"requests": 39900', '"requests": 10')
    result = wrk_parse(WRK_OUTPUT + later.splitlines()[-1] + "\n")
    assert result.requests == 10


@pytest.mark.parametrize(
    "output",
    [
        "Running 15s test @ http://127.0.0.1/\nunable to connect to 127.0.0.1:1 Connection refused",
        'BENCH_JSON {"requests": 5}',
        "BENCH_JSON not json",
    ],
)
def test_output_without_a_readable_report_is_an_error_that_shows_it(output):
    with pytest.raises(WrkError) as raised:
        wrk_parse(output)
    assert output.splitlines()[-1][:20] in str(raised.value)


def test_a_run_with_no_time_has_no_throughput():
    result = wrk_parse(WRK_OUTPUT.replace('"duration_us": 15000000', '"duration_us": 0'))
    assert result.requests_per_s == 0.0


def test_the_command_loads_the_report_script_and_sends_the_headers():
    command = wrk_command(
        wrk="/usr/bin/wrk",
        url="http://127.0.0.1:1234/api/v1/orders/",
        duration_s=15,
        connections=32,
        threads=2,
        headers={"Authorization": "Bearer abc"},
    )
    assert command[0] == "/usr/bin/wrk"
    assert command[-1] == "http://127.0.0.1:1234/api/v1/orders/"
    assert "--connections=32" in command and "--threads=2" in command
    assert "--duration=15s" in command
    assert f"--script={LUA_REPORT}" in command
    assert command[command.index("--header") + 1] == "Authorization: Bearer abc"


def test_never_more_threads_than_connections_and_at_least_a_second():
    command = wrk_command(
        wrk="wrk", url="http://x/", duration_s=0.2, connections=1, threads=8, timeout_s=0.1
    )
    assert "--threads=1" in command
    assert "--duration=1s" in command and "--timeout=1s" in command
    assert "--header" not in command


def test_the_lua_script_prints_every_field_the_parser_reads():
    script = LUA_REPORT.read_text()
    assert "done = function(summary, latency, requests)" in script
    for name in ("requests", "duration_us", "p50", "p95", "p99", "connect", "read", "write",
                 "timeout", "status"):  # fmt: skip
        assert f'"{name}"' in script
    assert "latency:percentile(95)" in script
