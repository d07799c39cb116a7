"""Positioning stock across facilities: when a transfer beats waiting for a purchase.

A facility projected to run out before a purchase could arrive can borrow from a
sister facility of the same owner that holds more than it needs (days of supply above
a target). A transfer is only worth it when it arrives sooner than the purchase and
costs less than the sales it saves: moving ``q`` units costs ``fixed + q * per_unit``;
waiting loses the units short before the purchase arrives, valued at
``unit_cost * stockout_cost_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TransferTerms:
    """Costs in cents and days; ``excess_days`` is the days-of-supply target above which
    stock is surplus to its facility."""

    lead_time_days: float = 2.0
    fixed_cost: float = 2_500.0
    per_unit_cost: float = 50.0
    stockout_cost_rate: float = 1.0
    excess_days: float = 45.0


@dataclass(frozen=True)
class Move:
    dest: int
    source: int
    qty: int
    short_units: float
    transfer_cost: float
    waiting_cost: float


def surplus(on_hand: np.ndarray, position: np.ndarray, daily: np.ndarray,
            order_up_to: np.ndarray, terms: TransferTerms) -> np.ndarray:
    """Units a facility can give away: position above both its order-up-to level and
    ``excess_days`` of demand, limited to the usable stock physically there."""
    keep = np.maximum(order_up_to, daily * terms.excess_days)
    return np.floor(np.clip(np.minimum(position - keep, on_hand), 0, None)).astype(np.int64)


def plan_transfers(group: np.ndarray, need: np.ndarray, short_units: np.ndarray,
                   purchase_lead_time: np.ndarray, spare: np.ndarray, unit_cost: np.ndarray,
                   case_pack: np.ndarray, terms: TransferTerms) -> list[Move]:
    """Greedy transfers from the largest surplus of the same group (owner x item).

    Loops only over series that need stock, never over the panel. ``need`` is what
    brings a series back to its reorder point, ``short_units`` what it would miss
    before a purchase arrives. Quantities are whole cases where the donor can spare
    them, else whole units.
    """
    spare = spare.astype(np.int64).copy()
    donors: dict[int, list[int]] = {}
    for i in np.flatnonzero(spare > 0):
        donors.setdefault(int(group[i]), []).append(int(i))
    moves: list[Move] = []
    if not donors:
        return moves
    order = np.argsort(-short_units, kind="stable")
    for i in order:
        if need[i] <= 0 or short_units[i] <= 0 or terms.lead_time_days >= purchase_lead_time[i]:
            continue
        candidates = [d for d in donors.get(int(group[i]), []) if d != i and spare[d] > 0]
        if not candidates:
            continue
        src = max(candidates, key=lambda d: spare[d])
        qty = int(min(np.ceil(need[i]), spare[src]))
        pack = max(1, int(case_pack[i]))
        if qty >= pack:
            qty = qty // pack * pack
        saved = min(float(short_units[i]), qty)
        cost = terms.fixed_cost + qty * terms.per_unit_cost
        waiting = saved * float(unit_cost[i]) * terms.stockout_cost_rate
        if qty <= 0 or cost >= waiting:
            continue
        spare[src] -= qty
        moves.append(Move(int(i), src, qty, float(short_units[i]), cost, waiting))
    return moves
