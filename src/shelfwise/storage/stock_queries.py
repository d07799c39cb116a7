"""Reading stock: figures per owner × item × facility, balances per bin and lot, history.

Figures come from ``stock_levels`` (kept in the same transaction as every movement),
so answering "how many are available?" is one primary-key lookup however long the
ledger grows, instead of summing moves.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.storage.tables import (
    balances,
    facilities,
    items,
    locations,
    lots,
    movement_lines,
    movements,
    stock_levels,
)

FIGURES = (
    "on_hand",
    "available",
    "allocated",
    "in_process",
    "held",
    "in_transit",
    "receiving",
    "sellable",
)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    row["available"] = row["sellable"] - row["allocated"]
    return row


def levels(
    conn: Connection,
    scope: frozenset[int] | None,
    *,
    owner_id: int | None = None,
    item_id: int | None = None,
    facility_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    sl = stock_levels
    stmt = (
        sa.select(sl, items.c.sku, facilities.c.code.label("facility_code"))
        .join(items, items.c.id == sl.c.item_id)
        .join(facilities, facilities.c.id == sl.c.facility_id)
        .order_by(sl.c.owner_id, sl.c.item_id, sl.c.facility_id)
        .limit(limit)
        .offset(offset)
    )
    if scope is not None:
        stmt = stmt.where(sl.c.owner_id.in_(list(scope)))
    if owner_id is not None:
        stmt = stmt.where(sl.c.owner_id == owner_id)
    if item_id is not None:
        stmt = stmt.where(sl.c.item_id == item_id)
    if facility_id is not None:
        stmt = stmt.where(sl.c.facility_id == facility_id)
    return [_figures(dict(r._mapping)) for r in conn.execute(stmt)]


_LEVEL_ONE = sa.text(
    "SELECT on_hand, sellable, receiving, in_process, held, in_transit, allocated"
    " FROM stock_levels WHERE owner_id = :o AND item_id = :i AND facility_id = :f"
)


def level(conn: Connection, owner_id: int, item_id: int, facility_id: int) -> dict[str, int]:
    """Figures for one item at one facility: one primary-key lookup."""
    r = conn.execute(_LEVEL_ONE, {"o": owner_id, "i": item_id, "f": facility_id}).first()
    if r is None:
        return {f: 0 for f in FIGURES}
    return _figures(dict(r._mapping))


def facility_totals(
    conn: Connection, scope: frozenset[int] | None, facility_id: int | None = None
) -> list[dict[str, Any]]:
    """Totals per facility and owner (set-based, for dashboards)."""
    sl = stock_levels
    cols = [
        sa.func.sum(getattr(sl.c, c)).label(c)
        for c in (
            "on_hand",
            "sellable",
            "receiving",
            "in_process",
            "held",
            "in_transit",
            "allocated",
        )
    ]
    stmt = (
        sa.select(sl.c.facility_id, sl.c.owner_id, *cols, sa.func.count().label("items"))
        .group_by(sl.c.facility_id, sl.c.owner_id)
        .order_by(sl.c.facility_id, sl.c.owner_id)
    )
    if scope is not None:
        stmt = stmt.where(sl.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(sl.c.facility_id == facility_id)
    return [
        _figures(
            {
                k: (int(v) if v is not None and k != "facility_id" else v)
                for k, v in r._mapping.items()
            }
        )
        for r in conn.execute(stmt)
    ]


def bin_balances(
    conn: Connection,
    scope: frozenset[int] | None,
    *,
    item_id: int | None = None,
    location_id: int | None = None,
    facility_id: int | None = None,
    include_virtual: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    b = balances
    stmt = (
        sa.select(
            b.c.owner_id,
            b.c.item_id,
            items.c.sku,
            b.c.location_id,
            locations.c.code.label("location_code"),
            locations.c.kind,
            b.c.facility_id,
            b.c.lot,
            lots.c.expiry,
            b.c.qty,
            b.c.allocated,
        )
        .join(items, items.c.id == b.c.item_id)
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(lots, sa.and_(lots.c.item_id == b.c.item_id, lots.c.code == b.c.lot))
        .where(b.c.qty != 0)
        .order_by(b.c.item_id, locations.c.path_order, b.c.lot)
        .limit(limit)
        .offset(offset)
    )
    if not include_virtual:
        stmt = stmt.where(b.c.guarded == sa.true())
    if scope is not None:
        stmt = stmt.where(b.c.owner_id.in_(list(scope)))
    if item_id is not None:
        stmt = stmt.where(b.c.item_id == item_id)
    if location_id is not None:
        stmt = stmt.where(b.c.location_id == location_id)
    if facility_id is not None:
        stmt = stmt.where(b.c.facility_id == facility_id)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def history(
    conn: Connection,
    scope: frozenset[int] | None,
    *,
    item_id: int | None = None,
    location_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Ledger lines newest first, keyset-paginated by line id (stable under new posts)."""
    ml, m = movement_lines, movements
    stmt = (
        sa.select(
            ml.c.id.label("line_id"),
            ml.c.movement_id,
            m.c.type,
            m.c.reason,
            m.c.user_name,
            m.c.device,
            m.c.scans,
            m.c.document_type,
            m.c.document_id,
            m.c.created_at,
            ml.c.owner_id,
            ml.c.item_id,
            ml.c.lot,
            ml.c.from_location_id,
            ml.c.to_location_id,
            ml.c.qty,
        )
        .join(m, m.c.id == ml.c.movement_id)
        .order_by(ml.c.id.desc())
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(ml.c.owner_id.in_(list(scope)))
    if item_id is not None:
        stmt = stmt.where(ml.c.item_id == item_id)
    if location_id is not None:
        stmt = stmt.where(
            sa.or_(ml.c.from_location_id == location_id, ml.c.to_location_id == location_id)
        )
    if before_id is not None:
        stmt = stmt.where(ml.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(stmt)]
