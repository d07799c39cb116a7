"""A customer sends back three tents from order SO-10231: one is as new and goes back
on the shelf, one is damaged, one is torn beyond repair and is scrapped."""

from __future__ import annotations

import pytest

from shelfwise.domain.errors import Conflict, InvalidInput
from shelfwise.services import catalog, returns, stock
from shelfwise.services.returns import RmaLine
from tests.factories import build_world


def _damaged_area(ctx, w):
    return catalog.create_locations(ctx, [{"facility_id": w.facility, "code": "DMG-01",
                                           "kind": "damaged"}])[0]


def test_return_is_received_then_restocked_damaged_and_scrapped(ctx):
    w = build_world(ctx)
    damaged = _damaged_area(ctx, w)
    rma = returns.create_rma(ctx, owner_id=w.owner, facility_id=w.facility,
                             order_reference="SO-10231",
                             lines=[RmaLine(w.item, 1), RmaLine(w.item, 1), RmaLine(w.item, 1)])
    assert rma["state"] == "authorised"
    got = returns.receive_rma(ctx, rma["id"], to_location_id=w.dock, user="lee")
    assert got["state"] == "received"
    assert stock.get_movement(ctx, got["movement_id"], None)["type"] == "return"
    assert stock.level(ctx, w.owner, w.item, w.facility)["receiving"] == 3

    a, b, c = (ln["id"] for ln in rma["lines"])
    returns.inspect_line(ctx, rma["id"], a, disposition="restock", to_location_id=w.bins[0])
    returns.inspect_line(ctx, rma["id"], b, disposition="damaged")
    with pytest.raises(InvalidInput):
        returns.inspect_line(ctx, rma["id"], c, disposition="scrap")  # no reason
    last = returns.inspect_line(ctx, rma["id"], c, disposition="scrap", reason="torn_fabric")
    assert last["state"] == "closed"
    assert stock.get_movement(ctx, last["movement_id"], None)["reason"] == "torn_fabric"

    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["on_hand"], lvl["available"], lvl["held"], lvl["receiving"]) == (2, 1, 1, 0)
    assert stock.bin_balances(ctx, None, location_id=damaged)[0]["qty"] == 1
    assert stock.verify(ctx)["ok"]
    with pytest.raises(Conflict):
        returns.inspect_line(ctx, rma["id"], a, disposition="restock", to_location_id=w.bins[0])


def test_rma_needs_an_order_reference_and_restock_goes_to_storage_only(ctx):
    w = build_world(ctx)
    with pytest.raises(InvalidInput):
        returns.create_rma(ctx, owner_id=w.owner, facility_id=w.facility, order_reference=" ",
                           lines=[RmaLine(w.item, 1)])
    rma = returns.create_rma(ctx, owner_id=w.owner, facility_id=w.facility,
                             order_reference="SO-10232", lines=[RmaLine(w.item, 2)])
    returns.receive_rma(ctx, rma["id"], to_location_id=w.dock)
    with pytest.raises(InvalidInput) as e:
        returns.inspect_line(ctx, rma["id"], rma["lines"][0]["id"], disposition="restock",
                             to_location_id=w.staging)
    assert e.value.code == "wrong_location_kind"
    assert stock.level(ctx, w.owner, w.item, w.facility)["receiving"] == 2
