"""Quarantine holds and pick-face replenishment through the services."""

from __future__ import annotations

import pytest

from shelfwise.domain.errors import Conflict, InsufficientStock, InvalidInput
from shelfwise.services import quarantine, replenishment, stock
from shelfwise.services.floor_commands import WrongLocation
from tests.factories import build_world, stock_up


def test_held_stock_is_on_hand_but_not_available_until_released(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 20)
    held = quarantine.hold_stock(ctx, owner_id=w.owner, item_id=w.item,
                                 from_location_id=w.bins[0], qty=6, reason="suspected_mould")
    assert held["to_location_id"] == w.quarantine
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["on_hand"], lvl["held"], lvl["available"]) == (20, 6, 14)
    mv = stock.get_movement(ctx, held["movement_id"], None)
    assert (mv["type"], mv["reason"]) == ("hold", "suspected_mould")

    quarantine.release_stock(ctx, owner_id=w.owner, item_id=w.item, from_location_id=w.quarantine,
                             to_location_id=w.bins[1], qty=6)
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["held"], lvl["available"]) == (0, 20)
    assert stock.verify(ctx)["ok"]


def test_a_hold_needs_a_reason_and_enough_stock(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 2)
    with pytest.raises(InvalidInput):
        quarantine.hold_stock(ctx, owner_id=w.owner, item_id=w.item, from_location_id=w.bins[0],
                              qty=1, reason="  ")
    with pytest.raises(InsufficientStock):
        quarantine.hold_stock(ctx, owner_id=w.owner, item_id=w.item, from_location_id=w.bins[0],
                              qty=3, reason="recall")
    with pytest.raises(InvalidInput):  # release must go to sellable storage
        quarantine.release_stock(ctx, owner_id=w.owner, item_id=w.item,
                                 from_location_id=w.quarantine, to_location_id=w.dock, qty=1)
    assert stock.level(ctx, w.owner, w.item, w.facility)["held"] == 0


def test_pick_face_below_min_gets_a_task_to_max_from_reserve(ctx):
    w = build_world(ctx)
    face = w.bins[2]  # A-02-01-A is a pick face
    stock_up(ctx, w, 3, location=face)
    stock_up(ctx, w, 50, location=w.bins[0])
    stock_up(ctx, w, 8, location=w.bins[1])
    replenishment.set_pick_face(ctx, owner_id=w.owner, item_id=w.item, location_id=face,
                                min_qty=5, max_qty=24)
    [task] = replenishment.create_replenishment_tasks(ctx, facility_id=w.facility)
    assert (task["from_location_id"], task["to_location_id"], task["qty"]) == (w.bins[0], face, 21)
    assert replenishment.create_replenishment_tasks(ctx, facility_id=w.facility) == []

    with pytest.raises(WrongLocation):
        replenishment.confirm_task(ctx, task["id"], from_scan="A-01-02-A")
    done = replenishment.confirm_task(ctx, task["id"], from_scan="A-01-01-A",
                                      to_scan="A-02-01-A", user="kim")
    assert stock.get_movement(ctx, done["movement_id"], None)["type"] == "replenish"
    assert stock.bin_balances(ctx, None, location_id=face)[0]["qty"] == 24
    with pytest.raises(Conflict):
        replenishment.confirm_task(ctx, task["id"])
    assert replenishment.create_replenishment_tasks(ctx, facility_id=w.facility) == []
    assert stock.verify(ctx)["ok"]


def test_pick_face_settings_are_checked(ctx):
    w = build_world(ctx)
    with pytest.raises(InvalidInput):
        replenishment.set_pick_face(ctx, owner_id=w.owner, item_id=w.item,
                                    location_id=w.bins[2], min_qty=10, max_qty=5)
    with pytest.raises(InvalidInput) as e:
        replenishment.set_pick_face(ctx, owner_id=w.owner, item_id=w.item,
                                    location_id=w.bins[0], min_qty=1, max_qty=5)
    assert e.value.code == "wrong_location_kind"
    assert replenishment.list_pick_faces(ctx, None) == []
