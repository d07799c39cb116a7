"""The simulation's in-memory model of the warehouse: what stock should be where.

It knows nothing of SQL or services. Stock is a plain counter per (owner, item,
location, lot); reservations are a dict of pending holds. The stock figures a user
sees are derived from it with the domain's own bucket rule, so a database that
drifts from the ledger, double-posts a retried command, leaks a rolled-back write or
forgets to release a hold disagrees with this model at the very step it happens.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.locations import SELLABLE_KINDS, LocationKind, buckets_for

Key = tuple[int, int, int, str]  # owner, item, location, lot


@dataclass(frozen=True)
class Hold:
    key: Key
    facility_id: int
    qty: int


@dataclass
class Model:
    """Expected stock. ``kinds`` and ``facility_of`` describe every location."""

    kinds: dict[int, LocationKind]
    facility_of: dict[int, int]
    qty: Counter = field(default_factory=Counter)
    holds: dict[int, Hold] = field(default_factory=dict)

    # -- changes ---------------------------------------------------------------------

    def move(self, owner: int, item: int, src: int, dst: int, qty: int, lot: str = "") -> None:
        self.qty[(owner, item, src, lot)] -= qty
        self.qty[(owner, item, dst, lot)] += qty

    def reserve(self, hold_id: int, key: Key, qty: int) -> None:
        if hold_id in self.holds:
            raise AssertionError(f"hold {hold_id} reserved twice")
        if self.unreserved(key) < qty:
            raise AssertionError(f"hold {hold_id} reserves {qty} of {key}; only "
                                 f"{self.unreserved(key)} free")
        self.holds[hold_id] = Hold(key, self.facility_of[key[2]], qty)

    def release(self, hold_id: int) -> Hold:
        return self.holds.pop(hold_id)

    # -- questions -------------------------------------------------------------------

    def allocated(self, key: Key) -> int:
        return sum(h.qty for h in self.holds.values() if h.key == key)

    def unreserved(self, key: Key) -> int:
        return self.qty[key] - self.allocated(key)

    def available(self, owner: int, item: int, facility: int,
                  exclude: frozenset[int] = frozenset()) -> int:
        """Unreserved units in the facility's sellable bins (what allocation can give)."""
        return sum(max(0, self.unreserved(k)) for k in list(self.qty)
                   if k[0] == owner and k[1] == item and k[2] not in exclude
                   and self.facility_of[k[2]] == facility
                   and self.kinds[k[2]] in SELLABLE_KINDS)

    def at(self, location: int, owner: int | None = None) -> dict[tuple[int, str], int]:
        """(item, lot) -> qty in one location."""
        return {(k[1], k[3]): q for k, q in sorted(self.qty.items())
                if k[2] == location and q and (owner is None or k[0] == owner)}

    def holds_at(self, key: Key) -> list[tuple[int, int]]:
        """Pending holds on one bin/lot, newest first, as (hold id, qty)."""
        return sorted(((hid, h.qty) for hid, h in self.holds.items() if h.key == key),
                      reverse=True)

    def balances(self) -> dict[Key, tuple[int, int]]:
        alloc: Counter = Counter()
        for h in self.holds.values():
            alloc[h.key] += h.qty
        keys = {k for k, q in self.qty.items() if q} | {k for k, a in alloc.items() if a}
        return {k: (self.qty[k], alloc[k]) for k in keys}

    def levels(self) -> dict[tuple[int, int, int], dict[str, int]]:
        out: dict[tuple[int, int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (o, i, loc, _lot), q in self.qty.items():
            for bucket in buckets_for(self.kinds[loc]):
                out[(o, i, self.facility_of[loc])][bucket] += q
        for h in self.holds.values():
            out[(h.key[0], h.key[1], h.facility_id)]["allocated"] += h.qty
        return {k: {b: v for b, v in d.items() if v} for k, d in out.items()
                if any(d.values())}


LEVEL_COLUMNS = ("on_hand", "sellable", "receiving", "in_process", "held", "in_transit",
                 "allocated")


def compare(model: Model, conn: Connection) -> list[str]:
    """Every way the database disagrees with the model (empty when they agree)."""
    problems: list[str] = []
    db_bal = {(r.owner_id, r.item_id, r.location_id, r.lot): (int(r.qty), int(r.allocated))
              for r in conn.execute(sa.text(
                  "SELECT owner_id, item_id, location_id, lot, qty, allocated FROM balances"
                  " WHERE qty <> 0 OR allocated <> 0"))}
    want = model.balances()
    for k in sorted(set(db_bal) | set(want)):
        if db_bal.get(k, (0, 0)) != want.get(k, (0, 0)):
            problems.append(f"balance {k}: database (qty, allocated) {db_bal.get(k, (0, 0))}, "
                            f"model {want.get(k, (0, 0))}")
    cols = ", ".join(LEVEL_COLUMNS)
    db_lv: dict[tuple[int, int, int], dict[str, int]] = {}
    for r in conn.execute(sa.text(f"SELECT owner_id, item_id, facility_id, {cols}"
                                  " FROM stock_levels")):
        figures = {c: int(v) for c, v in zip(LEVEL_COLUMNS, r[3:], strict=True) if v}
        if figures:
            db_lv[(r[0], r[1], r[2])] = figures
    want_lv = model.levels()
    for k in sorted(set(db_lv) | set(want_lv)):
        if db_lv.get(k, {}) != want_lv.get(k, {}):
            problems.append(f"stock level {k}: database {db_lv.get(k, {})}, "
                            f"model {want_lv.get(k, {})}")
    pending = {r[0]: int(r[1]) for r in conn.execute(sa.text(
        "SELECT id, qty FROM holds WHERE state = 'pending'"))}
    expect = {hid: h.qty for hid, h in model.holds.items()}
    if pending != expect:
        problems.append(f"pending holds: database {sorted(pending.items())}, "
                        f"model {sorted(expect.items())}")
    return problems


def describe(report: dict[str, Any]) -> str:
    """The failing parts of a ``stock.verify`` report, for a divergence message."""
    return ", ".join(f"{k}={v}" for k, v in report.items()
                     if k != "ok" and v and not k.endswith("sample"))
