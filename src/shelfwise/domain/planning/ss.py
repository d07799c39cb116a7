"""Periodic-review (s, S) policies: when the inventory position is at or below s, order up to S.

Zero lead time, backorders, and per-period cost K 1{order} + h (on hand) + p
(backorders) at the end of the period (Zheng & Federgruen 1991 convention). G(y)
is the newsvendor cost of ending-position y (see ``demand.DiscreteDemand``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shelfwise.domain.planning.demand import DiscreteDemand
from shelfwise.domain.planning.newsvendor import critical_ratio

_MAX_STEPS = 1_000_000


@dataclass(frozen=True, slots=True)
class SsPolicy:
    """A reorder point s and order-up-to level S (heuristic, so no exact cost)."""

    reorder_point: float
    order_up_to_level: float


@dataclass(frozen=True, slots=True)
class DiscreteSsPolicy:
    """An integer (s, S) policy and its exact expected cost per period."""

    reorder_point: int
    order_up_to_level: int
    cost: float


def ss_power_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
) -> SsPolicy:
    """Ehrhardt & Mosier (1984) power approximation, as in Snyder & Shen eqs. (4.77)-(4.80):

        Q = 1.30 mu^0.494 (K/h)^0.506 (1 + sigma^2/mu^2)^0.116
        z = sqrt(Q h / (sigma p))
        s = 0.973 mu + sigma (0.183 / z + 1.063 - 2.192 z),   S = s + Q.

    A regression fitted to exact optima, good when optimising exactly is not possible
    (normal demand per period mu, sigma; zero lead time). The original paper's
    further adjustment for Q/mu <= 1.5 is not applied, following the textbook.
    """
    if holding_cost <= 0 or stockout_cost <= 0 or fixed_cost <= 0:
        raise ValueError("holding_cost, stockout_cost and fixed_cost must be positive")
    if demand_mean <= 0 or demand_sd <= 0:
        raise ValueError("demand_mean and demand_sd must be positive")
    q = (
        1.30
        * demand_mean**0.494
        * (fixed_cost / holding_cost) ** 0.506
        * (1.0 + (demand_sd / demand_mean) ** 2) ** 0.116
    )
    z = math.sqrt(q / demand_sd * holding_cost / stockout_cost)
    s = 0.973 * demand_mean + demand_sd * (0.183 / z + 1.063 - 2.192 * z)
    return SsPolicy(s, s + q)


class _SsCost:
    """Exact c(s, S) = [K + sum_{d=0}^{S-s-1} m(d) G(S - d)] / M(S - s) (Zheng & Federgruen).

    m(d) is the expected number of periods the position spends at S - d between
    orders (renewal function of demand): m(0) = 1 / (1 - p_0),
    m(j) = m(0) sum_{l=1}^{j} p_l m(j - l); M(j) = sum_{i<j} m(i) is the expected
    cycle length. m and G are memoised because the search reuses them.
    """

    def __init__(
        self, demand: DiscreteDemand, holding_cost: float, stockout_cost: float, fixed_cost: float
    ) -> None:
        p0 = demand.probability(0)
        if demand.lo < 0 or p0 >= 1.0:
            raise ValueError("(s,S) needs non-negative demand that is not always zero")
        self._demand = demand
        self._h, self._p, self._k = holding_cost, stockout_cost, fixed_cost
        self._m = [1.0 / (1.0 - p0)]
        self._big_m = [0.0, self._m[0]]
        self._g: dict[int, float] = {}

    def g(self, y: int) -> float:
        if y not in self._g:
            self._g[y] = self._demand.newsvendor_cost(y, self._h, self._p)
        return self._g[y]

    def _extend(self, length: int) -> None:
        m, prob = self._m, self._demand.probability
        while len(m) < length:
            j = len(m)
            m.append(m[0] * sum(prob(k) * m[j - k] for k in range(1, j + 1)))
            self._big_m.append(self._big_m[-1] + m[-1])

    def __call__(self, s: int, big_s: int) -> float:
        gap = big_s - s
        if gap < 1:
            raise ValueError(f"need s < S, got s={s}, S={big_s}")
        self._extend(gap)
        total = self._k + sum(self._m[d] * self.g(big_s - d) for d in range(gap))
        return total / self._big_m[gap]


def ss_cost_discrete(
    reorder_point: int,
    order_up_to_level: int,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand: DiscreteDemand,
) -> float:
    """Exact expected cost per period of (s, S) under discrete demand per period."""
    return _SsCost(demand, holding_cost, stockout_cost, fixed_cost)(
        reorder_point, order_up_to_level
    )


def ss_exact_discrete(
    holding_cost: float, stockout_cost: float, fixed_cost: float, demand: DiscreteDemand
) -> DiscreteSsPolicy:
    """Optimal (s, S) by the Zheng & Federgruen (1991) algorithm (S&S Algorithm 4.2).

    Start at S = y* (the newsvendor level, minimiser of G) and lower s until
    c(s, S) <= G(s). Then raise S while G(S) is at most the incumbent cost (no
    better S can lie beyond); whenever S improves the incumbent, raise s while
    c(s, S) <= G(s + 1).
    """
    if holding_cost <= 0 or stockout_cost <= 0 or fixed_cost <= 0:
        raise ValueError("holding_cost, stockout_cost and fixed_cost must be positive")
    cost = _SsCost(demand, holding_cost, stockout_cost, fixed_cost)
    best_up_to = demand.quantile(critical_ratio(holding_cost, stockout_cost))
    s = best_up_to - 1
    while cost(s, best_up_to) > cost.g(s):
        s -= 1
    best = cost(s, best_up_to)
    up_to = best_up_to + 1
    for _ in range(_MAX_STEPS):
        if cost.g(up_to) > best:
            return DiscreteSsPolicy(s, best_up_to, best)
        if cost(s, up_to) < best:
            best_up_to = up_to
            while cost(s, best_up_to) <= cost.g(s + 1):
                s += 1
            best = cost(s, best_up_to)
        up_to += 1
    raise ValueError("(s,S) search did not terminate")


def ss_exact_poisson(
    holding_cost: float, stockout_cost: float, fixed_cost: float, demand_mean: float
) -> DiscreteSsPolicy:
    """Optimal (s, S) for Poisson(demand_mean) demand per period."""
    return ss_exact_discrete(
        holding_cost, stockout_cost, fixed_cost, DiscreteDemand.poisson(demand_mean)
    )
