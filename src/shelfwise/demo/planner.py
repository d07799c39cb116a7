"""The demo's planner: a trailing-mean forecast and a min/max policy per item x facility.

This is the planning the demo warehouse ran *before* Shelfwise's own planner: every
evening it forecasts each item at each facility as the mean daily demand of the last
eight weeks (blended with the catalogue's expected rate while history is short). When
the position (on hand plus on order) falls to the reorder point -- the forecast over the
quoted lead time and a day, plus a safety stock -- it orders up to ``ORDER_DAYS`` of
forecast above the reorder point. Suppliers quote ``LEAD_DAYS``; the planner
believes them. Injected planning faults act here: a forecast scaled down for chosen
keys, and a supplier whose real lead time is longer than quoted.

Arrays are indexed ``[facility, item]`` (positions in the demo's lists). Pure numpy;
:meth:`Planner.forecast_rows` gives the rows the demo stores as a planning run so the
diagnosis can read the forecast's accuracy and bias like any other run's.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

LEAD_DAYS = 4  # what every supplier quotes
HISTORY = 56  # days in the trailing mean
ORDER_DAYS = 14  # days of forecast between the reorder point and the order-up-to level
SAFETY_Z = 1.5
CASE_PACKS = (1, 4, 6, 12, 24)


def fitting_case_pack(case_pack: int, daily: float) -> int:
    """Slow movers are bought in eaches: the largest case pack worth at most ten days."""
    return max([c for c in CASE_PACKS if c <= max(1.0, daily * 10)] + [1]) \
        if case_pack > max(1.0, daily * 10) else case_pack


class Planner:
    def __init__(self, prior: np.ndarray, line_units: np.ndarray, case_pack: np.ndarray,
                 days: int, bias: np.ndarray, lead: np.ndarray) -> None:
        """``prior``: expected units/day per ``[facility, item]``; ``line_units``: mean
        units per order line per item; ``bias``: the factor the planner's forecast is off
        by (1 = unbiased); ``lead``: real lead time in days per ``[facility, item]``."""
        self.prior, self.line_units, self.case_pack = prior, line_units, case_pack
        self.bias, self.lead = bias, lead
        shape = prior.shape
        self.demand = np.zeros((*shape, days), dtype=np.float32)
        self.unmet = np.zeros((*shape, days), dtype=np.float32)
        self.fc_log = np.zeros((*shape, days), dtype=np.float32)
        self.window = np.zeros(shape)  # demand of the last HISTORY days
        self.on_order = np.zeros(shape)
        self.pipeline: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        self.quoted: dict[tuple[int, int], list[int]] = defaultdict(list)  # promised days
        #: (facility, item) -> days an order went short while a purchase order was
        #: already later than the supplier quoted (what a late supplier costs)
        self.short_while_late: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.today = 0
        self.f = prior * bias
        self.fc_log[:, :, 0] = self.f
        self.s = np.zeros(shape)
        self.S = np.zeros(shape)

    # -- the day's demand
    def record(self, site: int, item: int, wanted: int, unmet: int = 0) -> None:
        self.demand[site, item, self.today] += wanted
        self.unmet[site, item, self.today] += unmet
        if unmet and any(q < self.today for q in self.quoted[(site, item)]):
            self.short_while_late[(site, item)].add(self.today)

    def arrivals(self, day: int) -> list[tuple[int, int, int]]:
        """Purchase orders due ``day``: ``(facility, item, qty)``."""
        due = self.pipeline.pop(day, [])
        for site, item, qty in due:
            self.on_order[site, item] -= qty
            self.quoted[(site, item)].pop(0)
        return due

    # -- the evening plan
    def close_day(self, on_hand: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Forecast, levels and purchase orders at the end of ``today``; returns the new
        orders ``(facility, item, qty, arrival day)`` and moves to the next day."""
        d = self.today
        self.window += self.demand[:, :, d]
        if d >= HISTORY:
            self.window -= self.demand[:, :, d - HISTORY]
        seen = min(d + 1, HISTORY)
        w = seen / HISTORY
        self.f = ((1 - w) * self.prior + w * self.window / seen) * self.bias
        if d + 1 < self.demand.shape[2]:
            self.fc_log[:, :, d + 1] = self.f
        f = self.f
        # lines arrive like a Poisson stream with about exponential sizes: variance of
        # the lead-time demand ~ 2 x mean x units per line
        safety = SAFETY_Z * np.sqrt(2 * f * (LEAD_DAYS + 1) * self.line_units)
        self.s = np.where(f > 0, np.round(f * (LEAD_DAYS + 1) + safety), -1)
        self.S = np.where(f > 0, self.s + np.maximum(1, np.round(f * ORDER_DAYS)), 0)
        position = on_hand + self.on_order
        need = (position <= self.s) & (position < self.S)
        out = []
        for site, item in zip(*np.nonzero(need), strict=True):
            cp = int(self.case_pack[item])
            qty = int(math.ceil((self.S[site, item] - position[site, item]) / cp) * cp)
            arrive = d + int(self.lead[site, item])
            self.pipeline[arrive].append((int(site), int(item), qty))
            self.quoted[(int(site), int(item))].append(d + LEAD_DAYS)
            self.on_order[site, item] += qty
            out.append((int(site), int(item), qty, arrive))
        self.today += 1
        return out

    # -- what the planner's forecasts were worth
    def accuracy(self, days: int) -> dict[str, np.ndarray]:
        """Bias of the logged forecasts over the last ``days`` days; WAPE and MASE on
        weekly buckets (how the planner reviews accuracy: daily errors of slow movers
        say nothing)."""
        a = self.demand[:, :, -days:].astype(float)
        f = self.fc_log[:, :, -days:].astype(float)
        total = np.maximum(a.sum(axis=2), 1e-9)
        weeks = (days // 7) * 7
        aw = a[:, :, -weeks:].reshape(*a.shape[:2], -1, 7).sum(axis=3)
        fw = f[:, :, -weeks:].reshape(*f.shape[:2], -1, 7).sum(axis=3)
        naive = np.abs(np.diff(aw, axis=2)).mean(axis=2)
        err = fw - aw
        return {"wape": np.abs(err).sum(axis=2) / np.maximum(aw.sum(axis=2), 1e-9),
                "mase": np.abs(err).mean(axis=2) / np.where(naive > 0, naive, 1.0),
                "bias": (f - a).sum(axis=2) / total, "error_sd": (f - a).std(axis=2),
                "zero_share": (a == 0).mean(axis=2), "demand": a.sum(axis=2),
                "stockout_days": (self.unmet[:, :, -days:] > 0).sum(axis=2)}

    def forecast_rows(self, keys: list[tuple[int, int, int, int, int]], on_hand: np.ndarray,
                      days: int) -> list[dict]:
        """Rows for the ``forecasts`` table, one per key that had demand; ``keys`` are
        ``(facility index, item index, owner id, item id, facility id)``."""
        acc = self.accuracy(days)
        rows = []
        for site, item, owner_id, item_id, facility_id in keys:
            if acc["demand"][site, item] <= 0:
                continue
            rows.append({
                "owner_id": owner_id, "item_id": item_id, "facility_id": facility_id,
                "method": "moving_average_56", "demand_class":
                    "intermittent" if acc["zero_share"][site, item] > 0.7 else "smooth",
                "daily_mean": round(float(self.f[site, item]), 4),
                "error_sd": round(float(acc["error_sd"][site, item]), 4),
                "wape": round(float(acc["wape"][site, item]), 4),
                "mase": round(float(acc["mase"][site, item]), 4),
                "bias": round(float(acc["bias"][site, item]), 4),
                "stockout_days": int(acc["stockout_days"][site, item]),
                "inventory_position": float(on_hand[site, item] + self.on_order[site, item]),
                "safety_stock": float(max(0.0, self.s[site, item]
                                          - self.f[site, item] * (LEAD_DAYS + 1))),
                "reorder_point": float(self.s[site, item]),
                "order_up_to": float(self.S[site, item]),
            })
        return rows
