"""`make bench-scale`: the catalog's reads at several catalog sizes (issue 23).

For each size (BENCH_SCALES, default 10,000, 100,000 and 1,000,000 products) bench.run
seeds or reuses that size's own database (shop_bench_<N>; shop_bench at 100,000), loads
the catalog endpoints with wrk and EXPLAINs their queries; the run is kept as
bench/results/scale-<N>.json. Then bench/scale.md is written from the kept runs: each
endpoint's p95 and share of /healthz/ per size, and, for every query whose time grows
with the catalog, its plan at the largest size.

`python -m bench.scale --render` writes bench/scale.md from the kept runs alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SCALE_MD = ROOT / "bench" / "scale.md"
DEFAULT_SCALES = "10000,100000,1000000"
ENDPOINTS = (
    "api_list", "api_list_deep", "api_filtered", "facets", "search", "search_typo",
    "detail_api",
)  # fmt: skip
GROWTH = 3.0  # a query this many times slower at the largest size than the smallest grows
SHOWN_MS = 1.0  # below this at the largest size, a query's growth is not worth a plan


def kept_path(products: int) -> Path:
    return RESULTS / f"scale-{products}.json"


def run_size(products: int, *, env: dict[str, str]) -> Path:
    """bench.run at `products`, the catalog endpoints only, EXPLAINed; its results kept."""
    command = [
        sys.executable, "-m", "bench.run", "--products", str(products),
        "--only", ",".join(ENDPOINTS), "--explain",
    ]  # fmt: skip
    print(f"=== {products:,} products: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    kept = kept_path(products)
    shutil.copyfile(RESULTS / "latest.json", kept)
    return kept


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.0f}%"
    return f"{value:.1f}"


def growing_queries(runs: list[dict]) -> list[dict]:
    """The slowest query of each endpoint, compared between the smallest and the largest
    size: those that grew by GROWTH or more and take SHOWN_MS or more at the largest."""
    smallest, largest = runs[0], runs[-1]
    grown = []
    for name in ENDPOINTS:
        before = (smallest.get("explain") or {}).get(name) or []
        after = (largest.get("explain") or {}).get(name) or []
        if not after:
            continue
        slowest = after[0]
        first = before[0]["ms"] if before else None
        if slowest["ms"] >= SHOWN_MS and (
            first is None or slowest["ms"] >= GROWTH * max(first, 0.01)
        ):
            grown.append({"endpoint": name, "from_ms": first, **slowest})
    return grown


def render(runs: list[dict], *, notes: str = "") -> str:
    """bench/scale.md: the table per size, the queries that grow and their plans."""
    sizes = [run["config"]["products"] for run in runs]
    rows = {name: {} for name in ENDPOINTS}
    labels = {}
    for run in runs:
        for endpoint in run["endpoints"]:
            if endpoint["name"] in rows:
                rows[endpoint["name"]][run["config"]["products"]] = endpoint
                labels[endpoint["name"]] = endpoint["label"]
    header = ["endpoint"] + [f"{size:,}: p95 ms / share" for size in sizes]
    lines = [
        "# The catalog at three sizes",
        "",
        "Written by `make bench-scale` (bench/scale.py) from the runs kept in "
        "`bench/results/scale-<N>.json`; each size has its own database, seeded in bulk by "
        "`seed_demo` and `seed_orders` (reviews half the products, orders a fifth). "
        "p95 at 32 connections; share: requests a second as a share of `/healthz/` in the "
        "same run.",
        "",
        "Seeding: "
        + ", ".join(
            f"{run['config']['products']:,} in "
            + (
                "(reused)"
                if run["config"]["seed"]["reused"]
                else f"{run['config']['seed']['seconds'] / 60:.1f} min"
            )
            for run in runs
        )
        + ".",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for name in ENDPOINTS:
        cells = [labels.get(name, name)]
        for size in sizes:
            endpoint = rows[name].get(size)
            if endpoint is None or not endpoint["requests"]:
                cells.append("-")
            else:
                cells.append(f"{_number(endpoint['p95_ms'])} / {_number(endpoint['ratio'], '%')}")
        lines.append("| " + " | ".join(cells) + " |")
    healthz = [
        next((e["requests_per_s"] for e in run["endpoints"] if e["name"] == "healthz"), None)
        for run in runs
    ]
    lines += [
        "",
        "`/healthz/` answered "
        + ", ".join(
            f"{rps:,.0f} req/s at {size:,}" for rps, size in zip(healthz, sizes, strict=True) if rps
        )
        + ".",
        "",
        "## Queries whose time grows with the catalog",
        "",
        f"The slowest query of each endpoint on a cold request, EXPLAIN ANALYZEd at each "
        f"size; shown when it is {GROWTH:g} times slower (or more) at {sizes[-1]:,} than at "
        f"{sizes[0]:,} and takes {SHOWN_MS:g} ms or more.",
        "",
    ]
    grown = growing_queries(runs)
    if not grown:
        lines.append("None.")
    for query in grown:
        lines += [
            f"### {labels.get(query['endpoint'], query['endpoint'])}: "
            f"{_number(query['from_ms'])} ms at {sizes[0]:,}, "
            f"{query['ms']:.1f} ms at {sizes[-1]:,}",
            "",
            "```sql",
            query["sql"][:1500],
            "```",
            "",
            "```",
            query["plan"],
            "```",
            "",
        ]
    if notes:
        lines += ["## What was done about them", "", notes.strip(), ""]
    lines.append(f"_Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC._")
    return "\n".join(lines) + "\n"


NOTES = ROOT / "bench" / "scale-notes.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-scale", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scales",
        default=os.environ.get("BENCH_SCALES", DEFAULT_SCALES),
        help=f"Comma-separated catalog sizes (BENCH_SCALES; {DEFAULT_SCALES}).",
    )
    parser.add_argument(
        "--render", action="store_true", help="Only write bench/scale.md from the kept runs."
    )
    options = parser.parse_args(argv)
    try:
        sizes = sorted({int(size) for size in options.scales.split(",") if size.strip()})
    except ValueError:
        parser.error("--scales: comma-separated numbers of products, e.g. 10000,100000.")
    if not sizes:
        parser.error("--scales: at least one size.")
    if not options.render:
        for size in sizes:
            run_size(size, env=dict(os.environ))
    missing = [size for size in sizes if not kept_path(size).exists()]
    if missing:
        sys.exit(f"No kept run for {', '.join(f'{m:,}' for m in missing)}: run without --render.")
    runs = [json.loads(kept_path(size).read_text()) for size in sizes]
    notes = NOTES.read_text() if NOTES.exists() else ""
    SCALE_MD.write_text(render(runs, notes=notes))
    print(f"Written to {SCALE_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
