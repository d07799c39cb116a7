"""What a plan run reads: stock figures, open purchase orders and supply terms as arrays.

Every read is one set-based query joined to the run's series by key, so gathering the
inputs of a hundred thousand series costs a few queries, not a hundred thousand.
Items without supply terms get :data:`DEFAULT_TERMS` (lead time 7 +/- 2 days, MOQ one
case, $50 per order, 25 % a year to hold, supplier ``DEFAULT``) so a fresh install (or
the demo) plans without extra data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.planning.policy import Supply
from shelfwise.storage.demand_history import key_index
from shelfwise.storage.planning_tables import supply_terms
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import items, stock_levels

DEFAULT_TERMS: dict[str, Any] = {
    "supplier_code": "DEFAULT", "supplier_name": "Default supplier", "lead_time_days": 7.0,
    "lead_time_sd_days": 2.0, "order_multiple": 1, "ordering_cost_cents": 5_000,
    "holding_rate": 0.25,
}
OPEN_PO_STATES = ("open", "receiving")


@dataclass
class Inputs:
    """Per-series inputs aligned with the demand history's keys."""

    sellable: np.ndarray
    receiving: np.ndarray
    allocated: np.ndarray
    in_transit: np.ndarray
    on_order: np.ndarray
    po_arrivals: list[tuple[int, date | None, float]]  # (series, expected date, qty)
    supply: Supply
    moq: np.ndarray
    case_pack: np.ndarray
    order_multiple: np.ndarray
    supplier_code: np.ndarray
    supplier_name: np.ndarray
    has_terms: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """Stock that can serve demand now: sellable and at the dock, less promised units."""
        return np.maximum(self.sellable + self.receiving - self.allocated, 0.0)

    @property
    def available(self) -> np.ndarray:
        return np.maximum(self.sellable - self.allocated, 0.0)

    @property
    def position(self) -> np.ndarray:
        """Inventory position: usable + in transit + on order."""
        return self.usable + self.in_transit + self.on_order


def _scoped(stmt: Any, owner_col: Any, facility_col: Any, owner_ids: Sequence[int] | None,
            facility_id: int | None) -> Any:
    if owner_ids is not None:
        stmt = stmt.where(owner_col.in_(list(owner_ids)))
    if facility_id is not None:
        stmt = stmt.where(facility_col == facility_id)
    return stmt


def stocked_keys(conn: Connection, owner_ids: Sequence[int] | None,
                 facility_id: int | None) -> np.ndarray:
    """Keys with stock on hand or on the way, or with supply terms: they need a plan
    (or can give stock away) even if they did not sell."""
    sl = stock_levels
    a = _scoped(sa.select(sl.c.owner_id, sl.c.item_id, sl.c.facility_id)
                .where(sa.or_(sl.c.on_hand > 0, sl.c.in_transit > 0)),
                sl.c.owner_id, sl.c.facility_id, owner_ids, facility_id)
    st = supply_terms
    b = _scoped(sa.select(st.c.owner_id, st.c.item_id, st.c.facility_id),
                st.c.owner_id, st.c.facility_id, owner_ids, facility_id)
    rows = [tuple(r) for r in conn.execute(a)] + [tuple(r) for r in conn.execute(b)]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _fill(keys: np.ndarray, rows: list[tuple], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's key and its ``width`` values as a float matrix."""
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, width))
    idx = key_index(keys, np.array([r[:3] for r in rows], dtype=np.int64))
    values = np.array([[float(v) for v in r[3:3 + width]] for r in rows]).reshape(-1, width)
    return idx, values


def load_inputs(conn: Connection, keys: np.ndarray, owner_ids: Sequence[int] | None,
                facility_id: int | None) -> Inputs:
    n = len(keys)
    sl = stock_levels
    stmt = _scoped(sa.select(sl.c.owner_id, sl.c.item_id, sl.c.facility_id, sl.c.sellable,
                             sl.c.receiving, sl.c.allocated, sl.c.in_transit),
                   sl.c.owner_id, sl.c.facility_id, owner_ids, facility_id)
    idx, vals = _fill(keys, [tuple(r) for r in conn.execute(stmt)], 4)
    figures = np.zeros((n, 4))
    ok = idx >= 0
    figures[idx[ok]] = vals[ok]

    r, rl = receipts, receipt_lines
    stmt = _scoped(sa.select(r.c.owner_id, rl.c.item_id, r.c.facility_id,
                             rl.c.expected_qty - rl.c.received_qty, r.c.expected_date)
                   .select_from(rl.join(r, r.c.id == rl.c.receipt_id))
                   .where(r.c.type == "purchase_order", r.c.state.in_(OPEN_PO_STATES),
                          rl.c.expected_qty > rl.c.received_qty),
                   r.c.owner_id, r.c.facility_id, owner_ids, facility_id)
    po_rows = [tuple(x) for x in conn.execute(stmt)]
    on_order = np.zeros(n)
    arrivals: list[tuple[int, date | None, float]] = []
    if po_rows:
        pidx = key_index(keys, np.array([x[:3] for x in po_rows], dtype=np.int64))
        for i, row in zip(pidx, po_rows, strict=True):
            if i >= 0:
                on_order[i] += float(row[3])
                arrivals.append((int(i), row[4], float(row[3])))

    item_ids = sorted({int(k) for k in keys[:, 1]}) if n else []
    item_rows = {row.id: row for row in conn.execute(
        sa.select(items.c.id, items.c.case_pack, items.c.unit_cost_cents)
        .where(items.c.id.in_(item_ids)))} if item_ids else {}
    st = supply_terms
    terms_rows = [dict(x._mapping) for x in conn.execute(_scoped(
        sa.select(st), st.c.owner_id, st.c.facility_id, owner_ids, facility_id))]
    return _supply(keys, figures, on_order, arrivals, item_rows, terms_rows)


def _supply(keys: np.ndarray, figures: np.ndarray, on_order: np.ndarray,
            arrivals: list[tuple[int, date | None, float]], item_rows: dict[int, Any],
            terms_rows: list[dict[str, Any]]) -> Inputs:
    n = len(keys)
    case_pack = np.array([max(1, item_rows[int(i)].case_pack) if int(i) in item_rows else 1
                          for i in keys[:, 1]], dtype=np.int64)
    unit_cost = np.array([item_rows[int(i)].unit_cost_cents if int(i) in item_rows else 0
                          for i in keys[:, 1]], dtype=np.float64)
    d = DEFAULT_TERMS
    lead = np.full(n, d["lead_time_days"])
    lead_sd = np.full(n, d["lead_time_sd_days"])
    ordering = np.full(n, float(d["ordering_cost_cents"]))
    holding = np.full(n, d["holding_rate"])
    multiple = np.full(n, d["order_multiple"], dtype=np.int64)
    moq = case_pack.copy()
    code = np.full(n, d["supplier_code"], dtype=object)
    name = np.full(n, d["supplier_name"], dtype=object)
    has = np.zeros(n, dtype=bool)
    if terms_rows:
        tidx = key_index(keys, np.array([[t["owner_id"], t["item_id"], t["facility_id"]]
                                          for t in terms_rows], dtype=np.int64))
        for i, t in zip(tidx, terms_rows, strict=True):
            if i < 0:
                continue
            lead[i], lead_sd[i] = t["lead_time_days"], t["lead_time_sd_days"]
            ordering[i], holding[i] = t["ordering_cost_cents"], t["holding_rate"]
            multiple[i], moq[i], case_pack[i] = t["order_multiple"], t["moq"], t["case_pack"]
            if t["unit_cost_cents"]:
                unit_cost[i] = t["unit_cost_cents"]
            code[i], name[i], has[i] = t["supplier_code"], t["supplier_name"], True
    return Inputs(
        sellable=figures[:, 0], receiving=figures[:, 1], allocated=figures[:, 2],
        in_transit=figures[:, 3], on_order=on_order, po_arrivals=arrivals,
        supply=Supply(lead, lead_sd, unit_cost, ordering, holding), moq=moq,
        case_pack=case_pack, order_multiple=multiple, supplier_code=code, supplier_name=name,
        has_terms=has,
    )
