"""The benchmark's table: rows per endpoint, throughput as a ratio of /healthz/ from the
same run, the issue's targets with met/missed, and the JSON written to bench/results/."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

CEILING = "healthz"
RESULTS_DIR = Path(__file__).with_name("results")


@dataclass
class Row:
    """One endpoint's numbers. `requests_per_s` counts HTTP requests; for the checkout
    flow the latencies are those of a whole checkout (its four requests)."""

    name: str
    label: str
    path: str
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)
    queries: int | None = None  # the steady state: a request after the same one
    queries_cold: int | None = None  # the first request after the cache was emptied
    ratio: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def ratios_fill(rows: list[Row], ceiling: str = CEILING) -> None:
    """Each row's requests/s as a fraction of the /healthz/ measured next to it (its
    `extra["healthz_near"]`: the mean of the probes just before and just after it), or
    else of the ceiling row's (None without either)."""
    top = next((row for row in rows if row.name == ceiling), None)
    for row in rows:
        near = row.extra.get("healthz_near")
        if near and row.name != ceiling:
            row.ratio = row.requests_per_s / near
        elif top is None or top.requests_per_s <= 0:
            row.ratio = None
        else:
            row.ratio = row.requests_per_s / top.requests_per_s


class HealthzNear:
    """The /healthz/ measured around each endpoint: `ceiling` gives the first one, `after`
    each endpoint's probe (a wrk result), whose row then holds the mean of the probes
    before and after it (`extra["healthz_near"]`, and both in `extra["healthz_probes"]`).
    A probe that failed (no answer, or errors) is not used: the row gets the last good
    one alone and a warning is answered. `alone` gives a row the last good one (the
    checkout rows: no probe between their loads)."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.probes: list[float] = []

    def ceiling(self, requests_per_s: float) -> None:
        self.last = requests_per_s if requests_per_s > 0 else None

    def after(self, row: Row, probe) -> str | None:
        if self.last is None:
            return None
        if probe.requests <= 0 or probe.error_count:
            row.extra["healthz_near"] = self.last
            return (
                f"  ! /healthz/ probe after {row.label} failed ({probe.requests} answers, "
                f"{probe.error_count} errors): its share is of the last good one"
            )
        measured = probe.requests_per_s
        row.extra["healthz_near"] = (self.last + measured) / 2
        row.extra["healthz_probes"] = [self.last, measured]
        self.last = measured
        self.probes.append(measured)
        return None

    def alone(self, row: Row) -> None:
        if self.last is not None:
            row.extra["healthz_near"] = self.last


@dataclass(frozen=True)
class Target:
    """One line of issue 10's targets: `value` compared with `limit`."""

    name: str
    value: float | None
    limit: float
    at_least: bool  # True: value >= limit; False: value < limit
    unit: str = ""

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.at_least else self.value < self.limit

    def describe(self) -> str:
        shown = "not measured" if self.value is None else _number(self.value, self.unit)
        sign = ">=" if self.at_least else "<"
        return f"{self.name}: {shown} (target {sign} {_number(self.limit, self.unit)})"


def _number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit in ("ms", "MB"):
        return f"{value:.1f} {unit}"
    return f"{value:g}{unit}"


def targets_evaluate(
    rows: list[Row], *, max_worker_rss_mb: float | None, oversold: bool | None
) -> list[Target]:
    by_name = {row.name: row for row in rows}

    def value(name: str, attribute: str) -> float | None:
        row = by_name.get(name)
        if row is None or row.requests == 0:  # nothing answered: nothing to judge
            return None
        return getattr(row, attribute)

    checkout = by_name.get("checkout")
    if checkout is not None and checkout.requests == 0:
        checkout = None
    capacity = by_name.get("checkout_capacity")
    extra = capacity.extra if capacity is not None else {}
    targets = [
        Target("Product list API page 1: share of /healthz/ req/s", value("api_list", "ratio"),
               0.5, True, "%"),
        Target("Product list API page 1: p95", value("api_list", "p95_ms"), 50, False, "ms"),
        Target("Search, common word: p95", value("search", "p95_ms"), 100, False, "ms"),
        Target("Search with a typo: p95", value("search_typo", "p95_ms"), 100, False, "ms"),
        Target("Product detail page (anonymous): share of /healthz/ req/s",
               value("detail_page", "ratio"), 0.7, True, "%"),
        Target("Home page (anonymous): share of /healthz/ req/s",
               value("home_page", "ratio"), 0.5, True, "%"),
        Target("Category page (anonymous): share of /healthz/ req/s",
               value("category_page", "ratio"), 0.5, True, "%"),
        Target("Shop page (anonymous): share of /healthz/ req/s",
               value("shop_page", "ratio"), 0.5, True, "%"),
        Target("Checkout under load: errors", None if checkout is None else checkout.error_count,
               1, False),
        Target("Checkout under load: oversold products",
               None if oversold is None else int(oversold), 1, False),
        Target("Checkout under load: p95 of a whole checkout", value("checkout", "p95_ms"),
               300, False, "ms"),
        # Issue 23: capacity planned at a service level, signed-in reads, facets.
        Target("Checkout capacity at SLO (open loop, p95 < 300 ms, no error, none oversold)",
               None if capacity is None else extra.get("checkouts_per_s") or 0, 50, True,
               " checkouts/s"),
        Target("CPU per checkout at that rate (gunicorn + PostgreSQL)",
               extra.get("cpu_ms_per_checkout"), 20, False, "ms"),
        Target("Signed-in order list (JWT): share of /healthz/ req/s",
               value("orders", "ratio"), 0.4, True, "%"),
        Target("Signed-in cart (JWT): share of /healthz/ req/s",
               value("cart", "ratio"), 0.4, True, "%"),
        Target("Signed-in product list (JWT): share of /healthz/ req/s",
               value("api_list_signed_in", "ratio"), 0.4, True, "%"),
        Target("Facets: p95", value("facets", "p95_ms"), 100, False, "ms"),
        Target("Memory: largest gunicorn worker RSS", max_worker_rss_mb, 200, False, "MB"),
    ]  # fmt: skip
    return targets


def table_format(rows: list[Row]) -> str:
    header = (
        "endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "SQL/req", "SQL cold",
        "vs healthz",
    )  # fmt: skip
    body = [
        (
            row.label,
            f"{row.requests_per_s:,.0f}",
            *(
                ("-", "-", "-")  # no answer in the measured time: no latency to show
                if row.requests == 0
                else (f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}", f"{row.p99_ms:.1f}")
            ),
            f"{row.error_count:,}",
            "-" if row.queries is None else str(row.queries),
            "-" if row.queries_cold is None else str(row.queries_cold),
            "-" if row.ratio is None else f"{row.ratio * 100:.0f}%",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first, *numbers = cells
        return "  ".join(
            [
                first.ljust(widths[0]),
                *(n.rjust(w) for n, w in zip(numbers, widths[1:], strict=True)),
            ]
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def targets_format(targets: list[Target]) -> str:
    return "\n".join(f"[{'met' if t.met else 'MISSED'}] {t.describe()}" for t in targets)


def results_document(
    *,
    rows: list[Row],
    targets: list[Target],
    started_at: datetime,
    finished_at: datetime,
    config: dict,
    worker_rss_mb: dict[str, float],
    checkout: dict | None,
) -> dict:
    return {
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "config": config,
        "endpoints": [{**asdict(row), "error_count": row.error_count} for row in rows],
        "checkout": checkout,
        "worker_rss_mb": worker_rss_mb,
        "max_worker_rss_mb": max(worker_rss_mb.values(), default=None),
        "targets": [
            {**asdict(target), "met": target.met, "text": target.describe()} for target in targets
        ],
        "table": table_format(rows),
    }


def results_write(document: dict, *, started_at: datetime, folder: Path = RESULTS_DIR) -> Path:
    """bench/results/<UTC timestamp>.json and latest.json (each written whole, then moved)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    path = folder / f"{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    for target in (path, folder / "latest.json"):
        temporary = target.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(target)
    return path
