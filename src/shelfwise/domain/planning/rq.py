"""Continuous-review (r, Q) policies with backorders, normal or Poisson demand.

When the inventory position falls to r, order Q. Notation (Snyder & Shen ch. 5):
lambda and tau are the mean and standard deviation of demand per unit time, L the
lead time, so lead-time demand is N(mu, sigma) with mu = lambda L and
sigma = tau sqrt(L); h and p are holding and backorder costs per unit per unit
time and K the fixed cost per order. The inventory position is uniform on
(r, r + Q], so the expected cost per unit time is

    g(r, Q) = [K lambda + integral_r^{r+Q} G(y) dy] / Q,
    G(y) = h E[(y - D)^+] + p E[(D - y)^+].

With n(x) the loss function and n2(x) = integral_x^inf n(y) dy its second-order
counterpart this is closed-form:
g = K lambda / Q + h (r - mu + Q/2) + (h + p) [n2(r) - n2(r + Q)] / Q.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from shelfwise.domain.planning import normal
from shelfwise.domain.planning.demand import DiscreteDemand
from shelfwise.domain.planning.eoq import economic_order_quantity, eoq_with_backorders
from shelfwise.domain.planning.newsvendor import critical_ratio

_MAX_ITERATIONS = 10_000


@dataclass(frozen=True, slots=True)
class RqPolicy:
    """A reorder point r and order quantity Q, with the cost the method reports."""

    reorder_point: float
    order_quantity: float
    cost: float


@dataclass(frozen=True, slots=True)
class DiscreteRqPolicy:
    """An integer (r, Q) policy and its exact expected cost per unit time."""

    reorder_point: int
    order_quantity: int
    cost: float


@dataclass(frozen=True, slots=True)
class RqFillRate:
    """Type-2 service of an (r, Q) policy.

    ``expected_shortage_per_cycle_approx`` is n(r); ``fill_rate_approx`` = 1 - n(r)/Q (the
    textbook approximation); ``fill_rate_exact`` = 1 - [n(r) - n(r+Q)]/Q (Axsater).
    """

    expected_shortage_per_cycle_approx: float
    fill_rate_approx: float
    fill_rate_exact: float


def lead_time_demand(demand_mean: float, demand_sd: float, lead_time: float) -> tuple[float, float]:
    """(mu, sigma) = (lambda L, tau sqrt(L)) of demand over the lead time."""
    if demand_mean < 0 or demand_sd < 0 or lead_time < 0:
        raise ValueError("demand_mean, demand_sd and lead_time must be non-negative")
    return demand_mean * lead_time, demand_sd * math.sqrt(lead_time)


def _check_costs(holding_cost: float, stockout_cost: float, fixed_cost: float = 1.0) -> None:
    if holding_cost <= 0 or stockout_cost <= 0 or fixed_cost <= 0:
        raise ValueError("holding_cost, stockout_cost and fixed_cost must be positive")


def rq_cost_normal(
    reorder_point: float,
    order_quantity: float,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> float:
    """Exact g(r, Q) per unit time for normal lead-time demand (closed form, module docstring)."""
    if order_quantity <= 0:
        raise ValueError(f"order_quantity must be positive, got {order_quantity}")
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    r, q = reorder_point, order_quantity
    tail = normal.second_order_shortage(r, mu, sigma) - normal.second_order_shortage(
        r + q, mu, sigma
    )
    return (
        fixed_cost * demand_mean / q
        + holding_cost * (r - mu + q / 2.0)
        + (holding_cost + stockout_cost) * tail / q
    )


def _reorder_point_for(q: float, h: float, p: float, mu: float, sigma: float) -> float:
    """Root of n(r) - n(r + Q) = h Q / (h + p), decreasing in r, found by bisection."""
    target = h * q / (h + p)
    spread = 40.0 * sigma + 1.0
    lo, hi = mu - q - spread, mu + spread
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if normal.shortage(mid, mu, sigma) - normal.shortage(mid + q, mu, sigma) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def rq_optimal_r_for_q(
    order_quantity: float,
    holding_cost: float,
    stockout_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> float:
    """r(Q): the best reorder point for a fixed Q, where G(r) = G(r + Q).

    Setting dg/dr = 0 gives G(r) = G(r + Q), i.e. n(r) - n(r + Q) = h Q / (h + p):
    the window (r, r + Q] of inventory positions is centred on the valley of G.
    """
    _check_costs(holding_cost, stockout_cost)
    if order_quantity <= 0:
        raise ValueError(f"order_quantity must be positive, got {order_quantity}")
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    return _reorder_point_for(order_quantity, holding_cost, stockout_cost, mu, sigma)


def _iterate(step: Callable[[float], tuple[float, float]], start: float) -> tuple[float, float]:
    """Run (r, Q) <- step(Q) from Q = start until both stop moving."""
    q, r_prev = start, math.inf
    for _ in range(_MAX_ITERATIONS):
        r, q_next = step(q)
        if abs(r - r_prev) <= 1e-10 * max(1.0, abs(r)) and abs(q_next - q) <= 1e-10 * q:
            return r, q_next
        r_prev, q = r, q_next
    raise ValueError(f"(r,Q) iteration did not converge (last Q {q})")


def rq_eil_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqPolicy:
    """Expected-inventory-level approximation (Hadley & Whitin), S&S Algorithm 5.1.

    Treats p as a cost per unit short and on-hand stock as r - mu + Q/2:
    g~ = h (r - mu + Q/2) + K lambda / Q + p lambda n(r) / Q. Alternating its
    optimality conditions r = F^-1(1 - Q h / (p lambda)) and
    Q = sqrt(2 lambda (K + p n(r)) / h), from Q = EOQ, converges. The cost returned
    is this approximate g~, not the exact cost.
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    h, p, k, lam = holding_cost, stockout_cost, fixed_cost, demand_mean

    def step(q: float) -> tuple[float, float]:
        service = 1.0 - q * h / (p * lam)
        if not 0 < service < 1:
            raise ValueError("EIL approximation undefined: Q h >= p lambda")
        r = normal.quantile(service, mu, sigma)
        return r, math.sqrt(2.0 * lam * (k + p * normal.shortage(r, mu, sigma)) / h)

    start = economic_order_quantity(k, h, lam).order_quantity
    r, q = _iterate(step, start)
    cost = h * (r - mu + q / 2.0) + k * lam / q + p * lam * normal.shortage(r, mu, sigma) / q
    return RqPolicy(r, q, cost)


def rq_eoqb_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqPolicy:
    """EOQB approximation (Zheng 1992): Q = EOQ with planned backorders, r = r(Q).

    Its cost is within 1/8 of optimal; the cost returned is the exact g(r, Q).
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    q = eoq_with_backorders(fixed_cost, holding_cost, stockout_cost, demand_mean).order_quantity
    r = rq_optimal_r_for_q(q, holding_cost, stockout_cost, demand_mean, demand_sd, lead_time)
    cost = rq_cost_normal(
        r, q, holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd, lead_time
    )
    return RqPolicy(r, q, cost)


def rq_eoqss_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqPolicy:
    """EOQ plus safety stock: Q = EOQ, r = mu + z_alpha sigma with alpha = p / (p + h).

    The common practitioner's rule: cycle stock and safety stock chosen separately.
    The cost returned is the exact g(r, Q).
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    q = economic_order_quantity(fixed_cost, holding_cost, demand_mean).order_quantity
    r = normal.quantile(critical_ratio(holding_cost, stockout_cost), mu, sigma)
    cost = rq_cost_normal(
        r, q, holding_cost, stockout_cost, fixed_cost, demand_mean, demand_sd, lead_time
    )
    return RqPolicy(r, q, cost)


def rq_loss_function_approximation(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqPolicy:
    """Loss-function approximation (Hadley & Whitin): the exact optimality conditions
    with the n(r + Q) and n2(r + Q) terms dropped, alternated from Q = EOQ:

        n(r) = h Q / (h + p),    Q = sqrt(2 [K lambda + (h + p) n2(r)] / h).

    Accurate whenever stockouts a whole cycle deep are negligible. Cost is the exact g(r, Q).
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    h, p, k, lam = holding_cost, stockout_cost, fixed_cost, demand_mean

    def step(q: float) -> tuple[float, float]:
        r = normal.shortage_inverse(h * q / (h + p), mu, sigma)
        n2 = normal.second_order_shortage(r, mu, sigma)
        return r, math.sqrt(2.0 * (k * lam + (h + p) * n2) / h)

    r, q = _iterate(step, economic_order_quantity(k, h, lam).order_quantity)
    return RqPolicy(r, q, rq_cost_normal(r, q, h, p, k, lam, demand_sd, lead_time))


def rq_optimal_normal(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqPolicy:
    """Exact optimum of g(r, Q) for normal demand.

    g(r(Q), Q) is convex in Q (Zheng 1992) and, r(Q) being optimal, its derivative
    in Q is the partial one, whose sign is that of
    phi(Q) = h Q^2 / 2 - K lambda - (h + p) [n2(r) - n2(r + Q) - Q n(r + Q)].
    Bisection on phi's single sign change gives Q*, and r* = r(Q*).
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    h, p, k, lam = holding_cost, stockout_cost, fixed_cost, demand_mean

    def slope_sign(q: float) -> float:
        r = _reorder_point_for(q, h, p, mu, sigma)
        n2_gap = normal.second_order_shortage(r, mu, sigma) - normal.second_order_shortage(
            r + q, mu, sigma
        )
        return (
            h * q * q / 2.0 - k * lam - (h + p) * (n2_gap - q * normal.shortage(r + q, mu, sigma))
        )

    lo, hi = 0.0, economic_order_quantity(k, h, lam).order_quantity
    while slope_sign(hi) < 0:
        lo, hi = hi, 2.0 * hi
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if slope_sign(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    q = 0.5 * (lo + hi)
    r = _reorder_point_for(q, h, p, mu, sigma)
    return RqPolicy(r, q, rq_cost_normal(r, q, h, p, k, lam, demand_sd, lead_time))


def rq_cost_poisson(
    reorder_point: int,
    order_quantity: int,
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    lead_time: float,
) -> float:
    """g(r, Q) = [K lambda + sum_{y=r+1}^{r+Q} G(y)] / Q for Poisson(lambda L) lead-time demand."""
    if order_quantity < 1:
        raise ValueError(f"order_quantity must be a positive integer, got {order_quantity}")
    demand = DiscreteDemand.poisson(demand_mean * lead_time)
    total = sum(
        demand.newsvendor_cost(y, holding_cost, stockout_cost)
        for y in range(reorder_point + 1, reorder_point + order_quantity + 1)
    )
    return (fixed_cost * demand_mean + total) / order_quantity


def rq_poisson_exact(
    holding_cost: float,
    stockout_cost: float,
    fixed_cost: float,
    demand_mean: float,
    lead_time: float,
) -> DiscreteRqPolicy:
    """Exact optimal integer (r, Q) for Poisson demand (Federgruen & Zheng 1992).

    G is convex, so the best window of Q inventory positions grows one position at
    a time, toward whichever side has the lower G; start from Q = 1 at the newsvendor
    level S* and stop as soon as the next window's average cost is higher.
    """
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    demand = DiscreteDemand.poisson(demand_mean * lead_time)

    def g(y: int) -> float:
        return demand.newsvendor_cost(y, holding_cost, stockout_cost)

    level = demand.quantile(critical_ratio(holding_cost, stockout_cost))
    r, q = level - 1, 1
    window = g(level)
    cost = (fixed_cost * demand_mean + window) / q
    for _ in range(_MAX_ITERATIONS):
        left, right = g(r), g(r + q + 1)
        next_r = r - 1 if left < right else r
        next_window = window + min(left, right)
        next_cost = (fixed_cost * demand_mean + next_window) / (q + 1)
        if next_cost > cost:
            return DiscreteRqPolicy(r, q, cost)
        r, q, window, cost = next_r, q + 1, next_window, next_cost
    raise ValueError("(r,Q) Poisson search did not terminate")


def rq_fill_rate_normal(
    reorder_point: float,
    order_quantity: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> RqFillRate:
    """Type-2 service (fraction of demand met from stock) of an (r, Q) policy.

    Each cycle, the units short are n(r) - n(r + Q) out of Q demanded; the common
    approximation drops n(r + Q), which is negligible when Q is large relative to sigma.
    """
    if order_quantity <= 0:
        raise ValueError(f"order_quantity must be positive, got {order_quantity}")
    mu, sigma = lead_time_demand(demand_mean, demand_sd, lead_time)
    short = normal.shortage(reorder_point, mu, sigma)
    beyond = normal.shortage(reorder_point + order_quantity, mu, sigma)
    return RqFillRate(short, 1.0 - short / order_quantity, 1.0 - (short - beyond) / order_quantity)
