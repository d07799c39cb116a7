"""Set-based KPI queries for diagnostics: control (execution) and management (planning).

Every query takes a :class:`KpiFilter` (owner scope, optional facility and owner, a
half-open time window) and a grouping ``by`` among ``item`` (owner x item x facility),
``zone`` (facility x zone code), ``owner`` and ``facility``; each returns plain dict
rows whose key columns are named ``owner_id``, ``item_id``, ``facility_id``, ``zone``.
The SQL runs the same on SQLite and PostgreSQL: date bucketing and time differences go
through :func:`day_of` and :func:`hours_between`, the only dialect switches here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.counting import FINAL_STATES
from shelfwise.domain.locations import VIRTUAL_KINDS
from shelfwise.storage.counting_tables import count_results, count_tasks
from shelfwise.storage.outbound_tables import order_lines, orders, pick_tasks, shipments
from shelfwise.storage.planning_tables import channel_allocations, forecasts, planning_runs
from shelfwise.storage.receiving_tables import putaway_tasks, receipt_lines, receipts
from shelfwise.storage.tables import (
    facilities,
    holds,
    items,
    locations,
    movement_lines,
    movements,
    scan_exceptions,
    stock_levels,
    zones,
)

GROUPINGS = ("item", "zone", "owner", "facility")
_VIRTUAL = sorted(k.value for k in VIRTUAL_KINDS)
_FINAL_COUNTS = sorted(s.value for s in FINAL_STATES)


@dataclass(frozen=True)
class KpiFilter:
    """Which rows a KPI covers: owners in ``scope`` (None = all), one facility or owner
    when given, and events with ``start <= created_at < end``."""

    start: datetime
    end: datetime
    scope: frozenset[int] | None = None
    facility_id: int | None = None
    owner_id: int | None = None

    def where(self, owner_col: Any, facility_col: Any, time_col: Any | None) -> list[Any]:
        cond = []
        if self.scope is not None:
            cond.append(owner_col.in_(sorted(self.scope)))
        if self.owner_id is not None:
            cond.append(owner_col == self.owner_id)
        if self.facility_id is not None and facility_col is not None:
            cond.append(facility_col == self.facility_id)
        if time_col is not None:
            cond += [time_col >= self.start, time_col < self.end]
        return cond


def day_of(conn: Connection, col: Any) -> Any:
    """The calendar day (UTC) of a timestamp, portable."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(col)
    return sa.cast(sa.func.timezone("UTC", col), sa.Date)


def hours_between(conn: Connection, start: Any, end: Any) -> Any:
    if conn.dialect.name == "sqlite":
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 24.0
    return sa.extract("epoch", end - start) / 3600.0


def _dims(by: str, owner: Any, facility: Any, zone: Any, item: Any) -> list[Any]:
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    if by == "item":
        return [owner.label("owner_id"), item.label("item_id"), facility.label("facility_id")]
    if by == "zone":
        return [facility.label("facility_id"), sa.func.coalesce(zone, "-").label("zone")]
    return [owner.label("owner_id")] if by == "owner" else [facility.label("facility_id")]


def _group(dims: list[Any]) -> list[Any]:
    """GROUP BY the expressions, not their labels (PostgreSQL resolves a bare name to an
    input column first, which is ambiguous across joined tables)."""
    return [getattr(d, "element", d) for d in dims]


def _rows(conn: Connection, stmt: Any) -> list[dict[str, Any]]:
    """Plain rows; PostgreSQL's SUM of integers is a NUMERIC, made a number again here so
    the API answers the same JSON on both backends."""
    return [{k: _plain(v) for k, v in r._mapping.items()} for r in conn.execute(stmt)]


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _i(x: Any) -> Any:
    return sa.func.coalesce(x, 0)


# ------------------------------------------------------------------ control


def count_accuracy(conn: Connection, f: KpiFilter, by: str, tol_pct: float = 0.05,
                   tol_units: int = 1) -> list[dict[str, Any]]:
    """Inventory record accuracy: counts within tolerance, by counts, units and value;
    net and absolute variance in units and cents.

    A *count* is one item in one counted bin: its lot lines together, off when any of
    them is beyond tolerance (a lot booked in the wrong place is a record error even if
    the item's total agrees); ``counts_confirmed_off`` are those found off by a recount
    too. A count that asked for a recount is superseded by the
    recount (the bin was counted once, checked twice), and a cancelled count decided
    nothing, so only final counts are kept (as in the weekly trend); units and value
    are judged line by line."""
    cr, ct = count_results, count_tasks
    loc = locations.alias("cl")
    diff = sa.func.abs(cr.c.counted_qty - cr.c.expected_qty)
    ok = sa.or_(diff <= tol_units, diff * 10000 <= cr.c.expected_qty * int(tol_pct * 10000))
    within = sa.case((ok, 1), else_=0)
    cost = items.c.unit_cost_cents
    inner_dims = [cr.c.owner_id.label("owner_id"), ct.c.facility_id.label("facility_id"),
                  zones.c.code.label("zone"), cr.c.item_id.label("item_id")]
    per_count = (
        sa.select(*inner_dims,
                  sa.func.max(1 - within).label("off"),
                  sa.func.max(sa.case((ct.c.kind == "recount", 1), else_=0)).label("recounted"),
                  sa.func.sum(cr.c.expected_qty).label("expected"),
                  sa.func.sum(within * cr.c.expected_qty).label("units_within"),
                  sa.func.sum(cr.c.expected_qty * cost).label("value_expected"),
                  sa.func.sum(within * cr.c.expected_qty * cost).label("value_within"),
                  sa.func.sum(cr.c.counted_qty - cr.c.expected_qty).label("net"),
                  sa.func.sum(diff).label("abs"),
                  sa.func.sum((cr.c.counted_qty - cr.c.expected_qty) * cost).label("net_value"),
                  sa.func.sum(diff * cost).label("abs_value"))
        .select_from(cr.join(ct, ct.c.id == cr.c.task_id)
                     .join(loc, loc.c.id == ct.c.location_id)
                     .outerjoin(zones, zones.c.id == loc.c.zone_id)
                     .join(items, items.c.id == cr.c.item_id))
        .where(ct.c.state.in_(_FINAL_COUNTS),
               *f.where(cr.c.owner_id, ct.c.facility_id, cr.c.created_at))
        .group_by(cr.c.task_id, cr.c.item_id, cr.c.owner_id, ct.c.facility_id, zones.c.code)
        .subquery("per_count")
    )
    pc = per_count.c
    dims = _dims(by, pc.owner_id, pc.facility_id, pc.zone, pc.item_id)
    stmt = (
        sa.select(*dims,
                  sa.func.count().label("counts"),
                  sa.func.sum(pc.off).label("counts_off"),
                  sa.func.sum(pc.off * pc.recounted).label("counts_confirmed_off"),
                  sa.func.sum(pc.expected).label("units_expected"),
                  sa.func.sum(pc.units_within).label("units_within"),
                  sa.func.sum(pc.value_expected).label("value_expected_cents"),
                  sa.func.sum(pc.value_within).label("value_within_cents"),
                  sa.func.sum(pc.net).label("net_units"),
                  sa.func.sum(pc.abs).label("abs_units"),
                  sa.func.sum(pc.net_value).label("net_value_cents"),
                  sa.func.sum(pc.abs_value).label("abs_value_cents"))
        .group_by(*_group(dims))
    )
    return _rows(conn, stmt)


def _line_place() -> tuple[Any, Any, Any]:
    """The physical side of a movement line: its facility and zone (a receipt's
    destination bin, a pick's source bin)."""
    src, dst = locations.alias("src"), locations.alias("dst")
    phys_zone = sa.func.coalesce(src.c.zone_id, dst.c.zone_id)
    return src, dst, phys_zone


def scan_rates(conn: Connection, f: KpiFilter, by: str) -> list[dict[str, Any]]:
    """Scanned movement lines and refused scans (with the commonest refusal code).

    Scans = movement lines posted with scans + refused scans. A refused scan is placed
    through its task: a pick task gives item and zone, otherwise the expected
    barcode (a location) gives the zone."""
    src, dst, phys_zone = _line_place()
    zl = zones.alias("zl")
    ml, mv = movement_lines, movements
    dims = _dims(by, ml.c.owner_id, src.c.facility_id, zl.c.code, ml.c.item_id)
    keys = [d.name for d in dims]
    scanned = (
        sa.select(*dims, sa.func.count().label("scans"))
        .select_from(ml.join(mv, mv.c.id == ml.c.movement_id)
                     .join(src, src.c.id == ml.c.from_location_id)
                     .join(dst, dst.c.id == ml.c.to_location_id)
                     .outerjoin(zl, zl.c.id == phys_zone))
        .where(mv.c.scans != "[]", mv.c.scans != "",
               *f.where(ml.c.owner_id, src.c.facility_id, mv.c.created_at))
        .group_by(*_group(dims))
    )
    out: dict[tuple, dict[str, Any]] = {}
    for r in _rows(conn, scanned):
        out[tuple(r[k] for k in keys)] = {**r, "scan_exceptions": 0, "top_exception": ""}
    for r in _exception_rows(conn, f, by):
        key = tuple(r[k] for k in keys)
        row = out.setdefault(key, {**{k: r[k] for k in keys}, "scans": 0,
                                   "scan_exceptions": 0, "top_exception": ""})
        if r["n"] > row.get("_top", 0):
            row["_top"], row["top_exception"] = r["n"], r["code"]
        row["scan_exceptions"] += r["n"]
    for row in out.values():
        row.pop("_top", None)
    return list(out.values())


def _exception_rows(conn: Connection, f: KpiFilter, by: str) -> list[dict[str, Any]]:
    se, pt = scan_exceptions, pick_tasks
    bl = locations.alias("bl")
    pl = locations.alias("pl")
    zl = zones.alias("zx")
    zone_id = sa.func.coalesce(pt.c.zone_id, pl.c.zone_id, bl.c.zone_id)
    dims = _dims(by, se.c.owner_id, se.c.facility_id, zl.c.code, pt.c.item_id)
    stmt = (
        sa.select(*dims, se.c.code, sa.func.count().label("n"))
        .select_from(
            se.outerjoin(pt, sa.and_(se.c.task_type == "pick",
                                     sa.cast(pt.c.id, sa.String) == se.c.task_id))
            .outerjoin(pl, pl.c.id == pt.c.location_id)
            .outerjoin(bl, bl.c.barcode == se.c.expected)
            .outerjoin(zl, zl.c.id == zone_id))
        .where(*f.where(se.c.owner_id, se.c.facility_id, se.c.created_at))
        .group_by(*_group(dims), se.c.code)
    )
    return _rows(conn, stmt)


def short_picks(conn: Connection, f: KpiFilter, by: str) -> list[dict[str, Any]]:
    """Pick lines and short picks (tasks closed short, or refused as ``short_pick``)."""
    pt = pick_tasks
    loc = locations.alias("pkl")
    zl = zones.alias("pz")
    short_code = (
        sa.select(sa.literal(1)).where(scan_exceptions.c.task_type == "pick",
                                       scan_exceptions.c.code == "short_pick",
                                       scan_exceptions.c.task_id == sa.cast(pt.c.id, sa.String))
        .exists())
    is_short = sa.case((sa.or_(pt.c.state == "short", short_code), 1), else_=0)
    dims = _dims(by, pt.c.owner_id, loc.c.facility_id, zl.c.code, pt.c.item_id)
    stmt = (
        sa.select(*dims, sa.func.count().label("pick_lines"),
                  sa.func.sum(is_short).label("short_picks"))
        .select_from(pt.join(loc, loc.c.id == pt.c.location_id)
                     .join(holds, holds.c.id == pt.c.hold_id)
                     .outerjoin(zl, zl.c.id == loc.c.zone_id))
        .where(*f.where(pt.c.owner_id, loc.c.facility_id, holds.c.created_at))
        .group_by(*_group(dims))
    )
    return _rows(conn, stmt)


def adjustments(conn: Connection, f: KpiFilter, by: str) -> list[dict[str, Any]]:
    """Adjustment and count movements by reason code: lines, units, value, and the net
    value (stock found is positive, stock written off negative)."""
    src, dst, phys_zone = _line_place()
    zl = zones.alias("za")
    ml, mv = movement_lines, movements
    sign = sa.case((dst.c.kind.in_(_VIRTUAL), -1), else_=1)
    dims = _dims(by, ml.c.owner_id, src.c.facility_id, zl.c.code, ml.c.item_id)
    stmt = (
        sa.select(*dims, mv.c.type.label("type"), mv.c.reason.label("reason"),
                  sa.func.count().label("lines"), sa.func.sum(ml.c.qty).label("units"),
                  sa.func.sum(ml.c.qty * items.c.unit_cost_cents).label("value_cents"),
                  sa.func.sum(sign * ml.c.qty * items.c.unit_cost_cents)
                  .label("net_value_cents"))
        .select_from(ml.join(mv, mv.c.id == ml.c.movement_id)
                     .join(src, src.c.id == ml.c.from_location_id)
                     .join(dst, dst.c.id == ml.c.to_location_id)
                     .join(items, items.c.id == ml.c.item_id)
                     .outerjoin(zl, zl.c.id == phys_zone))
        .where(mv.c.type.in_(["adjustment", "count", "scrap"]),
               *f.where(ml.c.owner_id, src.c.facility_id, mv.c.created_at))
        .group_by(*_group(dims), mv.c.type, mv.c.reason)
    )
    return _rows(conn, stmt)


def flow_times(conn: Connection, f: KpiFilter, by: str) -> dict[str, list[dict[str, Any]]]:
    """Dock-to-stock hours (receipt scan -> putaway done), order cycle hours (first
    allocation -> shipment), on-time ship rate and receiving discrepancy rate. Zone and
    item groupings fall back to facility/owner figures for document-level times."""
    doc_by = "facility" if by == "zone" else ("owner" if by == "item" else by)
    pa = putaway_tasks
    d2s_dims = _dims(doc_by, pa.c.owner_id, pa.c.facility_id, None, pa.c.item_id)
    dock = (sa.select(*d2s_dims, sa.func.count().label("putaways"),
                      sa.func.avg(hours_between(conn, pa.c.created_at, pa.c.closed_at))
                      .label("dock_to_stock_hours"))
            .where(pa.c.closed_at.is_not(None),
                   *f.where(pa.c.owner_id, pa.c.facility_id, pa.c.closed_at))
            .group_by(*_group(d2s_dims)))
    first_hold = (sa.select(holds.c.owner_id, holds.c.document_id,
                            sa.func.min(holds.c.created_at).label("at"))
                  .where(holds.c.document_type == "order")
                  .group_by(holds.c.owner_id, holds.c.document_id).subquery())
    o = orders
    o_dims = _dims(doc_by, o.c.owner_id, o.c.facility_id, None, None)
    on_time = sa.case((sa.or_(o.c.cutoff_at.is_(None), shipments.c.created_at <= o.c.cutoff_at),
                       1), else_=0)
    cycle = (sa.select(*o_dims, sa.func.count().label("shipped_orders"),
                       sa.func.avg(hours_between(conn, first_hold.c.at, shipments.c.created_at))
                       .label("order_cycle_hours"),
                       sa.func.avg(on_time * 1.0).label("on_time_rate"))
             .select_from(o.join(shipments, shipments.c.order_id == o.c.id)
                          .join(first_hold, sa.and_(first_hold.c.owner_id == o.c.owner_id,
                                                    first_hold.c.document_id == o.c.number)))
             .where(*f.where(o.c.owner_id, o.c.facility_id, shipments.c.created_at))
             .group_by(*_group(o_dims)))
    rl, rc = receipt_lines, receipts
    r_dims = _dims(doc_by, rc.c.owner_id, rc.c.facility_id, None, rl.c.item_id)
    off = sa.case((sa.or_(rl.c.received_qty != rl.c.expected_qty, rl.c.damaged_qty > 0), 1),
                  else_=0)
    recv = (sa.select(*r_dims, sa.func.count().label("receipt_lines"),
                      sa.func.avg(off * 1.0).label("receiving_discrepancy_rate"))
            .select_from(rl.join(rc, rc.c.id == rl.c.receipt_id))
            .where(rc.c.closed_at.is_not(None),
                   *f.where(rc.c.owner_id, rc.c.facility_id, rc.c.closed_at))
            .group_by(*_group(r_dims)))
    return {"dock_to_stock": _rows(conn, dock), "order_cycle": _rows(conn, cycle),
            "receiving": _rows(conn, recv)}


# ------------------------------------------------------------------ management


def latest_forecasts(conn: Connection, f: KpiFilter) -> list[dict[str, Any]]:
    """WAPE, MASE and bias per owner x item x facility from the latest plan run (up to
    the window's end) that forecast the key."""
    fc = forecasts
    latest = (sa.select(fc.c.owner_id, fc.c.item_id, fc.c.facility_id,
                        sa.func.max(fc.c.run_id).label("run_id"))
              .join(planning_runs, planning_runs.c.id == fc.c.run_id)
              .where(planning_runs.c.created_at < f.end,
                     *f.where(fc.c.owner_id, fc.c.facility_id, None))
              .group_by(fc.c.owner_id, fc.c.item_id, fc.c.facility_id).subquery())
    stmt = (sa.select(fc.c.owner_id, fc.c.item_id, fc.c.facility_id, fc.c.run_id,
                      fc.c.daily_mean, fc.c.wape, fc.c.mase, fc.c.bias)
            .join(latest, sa.and_(latest.c.owner_id == fc.c.owner_id,
                                  latest.c.item_id == fc.c.item_id,
                                  latest.c.facility_id == fc.c.facility_id,
                                  latest.c.run_id == fc.c.run_id)))
    return _rows(conn, stmt)


def service(conn: Connection, f: KpiFilter) -> list[dict[str, Any]]:
    """Demand, fill rate, stockout days (days with a backordered line) and channel misses
    (units backordered on one channel while another channel's active ring-fence of the
    same key held stock) per owner x item x facility."""
    o, ol, ca = orders, order_lines, channel_allocations
    day = day_of(conn, o.c.created_at)
    fenced = (sa.select(sa.literal(1)).where(
        ca.c.owner_id == ol.c.owner_id, ca.c.item_id == ol.c.item_id,
        ca.c.facility_id == o.c.facility_id, ca.c.active.is_(True),
        ca.c.channel != o.c.channel, ca.c.qty > 0).exists())
    miss = sa.and_(ol.c.backordered > 0, fenced)
    stmt = (sa.select(ol.c.owner_id, ol.c.item_id, o.c.facility_id,
                      sa.func.sum(ol.c.ordered).label("ordered"),
                      sa.func.sum(ol.c.backordered).label("backordered"),
                      sa.func.count(sa.distinct(sa.case((ol.c.backordered > 0, day))))
                      .label("stockout_days"),
                      sa.func.sum(sa.case((miss, ol.c.backordered), else_=0))
                      .label("channel_miss_units"),
                      sa.func.count(sa.distinct(sa.case((miss, day)))).label("channel_miss_days"),
                      sa.func.max(sa.case((miss, o.c.channel))).label("channel_starved"))
            .select_from(ol.join(o, o.c.id == ol.c.order_id))
            .where(o.c.state != "cancelled",
                   *f.where(ol.c.owner_id, o.c.facility_id, o.c.created_at))
            .group_by(ol.c.owner_id, ol.c.item_id, o.c.facility_id))
    return _rows(conn, stmt)


def stock_position(conn: Connection, f: KpiFilter) -> list[dict[str, Any]]:
    """On hand now, its value, and units shipped to customers in the window (for days of
    supply, excess, slow movers and turns), per owner x item x facility."""
    src, dst, _ = _line_place()
    ml, mv = movement_lines, movements
    shipped = (sa.select(ml.c.owner_id, ml.c.item_id, src.c.facility_id,
                         sa.func.sum(ml.c.qty).label("shipped"))
               .select_from(ml.join(mv, mv.c.id == ml.c.movement_id)
                            .join(src, src.c.id == ml.c.from_location_id)
                            .join(dst, dst.c.id == ml.c.to_location_id))
               .where(dst.c.kind == "customer",
                      *f.where(ml.c.owner_id, src.c.facility_id, mv.c.created_at))
               .group_by(ml.c.owner_id, ml.c.item_id, src.c.facility_id).subquery())
    sl = stock_levels
    stmt = (sa.select(sl.c.owner_id, sl.c.item_id, sl.c.facility_id, sl.c.on_hand,
                      (sl.c.sellable - sl.c.allocated).label("available"),
                      items.c.sku, items.c.unit_cost_cents, facilities.c.code.label("facility"),
                      (sl.c.on_hand * items.c.unit_cost_cents).label("value_cents"),
                      _i(shipped.c.shipped).label("shipped"))
            .join(items, items.c.id == sl.c.item_id)
            .join(facilities, facilities.c.id == sl.c.facility_id)
            .outerjoin(shipped, sa.and_(shipped.c.owner_id == sl.c.owner_id,
                                        shipped.c.item_id == sl.c.item_id,
                                        shipped.c.facility_id == sl.c.facility_id))
            .where(*f.where(sl.c.owner_id, sl.c.facility_id, None)))
    return _rows(conn, stmt)


def item_zones(conn: Connection, f: KpiFilter) -> dict[tuple[int, int, int], list[str]]:
    """Zones each owner x item x facility is stored in (bins it has or had a balance in)."""
    from shelfwise.storage.tables import balances

    stmt = (sa.select(balances.c.owner_id, balances.c.item_id, balances.c.facility_id,
                      zones.c.code).distinct()
            .join(locations, locations.c.id == balances.c.location_id)
            .join(zones, zones.c.id == locations.c.zone_id)
            .where(*f.where(balances.c.owner_id, balances.c.facility_id, None)))
    out: dict[tuple[int, int, int], list[str]] = {}
    for r in conn.execute(stmt):
        out.setdefault((r[0], r[1], r[2]), []).append(r[3])
    return {k: sorted(v) for k, v in out.items()}


def facility_codes(conn: Connection) -> dict[int, str]:
    return {r.id: r.code for r in conn.execute(sa.select(facilities.c.id, facilities.c.code))}


def first_activity(conn: Connection, f: KpiFilter) -> datetime | None:
    """When the window's first movement happened (a young database has a short window)."""
    return conn.execute(sa.select(sa.func.min(movements.c.created_at)).where(
        *f.where(movements.c.owner_id, None, movements.c.created_at))).scalar()
