"""Demand history per owner x item x facility (x channel) x day, built set-based from the ledger.

Demand is what customers took: ship movements into a facility's customer location,
summed by SQL ``GROUP BY`` per key and UTC day (one query, however many lines). A
shipment that belongs to an order gets that order's channel; others count as B2C.

Shipments understate demand while a shelf is empty, so two corrections apply:

* where orders exist, units an order line could not get (``backordered``) are added on
  the day the order was placed, and that day is a stockout day;
* end-of-day stock on hand is rebuilt backwards from today's ``stock_levels`` and the
  daily net flow into the facility's physical locations; a day that ended with nothing
  on hand (after the item first arrived) is a stockout day, and when no order told us
  what was really wanted, its demand is raised to the series' in-stock daily mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.locations import LocationKind, is_guarded
from shelfwise.storage.tables import locations, movement_lines, movements, stock_levels

DEFAULT_CHANNEL = "b2c"
CHANNELS: tuple[str, ...] = ("b2b", "b2c", "marketplace")
PHYSICAL_KINDS = tuple(k.value for k in LocationKind if is_guarded(k))


@dataclass(frozen=True)
class DemandHistory:
    """Arrays over series (rows of ``keys``: owner, item, facility) and days from ``start``.

    ``demand`` is corrected demand, ``shipped`` what left, ``stockout`` marks stockout
    days; ``channel_demand[n, c]`` sums each channel's demand over the window and
    ``channel_recent`` over its last ``recent_days``.
    """

    keys: np.ndarray
    start: date
    demand: np.ndarray
    shipped: np.ndarray
    stockout: np.ndarray
    channels: tuple[str, ...]
    channel_demand: np.ndarray
    channel_recent: np.ndarray

    @property
    def days(self) -> int:
        return self.demand.shape[1]


EPOCH = date(1970, 1, 1)


def day_bucket(conn: Connection, column: Any) -> Any:
    """Whole UTC days since 1970-01-01 of a timestamp column, on SQLite and PostgreSQL.

    An integer keeps grouping and the transfer to numpy cheap (no date strings).
    """
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column) / 86400), sa.Integer)
    return sa.cast(sa.func.julianday(column) - 2440587.5, sa.Integer)


def _day_index(values: Any, start: date) -> np.ndarray:
    """Day offsets from ``start`` for a column of epoch days."""
    return np.asarray(values, dtype=np.int64) - (start - EPOCH).days


def _channel_code(column: Any) -> Any:
    """A channel's index in :data:`CHANNELS` (no order, or an unknown channel: B2C)."""
    whens = [(column == name, k) for k, name in enumerate(CHANNELS)]
    return sa.case(*whens, else_=CHANNELS.index(DEFAULT_CHANNEL))


def _scoped(stmt: Any, owner_col: Any, facility_col: Any, owner_ids: Sequence[int] | None,
            facility_id: int | None) -> Any:
    if owner_ids is not None:
        stmt = stmt.where(owner_col.in_(list(owner_ids)))
    if facility_id is not None:
        stmt = stmt.where(facility_col == facility_id)
    return stmt


def _rows(conn: Connection, stmt: Any) -> list[tuple]:
    """Plain DB-API tuples: numpy reads them far faster than result rows."""
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


def _shipments(conn: Connection, since: datetime, until: datetime, owner_ids, facility_id,
               has_orders: bool) -> list[tuple]:
    m, ml = movements, movement_lines
    cust = locations.alias("cust")
    day = day_bucket(conn, m.c.created_at)
    joined = ml.join(m, m.c.id == ml.c.movement_id).join(cust, cust.c.id == ml.c.to_location_id)
    channel: Any = sa.literal(CHANNELS.index(DEFAULT_CHANNEL))
    if has_orders:
        from shelfwise.storage.outbound_tables import orders

        joined = joined.outerjoin(orders, sa.and_(
            m.c.document_type == "order", orders.c.owner_id == m.c.owner_id,
            orders.c.number == m.c.document_id))
        channel = _channel_code(orders.c.channel)
    stmt = (sa.select(m.c.owner_id, ml.c.item_id, cust.c.facility_id, channel, day,
                      sa.cast(sa.func.sum(ml.c.qty), sa.BigInteger))
            .select_from(joined)
            .where(m.c.type == "ship", cust.c.kind == LocationKind.CUSTOMER.value,
                   m.c.created_at >= since, m.c.created_at < until)
            .group_by(m.c.owner_id, ml.c.item_id, cust.c.facility_id, channel, day))
    return _rows(conn, _scoped(stmt, m.c.owner_id, cust.c.facility_id, owner_ids, facility_id))


def _order_shortfalls(conn: Connection, since: datetime, until: datetime, owner_ids,
                      facility_id) -> list[tuple]:
    from shelfwise.storage.outbound_tables import order_lines, orders

    day = day_bucket(conn, orders.c.created_at)
    channel = _channel_code(orders.c.channel)
    stmt = (sa.select(orders.c.owner_id, order_lines.c.item_id, orders.c.facility_id,
                      channel, day,
                      sa.cast(sa.func.sum(order_lines.c.backordered), sa.BigInteger))
            .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
            .where(orders.c.created_at >= since, orders.c.created_at < until,
                   order_lines.c.backordered > 0)
            .group_by(orders.c.owner_id, order_lines.c.item_id, orders.c.facility_id,
                      channel, day))
    return _rows(conn, _scoped(stmt, orders.c.owner_id, orders.c.facility_id, owner_ids,
                               facility_id))


def _net_flows(conn: Connection, since: datetime, owner_ids, facility_id) -> list[tuple]:
    """Daily net quantity into each facility's physical stock from ``since``, ships excluded.

    Only lines with exactly one physical end change a facility's on-hand (putaway, picks
    and moves inside a building net to zero), so the rest are filtered out in SQL.
    Shipments are already known per day and are subtracted by the caller.
    """
    m, ml = movements, movement_lines
    src, dst = locations.alias("src"), locations.alias("dst")
    day = day_bucket(conn, m.c.created_at)
    into = dst.c.kind.in_(PHYSICAL_KINDS)
    out_of = src.c.kind.in_(PHYSICAL_KINDS)
    facility = sa.case((into, dst.c.facility_id), else_=src.c.facility_id)
    signed = sa.case((into, ml.c.qty), else_=-ml.c.qty)
    stmt = (sa.select(ml.c.owner_id, ml.c.item_id, facility, day,
                      sa.cast(sa.func.sum(signed), sa.BigInteger))
            .select_from(ml.join(m, m.c.id == ml.c.movement_id)
                         .join(src, src.c.id == ml.c.from_location_id)
                         .join(dst, dst.c.id == ml.c.to_location_id))
            .where(m.c.created_at >= since, m.c.type != "ship", into != out_of)
            .group_by(ml.c.owner_id, ml.c.item_id, facility, day))
    return _rows(conn, _scoped(stmt, ml.c.owner_id, facility, owner_ids, facility_id))


def _shipped_since(conn: Connection, until: datetime, owner_ids, facility_id) -> list[tuple]:
    """Units shipped from ``until`` (today so far) per key: they left on-hand too."""
    m, ml = movements, movement_lines
    cust = locations.alias("cust")
    stmt = (sa.select(m.c.owner_id, ml.c.item_id, cust.c.facility_id,
                      sa.cast(sa.func.sum(ml.c.qty), sa.BigInteger))
            .select_from(ml.join(m, m.c.id == ml.c.movement_id)
                         .join(cust, cust.c.id == ml.c.to_location_id))
            .where(m.c.type == "ship", m.c.created_at >= until)
            .group_by(m.c.owner_id, ml.c.item_id, cust.c.facility_id))
    return _rows(conn, _scoped(stmt, m.c.owner_id, cust.c.facility_id, owner_ids, facility_id))


def _on_hand_now(conn: Connection, owner_ids, facility_id) -> list[tuple]:
    sl = stock_levels
    stmt = sa.select(sl.c.owner_id, sl.c.item_id, sl.c.facility_id, sl.c.on_hand)
    return _rows(conn, _scoped(stmt, sl.c.owner_id, sl.c.facility_id, owner_ids, facility_id))


def key_index(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row number in ``keys`` (unique [n, k]) of each row of ``rows``; -1 if absent.

    Each column is ranked among the values present, and the k ranks combine into one
    integer code, so matching is a 1-D sort instead of a row-wise one.
    """
    if not len(rows) or not len(keys):
        return np.full(len(rows), -1, dtype=np.int64)
    both = np.concatenate([np.asarray(keys), np.asarray(rows)]).astype(np.int64)
    code = np.zeros(len(both), dtype=np.int64)
    for col in range(both.shape[1]):
        values, rank = np.unique(both[:, col], return_inverse=True)
        code = code * len(values) + rank.reshape(-1)
    key_codes, row_codes = code[:len(keys)], code[len(keys):]
    order = np.argsort(key_codes, kind="stable")
    pos = np.searchsorted(key_codes[order], row_codes)
    pos = np.minimum(pos, len(keys) - 1)
    return np.where(key_codes[order][pos] == row_codes, order[pos], -1)


def _matrix(rows: list[Any], width: int) -> np.ndarray:
    """A numeric result as a float matrix (ids and day numbers are exact in float64)."""
    if not rows:
        return np.zeros((0, width))
    return np.array(rows, dtype=np.float64).reshape(-1, width)


def factorize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys (sorted) of an [m, 3] id array and each row's index into them.

    Each column is ranked among its values and the ranks combine into one integer code,
    so this is a 1-D sort rather than a row-wise one.
    """
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    code = np.zeros(len(rows), dtype=np.int64)
    for col in range(3):
        values, rank = np.unique(rows[:, col], return_inverse=True)
        code = code * len(values) + rank.reshape(-1)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return rows[first], inverse.reshape(-1)


def load_demand(
    conn: Connection, *, start: date, end: date, owner_ids: Sequence[int] | None = None,
    facility_id: int | None = None, extra_keys: np.ndarray | None = None,
    recent_days: int = 28, correct_stockouts: bool = True,
) -> DemandHistory:
    """Demand for days ``start`` <= day < ``end`` for every key that sold (plus ``extra_keys``).

    ``owner_ids`` None means every owner; callers pass the caller's scope.
    """
    days = (end - start).days
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end, time(), UTC)
    has_orders = sa.inspect(conn).has_table("orders")
    shipped_rows = _matrix(_shipments(conn, since, until, owner_ids, facility_id, has_orders),
                           6)
    short_rows = _matrix(_order_shortfalls(conn, since, until, owner_ids, facility_id)
                         if has_orders and correct_stockouts else [], 6)
    extra = (np.zeros((0, 3)) if extra_keys is None
             else np.asarray(extra_keys, dtype=np.float64).reshape(-1, 3))
    keys, inverse = factorize(np.concatenate([shipped_rows[:, :3], short_rows[:, :3], extra]))
    channels = CHANNELS
    shipped = np.zeros((len(keys), days))
    short = np.zeros((len(keys), days))
    by_channel = np.zeros((len(keys), len(channels), days))
    offset = 0
    for rows, target in ((shipped_rows, shipped), (short_rows, short)):
        idx = inverse[offset:offset + len(rows)]
        offset += len(rows)
        day = _day_index(rows[:, 4], start)
        ok = (day >= 0) & (day < days)
        ch = rows[ok, 3].astype(np.int64)
        np.add.at(target, (idx[ok], day[ok]), rows[ok, 5])
        np.add.at(by_channel, (idx[ok], ch, day[ok]), rows[ok, 5])
    demand = shipped + short
    stockout = short > 0
    if correct_stockouts and len(keys):
        empty = _empty_days(conn, keys, start, days, since, until, shipped, owner_ids,
                            facility_id)
        censored = empty & ~stockout
        stockout |= empty
        in_stock = ~stockout
        count = in_stock.sum(axis=1)
        mean = np.where(count > 0, (demand * in_stock).sum(axis=1) / np.maximum(count, 1), 0.0)
        demand = np.where(censored, np.maximum(demand, mean[:, None]), demand)
    recent = by_channel[:, :, -recent_days:].sum(axis=2)
    return DemandHistory(keys, start, demand, shipped, stockout, channels,
                         by_channel.sum(axis=2), recent)


def _empty_days(conn: Connection, keys: np.ndarray, start: date, days: int, since: datetime,
                until: datetime, shipped: np.ndarray, owner_ids, facility_id) -> np.ndarray:
    """Days that ended with nothing on hand, after the item was first in the building."""
    flows = np.zeros((len(keys), days + 1))  # the last column gathers today's flows
    flows[:, :days] -= shipped
    rows = _matrix(_net_flows(conn, since, owner_ids, facility_id), 5)
    idx = key_index(keys, rows[:, :3])
    day = np.minimum(_day_index(rows[:, 3], start), days)
    ok = (idx >= 0) & (day >= 0)
    np.add.at(flows, (idx[ok], day[ok]), rows[ok, 4])
    today = _matrix(_shipped_since(conn, until, owner_ids, facility_id), 4)
    idx = key_index(keys, today[:, :3])
    np.add.at(flows[:, days], idx[idx >= 0], -today[idx >= 0, 3])
    now = np.zeros(len(keys))
    levels = _matrix(_on_hand_now(conn, owner_ids, facility_id), 4)
    idx = key_index(keys, levels[:, :3])
    now[idx[idx >= 0]] = levels[idx >= 0, 3]
    # end of day d = now - flows after day d
    after = np.cumsum(flows[:, ::-1], axis=1)[:, ::-1]
    end_of_day = now[:, None] - np.concatenate([after[:, 1:], np.zeros((len(keys), 1))], axis=1)
    end_of_day = end_of_day[:, :days]
    start_of_window = now - after[:, 0]
    stocked = np.maximum.accumulate(end_of_day > 0, axis=1) | (start_of_window > 0)[:, None]
    return (end_of_day <= 0) & stocked


def history_window(today: date, days: int) -> tuple[date, date]:
    """The ``days`` whole days before ``today`` (today is still happening)."""
    return today - timedelta(days=days), today
