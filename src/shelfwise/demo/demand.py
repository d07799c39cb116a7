"""The demo's customer demand: one model of orders for every tier of the simulated year.

Each working day (Monday to Saturday) a facility gets orders from the three channels:
B2C web-shop orders (one to three lines of one or two units), marketplace orders (the
same shape) and B2B orders from retailers (a few lines of a few units). An order belongs
to one owner; its items are drawn by their popularity (``Sku.rate``), so a few items
sell every day and the long tail sells now and then. The volume scales with the size of
the catalogue, so a small demo has the same per-item statistics as the full one.

Pure: a ``random.Random`` in, orders out; :func:`expected_daily` gives each item's mean
units per day, which the demo planner uses before it has history.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

#: Orders per facility per working day for the full catalogue (167 items per owner); a
#: smaller catalogue gets fewer orders, but not proportionally fewer (``sqrt``), so its
#: items sell a little more often each.
ORDERS_PER_DAY = 14.0
FULL_CATALOGUE = 3 * 167
#: Relative volume Monday..Sunday (nothing ships on Sundays).
WEEKDAY = (1.2, 1.1, 1.0, 1.0, 1.15, 0.55, 0.0)
CHANNELS = (("b2c", 0.6), ("marketplace", 0.2), ("b2b", 0.2))
MAX_LINES = {"b2c": 3, "marketplace": 3, "b2b": 6}


class Item(Protocol):
    id: int
    owner_id: int
    rate: float  # popularity weight


@dataclass(frozen=True)
class DemoOrder:
    owner_id: int
    channel: str
    lines: tuple[tuple[Item, int], ...]  # (item, units), one line per item


def _line_mean(item: Item, channel: str) -> float:
    """Mean units per line above the first: B2B lines are bigger, popular items too."""
    return (1.5 + item.rate / 2) if channel == "b2b" else (0.8 + item.rate / 8)


def line_qty(rng: random.Random, item: Item, channel: str) -> int:
    m = _line_mean(item, channel)
    return 1 + int(min(rng.expovariate(1 / m), 4 * m))


def _int_exp_mean(m: float) -> float:
    """Mean of ``int(X)`` for an exponential ``X`` of mean ``m`` (caps ignored)."""
    return 1 / (math.exp(1 / m) - 1)


EXTRA_LINES = {"b2c": 0.75, "marketplace": 0.75, "b2b": 2.25}


def _n_lines(rng: random.Random, channel: str) -> int:
    return min(MAX_LINES[channel], 1 + int(rng.expovariate(1 / EXTRA_LINES[channel])))


class DemandModel:
    """Draws a facility's orders for one day."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.by_owner: dict[int, list[Item]] = defaultdict(list)
        for it in items:
            self.by_owner[it.owner_id].append(it)
        self.owners = sorted(self.by_owner)
        self.owner_weight = [sum(i.rate for i in self.by_owner[o]) for o in self.owners]
        self.weights = {o: [i.rate for i in self.by_owner[o]] for o in self.owners}
        self.per_day = ORDERS_PER_DAY * (len(items) / FULL_CATALOGUE) ** 0.5

    def orders(self, rng: random.Random, weekday: int) -> list[DemoOrder]:
        mean = self.per_day * WEEKDAY[weekday]
        if mean <= 0:
            return []
        n = max(1, round(rng.gauss(mean, mean**0.5)))
        out = []
        for _ in range(n):
            channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
            owner = rng.choices(self.owners, self.owner_weight)[0]
            picked = rng.choices(self.by_owner[owner], self.weights[owner],
                                 k=_n_lines(rng, channel))
            units: dict[int, int] = {}
            by_id = {}
            for it in picked:
                by_id[it.id] = it
                units[it.id] = units.get(it.id, 0) + line_qty(rng, it, channel)
            out.append(DemoOrder(owner, channel, tuple((by_id[i], q) for i, q in units.items())))
        return out

    def line_units(self) -> dict[int, float]:
        """Mean units per order line of each item, over the channels' mix of lines."""
        share = {c: w * (1 + _int_exp_mean(EXTRA_LINES[c])) for c, w in CHANNELS}
        total = sum(share.values())
        return {it.id: sum(share[c] / total * (1 + _int_exp_mean(_line_mean(it, c)))
                           for c, _ in CHANNELS)
                for its in self.by_owner.values() for it in its}

    def expected_daily(self) -> dict[int, float]:
        """Mean units per day (calendar days) each item sells at one facility."""
        week = sum(WEEKDAY) / 7
        out: dict[int, float] = defaultdict(float)
        total = sum(self.owner_weight)
        for o, ow in zip(self.owners, self.owner_weight, strict=True):
            for channel, share in CHANNELS:
                lines = (self.per_day * week * share * (ow / total)
                         * (1 + _int_exp_mean(EXTRA_LINES[channel])))
                for it in self.by_owner[o]:
                    out[it.id] += (lines * it.rate / ow
                                   * (1 + _int_exp_mean(_line_mean(it, channel))))
        return dict(out)
