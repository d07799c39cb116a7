"""Economic order quantity family: deterministic demand, the cycle-stock half of planning.

Notation (Snyder & Shen, ch. 3): K fixed cost per order, h holding cost per unit
per year, lambda demand per year, p backorder cost per unit per year, i holding
cost rate (fraction of unit cost per year). Costs are per year.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EoqResult:
    """An order quantity and its annual cost."""

    order_quantity: float
    cost: float


@dataclass(frozen=True, slots=True)
class DiscountResult:
    """The best quantity under a price schedule; region is the 0-based price break used."""

    order_quantity: float
    region: int
    cost: float


@dataclass(frozen=True, slots=True)
class BackorderEoqResult:
    """EOQ with planned backorders; stockout_fraction is the share of each cycle short."""

    order_quantity: float
    stockout_fraction: float
    cost: float


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")


def eoq_cost(
    order_quantity: float, fixed_cost: float, holding_cost: float, demand_rate: float
) -> float:
    """Annual cost g(Q) = K lambda / Q + h Q / 2 of ordering Q at a time (purchase cost excluded).

    Ordering cost falls and holding cost rises with Q; the EOQ is where they meet.
    """
    _require_positive(order_quantity=order_quantity)
    return fixed_cost * demand_rate / order_quantity + holding_cost * order_quantity / 2.0


def economic_order_quantity(
    fixed_cost: float, holding_cost: float, demand_rate: float
) -> EoqResult:
    """Q* = sqrt(2 K lambda / h), with cost g(Q*) = sqrt(2 K lambda h).

    At Q* the annual ordering cost K lambda / Q equals the annual holding cost h Q / 2.
    """
    _require_positive(fixed_cost=fixed_cost, holding_cost=holding_cost, demand_rate=demand_rate)
    quantity = math.sqrt(2.0 * fixed_cost * demand_rate / holding_cost)
    return EoqResult(quantity, eoq_cost(quantity, fixed_cost, holding_cost, demand_rate))


def eoq_with_backorders(
    fixed_cost: float, holding_cost: float, stockout_cost: float, demand_rate: float
) -> BackorderEoqResult:
    """EOQB: Q* = sqrt(2 K lambda (h + p) / (h p)), x* = h / (h + p), g* = Q* h p / (h + p).

    Allowing planned backorders at cost p per unit per year lowers average
    inventory, so the optimal cycle is longer and cheaper than the plain EOQ;
    as p grows the result tends to the EOQ.
    """
    _require_positive(
        fixed_cost=fixed_cost,
        holding_cost=holding_cost,
        stockout_cost=stockout_cost,
        demand_rate=demand_rate,
    )
    h, p = holding_cost, stockout_cost
    quantity = math.sqrt(2.0 * fixed_cost * demand_rate * (h + p) / (h * p))
    return BackorderEoqResult(quantity, h / (h + p), quantity * h * p / (h + p))


def _check_schedule(breakpoints: Sequence[float], unit_costs: Sequence[float]) -> None:
    if len(breakpoints) != len(unit_costs) or not breakpoints:
        raise ValueError("breakpoints and unit_costs must be non-empty and the same length")
    if breakpoints[0] != 0:
        raise ValueError("the first breakpoint must be 0")
    if any(b1 <= b0 for b0, b1 in zip(breakpoints, breakpoints[1:], strict=False)):
        raise ValueError("breakpoints must be strictly increasing")


def eoq_all_units_discount(
    fixed_cost: float,
    holding_cost_rate: float,
    demand_rate: float,
    breakpoints: Sequence[float],
    unit_costs: Sequence[float],
) -> DiscountResult:
    """All-units quantity discount: every unit costs c_j when b_j <= Q < b_{j+1}.

    For each region j with h_j = i c_j, the unconstrained optimum is
    Q_j = sqrt(2 K lambda / h_j); if it lies below b_j the best feasible quantity is
    b_j (the cost is convex in Q), if it lies at or above b_{j+1} the region is
    dominated by the next, cheaper one. The annual cost includes purchasing:
    g_j(Q) = c_j lambda + K lambda / Q + i c_j Q / 2. The cheapest region wins.
    """
    _check_schedule(breakpoints, unit_costs)
    _require_positive(fixed_cost=fixed_cost, holding_cost_rate=holding_cost_rate)
    best: DiscountResult | None = None
    for region, (start, price) in enumerate(zip(breakpoints, unit_costs, strict=True)):
        end = breakpoints[region + 1] if region + 1 < len(breakpoints) else math.inf
        holding = holding_cost_rate * price
        quantity = math.sqrt(2.0 * fixed_cost * demand_rate / holding)
        if quantity >= end:
            continue
        quantity = max(quantity, float(start))
        cost = price * demand_rate + eoq_cost(quantity, fixed_cost, holding, demand_rate)
        if best is None or cost < best.cost:
            best = DiscountResult(quantity, region, cost)
    assert best is not None  # the last region is unbounded, so it is always feasible
    return best


def eoq_incremental_discount(
    fixed_cost: float,
    holding_cost_rate: float,
    demand_rate: float,
    breakpoints: Sequence[float],
    unit_costs: Sequence[float],
) -> DiscountResult:
    """Incremental quantity discount: units between b_j and b_{j+1} cost c_j.

    An order of Q in region j costs cbar_j + c_j (Q - b_j), where
    cbar_j = sum_{i<j} c_i (b_{i+1} - b_i) is the price of the first b_j units. Writing
    a_j = cbar_j - c_j b_j, this is a fixed part a_j plus c_j per unit, so region j is an
    EOQ with fixed cost K + a_j and holding cost i c_j on the variable part:
    Q_j = sqrt(2 lambda (K + a_j) / (i c_j)) and
    g_j(Q) = c_j lambda + i a_j / 2 + (K + a_j) lambda / Q + i c_j Q / 2.
    Only regions whose Q_j is feasible are candidates (the cost is not convex across
    regions, so interior optima are the only local minima); the cheapest wins.
    """
    _check_schedule(breakpoints, unit_costs)
    _require_positive(fixed_cost=fixed_cost, holding_cost_rate=holding_cost_rate)
    best: DiscountResult | None = None
    cumulative = 0.0
    for region, (start, price) in enumerate(zip(breakpoints, unit_costs, strict=True)):
        end = breakpoints[region + 1] if region + 1 < len(breakpoints) else math.inf
        offset = cumulative - price * start
        holding = holding_cost_rate * price
        quantity = math.sqrt(2.0 * demand_rate * (fixed_cost + offset) / holding)
        if start <= quantity <= end:
            cost = (
                price * demand_rate
                + holding_cost_rate * offset / 2.0
                + (fixed_cost + offset) * demand_rate / quantity
                + holding * quantity / 2.0
            )
            if best is None or cost < best.cost:
                best = DiscountResult(quantity, region, cost)
        if end < math.inf:
            cumulative += price * (end - start)
    if best is None:
        raise ValueError("no region has a feasible order quantity")
    return best
