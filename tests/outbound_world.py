"""Outbound test data: a small pick floor with a walking path, FEFO lots and orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, ledger
from shelfwise.services.context import Context
from shelfwise.services.orders import OrderSpec, create_order
from tests.factories import World, build_world, gtin, move

SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno",
           "postcode": "89501", "country": "US"}


@dataclass
class Floor:
    w: World
    far_bin: int  # A-03-05-B, the end of the walk
    tent_gtin: str
    gas_gtin: str
    lamp_gtin: str


def build_floor(ctx: Context) -> Floor:
    w = build_world(ctx)
    far = catalog.create_locations(ctx, [{"facility_id": w.facility, "code": "A-03-05-B",
                                          "kind": "storage"}])[0]
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 6, 30), None)
    catalog.create_lot(ctx, w.lot_item, "L2403B", date(2027, 3, 31), None)
    # receive: tents in two bins, gas canisters of two lots (the earlier expiry is farther)
    ledger.post_movements(ctx, [
        move(w.owner, w.item, w.supplier, w.bins[0], 10, type=MovementType.RECEIPT),
        move(w.owner, w.item, w.supplier, far, 5, type=MovementType.RECEIPT),
        move(w.owner, w.lot_item, w.supplier, w.bins[1], 20, lot="L2406A",
             type=MovementType.RECEIPT),
        move(w.owner, w.lot_item, w.supplier, far, 8, lot="L2403B",
             type=MovementType.RECEIPT),
    ])
    return Floor(w, far, gtin(1), gtin(2), gtin(3))


def order(ctx: Context, f: Floor, number: str, lines: list[tuple[int, int]], **kw) -> dict:
    return create_order(ctx, OrderSpec(f.w.owner, f.w.facility, number, tuple(lines), SHIP_TO,
                                       **kw))


def gas_scan(f: Floor, lot: str, expiry: date) -> str:
    return f"01{f.gas_gtin.zfill(14)}17{expiry:%y%m%d}10{lot}"
