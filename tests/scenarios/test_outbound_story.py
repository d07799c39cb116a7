"""A day on the outbound floor, told end to end: stock arrives, an order comes in,
allocation picks the earliest-expiring lot, a wave goes out, the picker walks the
path scanning bins and products, the packer cartons it and the carrier takes it."""

from __future__ import annotations

from datetime import date

from shelfwise.services import holds, picking, shipping, stock
from shelfwise.services.orders import allocate_order, get_order
from tests.outbound_world import build_floor, gas_scan, order


def test_an_order_is_allocated_fefo_picked_in_path_order_packed_and_shipped(ctx):
    f = build_floor(ctx)
    w = f.w
    o = order(ctx, f, "SO-1001", [(w.item, 12), (w.lot_item, 10)], channel="b2c")
    assert o["state"] == "new"

    res = allocate_order(ctx, o["id"])
    assert res["state"] == "allocated"
    bins = stock.bin_balances(ctx, None, item_id=w.lot_item)
    reserved = {(b["location_code"], b["lot"]): b["allocated"] for b in bins}
    # FEFO: all 8 of the March lot first, then 2 of the June lot
    assert reserved == {("A-03-05-B", "L2403B"): 8, ("A-01-02-A", "L2406A"): 2}

    wave = picking.create_waves(ctx, w.facility, order_ids=[o["id"]], user="lead")[0]
    tasks = picking.list_pick_tasks(ctx, wave["id"])
    assert [t["location_code"] for t in tasks] == [
        "A-01-01-A", "A-01-02-A", "A-03-05-B", "A-03-05-B"]

    for t in tasks:
        scan = (f.tent_gtin if t["item_id"] == w.item
                else gas_scan(f, t["lot"], t["expiry"]))
        r = picking.confirm_pick(ctx, t["id"], t["location_barcode"], scan, user="ana",
                                 device="HH-07")
        assert r["state"] == "picked"
    assert get_order(ctx, o["id"], None)["state"] == "picked"
    assert stock.level(ctx, w.owner, w.lot_item, w.facility)["in_process"] == 10

    scans_ = [f.tent_gtin] * 12 + [gas_scan(f, "L2403B", date(2027, 3, 31))] * 8 \
        + [gas_scan(f, "L2406A", date(2027, 6, 30))] * 2
    carton = shipping.pack_carton(ctx, o["id"], scans_, weight_g=9_800, user="bo")
    assert len(carton["sscc"]) == 18 and carton["order_state"] == "packed"

    shipped = shipping.ship_order(ctx, o["id"], user="bo")
    assert shipped["tracking_number"].startswith("MN")
    label, fmt = shipping.get_label(ctx, shipped["shipment_id"])
    assert fmt == "pdf" and label.startswith(b"%PDF")

    final = get_order(ctx, o["id"], None)
    assert final["state"] == "shipped"
    assert [ln["shipped"] for ln in final["lines"]] == [12, 10]
    assert stock.level(ctx, w.owner, w.lot_item, w.facility)["on_hand"] == 18
    assert stock.level(ctx, w.owner, w.item, w.facility)["in_process"] == 0
    assert picking.get_wave(ctx, wave["id"])["state"] == "shipped"
    assert stock.verify(ctx)["ok"]
    # shipping again is a replay, not a second shipment
    assert shipping.ship_order(ctx, o["id"])["replayed"] is True
    assert holds.expire_holds(ctx) == 0
