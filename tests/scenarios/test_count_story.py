"""A cycle count told as a story: Acme's tents at bin A-01-01-A are counted blind,
the counter finds fewer than the books say, a recount confirms it, a supervisor
approves, the shortage becomes a count adjustment and the record accuracy drops."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shelfwise.barcodes import WrongItem, WrongLot
from shelfwise.domain.counting import Tolerance
from shelfwise.domain.errors import Conflict
from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, counting, holds, ledger, stock
from shelfwise.services.counting import CountedLine
from shelfwise.services.floor_commands import WrongLocation
from shelfwise.storage.tables import movements, scan_exceptions
from tests.factories import build_world, gtin, move, stock_up


def test_blind_count_with_variance_is_recounted_approved_and_posted(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 40)
    bin_code = catalog.get_location(ctx, w.bins[0])["barcode"]
    [task] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                         tolerance=Tolerance(units=1))
    assert "expected_qty" not in task and task["state"] == "open"

    first = counting.submit_count(ctx, task["id"], location_scan=bin_code,
                                  lines=[CountedLine(gtin(1), 34)], user="maria")
    assert first["state"] == "recount_requested"
    assert set(first) == {"task_id", "state", "recount_task_id"}  # blind: no expected qty

    second = counting.submit_count(ctx, first["recount_task_id"], location_scan=bin_code,
                                   lines=[CountedLine(gtin(1), 30), CountedLine(gtin(1), 5)],
                                   user="jonas")
    assert second["state"] == "awaiting_approval"
    review = counting.review_count(ctx, first["recount_task_id"], None)
    assert [(r["expected_qty"], r["counted_qty"], r["variance"]) for r in review["results"]] \
        == [(40, 35, -5)]

    done = counting.approve_count(ctx, first["recount_task_id"], user="supervisor")
    assert done["state"] == "approved"
    mv = stock.get_movement(ctx, done["movement_id"], None)
    assert (mv["type"], mv["reason"]) == ("count", "count_variance")
    assert mv["lines"][0]["to_location_id"] == w.adjustment
    assert stock.level(ctx, w.owner, w.item, w.facility)["on_hand"] == 35
    assert stock.verify(ctx)["ok"]

    ira = counting.record_accuracy(ctx, None, owner_id=w.owner)
    assert (ira["counts"], ira["counts_within"]) == (1, 0)  # the recount replaced the first

    clock.advance(days=1)
    [again] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                          tolerance=Tolerance(units=1))
    counting.submit_count(ctx, again["id"], location_scan=bin_code,
                          lines=[CountedLine(gtin(1), 35)])
    ira = counting.record_accuracy(ctx, None, owner_id=w.owner)
    assert ira["ira_by_counts"] == 0.5
    assert ira["ira_by_units"] == pytest.approx(35 / 75)
    with pytest.raises(Conflict):
        counting.approve_count(ctx, first["recount_task_id"])


def test_shortage_below_allocation_voids_the_holds_before_posting(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    h1 = holds.place_hold(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                           qty=4, location_id=w.bins[0])["hold_id"]
    h2 = holds.place_hold(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                           qty=5, location_id=w.bins[0])["hold_id"]
    code = catalog.get_location(ctx, w.bins[0])["barcode"]
    [task] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                         tolerance=Tolerance(units=10))
    res = counting.submit_count(ctx, task["id"], location_scan=code,
                                lines=[CountedLine(gtin(1), 6)])
    assert res["state"] == "awaiting_approval"  # within the generous tolerance
    done = counting.approve_count(ctx, task["id"], user="supervisor")
    assert done["voided_holds"] == [h2]  # newest first, until the rest fits in 6
    assert holds.get_hold(ctx, h1, None)["state"] == "pending"
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["on_hand"], lvl["allocated"], lvl["available"]) == (6, 4, 2)
    assert stock.verify(ctx)["ok"]


def test_found_stock_and_an_empty_count_post_both_ways(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 3)
    code = catalog.get_location(ctx, w.bins[0])["barcode"]
    [task] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                         tolerance=Tolerance(basis_points=5000))
    counting.submit_count(ctx, task["id"], location_scan=code, lines=[CountedLine(gtin(1), 4)])
    done = counting.approve_count(ctx, task["id"])
    assert stock.get_movement(ctx, done["movement_id"], None)["lines"][0][
        "from_location_id"] == w.adjustment
    assert stock.level(ctx, w.owner, w.item, w.facility)["on_hand"] == 4


def test_wrong_location_or_item_scan_is_refused_recorded_and_changes_nothing(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    [task] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]])
    with pytest.raises(WrongLocation):
        counting.submit_count(ctx, task["id"], location_scan="A-01-02-A",
                              lines=[CountedLine(gtin(1), 5)])
    with pytest.raises(WrongItem):
        counting.submit_count(ctx, task["id"], location_scan="A-01-01-A",
                              lines=[CountedLine(gtin(3), 5)])  # Nordic's lamp, not Acme's
    with ctx.read() as conn:
        codes = [r.code for r in conn.execute(sa.select(scan_exceptions.c.code))]
        assert conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar() == 1
    assert codes == ["wrong_location", "wrong_item"]
    assert counting.get_count_task(ctx, task["id"], None)["state"] == "open"


def test_classification_and_schedule_plan_counts_from_shipments(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 50)
    ledger.post_movement(ctx, move(w.owner, w.item, w.bins[0], w.customer, 20,
                                   type=MovementType.SHIP))
    since = clock.now - timedelta(days=90)
    classes = counting.classify_items(ctx, owner_id=w.owner, facility_id=w.facility,
                                      since=since, until=clock.now + timedelta(seconds=1))
    assert {c["sku"]: c["abc_class"] for c in classes} == {"TENT-2P": "A", "GAS-230": "C"}
    plan = counting.count_plan(ctx, owner_id=w.owner, facility_id=w.facility,
                               start=clock.now.date(), days=60)
    counted_days = [p["date"] for p in plan if w.bins[0] in p["location_ids"]]
    assert len(counted_days) == 2  # class A: every 30 days
    tasks = counting.create_scheduled_tasks(ctx, owner_id=w.owner, facility_id=w.facility,
                                            day=clock.now.date(), anchor=clock.now.date())
    assert [t["location_id"] for t in tasks] == [w.bins[0]]


def test_lot_tracked_stock_is_counted_per_lot_from_the_gs1_label(ctx):
    w = build_world(ctx)
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 12, 31), None)
    ledger.post_movement(ctx, move(w.owner, w.lot_item, w.supplier, w.bins[1], 24,
                                   lot="L2406A", type=MovementType.RECEIPT))
    label = "01" + gtin(2).zfill(14) + "17271231" + "10L2406A"
    [task] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[1]])
    with pytest.raises(WrongLot):  # a plain GTIN cannot say which lot was counted
        counting.submit_count(ctx, task["id"], location_scan="A-01-02-A",
                              lines=[CountedLine(gtin(2), 24)])
    res = counting.submit_count(ctx, task["id"], location_scan="A-01-02-A",
                                lines=[CountedLine(label, 24)])
    assert res["state"] == "closed"
    assert counting.record_accuracy(ctx, None)["ira_by_units"] == 1.0


def test_a_count_that_voids_a_picks_hold_moves_the_pick_to_another_bin(ctx):
    """The picker must never be sent to a bin the count just found empty: the task on
    the voided hold is cancelled, the line is re-allocated to the other bin, and what
    no bin can give is backordered; the wave carries on with the new task."""
    from shelfwise.services import picking
    from shelfwise.services.orders import allocate_order, get_order
    from tests.outbound_world import build_floor, order

    f = build_floor(ctx)
    w = f.w
    o = order(ctx, f, "SO-CNT-1", [(w.item, 6)])
    allocate_order(ctx, o["id"])
    wave = picking.create_waves(ctx, w.facility, order_ids=[o["id"]], user="lead")[0]
    [task] = picking.list_pick_tasks(ctx, wave["id"])
    assert (task["location_id"], task["qty"]) == (w.bins[0], 6)

    code = catalog.get_location(ctx, w.bins[0])["barcode"]
    [count] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                          tolerance=Tolerance(units=100))
    counting.submit_count(ctx, count["id"], location_scan=code,
                          lines=[CountedLine(f.tent_gtin, 2)])
    done = counting.approve_count(ctx, count["id"], user="supervisor")
    assert len(done["voided_holds"]) == 1
    assert done["reallocated_tasks"] == [{
        "task_id": task["id"], "order_id": o["id"], "order_line_id": task["order_line_id"],
        "lost": 6, "reallocated": 5, "backordered": 1}]

    tasks = {t["id"]: t for t in picking.list_pick_tasks(ctx, wave["id"], state=None)}
    open_tasks = picking.list_pick_tasks(ctx, wave["id"])
    assert [(t["location_id"], t["qty"]) for t in open_tasks] == [(f.far_bin, 5)]
    line = get_order(ctx, o["id"], None)["lines"][0]
    assert (line["allocated"], line["backordered"]) == (5, 1)
    assert tasks[task["id"]]["state"] == "cancelled"

    far = open_tasks[0]
    r = picking.confirm_pick(ctx, far["id"], far["location_barcode"], f.tent_gtin, user="ana")
    assert r["state"] == "picked"
    assert get_order(ctx, o["id"], None)["state"] == "picked"
    assert picking.get_wave(ctx, wave["id"])["state"] == "picked"
    assert stock.verify(ctx)["ok"]


def test_a_count_that_voids_an_unwaved_orders_hold_backorders_it(ctx):
    from shelfwise.services.orders import allocate_order, get_order
    from tests.outbound_world import build_floor, order

    f = build_floor(ctx)
    w = f.w
    o = order(ctx, f, "SO-CNT-2", [(w.item, 15)])
    assert allocate_order(ctx, o["id"])["state"] == "allocated"  # 10 + 5, both bins
    code = catalog.get_location(ctx, f.far_bin)["barcode"]
    [count] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[f.far_bin],
                                          tolerance=Tolerance(units=100))
    counting.submit_count(ctx, count["id"], location_scan=code,
                          lines=[])  # the far bin is empty
    counting.approve_count(ctx, count["id"], user="supervisor")
    got = get_order(ctx, o["id"], None)
    assert got["state"] == "partially_allocated"
    assert (got["lines"][0]["allocated"], got["lines"][0]["backordered"]) == (10, 5)
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["on_hand"], lvl["allocated"]) == (10, 10)
    assert stock.verify(ctx)["ok"]
