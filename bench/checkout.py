"""Checkout under load: many signed-in buyers at once, each checkout being four API calls
(add to cart, check out, create the payment, confirm it with the dummy provider's good
card), driven by one thread per connection so that a checkout's latency is measured whole.

Buyers buy variants (each product of the demo catalog has about three). A few variants
are scarce (a handful of units), so that buyers race for the last ones:
a 409 `insufficient_stock` is the shop's right answer then, counted as sold out, not as
an error. `stock_problems` then compares the stock before and after with what the placed
orders took: any difference, or a negative stock, is overselling.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

STEPS = ("add", "checkout", "pay_create", "pay_confirm")
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
            "steps_p95_ms": {step: percentile(self.steps_ms[step], 0.95) for step in STEPS},
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


def checkout_once(session, base_url: str, buyer: Buyer, product_id: int, stats: CheckoutStats):
    """One whole checkout; answers its latency in ms (raises StepFailed)."""
    headers = {"Authorization": f"Bearer {buyer.token}"}
    bodies = {
        "add": lambda _previous: ("/api/v1/cart/add/", {"variant_id": product_id, "quantity": 1}),
        "checkout": lambda _previous: (
            "/api/v1/cart/checkout/",
            {"shipping_address_id": buyer.address_id},
        ),
        "pay_create": lambda order: ("/api/v1/payments/create/", {"order_id": order["id"]}),
        "pay_confirm": lambda payment: (
            "/api/v1/payments/confirm/",
            {"payment_id": payment["id"], "payment_method": GOOD_CARD},
        ),
    }
    started = time.perf_counter()
    previous: dict = {}
    for step in STEPS:
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


def _buyer_loop(
    *,
    base_url: str,
    buyers: list[Buyer],
    products: list[int],
    scarce: list[int],
    scarce_share: float,
    until: float,
    seed: int,
    stats: CheckoutStats,
) -> None:
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    turn = 0
    while time.perf_counter() < until:
        buyer = buyers[turn % len(buyers)]
        turn += 1
        product_id = rng.choice(scarce if scarce and rng.random() < scarce_share else products)
        try:
            stats.flows_ms.append(checkout_once(session, base_url, buyer, product_id, stats))
        except StepFailed as failure:
            if is_sold_out(failure.status, failure.body):
                stats.sold_out += 1
            else:
                stats.errors[f"{failure.step} {failure.status}"] += 1
                if len(stats.error_samples) < ERROR_SAMPLES:
                    stats.error_samples.append(str(failure))
            # A checkout that failed may leave the product in the cart: empty it.
            session.delete(
                base_url + "/api/v1/cart/",
                headers={"Authorization": f"Bearer {buyer.token}"},
                timeout=30,
            )
        except requests.RequestException as exc:
            stats.errors[f"connection {type(exc).__name__}"] += 1
            if len(stats.error_samples) < ERROR_SAMPLES:
                stats.error_samples.append(repr(exc))
    session.close()


def checkout_load(
    *,
    base_url: str,
    buyers: list[Buyer],
    products: list[int],
    scarce: list[int],
    connections: int,
    duration_s: float,
    scarce_share: float = 0.1,
) -> tuple[CheckoutStats, float]:
    """Run `connections` buyer threads for `duration_s`; each thread has its own buyers
    (a buyer is never in two checkouts at once). Answers the merged stats and the time
    it took."""
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
                "products": products,
                "scarce": scarce,
                "scarce_share": scarce_share,
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
