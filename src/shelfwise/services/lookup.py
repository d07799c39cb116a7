"""Lookups by what a handheld scanned: an order number, a carton SSCC, a lot code.

The scanner's "what is this?" screen needs to recognise any label in the building. Items
(GTIN) and locations (barcode) have catalog lookups; these are the rest. Read-only, and
scoped like every query: another owner's order, carton or lot is reported as unknown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.storage.outbound_tables import carton_lines, cartons, orders
from shelfwise.storage.tables import items, lots

Scope = frozenset[int] | None
LIMIT = 20


def orders_by_number(ctx: Context, number: str, scope: Scope) -> list[dict[str, Any]]:
    """Orders with this number (one per owner that used it)."""
    stmt = (sa.select(orders.c.id, orders.c.owner_id, orders.c.number, orders.c.state,
                      orders.c.facility_id, orders.c.wave_id, orders.c.carrier)
            .where(orders.c.number == number).order_by(orders.c.id).limit(LIMIT))
    if scope is not None:
        stmt = stmt.where(orders.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def carton_by_sscc(ctx: Context, sscc: str, scope: Scope) -> dict[str, Any] | None:
    """The packed carton with this SSCC, with its order number and contents."""
    stmt = (sa.select(cartons.c.id, cartons.c.order_id, cartons.c.owner_id, cartons.c.sscc,
                      cartons.c.state, cartons.c.weight_g, orders.c.number.label("order_number"))
            .join(orders, orders.c.id == cartons.c.order_id)
            .where(cartons.c.sscc == sscc))
    if scope is not None:
        stmt = stmt.where(cartons.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        row = conn.execute(stmt).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["lines"] = [dict(r._mapping) for r in conn.execute(
            sa.select(carton_lines.c.item_id, items.c.sku, carton_lines.c.lot, carton_lines.c.qty)
            .join(items, items.c.id == carton_lines.c.item_id)
            .where(carton_lines.c.carton_id == row.id).order_by(carton_lines.c.id))]
    return out


def lots_by_code(ctx: Context, code: str, scope: Scope) -> list[dict[str, Any]]:
    """Lots with this code, of any item (lot codes are unique per item only)."""
    stmt = (sa.select(lots.c.item_id, lots.c.owner_id, lots.c.code, lots.c.expiry, items.c.sku,
                      items.c.description)
            .join(items, items.c.id == lots.c.item_id)
            .where(lots.c.code == code).order_by(lots.c.item_id).limit(LIMIT))
    if scope is not None:
        stmt = stmt.where(lots.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
