"""Checkout under load: many signed-in buyers at once, each checkout being the API calls
of a whole purchase (add a variant to the cart, a discount code on a share of them, check
out with a shipping method chosen for the variant's shop, create the payment, confirm it
with the dummy provider's good card), so that a checkout's latency is measured whole.

Two ways to drive it:

- closed loop (`checkout_load`): one thread per connection, each starting its next
  checkout when the last one ended: how many checkouts a second the shop completes with
  that many buyers at once;
- open loop (`checkout_open_loop`): a new buyer arrives every 1/R seconds whatever the
  others do, as on a real shop; a checkout's latency counts from its arrival, so time
  spent waiting for a free thread or buyer counts too (no coordinated omission).
  `capacity_at_slo` steps R up until the p95 of a whole checkout, errors or the stock
  break the service level objective, and `ProcessCpu` reads the CPU time of the server's
  processes (gunicorn, PostgreSQL) over each step.

Buyers buy variants (each product of the demo catalog has about three). A few variants
are scarce (a handful of units), so that buyers race for the last ones:
a 409 `insufficient_stock` is the shop's right answer then, counted as sold out, not as
an error. `stock_problems` then compares the stock before and after with what the placed
orders took: any difference, or a negative stock, is overselling.
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

STEPS = ("add", "voucher", "checkout", "pay_create", "pay_confirm")
GOOD_CARD = "pm_card_visa"
ERROR_SAMPLES = 5


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 < fraction <= 1) of `values`; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]


@dataclass
class Buyer:
    token: str
    address_id: int


@dataclass
class Journey:
    """What the buyers buy: `products` (variant ids, plenty of stock) and `scarce` (a few
    units each, raced for by `scarce_share` of the checkouts); `shipping` names the method
    chosen at checkout for a variant, {variant id: (shop id, method id)} (a variant left out
    gets its shop's cheapest); `voucher` is a discount code entered by `voucher_share` of
    the checkouts."""

    products: list[int]
    scarce: list[int] = field(default_factory=list)
    scarce_share: float = 0.1
    shipping: dict[int, tuple[int, int]] = field(default_factory=dict)
    voucher: str = ""
    voucher_share: float = 0.0

    def pick(self, rng: random.Random) -> tuple[int, bool]:
        """A variant to buy and whether this checkout enters the code."""
        scarce = self.scarce and rng.random() < self.scarce_share
        variant = rng.choice(self.scarce if scarce else self.products)
        return variant, bool(self.voucher) and rng.random() < self.voucher_share


@dataclass
class CheckoutStats:
    flows_ms: list[float] = field(default_factory=list)
    steps_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    requests: int = 0
    sold_out: int = 0
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    def merge(self, other: CheckoutStats) -> None:
        self.flows_ms += other.flows_ms
        for step in STEPS:
            self.steps_ms[step] += other.steps_ms[step]
        self.requests += other.requests
        self.sold_out += other.sold_out
        self.errors.update(other.errors)
        self.error_samples += other.error_samples[: ERROR_SAMPLES - len(self.error_samples)]

    def summary(self, duration_s: float) -> dict:
        return {
            "checkouts": len(self.flows_ms),
            "checkouts_per_s": len(self.flows_ms) / duration_s if duration_s else 0.0,
            "requests": self.requests,
            "requests_per_s": self.requests / duration_s if duration_s else 0.0,
            "p50_ms": percentile(self.flows_ms, 0.50),
            "p95_ms": percentile(self.flows_ms, 0.95),
            "p99_ms": percentile(self.flows_ms, 0.99),
            "steps_p95_ms": {
                step: percentile(self.steps_ms[step], 0.95)
                for step in STEPS
                if self.steps_ms[step] or step != "voucher"
            },
            # Each of the four requests on its own, all steps pooled.
            "request_p95_ms": percentile(
                [ms for step in STEPS for ms in self.steps_ms[step]], 0.95
            ),
            "sold_out": self.sold_out,
            "errors": dict(self.errors),
            "error_samples": self.error_samples,
        }


class StepFailed(Exception):
    def __init__(self, step: str, status: int, body: str) -> None:
        super().__init__(f"{step}: HTTP {status} {body[:300]}")
        self.step, self.status, self.body = step, status, body


def is_sold_out(status: int, body: str) -> bool:
    return status == 409 and "insufficient_stock" in body


def checkout_once(
    session,
    base_url: str,
    buyer: Buyer,
    product_id: int,
    stats: CheckoutStats,
    *,
    journey: Journey | None = None,
    voucher: bool = False,
):
    """One whole checkout of the variant `product_id`; answers its latency in ms (raises
    StepFailed). With `voucher`, the journey's code is entered before checking out."""
    headers = {"Authorization": f"Bearer {buyer.token}"}
    checkout_body: dict = {"shipping_address_id": buyer.address_id}
    chosen = journey.shipping.get(product_id) if journey else None
    if chosen is not None:
        checkout_body["shipping_methods"] = {str(chosen[0]): chosen[1]}
    bodies = {
        "add": lambda _previous: ("/api/v1/cart/add/", {"variant_id": product_id, "quantity": 1}),
        "voucher": lambda _previous: ("/api/v1/cart/voucher/", {"code": journey.voucher}),
        "checkout": lambda _previous: ("/api/v1/cart/checkout/", checkout_body),
        "pay_create": lambda order: ("/api/v1/payments/create/", {"order_id": order["id"]}),
        "pay_confirm": lambda payment: (
            "/api/v1/payments/confirm/",
            {"payment_id": payment["id"], "payment_method": GOOD_CARD},
        ),
    }
    started = time.perf_counter()
    previous: dict = {}
    for step in STEPS:
        if step == "voucher" and not voucher:
            continue
        path, body = bodies[step](previous)
        step_started = time.perf_counter()
        response = session.post(base_url + path, json=body, headers=headers, timeout=30)
        stats.requests += 1
        stats.steps_ms[step].append((time.perf_counter() - step_started) * 1000)
        if response.status_code not in (200, 201):
            raise StepFailed(step, response.status_code, response.text)
        previous = response.json()
    if previous.get("status") != "succeeded":
        raise StepFailed("pay_confirm", 200, f"payment status {previous.get('status')!r}")
    return (time.perf_counter() - started) * 1000


def _attempt(session, base_url: str, buyer: Buyer, journey: Journey, rng, stats, started=None):
    """One checkout with its failures counted: a sold-out variant (409) as sold out, any
    other failure as an error (the cart emptied after it). `started`: when the buyer
    arrived (open loop), else now."""
    import requests

    product_id, voucher = journey.pick(rng)
    try:
        ms = checkout_once(
            session, base_url, buyer, product_id, stats, journey=journey, voucher=voucher
        )
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
        stats.flows_ms.append(ms)
    except StepFailed as failure:
        if is_sold_out(failure.status, failure.body):
            stats.sold_out += 1
        else:
            stats.errors[f"{failure.step} {failure.status}"] += 1
            if len(stats.error_samples) < ERROR_SAMPLES:
                stats.error_samples.append(str(failure))
        # A checkout that failed leaves the product (and the code) in the cart: empty it.
        session.delete(
            base_url + "/api/v1/cart/",
            headers={"Authorization": f"Bearer {buyer.token}"},
            timeout=30,
        )
    except requests.RequestException as exc:
        stats.errors[f"connection {type(exc).__name__}"] += 1
        if len(stats.error_samples) < ERROR_SAMPLES:
            stats.error_samples.append(repr(exc))


def _buyer_loop(
    *, base_url: str, buyers: list[Buyer], journey: Journey, until: float, seed: int, stats
) -> None:
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    turn = 0
    while time.perf_counter() < until:
        buyer = buyers[turn % len(buyers)]
        turn += 1
        _attempt(session, base_url, buyer, journey, rng, stats)
    session.close()


def _journey(journey, products, scarce, scarce_share) -> Journey:
    if journey is not None:
        return journey
    return Journey(products=list(products), scarce=list(scarce or []), scarce_share=scarce_share)


def checkout_load(
    *,
    base_url: str,
    buyers: list[Buyer],
    connections: int,
    duration_s: float,
    journey: Journey | None = None,
    products: list[int] = (),
    scarce: list[int] = (),
    scarce_share: float = 0.1,
) -> tuple[CheckoutStats, float]:
    """Closed loop: `connections` buyer threads for `duration_s`; each thread has its own
    buyers (a buyer is never in two checkouts at once) and starts its next checkout when
    the last one ended. `journey` (or `products`/`scarce`: those variants, nothing else)
    says what is bought. Answers the merged stats and the time it took."""
    journey = _journey(journey, products, scarce, scarce_share)
    connections = max(1, min(connections, len(buyers)))
    shares = [buyers[index::connections] for index in range(connections)]
    results = [CheckoutStats() for _ in shares]
    started = time.perf_counter()
    until = started + duration_s
    threads = [
        threading.Thread(
            target=_buyer_loop,
            kwargs={
                "base_url": base_url,
                "buyers": share,
                "journey": journey,
                "until": until,
                "seed": index,
                "stats": result,
            },
            daemon=True,
        )
        for index, (share, result) in enumerate(zip(shares, results, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = CheckoutStats()
    for result in results:
        total.merge(result)
    return total, elapsed


def checkout_open_loop(
    *,
    base_url: str,
    buyers: list[Buyer],
    journey: Journey,
    rate: float,
    duration_s: float,
    seed: int = 0,
) -> tuple[CheckoutStats, float]:
    """Open loop: a buyer arrives every 1/`rate` seconds for `duration_s`, whatever the
    others do, and checks out; at most one checkout per buyer at a time (an arrival waits
    for a free buyer, and that wait is part of its latency, as is a wait for a thread).
    Answers the stats of every arrival (all finished) and the time until the last ended."""
    import requests

    arrivals = max(1, round(rate * duration_s))
    free: queue.Queue[Buyer] = queue.Queue()
    for buyer in buyers:
        free.put(buyer)
    local = threading.local()
    results: list[CheckoutStats] = []
    results_lock = threading.Lock()

    def thread_stats() -> tuple:
        if not hasattr(local, "stats"):
            local.stats = CheckoutStats()
            local.session = requests.Session()
            local.rng = random.Random(f"{seed}-{threading.get_ident()}")
            with results_lock:
                results.append(local.stats)
        return local.stats, local.session, local.rng

    def arrive(arrived_at: float) -> None:
        stats, session, rng = thread_stats()
        buyer = free.get()
        try:
            _attempt(session, base_url, buyer, journey, rng, stats, started=arrived_at)
        finally:
            free.put(buyer)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(buyers), thread_name_prefix="buyer") as pool:
        for index in range(arrivals):
            due = started + index / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(arrive, due)
    elapsed = time.perf_counter() - started
    total = CheckoutStats()
    for result in results:
        total.merge(result)
    return total, elapsed


# --- CPU of the server's processes -----------------------------------------------------


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_times(pid: int) -> tuple[int, int, int]:
    """(ppid, own CPU ticks, reaped children's CPU ticks) from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    ppid = int(fields[1])
    own = int(fields[11]) + int(fields[12])  # utime, stime
    reaped = int(fields[13]) + int(fields[14])  # cutime, cstime
    return ppid, own, reaped


class ProcessCpu:
    """CPU seconds used by process trees (a root and its descendants), including children
    that ended since the last reading: their time is in the root's cutime/cstime once
    reaped, so the difference of two readings counts each process's CPU exactly once.
    The roots: gunicorn's master (its workers) and PostgreSQL's postmaster (a backend per
    connection, the background writers)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def read(self) -> dict[str, float]:
        table: dict[int, tuple[int, int, int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    table[int(entry.name)] = _process_times(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue  # ended meanwhile
        children: dict[int, list[int]] = {}
        for pid, (ppid, _own, _reaped) in table.items():
            children.setdefault(ppid, []).append(pid)
        seconds = {}
        for name, root in self.roots.items():
            if root not in table:
                seconds[name] = 0.0
                continue
            ticks = table[root][2]  # the root's reaped children
            pending = [root]
            while pending:
                pid = pending.pop()
                ticks += table[pid][1]
                pending += children.get(pid, [])
            seconds[name] = ticks / CLOCK_TICKS
        return seconds


def postmaster_pid(data_directory: str) -> int | None:
    """PostgreSQL's postmaster, from postmaster.pid in its data directory."""
    try:
        return int(Path(data_directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- Capacity at the service level objective --------------------------------------------


@dataclass
class RateStep:
    rate: float
    summary: dict
    cpu_s: dict[str, float]
    problems: list[str]
    slo_ms: float
    # The load generator's own CPU (this process, its buyer threads): on the same cores
    # as the server, so part of what bounds the rate, but not the shop's cost.
    driver_cpu_s: float = 0.0

    @property
    def cpu_ms_per_checkout(self) -> float | None:
        done = self.summary["checkouts"]
        return sum(self.cpu_s.values()) * 1000 / done if done else None

    @property
    def driver_cpu_ms_per_checkout(self) -> float | None:
        done = self.summary["checkouts"]
        return self.driver_cpu_s * 1000 / done if done else None

    @property
    def within_slo(self) -> bool:
        return (
            self.summary["checkouts"] > 0
            and self.summary["p95_ms"] < self.slo_ms
            and not self.summary["errors"]
            and not self.problems
        )

    def as_dict(self) -> dict:
        return {
            "rate": self.rate,
            "within_slo": self.within_slo,
            "cpu_s": self.cpu_s,
            "cpu_ms_per_checkout": self.cpu_ms_per_checkout,
            "driver_cpu_ms_per_checkout": self.driver_cpu_ms_per_checkout,
            "stock_problems": self.problems,
            **self.summary,
        }


def capacity_at_slo(
    run: Callable[[float], RateStep], rates: list[float], *, misses: int = 1
) -> tuple[RateStep | None, list[RateStep]]:
    """Run `run(rate)` for each rate in increasing order until `misses` steps in a row
    miss the objective; answers the highest rate that met it (None: none did) and every
    step run."""
    steps: list[RateStep] = []
    best = None
    missed = 0
    for rate in sorted(rates):
        step = run(rate)
        steps.append(step)
        if step.within_slo:
            best, missed = step, 0
        else:
            missed += 1
            if missed >= misses:
                break
    return best, steps


def stock_problems(
    *, before: dict[int, int], after: dict[int, int], sold: dict[int, int]
) -> list[str]:
    """What is wrong with the stock of the variants in `before`: a negative stock, or a
    decrease that differs from the quantities the placed (not cancelled) orders took."""
    problems = []
    for product_id in sorted(before):
        now = after.get(product_id)
        if now is None:
            problems.append(f"variant {product_id}: missing after the run")
            continue
        if now < 0:
            problems.append(f"variant {product_id}: stock {now} is negative (oversold)")
        taken = before[product_id] - now
        if taken != sold.get(product_id, 0):
            problems.append(
                f"variant {product_id}: stock fell by {taken} but orders took "
                f"{sold.get(product_id, 0)}"
            )
    return problems
