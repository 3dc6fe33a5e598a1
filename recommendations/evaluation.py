"""Measuring "frequently bought together" offline (manage.py evaluate_recommendations).

The paid orders, oldest first, are split by time: the newest `holdout` share is what the
shoppers did next, the rest what the recommender had learnt from. For each held-out
order with two products or more, each of its products asks for ten recommendations: a
hit when one of them is another product of that order (hit rate at 10). The baseline
recommends the ten most bought products. Coverage: how many of those asks got any
"bought together" answer at all (below the minimum support there is none), and the
share of the products sold in the training orders that have partners.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from recommendations.services import baskets_of, counted_orders, pairs_in

K = 10


@dataclass
class Evaluation:
    orders: int
    train_orders: int
    test_orders: int
    asks: int
    hits_together: int
    hits_popular: int
    hits_together_filled: int
    answered: int
    products_with_partners: int
    products_sold: int

    def rate(self, hits: int) -> float:
        return hits / self.asks if self.asks else 0.0

    @property
    def coverage(self) -> float:
        return self.answered / self.asks if self.asks else 0.0

    @property
    def catalog_coverage(self) -> float:
        return self.products_with_partners / self.products_sold if self.products_sold else 0.0


def paid_baskets() -> list[set[int]]:
    """Every counted order's products, oldest payment first."""
    order_ids = list(counted_orders().order_by("paid_at", "pk").values_list("pk", flat=True))
    baskets = []
    for start in range(0, len(order_ids), 2000):
        chunk = order_ids[start : start + 2000]
        found = baskets_of(chunk)
        baskets += [found[order_id] for order_id in chunk if order_id in found]
    return baskets


def evaluate(baskets: list[set[int]], *, holdout: float, min_support: int) -> Evaluation:
    cut = len(baskets) - max(1, math.ceil(len(baskets) * holdout)) if baskets else 0
    train, test = baskets[:cut], baskets[cut:]
    partners: dict[int, Counter] = defaultdict(Counter)
    for (product, other), orders in pairs_in(train).items():
        if orders >= min_support:
            partners[product][other] = orders
    bought = Counter(product for basket in train for product in basket)
    popular = [product for product, _count in bought.most_common(K + 1)]

    def together(product: int) -> list[int]:
        ranked = sorted(partners.get(product, {}).items(), key=lambda item: (-item[1], item[0]))
        return [other for other, _orders in ranked[:K]]

    asks = hits_together = hits_popular = hits_filled = answered = 0
    for basket in test:
        if len(basket) < 2:
            continue
        for product in basket:
            rest = basket - {product}
            mine = together(product)
            baseline = [other for other in popular if other != product][:K]
            filled = (mine + [other for other in baseline if other not in mine])[:K]
            asks += 1
            answered += bool(mine)
            hits_together += bool(rest.intersection(mine))
            hits_popular += bool(rest.intersection(baseline))
            hits_filled += bool(rest.intersection(filled))
    return Evaluation(
        orders=len(baskets),
        train_orders=len(train),
        test_orders=len(test),
        asks=asks,
        hits_together=hits_together,
        hits_popular=hits_popular,
        hits_together_filled=hits_filled,
        answered=answered,
        products_with_partners=len(partners),
        products_sold=len(bought),
    )
