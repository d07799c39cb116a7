"""Putaway: suggestions from the rule chain, confirmation by scanning, overrides with a
reason, partial putaway, and the pure rules on their own."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from shelfwise.barcodes import ScanError
from shelfwise.domain import putaway as pd
from shelfwise.domain.errors import Conflict, InvalidInput, ShelfwiseError
from shelfwise.domain.ledger import MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger, putaway, receiving, stock
from shelfwise.services.context import Context
from shelfwise.storage.tables import movements, scan_exceptions
from tests.factories import World, build_world, gtin, move

TENT = gtin(1)
GAS = gtin(2)


@pytest.fixture
def w(ctx: Context) -> World:
    return build_world(ctx)


def received(ctx: Context, w: World, tent: int = 0, gas: int = 0, lot: str = "L2406A",
             ref: str = "PO-4500012345") -> dict:
    lines = [{"item_id": w.item, "expected_qty": max(tent, 1)},
             {"item_id": w.lot_item, "expected_qty": max(gas, 1)}]
    r = receiving.create_receipt(ctx, owner_id=w.owner, facility_id=w.facility,
                                 type="purchase_order", reference=ref, lines=lines)
    if tent:
        receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=tent)
    if gas:
        receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01",
                               item_scan=f"]C101{GAS}1727123110{lot}", qty=gas)
    return r


def task_for(tasks: list[dict], item_id: int) -> dict:
    return next(t for t in tasks if t["item_id"] == item_id)


def barcode(ctx: Context, location_id: int) -> str:
    return catalog.get_location(ctx, location_id)["barcode"]


def here(ctx: Context, task: dict) -> str:
    """The barcode of the task's suggested location, as the operator scans it."""
    return barcode(ctx, task["suggested_location_id"])


def test_the_items_pick_face_is_suggested_when_it_has_room(ctx: Context, w: World) -> None:
    putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                             location_id=w.bins[2], min_qty=5, max_qty=40)
    r = received(ctx, w, tent=24)
    t = task_for(putaway.create_putaway_tasks(ctx, r["id"]), w.item)
    assert (t["suggested_location_id"], t["rule"], t["qty"]) == (w.bins[2], "fixed_pick_face", 24)


def test_a_full_pick_face_sends_stock_to_an_empty_bin_in_its_zone(ctx: Context, w: World) -> None:
    putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                             location_id=w.bins[2], min_qty=5, max_qty=10)
    r = received(ctx, w, tent=24)
    t = task_for(putaway.create_putaway_tasks(ctx, r["id"]), w.item)
    assert (t["suggested_location_id"], t["rule"]) == (w.bins[0], "empty_in_zone")


def test_a_lot_already_in_a_bin_is_kept_together(ctx: Context, w: World) -> None:
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 12, 31), None)
    ledger.post_movement(ctx, move(w.owner, w.lot_item, w.supplier, w.bins[1], 10, lot="L2406A",
                                   type=MovementType.RECEIPT))
    r = received(ctx, w, gas=12)
    t = task_for(putaway.create_putaway_tasks(ctx, r["id"]), w.lot_item)
    assert (t["suggested_location_id"], t["rule"], t["lot"]) == (w.bins[1], "same_item_lot",
                                                                 "L2406A")


def test_two_tasks_are_not_sent_to_the_same_last_free_bin(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=5, gas=5)
    tasks = putaway.create_putaway_tasks(ctx, r["id"])
    assert len({t["suggested_location_id"] for t in tasks}) == 2
    assert {t["rule"] for t in tasks} == {"empty_anywhere"}


def test_creating_tasks_again_only_covers_new_arrivals(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=5)
    assert len(putaway.create_putaway_tasks(ctx, r["id"])) == 1
    assert putaway.create_putaway_tasks(ctx, r["id"]) == []
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=3)
    again = putaway.create_putaway_tasks(ctx, r["id"])
    assert [t["qty"] for t in again] == [3]


def test_confirming_at_the_suggestion_moves_the_stock_to_storage(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=6)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    done = putaway.confirm_putaway(ctx, t["id"], location_scan=here(ctx, t),
                                   item_scan=TENT, user="li", device="HH-02")
    assert done["state"] == "done" and done["remaining"] == 0 and done["override"] is False
    mv = stock.get_movement(ctx, done["movement_id"], None)
    assert mv["type"] == "putaway"
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["receiving"], lvl["available"]) == (0, 6)
    assert stock.verify(ctx)["ok"]


def test_a_partial_putaway_leaves_the_rest_on_the_task(ctx: Context, w: World) -> None:
    r = received(ctx, w, gas=10)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    where = here(ctx, t)
    scan = f"]C101{GAS}10L2406A"
    part = putaway.confirm_putaway(ctx, t["id"], location_scan=where, item_scan=scan, qty=4)
    assert (part["state"], part["remaining"]) == ("open", 6)
    rest = putaway.confirm_putaway(ctx, t["id"], location_scan=where, item_scan=scan)
    assert (rest["state"], rest["remaining"], rest["put_qty"]) == ("done", 0, 6)
    with pytest.raises(Conflict) as err:
        putaway.confirm_putaway(ctx, t["id"], location_scan=where, item_scan=scan, qty=1)
    assert err.value.code == "invalid_state"


def test_putting_away_more_than_is_left_is_refused(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=2)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    with pytest.raises(InvalidInput) as err:
        putaway.confirm_putaway(ctx, t["id"], location_scan=here(ctx, t),
                                item_scan=TENT, qty=3)
    assert err.value.code == "over_putaway"


def refused(ctx: Context, task_id: int, code: str, **kw) -> None:
    with ctx.read() as conn:
        mv = conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar()
        ex = conn.execute(sa.select(sa.func.count()).select_from(scan_exceptions)).scalar()
    before = putaway.get_putaway_task(ctx, task_id)
    with pytest.raises((ScanError, ShelfwiseError)) as err:
        putaway.confirm_putaway(ctx, task_id, **kw)
    assert err.value.code == code
    with ctx.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar() == mv
        last = conn.execute(sa.select(scan_exceptions).order_by(
            scan_exceptions.c.id.desc())).first()
        assert conn.execute(sa.select(sa.func.count()).select_from(scan_exceptions)).scalar() \
            == ex + 1
    assert (last.code, last.task_type) == (code, "putaway")
    assert putaway.get_putaway_task(ctx, task_id) == before


def test_a_scan_of_another_bin_without_a_reason_is_wrong_location(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=2)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    other = next(b for b in w.bins if b != t["suggested_location_id"])
    refused(ctx, t["id"], "wrong_location", location_scan=barcode(ctx, other), item_scan=TENT)


def test_an_override_must_be_a_storage_location(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=2)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    refused(ctx, t["id"], "wrong_location", location_scan="STAGE-01", item_scan=TENT,
            reason="bin blocked")
    refused(ctx, t["id"], "wrong_location", location_scan="B-01-01-A", item_scan=TENT,
            reason="other warehouse")


def test_the_wrong_item_at_putaway_is_refused(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=2)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    refused(ctx, t["id"], "wrong_item", location_scan=here(ctx, t),
            item_scan=gtin(3))


def test_an_override_with_a_reason_is_recorded(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=2)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    other = next(b for b in w.bins if b != t["suggested_location_id"])
    done = putaway.confirm_putaway(ctx, t["id"], location_scan=barcode(ctx, other),
                                   item_scan=TENT, reason="suggested bin is blocked by a pallet")
    assert done["override"] is True and done["confirmed_location_id"] == other
    assert done["override_reason"] == "suggested bin is blocked by a pallet"
    assert stock.bin_balances(ctx, None, item_id=w.item, location_id=other)[0]["qty"] == 2


def test_a_replayed_confirmation_moves_once(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=4)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    kw = {"location_scan": here(ctx, t), "item_scan": TENT,
          "qty": 2, "idempotency_key": "hh2-77"}
    a = putaway.confirm_putaway(ctx, t["id"], **kw)
    b = putaway.confirm_putaway(ctx, t["id"], **kw)
    assert b["replayed"] is True and a["movement_id"] == b["movement_id"]
    assert putaway.get_putaway_task(ctx, t["id"])["remaining"] == 2


def test_a_cancelled_task_leaves_stock_at_the_dock_for_a_new_task(ctx: Context, w: World) -> None:
    r = received(ctx, w, tent=4)
    (t,) = putaway.create_putaway_tasks(ctx, r["id"])
    putaway.confirm_putaway(ctx, t["id"], location_scan=here(ctx, t),
                            item_scan=TENT, qty=1)
    assert putaway.cancel_putaway(ctx, t["id"])["state"] == "cancelled"
    with pytest.raises(Conflict):
        putaway.cancel_putaway(ctx, t["id"])
    (t2,) = putaway.create_putaway_tasks(ctx, r["id"])
    assert t2["qty"] == 3


def test_a_pick_face_must_be_a_pick_face_location(ctx: Context, w: World) -> None:
    with pytest.raises(InvalidInput) as err:
        putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                                 location_id=w.bins[0], min_qty=1, max_qty=5)
    assert err.value.code == "not_a_pick_face"
    putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                             location_id=w.bins[2], min_qty=1, max_qty=5)
    with pytest.raises(Conflict) as err2:
        putaway.assign_pick_face(ctx, owner_id=w.owner, item_id=w.lot_item,
                                 facility_id=w.facility, location_id=w.bins[2], min_qty=1,
                                 max_qty=5)
    assert err2.value.code == "pick_face_taken"
    assert [p["item_id"] for p in putaway.list_pick_faces(ctx, None)] == [w.item]


# ---------------------------------------------------------------- the pure rules


def cand(lid: int, kind: LocationKind = LocationKind.STORAGE, zone: int | None = 1,
         cap: int | None = None, occupied: int = 0, holds=(), face: int | None = None,
         order: str | None = None) -> pd.Candidate:
    return pd.Candidate(lid, kind, zone, cap, order or f"A-{lid:02d}", occupied,
                        frozenset(holds), face)


def test_rules_fall_through_in_order() -> None:
    cands = [cand(1, occupied=3, holds={(7, "L1")}, cap=10), cand(2), cand(3, zone=2),
             cand(9, LocationKind.PICK_FACE, cap=20, face=7)]
    req = pd.PutawayRequest(7, "L1", 5, frozenset({1}), pick_face_id=9, pick_face_max=20,
                            pick_face_qty=18)
    assert pd.suggest(req, cands) == pd.Suggestion(1, "same_item_lot")
    bigger = pd.PutawayRequest(7, "L1", 8, frozenset({2}), 9, 20, 0)
    assert pd.suggest(bigger, cands) == pd.Suggestion(9, "fixed_pick_face")
    no_face = pd.PutawayRequest(7, "L2", 8, frozenset({2}))
    assert pd.suggest(no_face, cands) == pd.Suggestion(3, "empty_in_zone")
    assert pd.suggest(pd.PutawayRequest(7, "L2", 8), cands) == pd.Suggestion(2, "empty_anywhere")
    assert pd.suggest(pd.PutawayRequest(7, "L2", 8), [cands[0]]) is None


def test_a_custom_rule_chain_is_a_value() -> None:
    cands = [cand(1), cand(2, cap=4)]
    req = pd.PutawayRequest(7, "", 5)
    assert pd.suggest(req, cands, rules=(("empty_in_zone", pd.empty_in_zone),)) is None
    biggest = (("emptiest", lambda r, cs: max(cs, key=lambda c: c.capacity or 10**9).location_id),)
    assert pd.suggest(req, cands, rules=biggest) == pd.Suggestion(1, "emptiest")


def test_another_items_pick_face_is_never_suggested() -> None:
    cands = [cand(1, LocationKind.PICK_FACE, face=8), cand(2, LocationKind.STORAGE, occupied=1)]
    assert pd.suggest(pd.PutawayRequest(7, "", 1, frozenset({1})), cands) is None


def test_task_states_follow_the_table() -> None:
    assert pd.next_state("open", pd.PutawayEvent.PUT_PART, 1) == pd.PutawayState.OPEN
    assert pd.next_state("open", pd.PutawayEvent.PUT_ALL, 1) == pd.PutawayState.DONE
    for state in ("done", "cancelled"):
        for event in pd.PutawayEvent:
            with pytest.raises(Conflict) as err:
                pd.next_state(state, event, 1)
            assert err.value.code == "invalid_state"
