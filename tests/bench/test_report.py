"""The benchmark's table, ratios to /healthz/, targets and result files (bench/report.py)."""

import json

from bench.report import (
    Row,
    Target,
    ratios_fill,
    results_document,
    results_write,
    table_format,
    targets_evaluate,
    targets_format,
)


def row(name, rps, p95=10.0, errors=None, queries=3, label=None):
    return Row(
        name=name,
        label=label or name,
        path=f"/{name}/",
        requests=int(rps * 10),
        duration_s=10.0,
        requests_per_s=rps,
        p50_ms=p95 / 2,
        p95_ms=p95,
        p99_ms=p95 * 2,
        errors=errors or {},
        queries=queries,
    )


def test_ratios_are_to_the_healthz_row_of_the_same_run():
    rows = [row("api_list", 600), row("healthz", 2000, queries=0), row("detail_page", 1500)]
    ratios_fill(rows)
    assert [r.ratio for r in rows] == [0.3, 1.0, 0.75]


def test_a_share_is_of_the_healthz_measured_around_its_endpoint():
    """A machine whose speed drifts during the run: each row is compared with the
    /healthz/ measured just before and after it (their mean), not with the first one."""
    rows = [row("healthz", 2000), row("api_list", 600), row("orders", 500)]
    rows[1].extra = {"healthz_near": 1500.0}
    ratios_fill(rows)
    assert [r.ratio for r in rows] == [1.0, 0.4, 0.25]


def test_the_probes_around_each_endpoint_are_kept_and_a_failed_one_is_not_used():
    from bench.report import HealthzNear
    from bench.wrk import WrkResult

    def probe(requests, errors=None):
        return WrkResult(requests, 3.0, 1, 2, 3, errors or {})

    near = HealthzNear()
    rows = [row("api_list", 600), row("orders", 500), row("cart", 400), row("checkout", 30)]
    assert near.after(rows[0], probe(6000)) is None and "healthz_near" not in rows[0].extra
    near.ceiling(2400)
    assert near.after(rows[0], probe(6000)) is None  # 2,000 req/s after it
    assert rows[0].extra == {"healthz_near": 2200, "healthz_probes": [2400, 2000]}
    warning = near.after(rows[1], probe(6000, {"status 500": 3}))
    assert "failed" in warning and rows[1].extra == {"healthz_near": 2000}
    assert near.after(rows[2], probe(0)) and rows[2].extra == {"healthz_near": 2000}
    near.alone(rows[3])
    assert rows[3].extra == {"healthz_near": 2000} and near.probes == [2000]
    ratios_fill([row("healthz", 2400), *rows])
    assert [r.ratio for r in rows] == [600 / 2200, 0.25, 0.2, 30 / 2000]


def test_without_a_ceiling_there_are_no_ratios():
    rows = [row("api_list", 600)]
    ratios_fill(rows)
    assert rows[0].ratio is None
    zero = [row("healthz", 0), row("api_list", 5)]
    ratios_fill(zero)
    assert zero[1].ratio is None


def test_targets_are_met_or_missed_by_their_own_rule():
    rows = [
        row("healthz", 1000),
        row("api_list", 500, p95=49.9),  # exactly half: met; p95 under 50: met
        row("search", 100, p95=100.0),  # 100 is not under 100: missed
        row("search_typo", 100, p95=80),
        row("detail_page", 690),  # 69% < 70%: missed
        row("home_page", 500),  # half: met
        row("category_page", 499),  # just under half: missed
        row("checkout", 50, p95=250, errors={"checkout 500": 2}),
        row("orders", 400),  # 40%: met
        row("cart", 399),  # missed
        row("facets", 300, p95=99),
        row("checkout_capacity", 300, p95=280),
    ]
    rows[-1].extra = {"checkouts_per_s": 60, "cpu_ms_per_checkout": 24.5}
    ratios_fill(rows)
    targets = targets_evaluate(rows, max_worker_rss_mb=150.0, oversold=False)
    met = {target.name: target.met for target in targets}
    assert met == {
        "Product list API page 1: share of /healthz/ req/s": True,
        "Product list API page 1: p95": True,
        "Search, common word: p95": False,
        "Search with a typo: p95": True,
        "Product detail page (anonymous): share of /healthz/ req/s": False,
        "Home page (anonymous): share of /healthz/ req/s": True,
        "Category page (anonymous): share of /healthz/ req/s": False,
        "Shop page (anonymous): share of /healthz/ req/s": False,  # not measured
        "Checkout under load: errors": False,
        "Checkout under load: oversold products": True,
        "Checkout under load: p95 of a whole checkout": True,
        "Checkout capacity at SLO (open loop, p95 < 300 ms, no error, none oversold)": True,
        "CPU per checkout at that rate (gunicorn + PostgreSQL)": False,
        "Signed-in order list (JWT): share of /healthz/ req/s": True,
        "Signed-in cart (JWT): share of /healthz/ req/s": False,
        "Signed-in product list (JWT): share of /healthz/ req/s": False,  # not measured
        "Facets: p95": True,
        "Memory: largest gunicorn worker RSS": True,
    }
    # A capacity search in which no rate met the objective: 0, missed.
    rows[-1].extra = {"checkouts_per_s": None, "cpu_ms_per_checkout": None}
    capacity = targets_evaluate(rows, max_worker_rss_mb=150.0, oversold=False)[11]
    assert capacity.value == 0 and not capacity.met
    assert capacity.describe().startswith("Checkout capacity at SLO")


def test_what_was_not_measured_is_missed_and_says_so():
    targets = targets_evaluate([row("healthz", 1000)], max_worker_rss_mb=None, oversold=None)
    assert not any(target.met for target in targets)
    assert all("not measured" in target.describe() for target in targets)
    oversold = targets_evaluate([], max_worker_rss_mb=250.0, oversold=True)
    assert [t.met for t in oversold if "oversold products" in t.name or "Memory" in t.name] == [
        False,
        False,
    ]


def test_targets_read_as_lines_with_values_and_limits():
    text = targets_format(
        [
            Target("Share", 0.456, 0.5, True, "%"),
            Target("p95", 42.04, 50, False, "ms"),
        ]
    )
    assert text.splitlines() == [
        "[MISSED] Share: 46% (target >= 50%)",
        "[met] p95: 42.0 ms (target < 50.0 ms)",
    ]


def test_the_table_has_a_line_per_endpoint_with_aligned_columns():
    rows = [row("healthz", 2500.4, queries=0, label="/healthz/ (ceiling)"), row("api_list", 1250)]
    rows[1].queries_cold = 9
    rows[1].errors = {"status": 2, "timeout": 1}
    ratios_fill(rows)
    lines = table_format(rows).splitlines()
    assert lines[0].split() == [
        "endpoint", "req/s", "p50", "ms", "p95", "ms", "p99", "ms", "errors", "SQL/req",
        "SQL", "cold", "vs", "healthz",
    ]  # fmt: skip
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["/healthz/", "(ceiling)", "2,500", "5.0", "10.0", "20.0", "0",
                                "0", "-", "100%"]  # fmt: skip
    assert lines[3].split() == ["api_list", "1,250", "5.0", "10.0", "20.0", "3", "3", "9", "50%"]
    assert len({len(line) for line in lines[:2]}) == 1  # the rule is as wide as the header


def test_results_are_written_under_a_timestamp_and_as_latest(tmp_path):
    from datetime import UTC, datetime

    started = datetime(2026, 11, 22, 9, 30, 5, tzinfo=UTC)
    rows = [row("healthz", 1000), row("api_list", 400)]
    ratios_fill(rows)
    targets = targets_evaluate(rows, max_worker_rss_mb=120.5, oversold=None)
    document = results_document(
        rows=rows,
        targets=targets,
        started_at=started,
        finished_at=started,
        config={"connections": 32},
        worker_rss_mb={"101": 110.0, "102": 120.5},
        checkout=None,
    )
    path = results_write(document, started_at=started, folder=tmp_path)
    assert path == tmp_path / "20261122T093005Z.json"
    saved = json.loads(path.read_text())
    assert json.loads((tmp_path / "latest.json").read_text()) == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20261122T093005Z.json", "latest.json"]
    assert saved["max_worker_rss_mb"] == 120.5
    assert [e["name"] for e in saved["endpoints"]] == ["healthz", "api_list"]
    assert saved["endpoints"][1]["ratio"] == 0.4
    assert saved["endpoints"][1]["error_count"] == 0
    assert saved["table"] == table_format(rows)
    assert {t["text"]: t["met"] for t in saved["targets"]}[
        "Memory: largest gunicorn worker RSS: 120.5 MB (target < 200.0 MB)"
    ]


def test_an_endpoint_that_answered_nothing_is_not_judged_on_its_zeros():
    rows = [row("healthz", 1000), row("search", 0, p95=0.0), row("checkout", 0, p95=0.0)]
    ratios_fill(rows)
    targets = {t.name: t for t in targets_evaluate(rows, max_worker_rss_mb=90, oversold=False)}
    assert targets["Search, common word: p95"].value is None
    assert not targets["Search, common word: p95"].met
    assert not targets["Checkout under load: errors"].met
    assert not targets["Checkout under load: p95 of a whole checkout"].met
    search_line = table_format(rows).splitlines()[3]
    assert search_line.split() == ["search", "0", "-", "-", "-", "0", "3", "-", "0%"]
