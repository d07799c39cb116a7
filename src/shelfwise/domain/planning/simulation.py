"""Replay an (s, S) replenishment policy over a demand history, for every series at once.

Before changing a policy a planner wants to know what it would have done: given the
demand that actually happened and the lead times suppliers actually took, what fill
rate would it have reached, on how many days would shelves have been empty, how much
stock (in money) would it have held and how many orders would it have placed?

Each simulated day, in order: deliveries due that day arrive; demand is met from stock
on hand (what cannot be met is lost, as in a shop, and counted short); on review days
(every ``review_period`` days) the inventory position (on hand + on order) is compared
with the reorder point s and, at or below it, an order brings it up to S, rounded up to
whole ``order_multiple`` units; it arrives after that order's lead time. The loop runs
over days; every step covers all series as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SimulationResult:
    """Per-series outcomes (arrays) and their panel totals."""

    fill_rate: np.ndarray
    stockout_days: np.ndarray
    average_units: np.ndarray
    average_inventory_value: np.ndarray
    orders_placed: np.ndarray
    demand: np.ndarray
    filled: np.ndarray

    def totals(self) -> dict[str, float]:
        demand = float(self.demand.sum())
        return {
            "series": int(len(self.demand)),
            "fill_rate": float(self.filled.sum() / demand) if demand > 0 else 1.0,
            "stockout_days": int(self.stockout_days.sum()),
            "average_inventory_value": float(self.average_inventory_value.sum()),
            "average_units": float(self.average_units.sum()),
            "orders_placed": int(self.orders_placed.sum()),
            "demand": demand,
            "filled": float(self.filled.sum()),
        }


def _per_day(values: np.ndarray | float, n: int, days: int, dtype: type) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim == 0:
        return np.full((n, days), arr, dtype=dtype)
    if arr.ndim == 1:
        return np.repeat(arr[:, None], days, axis=1)
    return arr


def simulate_policy(
    demand: np.ndarray,
    reorder_point: np.ndarray | float,
    order_up_to: np.ndarray | float,
    lead_time: np.ndarray | int,
    *,
    initial_on_hand: np.ndarray | float | None = None,
    unit_cost: np.ndarray | float = 1.0,
    review_period: int = 1,
    order_multiple: np.ndarray | int = 1,
) -> SimulationResult:
    """Simulate ``demand[series, days]`` under (s, S) and report the outcome.

    ``reorder_point``/``order_up_to`` are per series (or per series and day, to replay
    levels that were recomputed over time); ``lead_time`` in whole days is per series or
    per series and order day (the lead time an order placed that day actually took).
    Stock starts at ``initial_on_hand`` (default S) with nothing on order.
    """
    demand = np.asarray(demand, dtype=np.float64)
    if demand.ndim != 2 or (demand < 0).any():
        raise ValueError("demand must be a non-negative [series, days] array")
    if review_period < 1:
        raise ValueError("review_period must be at least 1 day")
    n, days = demand.shape
    s = _per_day(reorder_point, n, days, np.float64)
    big_s = _per_day(order_up_to, n, days, np.float64)
    lt = _per_day(lead_time, n, days, np.int64)
    if (lt < 0).any():
        raise ValueError("lead times must be non-negative")
    multiple = np.maximum(np.broadcast_to(np.asarray(order_multiple, dtype=np.int64), (n,)), 1)
    cost = np.broadcast_to(np.asarray(unit_cost, dtype=np.float64), (n,))
    start = big_s[:, 0] if initial_on_hand is None else initial_on_hand
    on_hand = np.broadcast_to(np.asarray(start, dtype=np.float64), (n,)).copy()
    pipeline = np.zeros((n, days + int(lt.max(initial=0)) + 2))
    on_order = np.zeros(n)
    filled = np.zeros(n)
    stockout_days = np.zeros(n, dtype=np.int64)
    held = np.zeros(n)
    orders = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    for t in range(days):
        arriving = pipeline[:, t]
        on_hand += arriving
        on_order -= arriving
        met = np.minimum(on_hand, demand[:, t])
        filled += met
        stockout_days += demand[:, t] > met
        on_hand -= met
        held += on_hand
        if t % review_period == 0:
            position = on_hand + on_order
            gap = np.where(position <= s[:, t], big_s[:, t] - position, 0.0)
            qty = np.ceil(np.maximum(gap, 0.0) / multiple) * multiple
            ordering = qty > 0
            orders += ordering
            on_order += qty
            # ordered at the end of day t: the earliest arrival is the next morning
            np.add.at(pipeline, (rows, t + np.maximum(lt[:, t], 1)), qty)
    total = demand.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(total > 0, filled / total, 1.0)
    average_units = held / max(days, 1)
    return SimulationResult(fill, stockout_days, average_units, average_units * cost, orders,
                            total, filled)
