"""What a plan run reads: stock figures, open purchase orders and supply terms as arrays.

Every read is one set-based query joined to the run's series by key, so gathering the
inputs of a hundred thousand series costs a few queries, not a hundred thousand.
Items without supply terms get :data:`DEFAULT_TERMS` (lead time 7 +/- 2 days, MOQ one
case, $50 per order, 25 % a year to hold, supplier ``DEFAULT``) so a fresh install (or
the demo) plans without extra data.

Lead times are learned from purchase-order receipts where there are enough of them
(:mod:`shelfwise.domain.planning.lead_times`): order (PO created) to first arrival of
the item at the dock (its first receipt movement), aggregated by the database per
owner x supplier x item x facility; a receipt counts for a series when its supplier
text is the series' supplier code or name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.ledger import MovementType
from shelfwise.domain.planning.lead_times import LeadTimes, Moments, choose_lead_times, pool
from shelfwise.domain.planning.policy import Supply
from shelfwise.storage.demand_history import key_index
from shelfwise.storage.planning_tables import supply_terms
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import items, movement_lines, movements, stock_levels

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
    lead_times: LeadTimes | None = None

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
                facility_id: int | None, receipts_since: datetime | None = None) -> Inputs:
    """Stock, open POs and supply terms of each series; lead times learned from the
    purchase orders created since ``receipts_since`` (all of them when None)."""
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
    inputs = _supply(keys, figures, on_order, arrivals, item_rows, terms_rows)
    item_moments, supplier_moments = receipt_lead_times(
        conn, keys, inputs.supplier_code, inputs.supplier_name, owner_ids, facility_id,
        receipts_since)
    learned = choose_lead_times(item_moments, supplier_moments, inputs.supply.lead_time,
                                inputs.supply.lead_time_sd)
    inputs.supply = Supply(learned.mean, learned.sd, inputs.supply.unit_cost,
                           inputs.supply.ordering_cost, inputs.supply.holding_rate)
    inputs.lead_times = learned
    return inputs


def _days_between(conn: Connection, start: Any, end: Any) -> Any:
    """``end - start`` in (fractional) days, in the connection's SQL dialect."""
    if conn.dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return sa.extract("epoch", end - start) / 86400.0


def receipt_lead_times(
    conn: Connection, keys: np.ndarray, supplier_code: np.ndarray, supplier_name: np.ndarray,
    owner_ids: Sequence[int] | None, facility_id: int | None, since: datetime | None,
) -> tuple[Moments, Moments]:
    """Lead-time moments per series: of its own item, and of all items of its supplier.

    One grouped query: per purchase-order line, order time to the first receipt movement
    of the item; per owner x facility x supplier text x item, the count, sum and sum of
    squares of those days. The supplier x facility moments are the item moments pooled.
    """
    n = len(keys)
    r, m, ml = receipts, movements, movement_lines
    arrival = (
        sa.select(r.c.owner_id, r.c.facility_id, r.c.supplier, ml.c.item_id,
                  r.c.created_at.label("ordered"), sa.func.min(m.c.created_at).label("arrived"))
        .select_from(r.join(m, sa.and_(m.c.document_type == "receipt",
                                       m.c.document_id == sa.cast(r.c.id, sa.String),
                                       m.c.type == MovementType.RECEIPT.value))
                     .join(ml, ml.c.movement_id == m.c.id))
        .where(r.c.type == "purchase_order", r.c.supplier != "")
        .group_by(r.c.owner_id, r.c.facility_id, r.c.supplier, ml.c.item_id, r.c.id,
                  r.c.created_at)
    )
    if since is not None:
        arrival = arrival.where(r.c.created_at >= since)
    arrival = _scoped(arrival, r.c.owner_id, r.c.facility_id, owner_ids, facility_id).subquery()
    days = _days_between(conn, arrival.c.ordered, arrival.c.arrived)
    group = (arrival.c.owner_id, arrival.c.facility_id, arrival.c.supplier, arrival.c.item_id)
    rows = conn.execute(sa.select(*group, sa.func.count(), sa.func.sum(days),
                                  sa.func.sum(days * days)).group_by(*group)).all()
    if not rows or not n:
        return Moments.empty(n), Moments.empty(n)
    suppliers = {text: i for i, text in enumerate(sorted({str(row[2]) for row in rows}))}
    found = np.array([[row[0], row[1], suppliers[str(row[2])], row[3]] for row in rows],
                     dtype=np.int64)
    stats = np.array([[float(row[4]), float(row[5]), float(row[6])] for row in rows])
    # supplier x facility: pool the item rows of each owner x facility x supplier
    groups, group_of = np.unique(found[:, :3], axis=0, return_inverse=True)
    pooled = pool(Moments(*stats.T), group_of.reshape(-1), len(groups))

    def lookup(table: np.ndarray, wanted: np.ndarray, moments: Moments) -> Moments:
        at = key_index(table, wanted)
        ok = at >= 0
        return Moments(*(np.where(ok, values[np.maximum(at, 0)], 0.0)
                         for values in (moments.count, moments.total, moments.squares)))

    out = []
    for table, moments, with_item in ((found, Moments(*stats.T), True), (groups, pooled, False)):
        best = Moments.empty(n)
        for texts in (supplier_name, supplier_code):  # the code wins where both match
            distinct, where = np.unique(texts.astype(str), return_inverse=True)
            ids = np.array([suppliers.get(t, -1) for t in distinct], dtype=np.int64)
            ids = ids[where.reshape(-1)]
            wanted = np.column_stack([keys[:, 0], keys[:, 2], ids] + ([keys[:, 1]] if with_item
                                                                      else []))
            hit = lookup(table, wanted, moments)
            better = hit.count > 0
            best = Moments(*(np.where(better, new, old) for new, old in
                             zip((hit.count, hit.total, hit.squares),
                                 (best.count, best.total, best.squares), strict=True)))
        out.append(best)
    return out[0], out[1]


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
