"""The simulated warehouse: two brands, two buildings, handheld scans as they are sent.

Built through the real catalog services, so the simulation starts from what a user
would set up. Everything here is deterministic: the same database gets the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog
from shelfwise.services.context import Context

SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno",
           "postcode": "89501", "country": "US"}
#: Lot codes of the butane canisters and their expiry (L2611C first arrives by scan).
LOTS = {"L2406A": date(2027, 6, 30), "L2403B": date(2027, 3, 31), "L2611C": date(2027, 11, 30)}


def gtin(n: int) -> str:
    return with_check_digit(f"0950600{n:06d}")


@dataclass
class Building:
    id: int
    dock: int
    bins: list[int]
    staging: int
    damaged: int
    supplier: int
    customer: int
    adjustment: int
    in_transit: int


@dataclass
class World:
    owners: list[int]
    buildings: list[Building]
    #: item id -> (owner, gtin14, lot-tracked)
    items: dict[int, tuple[int, str, bool]]
    barcodes: dict[int, str]
    lot_expiry: dict[tuple[int, str], date] = field(default_factory=dict)

    def building(self, facility_id: int) -> Building:
        return next(b for b in self.buildings if b.id == facility_id)

    def item_scan(self, item: int, lot: str = "") -> str:
        """What the handheld sends: the plain GTIN, or a GS1-128 label with expiry and lot."""
        _, g, lot_tracked = self.items[item]
        if not lot_tracked:
            return g
        return f"]C101{g}17{self.lot_expiry[(item, lot)]:%y%m%d}10{lot}"


def build(ctx: Context) -> World:
    acme = catalog.create_owner(ctx, "ACME", "Acme Outdoor Co.")["id"]
    nordic = catalog.create_owner(ctx, "NORDIC", "Nordic Home AB")["id"]
    buildings = []
    for code, name, prefix, nbins in (("WH1", "Reno DC", "A", 4), ("WH2", "Columbus DC", "B", 2)):
        fid = catalog.create_facility(ctx, code, name)["id"]
        zone = catalog.create_zone(ctx, fid, prefix, "Ambient")["id"]
        specs = [{"facility_id": fid, "code": f"{code}-DOCK-01", "kind": "receiving"},
                 {"facility_id": fid, "code": f"{code}-STAGE-01", "kind": "staging"},
                 {"facility_id": fid, "code": f"{code}-DMG-01", "kind": "damaged"}]
        specs += [{"facility_id": fid, "code": f"{prefix}-0{n // 2 + 1}-0{n % 2 + 1}-A",
                   "kind": "pick_face" if n == nbins - 1 else "storage", "zone_id": zone,
                   "capacity_units": 400, "path_order": f"{n:03d}"} for n in range(nbins)]
        ids = catalog.create_locations(ctx, specs)

        def v(kind: LocationKind, fid: int = fid) -> int:
            return catalog.virtual_location(ctx, fid, kind)

        buildings.append(Building(fid, ids[0], ids[3:], ids[1], ids[2],
                                  v(LocationKind.SUPPLIER), v(LocationKind.CUSTOMER),
                                  v(LocationKind.ADJUSTMENT), v(LocationKind.IN_TRANSIT)))
    tent = catalog.create_item(ctx, ItemSpec(acme, "TENT-2P", "Two-person tent", (gtin(1),),
                                             unit_cost_cents=8900))["id"]
    gas = catalog.create_item(ctx, ItemSpec(acme, "GAS-230", "Butane canister 230 g", (gtin(2),),
                                            lot_tracked=True, expiry_tracked=True))["id"]
    lamp = catalog.create_item(ctx, ItemSpec(nordic, "LAMP-OAK", "Oak table lamp",
                                             (gtin(3),)))["id"]
    for code in ("L2406A", "L2403B"):
        catalog.create_lot(ctx, gas, code, LOTS[code], None)
    with ctx.read() as conn:
        barcodes = dict(conn.execute(sa.text("SELECT id, barcode FROM locations")).all())
    world = World([acme, nordic], buildings,
                  {tent: (acme, gtin(1), False), gas: (acme, gtin(2), True),
                   lamp: (nordic, gtin(3), False)}, barcodes)
    world.lot_expiry = {(gas, code): exp for code, exp in LOTS.items()}
    return world


def location_facts(ctx: Context) -> tuple[dict[int, LocationKind], dict[int, int]]:
    with ctx.read() as conn:
        rows = conn.execute(sa.text("SELECT id, kind, facility_id FROM locations")).all()
    return {r[0]: LocationKind(r[1]) for r in rows}, {r[0]: r[2] for r in rows}
