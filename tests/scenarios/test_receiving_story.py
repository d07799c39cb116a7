"""A delivery told as a story, end to end on the services.

Acme Outdoor orders tents, butane canisters and camping stoves from Alpine Gear. The
truck arrives at DOCK-01 in Reno; Maria scans the cartons in with her handheld (GS1-128
labels carry lot and expiry), a crushed tent goes to the damaged cage, a few wrong
scans are refused and logged. The receipt is closed with a discrepancy report for the
buyer, and Li puts the stock away where the rules suggest: tents to their pick face,
canisters next to the same lot already in A-01-02-A, stoves into an empty bin in
zone A. At the end the stock is available and the ledger balances.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from shelfwise.barcodes import ScanError
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, ledger, putaway, receiving, scans, stock
from shelfwise.services.context import Context
from shelfwise.storage.tables import movements
from tests.factories import build_world, gtin, move

TENT, GAS, LAMP, STOVE = gtin(1), gtin(2), gtin(3), gtin(4)


def gs1_128(gtin14: str, expiry: str, lot: str) -> str:
    """``]C1`` (GS1-128) + (01) GTIN + (17) expiry + (10) lot, as the scanner sends it."""
    return f"]C101{gtin14}17{expiry}10{lot}"


def test_a_delivery_is_received_by_scan_reported_and_put_away(ctx: Context) -> None:
    w = build_world(ctx)
    zone_a = catalog.get_location(ctx, w.bins[0])["zone_id"]
    dmg, stove_face = catalog.create_locations(ctx, [
        {"facility_id": w.facility, "code": "DMG-01", "kind": "damaged"},
        {"facility_id": w.facility, "code": "A-02-02-A", "kind": "pick_face", "zone_id": zone_a,
         "capacity_units": 6},
    ])
    stove = catalog.create_item(ctx, ItemSpec(w.owner, "STOVE-1", "Camping stove",
                                              (STOVE,)))["id"]
    tent_face = w.bins[2]  # A-02-01-A
    putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                             location_id=tent_face, min_qty=4, max_qty=40)
    putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=stove, facility_id=w.facility,
                             location_id=stove_face, min_qty=2, max_qty=6)
    # Lot L2406A of the canisters is already in A-01-02-A from an earlier delivery.
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 12, 31), None)
    ledger.post_movement(ctx, move(w.owner, w.lot_item, w.supplier, w.bins[1], 10,
                                   lot="L2406A", type=MovementType.RECEIPT))

    po = receiving.create_receipt(
        ctx, owner_id=w.owner, facility_id=w.facility, type="purchase_order",
        reference="PO-4500012345", supplier="Alpine Gear Ltd", expected_date=date(2026, 10, 1),
        lines=[{"item_id": w.item, "expected_qty": 30},
               {"item_id": w.lot_item, "expected_qty": 24},
               {"item_id": stove, "expected_qty": 12}], user="buyer")
    assert po["state"] == "open"

    def scan_in(item_scan: str, qty: int, **kw) -> dict:
        return receiving.receive_scan(ctx, po["id"], location_scan="DOCK-01",
                                      item_scan=item_scan, qty=qty, user="maria",
                                      device="HH-07", **kw)

    scan_in(TENT, 24)
    crushed = scan_in(TENT, 1, damaged=True)
    assert crushed["location_id"] == dmg
    canisters = scan_in(gs1_128(GAS, "271231", "L2406A"), 26)
    assert canisters["over_receipt"] is True and canisters["lot"] == "L2406A"
    scan_in(STOVE, 12)

    # Wrong scans are refused, logged, and move nothing.
    moved = _movement_count(ctx)
    for location_scan, item_scan, code in [
        ("A-01-01-A", TENT, "wrong_location"),
        ("DOCK-01", LAMP, "unknown_gtin"),  # Nordic's lamp: another owner's GTIN
        ("DOCK-01", TENT[:-1] + str((int(TENT[-1]) + 1) % 10), "bad_check_digit"),
        ("DOCK-01", gs1_128(GAS, "260630", "L2309X"), "expired_lot"),
        ("DOCK-01", gtin(777), "unknown_gtin"),
    ]:
        with pytest.raises((ScanError, ShelfwiseError)) as err:
            receiving.receive_scan(ctx, po["id"], location_scan=location_scan,
                                   item_scan=item_scan, qty=1, user="maria", device="HH-07")
        assert err.value.code == code
    assert _movement_count(ctx) == moved
    logged = [e["code"] for e in scans.list_exceptions(ctx, None)]
    assert sorted(logged) == sorted(["wrong_location", "unknown_gtin", "bad_check_digit",
                                     "expired_lot", "unknown_gtin"])

    closed = receiving.close_receipt(ctx, po["id"], user="lead")
    report = closed["discrepancy_report"]
    assert [(ln["expected"], ln["received"], ln["damaged"], ln["over"], ln["short"])
            for ln in report["lines"]] == [(30, 25, 1, 0, 5), (24, 26, 0, 2, 0),
                                           (12, 12, 0, 0, 0)]
    assert report["clean"] is False

    tasks = {t["item_id"]: t for t in putaway.list_putaway_tasks(ctx, None,
                                                                 receipt_id=po["id"])}
    assert (tasks[w.item]["suggested_location_id"], tasks[w.item]["rule"]) == (
        tent_face, "fixed_pick_face")
    assert (tasks[w.lot_item]["suggested_location_id"], tasks[w.lot_item]["rule"]) == (
        w.bins[1], "same_item_lot")
    assert (tasks[stove]["suggested_location_id"], tasks[stove]["rule"]) == (
        w.bins[0], "empty_in_zone")  # 12 stoves do not fit their 6-unit pick face
    assert tasks[w.item]["qty"] == 24 and tasks[w.lot_item]["qty"] == 26

    for item_id, item_scan in [(w.item, TENT), (w.lot_item, f"]C101{GAS}10L2406A"),
                               (stove, STOVE)]:
        t = tasks[item_id]
        where = catalog.get_location(ctx, t["suggested_location_id"])["barcode"]
        done = putaway.confirm_putaway(ctx, t["id"], location_scan=where, item_scan=item_scan,
                                       user="li", device="HH-02")
        assert done["state"] == "done"

    tent, gas, stoves = (stock.level(ctx, w.owner, i, w.facility)
                         for i in (w.item, w.lot_item, stove))
    assert (tent["available"], tent["held"], tent["receiving"]) == (24, 1, 0)
    assert (gas["available"], gas["receiving"]) == (36, 0)
    assert (stoves["available"], stoves["receiving"]) == (12, 0)
    assert stock.bin_balances(ctx, None, item_id=w.lot_item, location_id=w.bins[1])[0][
        "qty"] == 36
    assert stock.verify(ctx)["ok"]


def _movement_count(ctx: Context) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar()
