"""Two clients of one 3PL, each with a month of documents: Acme Outdoor (ACME) and Nordic
Home (NORDIC) share the Reno building, a bin, a wave and a billing period. Every portal
and isolation test looks at this world as Acme and must never see a trace of Nordic.

Nordic's markers (its SKUs, descriptions, document numbers, GTINs, lot, tracking numbers
and SSCCs) are collected in :attr:`Tenants.other_markers` so a test can search a page for
every one of them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from shelfwise.barcodes import ScanError
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.domain.ledger import MovementType
from shelfwise.services import (
    billing,
    catalog,
    counting,
    ledger,
    metering,
    picking,
    putaway,
    receiving,
    scans,
    shipping,
)
from shelfwise.services.context import Context
from shelfwise.services.orders import OrderSpec, allocate_order, create_order
from shelfwise.storage.outbound_tables import cartons, shipments
from tests.factories import World, build_world, gtin, move

ACME_SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno",
                "postcode": "89501", "country": "US"}
NORDIC_SHIP_TO = {"name": "Ingrid Svensson", "lines": ["Storgatan 4"], "city": "Uppsala",
                  "postcode": "75320", "country": "SE"}
RATES = {"receipt_lines": 150, "units_received": 25, "units_picked": 30,
         "cartons_packed": 125, "orders_shipped": 200, "units_shipped": 10}


@dataclass
class Tenants:
    w: World
    #: Acme's (the viewer's) documents.
    orders: dict[str, int] = field(default_factory=dict)
    receipts: dict[str, int] = field(default_factory=dict)
    invoices: dict[str, int] = field(default_factory=dict)
    #: Nordic's objects, by kind, to aim requests at.
    other: dict[str, int] = field(default_factory=dict)
    other_codes: dict[str, str] = field(default_factory=dict)
    other_markers: tuple[str, ...] = ()
    own_markers: tuple[str, ...] = ()


def _ship(ctx: Context, w: World, owner: int, number: str, item: int, qty: int,
          ship_to: dict, item_gtin: str) -> int:
    oid = create_order(ctx, OrderSpec(owner, w.facility, number, ((item, qty),),
                                      ship_to))["id"]
    allocate_order(ctx, oid)
    wave = picking.create_waves(ctx, w.facility, order_ids=[oid], user="lead")[0]
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], item_gtin, user="ana")
    shipping.pack_carton(ctx, oid, [item_gtin] * qty, weight_g=1200, user="bo")
    shipping.ship_order(ctx, oid, user="bo")
    return oid


def _receipt(ctx: Context, w: World, owner: int, ref: str, item: int, expected: int,
             received: int, item_gtin: str, close: bool) -> int:
    rid = receiving.create_receipt(ctx, owner_id=owner, facility_id=w.facility, type="asn",
                                   reference=ref, supplier=f"{ref} supplier",
                                   lines=[{"item_id": item, "expected_qty": expected}])["id"]
    receiving.receive_scan(ctx, rid, location_scan="DOCK-01", item_scan=item_gtin,
                           qty=received, user="ana")
    if close:
        receiving.close_receipt(ctx, rid, user="ana")
    return rid


def build_tenants(ctx: Context) -> Tenants:
    w = build_world(ctx)
    t = Tenants(w)
    acme, nordic = w.owner, w.other_owner
    candle = catalog.create_item(ctx, ItemSpec(nordic, "CANDLE-SOY", "Soy candle",
                                               (gtin(4),), lot_tracked=True))["id"]
    catalog.create_lot(ctx, candle, "L2406N", None, None)
    for owner in (acme, nordic):
        billing.put_rate_card(ctx, owner, effective_from=date(2026, 1, 1), currency="USD",
                              minimum_monthly_cents=5_000, rates=RATES, actor="finance")
    # Both clients' stock shares bin A-01-01-A; Nordic also has lamps in quarantine.
    ledger.post_movements(ctx, [
        move(acme, w.item, w.supplier, w.bins[0], 40, type=MovementType.RECEIPT),
        move(nordic, w.other_item, w.supplier, w.bins[0], 30, type=MovementType.RECEIPT),
        move(nordic, candle, w.supplier, w.bins[1], 12, lot="L2406N",
             type=MovementType.RECEIPT),
        move(nordic, w.other_item, w.supplier, w.quarantine, 3, type=MovementType.RECEIPT),
    ])

    t.receipts["ASN-ACME-1001"] = _receipt(ctx, w, acme, "ASN-ACME-1001", w.item, 60, 58,
                                           gtin(1), close=True)
    t.receipts["PO-ACME-1002"] = _receipt(ctx, w, acme, "PO-ACME-1002", w.item, 10, 4,
                                          gtin(1), close=False)
    other_receipt = _receipt(ctx, w, nordic, "ASN-NORDIC-7001", w.other_item, 25, 27,
                             gtin(3), close=True)

    t.orders["SO-ACME-2001"] = _ship(ctx, w, acme, "SO-ACME-2001", w.item, 6, ACME_SHIP_TO,
                                     gtin(1))
    other_shipped = _ship(ctx, w, nordic, "SO-NORDIC-9001", w.other_item, 4, NORDIC_SHIP_TO,
                          gtin(3))
    # One wave holds an order of each client, not yet picked.
    a2 = create_order(ctx, OrderSpec(acme, w.facility, "SO-ACME-2002", ((w.item, 3),),
                                     ACME_SHIP_TO))["id"]
    n2 = create_order(ctx, OrderSpec(nordic, w.facility, "SO-NORDIC-9002",
                                     ((w.other_item, 2),), NORDIC_SHIP_TO))["id"]
    for oid in (a2, n2):
        allocate_order(ctx, oid)
    mixed = picking.create_waves(ctx, w.facility, order_ids=[a2, n2], user="lead")[0]["id"]
    t.orders["SO-ACME-2002"] = a2
    # Picking Acme's order, a picker scans a Nordic lamp by mistake: refused and recorded
    # as an exception of Acme's task.
    acme_task = next(p for p in picking.list_pick_tasks(ctx, mixed) if p["owner_id"] == acme)
    with contextlib.suppress(ScanError, ShelfwiseError):
        picking.confirm_pick(ctx, acme_task["id"], acme_task["location_barcode"], gtin(3),
                             user="ana")
    n3 = create_order(ctx, OrderSpec(nordic, w.facility, "SO-NORDIC-9003",
                                     ((w.other_item, 1),), NORDIC_SHIP_TO))["id"]
    allocate_order(ctx, n3)
    other_wave = picking.create_waves(ctx, w.facility, order_ids=[n3], user="lead")[0]["id"]

    # A count of Nordic's awaiting approval, an open one, and a refused scan of Nordic's.
    task = counting.create_count_tasks(ctx, owner_id=nordic, location_ids=[w.bins[1]])[0]
    candles = counting.CountedLine(f"01{gtin(4).zfill(14)}10L2406N", 9)
    first = counting.submit_count(ctx, task["id"], location_scan="A-01-02-A",
                                  lines=[candles], user="cy")
    recount = first["recount_task_id"]
    counting.submit_count(ctx, recount, location_scan="A-01-02-A", lines=[candles], user="cy")
    open_count = counting.create_count_tasks(ctx, owner_id=nordic,
                                             location_ids=[w.bins[0]])[0]["id"]
    scans.record_exception(ctx, code="wrong_item", message="scanned CANDLE-SOY, not LAMP-OAK",
                           task_type="pick", task_id=1, expected=gtin(3), scanned=gtin(4),
                           owner_id=nordic, facility_id=w.facility, user="ana")

    metering.meter_storage(ctx, date(2026, 10, 1))
    run = billing.run_billing(ctx, "2026-10")
    for inv in run["invoices"]:
        if inv["owner_id"] == acme:
            t.invoices[inv["number"]] = inv["id"]
        else:
            t.other["invoice_id"] = inv["id"]
            t.other_codes["invoice"] = inv["number"]

    with ctx.read() as conn:
        ship = conn.execute(sa.select(shipments.c.id, shipments.c.tracking_number)
                            .where(shipments.c.order_id == other_shipped)).one()
        sscc = conn.execute(sa.select(cartons.c.sscc)
                            .where(cartons.c.order_id == other_shipped)).scalar_one()
        own_tracking = conn.execute(sa.select(shipments.c.tracking_number).where(
            shipments.c.order_id == t.orders["SO-ACME-2001"])).scalar_one()
    putaway_ids = [p["id"] for p in putaway.list_putaway_tasks(ctx, None,
                                                               receipt_id=other_receipt)]
    t.other.update(
        owner_id=nordic, item_id=w.other_item, lot_item_id=candle, receipt_id=other_receipt,
        order_id=other_shipped, waved_order_id=n2, new_order_id=n3, wave_id=other_wave,
        mixed_wave_id=mixed, shipment_id=ship.id, count_task_id=open_count,
        review_task_id=recount, putaway_task_id=putaway_ids[0], location_id=w.bins[0])
    t.other_codes.update(sku="LAMP-OAK", lot="L2406N", gtin=gtin(3), order="SO-NORDIC-9001",
                         receipt="ASN-NORDIC-7001", tracking=ship.tracking_number, sscc=sscc)
    t.other_markers = ("NORDIC", "Nordic Home", "LAMP-OAK", "Oak table lamp", "CANDLE-SOY",
                       "Soy candle", gtin(3), gtin(4), "L2406N", "SO-NORDIC", "ASN-NORDIC",
                       t.other_codes["invoice"], "Ingrid Svensson", "Uppsala",
                       ship.tracking_number, sscc)
    t.own_markers = ("TENT-2P", "SO-ACME-2001", "SO-ACME-2002", "ASN-ACME-1001",
                     "PO-ACME-1002", *t.invoices, own_tracking)
    return t

