"""Acme moves 12 tents from Reno (WH1) to Columbus (WH2): the transfer is shipped,
is visible in transit at both ends while on the truck, and is received at WH2."""

from __future__ import annotations

import pytest

from shelfwise.domain.errors import Conflict, InsufficientStock, InvalidInput
from shelfwise.services import stock, transfers
from shelfwise.services.transfers import ShipPick, TransferLine
from tests.factories import build_world, gtin, stock_up


def test_transfer_from_wh1_to_wh2_is_in_transit_at_both_ends_then_received(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 30)
    t = transfers.create_transfer(ctx, owner_id=w.owner, source_facility_id=w.facility,
                                  dest_facility_id=w.facility2,
                                  lines=[TransferLine(w.item, 12)], reference="TR-2611-01")
    assert t["state"] == "draft"
    shipped = transfers.ship_transfer(ctx, t["id"], user="ana", picks=[
        ShipPick(t["lines"][0]["id"], w.bins[0], item_scan=gtin(1))])
    assert shipped["state"] == "shipped"

    src = stock.level(ctx, w.owner, w.item, w.facility)
    dst = stock.level(ctx, w.owner, w.item, w.facility2)
    assert (src["on_hand"], dst["in_transit"], dst["on_hand"]) == (18, 12, 0)
    assert transfers.in_transit(ctx, None, w.facility)["outbound"][0]["qty"] == 12
    assert transfers.in_transit(ctx, None, w.facility2)["inbound"][0]["qty"] == 12

    got = transfers.receive_transfer(ctx, t["id"], to_location_id=w.bins2[0], user="ben")
    assert got["state"] == "received"
    dst = stock.level(ctx, w.owner, w.item, w.facility2)
    assert (dst["in_transit"], dst["on_hand"], dst["available"]) == (0, 12, 12)
    assert transfers.in_transit(ctx, None, w.facility2)["inbound"] == []
    assert stock.get_movement(ctx, got["movement_id"], None)["type"] == "transfer_in"
    assert stock.verify(ctx)["ok"]
    with pytest.raises(Conflict):
        transfers.receive_transfer(ctx, t["id"], to_location_id=w.bins2[0])


def test_shipping_more_than_the_bin_holds_is_refused_and_changes_nothing(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    t = transfers.create_transfer(ctx, owner_id=w.owner, source_facility_id=w.facility,
                                  dest_facility_id=w.facility2, lines=[TransferLine(w.item, 8)])
    with pytest.raises(InsufficientStock):
        transfers.ship_transfer(ctx, t["id"], picks=[ShipPick(t["lines"][0]["id"], w.bins[0])])
    assert transfers.get_transfer(ctx, t["id"], None)["state"] == "draft"
    assert stock.level(ctx, w.owner, w.item, w.facility2)["in_transit"] == 0
    assert transfers.cancel_transfer(ctx, t["id"])["state"] == "cancelled"


def test_a_transfer_needs_two_facilities_and_the_owners_own_items(ctx):
    w = build_world(ctx)
    with pytest.raises(InvalidInput):
        transfers.create_transfer(ctx, owner_id=w.owner, source_facility_id=w.facility,
                                  dest_facility_id=w.facility, lines=[TransferLine(w.item, 1)])
    with pytest.raises(Exception) as e:
        transfers.create_transfer(ctx, owner_id=w.owner, source_facility_id=w.facility,
                                  dest_facility_id=w.facility2,
                                  lines=[TransferLine(w.other_item, 1)])
    assert getattr(e.value, "code", "") == "item_not_found"
    assert transfers.list_transfers(ctx, None) == []
