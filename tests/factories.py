"""Realistic test data: a small warehouse with valid GTINs and readable bin codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger
from shelfwise.services.context import Context


@dataclass
class World:
    owner: int
    other_owner: int
    facility: int
    facility2: int
    supplier: int
    customer: int
    adjustment: int
    in_transit2: int
    dock: int
    bins: list[int]
    staging: int
    quarantine: int
    item: int
    lot_item: int
    other_item: int
    bins2: list[int] = field(default_factory=list)


def gtin(n: int) -> str:
    return with_check_digit(f"0950600{n:06d}")


def build_world(ctx: Context) -> World:
    acme = catalog.create_owner(ctx, "ACME", "Acme Outdoor Co.")["id"]
    nordic = catalog.create_owner(ctx, "NORDIC", "Nordic Home AB")["id"]
    wh1 = catalog.create_facility(ctx, "WH1", "Reno DC")["id"]
    wh2 = catalog.create_facility(ctx, "WH2", "Columbus DC")["id"]
    v = {k: catalog.virtual_location(ctx, wh1, k) for k in LocationKind if k in (
        LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.ADJUSTMENT)}
    zone = catalog.create_zone(ctx, wh1, "A", "Ambient")["id"]
    ids = catalog.create_locations(ctx, [
        {"facility_id": wh1, "code": "DOCK-01", "kind": "receiving"},
        {"facility_id": wh1, "code": "A-01-01-A", "kind": "storage", "zone_id": zone},
        {"facility_id": wh1, "code": "A-01-02-A", "kind": "storage", "zone_id": zone},
        {"facility_id": wh1, "code": "A-02-01-A", "kind": "pick_face", "zone_id": zone},
        {"facility_id": wh1, "code": "STAGE-01", "kind": "staging"},
        {"facility_id": wh1, "code": "QUAR-01", "kind": "quarantine"},
        {"facility_id": wh2, "code": "B-01-01-A", "kind": "storage"},
    ])
    item = catalog.create_item(ctx, ItemSpec(acme, "TENT-2P", "Two-person tent", (gtin(1),),
                                             unit_cost_cents=8900))["id"]
    lot_item = catalog.create_item(ctx, ItemSpec(acme, "GAS-230", "Butane canister 230 g",
                                                 (gtin(2),), lot_tracked=True,
                                                 expiry_tracked=True))["id"]
    other = catalog.create_item(ctx, ItemSpec(nordic, "LAMP-OAK", "Oak table lamp",
                                              (gtin(3),)))["id"]
    return World(
        owner=acme, other_owner=nordic, facility=wh1, facility2=wh2,
        supplier=v[LocationKind.SUPPLIER], customer=v[LocationKind.CUSTOMER],
        adjustment=v[LocationKind.ADJUSTMENT],
        in_transit2=catalog.virtual_location(ctx, wh2, LocationKind.IN_TRANSIT),
        dock=ids[0], bins=ids[1:4], staging=ids[4], quarantine=ids[5], item=item,
        lot_item=lot_item, other_item=other, bins2=[ids[6]],
    )


def move(owner: int, item: int, src: int, dst: int, qty: int, *, lot: str = "",
         type: MovementType = MovementType.MOVE, key: str | None = None,
         reason: str = "") -> MovementCommand:
    return MovementCommand(owner_id=owner, type=type,
                           lines=(LineCommand(item, src, dst, qty, lot),),
                           idempotency_key=key, reason=reason, user="tester")


def stock_up(ctx: Context, w: World, qty: int, location: int | None = None) -> None:
    """Receive ``qty`` of the plain item straight into a bin."""
    ledger.post_movement(ctx, move(w.owner, w.item, w.supplier, location or w.bins[0], qty,
                                   type=MovementType.RECEIPT))
