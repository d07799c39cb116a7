"""Catalog queries. Every item, lot and GTIN query takes the owner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.ledger import ItemFacts, LocationFacts
from shelfwise.domain.locations import LocationKind
from shelfwise.storage.tables import facilities, item_gtins, items, locations, lots, owners, zones


def location_facts(conn: Connection, ids: Iterable[int], cache: dict) -> dict[int, LocationFacts]:
    """Kind and facility of locations; cached because neither ever changes."""
    store = cache.setdefault("locations", {})
    wanted = {i for i in ids if isinstance(i, int)}
    missing = [i for i in wanted if i not in store]
    if missing:
        for r in conn.execute(
            sa.select(locations.c.id, locations.c.facility_id, locations.c.kind).where(
                locations.c.id.in_(missing)
            )
        ):
            store[r.id] = LocationFacts(r.id, r.facility_id, LocationKind(r.kind))
    return {i: store[i] for i in wanted if i in store}


def item_facts(conn: Connection, ids: Iterable[int], cache: dict) -> dict[int, ItemFacts]:
    """Owner and lot tracking of items; cached because neither may change once created."""
    store = cache.setdefault("items", {})
    wanted = {i for i in ids if isinstance(i, int)}
    missing = [i for i in wanted if i not in store]
    if missing:
        for r in conn.execute(
            sa.select(items.c.id, items.c.owner_id, items.c.lot_tracked).where(
                items.c.id.in_(missing)
            )
        ):
            store[r.id] = ItemFacts(r.id, r.owner_id, bool(r.lot_tracked))
    return {i: store[i] for i in wanted if i in store}


def rows(conn: Connection, stmt: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(stmt)]


def one(conn: Connection, stmt: Any) -> dict[str, Any] | None:
    r = conn.execute(stmt).first()
    return dict(r._mapping) if r else None


def item_with_gtins(conn: Connection, owner_ids: Iterable[int] | None, item_id: int):
    stmt = sa.select(items).where(items.c.id == item_id)
    if owner_ids is not None:
        stmt = stmt.where(items.c.owner_id.in_(list(owner_ids)))
    item = one(conn, stmt)
    if item:
        item["gtins"] = [
            r.gtin
            for r in conn.execute(
                sa.select(item_gtins.c.gtin)
                .where(item_gtins.c.item_id == item_id)
                .order_by(item_gtins.c.id)
            )
        ]
    return item


def gtins_for_items(conn: Connection, item_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in item_ids}
    if item_ids:
        for r in conn.execute(
            sa.select(item_gtins.c.item_id, item_gtins.c.gtin)
            .where(item_gtins.c.item_id.in_(item_ids))
            .order_by(item_gtins.c.id)
        ):
            out[r.item_id].append(r.gtin)
    return out


__all__ = [
    "facilities",
    "item_gtins",
    "items",
    "locations",
    "lots",
    "owners",
    "zones",
    "location_facts",
    "item_facts",
    "rows",
    "one",
]
