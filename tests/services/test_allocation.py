"""Allocation: strategies as pure rules, and the service reserving through holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shelfwise.domain import allocation as alloc
from shelfwise.domain.errors import Conflict
from shelfwise.domain.ledger import MovementType
from shelfwise.services import ledger, stock
from shelfwise.services.orders import allocate_order, allocate_orders, cancel_order, get_order
from tests.factories import move
from tests.outbound_world import build_floor, order

TODAY = date(2026, 10, 1)


def c(loc, lot="", qty=10, expiry=None, kind="storage", path="", received=None):
    return alloc.Candidate(loc, lot, qty, expiry, received, kind, path)


def test_fefo_takes_the_earliest_expiry_first_and_skips_expired_lots():
    cands = [c(1, "L2406A", 5, date(2027, 6, 30)), c(2, "L2403B", 4, date(2027, 3, 31)),
             c(3, "L2409X", 9, date(2026, 9, 1))]
    plan = alloc.allocate(7, cands, alloc.FEFO, TODAY)
    assert plan.splits == (alloc.Split(2, "L2403B", 4), alloc.Split(1, "L2406A", 3))
    assert plan.short == 0


def test_fefo_with_a_minimum_shelf_life_skips_lots_expiring_too_soon():
    cands = [c(1, "L1", 5, date(2026, 10, 20)), c(2, "L2", 5, date(2027, 1, 1))]
    plan = alloc.allocate(5, cands, alloc.Fefo(min_days_left=30), TODAY)
    assert plan.splits == (alloc.Split(2, "L2", 5),)


def test_fifo_takes_the_oldest_lot_first():
    old = datetime(2026, 1, 5, tzinfo=UTC)
    new = datetime(2026, 8, 5, tzinfo=UTC)
    plan = alloc.allocate(3, [c(1, "B", 9, received=new), c(2, "A", 9, received=old)],
                          alloc.FIFO, TODAY)
    assert plan.splits == (alloc.Split(2, "A", 3),)


def test_fifo_without_lots_prefers_the_pick_face_then_the_fullest_bin():
    cands = [c(1, qty=3), c(2, qty=50), c(3, qty=4, kind="pick_face")]
    plan = alloc.allocate(20, cands, alloc.FIFO, TODAY)
    assert [s.location_id for s in plan.splits] == [3, 2]


def test_allocation_is_partial_when_stock_runs_out():
    plan = alloc.allocate(30, [c(1, qty=10), c(2, qty=5)], alloc.FIFO, TODAY)
    assert plan.allocated == 15 and plan.short == 15


def test_an_order_larger_than_stock_is_partially_allocated_and_backordered(ctx):
    f = build_floor(ctx)
    o = order(ctx, f, "SO-3001", [(f.w.item, 20)])
    res = allocate_order(ctx, o["id"])
    assert res["state"] == "partially_allocated"
    assert res["lines"][0]["allocated"] == 15 and res["lines"][0]["backordered"] == 5
    assert stock.level(ctx, f.w.owner, f.w.item, f.w.facility)["available"] == 0
    line = get_order(ctx, o["id"], None)["lines"][0]
    assert line["state"] == "backordered"
    # stock arrives; allocating again fills the backorder
    ledger.post_movement(ctx, move(f.w.owner, f.w.item, f.w.supplier, f.w.bins[2], 5,
                                   type=MovementType.RECEIPT))
    assert allocate_order(ctx, o["id"])["state"] == "allocated"
    assert stock.verify(ctx)["ok"]


def test_nothing_is_oversold_when_orders_compete(ctx):
    f = build_floor(ctx)
    ids = [order(ctx, f, f"SO-31{n:02d}", [(f.w.item, 4)])["id"] for n in range(6)]
    results = allocate_orders(ctx, ids)
    assert sum(r["lines"][0]["allocated"] for r in results) == 15
    assert [r["state"] for r in results].count("allocated") == 3
    lvl = stock.level(ctx, f.w.owner, f.w.item, f.w.facility)
    assert lvl["allocated"] == 15 and lvl["available"] == 0
    assert stock.verify(ctx)["ok"]


def test_urgent_orders_are_served_first(ctx):
    f = build_floor(ctx)
    slow = order(ctx, f, "SO-3201", [(f.w.item, 15)])
    rush = order(ctx, f, "SO-3202", [(f.w.item, 15)], priority=5)
    results = {r["order_id"]: r["state"] for r in allocate_orders(ctx, [slow["id"], rush["id"]])}
    assert results == {rush["id"]: "allocated", slow["id"]: "backordered"}


def test_cancelling_an_order_voids_its_holds(ctx):
    f = build_floor(ctx)
    o = order(ctx, f, "SO-3301", [(f.w.item, 10), (f.w.lot_item, 3)])
    allocate_order(ctx, o["id"])
    assert cancel_order(ctx, o["id"])["state"] == "cancelled"
    assert stock.level(ctx, f.w.owner, f.w.item, f.w.facility)["allocated"] == 0
    assert stock.level(ctx, f.w.owner, f.w.lot_item, f.w.facility)["available"] == 28
    with pytest.raises(Conflict):
        allocate_order(ctx, o["id"])
    assert stock.verify(ctx)["ok"]


def test_an_allocated_order_cannot_be_allocated_twice(ctx):
    f = build_floor(ctx)
    o = order(ctx, f, "SO-3401", [(f.w.item, 2)])
    allocate_order(ctx, o["id"])
    with pytest.raises(Conflict) as err:
        allocate_order(ctx, o["id"])
    assert err.value.code == "invalid_order_state"
    assert stock.level(ctx, f.w.owner, f.w.item, f.w.facility)["allocated"] == 2


def test_an_order_for_another_owners_item_is_refused(ctx):
    from shelfwise.domain.errors import NotFound
    f = build_floor(ctx)
    with pytest.raises(NotFound):
        order(ctx, f, "SO-3501", [(f.w.other_item, 1)])


def test_the_same_order_number_twice_is_a_replay(ctx):
    f = build_floor(ctx)
    a = order(ctx, f, "SO-3601", [(f.w.item, 1)])
    b = order(ctx, f, "SO-3601", [(f.w.item, 1)])
    assert b["id"] == a["id"] and b["replayed"] is True
    with pytest.raises(Conflict):
        order(ctx, f, "SO-3601", [(f.w.item, 2)])
