"""Every wrong scan at a pick is refused with its own code, recorded as a scan
exception, and moves nothing."""

from __future__ import annotations

from datetime import date

import pytest

from shelfwise.barcodes import ScanError
from shelfwise.domain.ledger import MovementType
from shelfwise.services import counting, ledger, picking, scans, stock
from shelfwise.services.orders import allocate_order, get_order
from tests.factories import move
from tests.outbound_world import build_floor, gas_scan, order


@pytest.fixture
def gas_task(ctx):
    f = build_floor(ctx)
    o = order(ctx, f, "SO-2001", [(f.w.lot_item, 5)])
    allocate_order(ctx, o["id"])
    wave = picking.create_waves(ctx, f.w.facility, order_ids=[o["id"]])[0]
    (task,) = picking.list_pick_tasks(ctx, wave["id"])
    assert task["lot"] == "L2403B"
    return f, o, task


def _refused(ctx, f, task, location, item, code):
    before = stock.bin_balances(ctx, None, item_id=task["item_id"])
    with pytest.raises(ScanError) as err:
        picking.confirm_pick(ctx, task["id"], location, item, user="ana", device="HH-07")
    assert err.value.code == code
    assert stock.bin_balances(ctx, None, item_id=task["item_id"]) == before
    recorded = scans.list_exceptions(ctx, None)
    assert recorded[0]["code"] == code and recorded[0]["task_id"] == str(task["id"])
    assert picking.list_pick_tasks(ctx, task["wave_id"])[0]["state"] == "open"


def test_pick_at_the_wrong_location_is_refused(ctx, gas_task):
    f, _, task = gas_task
    _refused(ctx, f, task, "A-01-01-A", gas_scan(f, "L2403B", date(2027, 3, 31)),
             "wrong_location")


def test_pick_of_the_wrong_item_is_refused(ctx, gas_task):
    f, _, task = gas_task
    _refused(ctx, f, task, task["location_barcode"], f.tent_gtin, "wrong_item")


def test_pick_of_the_wrong_lot_is_refused(ctx, gas_task):
    f, _, task = gas_task
    _refused(ctx, f, task, task["location_barcode"], gas_scan(f, "L2406A", date(2027, 6, 30)),
             "wrong_lot")


def test_pick_of_an_expired_lot_is_refused(ctx, clock, gas_task):
    f, _, task = gas_task
    clock.advance(days=200)  # it is now past 31 March 2027
    _refused(ctx, f, task, task["location_barcode"], gas_scan(f, "L2403B", date(2027, 3, 31)),
             "expired_lot")


def test_scan_with_a_bad_check_digit_is_refused(ctx, gas_task):
    f, _, task = gas_task
    good = f.gas_gtin.zfill(14)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    _refused(ctx, f, task, task["location_barcode"], bad, "bad_check_digit")


def test_another_owners_gtin_is_refused_as_the_wrong_item(ctx, gas_task):
    f, _, task = gas_task
    _refused(ctx, f, task, task["location_barcode"], f.lamp_gtin, "wrong_item")


def test_a_good_scan_after_a_refusal_still_picks(ctx, gas_task):
    f, o, task = gas_task
    _refused(ctx, f, task, "A-01-01-A", f.gas_gtin, "wrong_location")
    r = picking.confirm_pick(ctx, task["id"], task["location_barcode"],
                             gas_scan(f, "L2403B", date(2027, 3, 31)))
    assert r["state"] == "picked" and r["picked_qty"] == 5
    assert get_order(ctx, o["id"], None)["state"] == "picked"
    # the same confirmation again is a replay, not a second pick
    again = picking.confirm_pick(ctx, task["id"], task["location_barcode"],
                                 gas_scan(f, "L2403B", date(2027, 3, 31)))
    assert again["replayed"] is True
    assert stock.verify(ctx)["ok"]


def test_short_pick_posts_what_was_found_counts_the_bin_and_reallocates(ctx, gas_task):
    f, o, task = gas_task
    r = picking.confirm_pick(ctx, task["id"], task["location_barcode"],
                             gas_scan(f, "L2403B", date(2027, 3, 31)), qty=2)
    assert r["state"] == "short" and r["picked_qty"] == 2
    assert r["reallocated"] == [{"location_id": f.w.bins[1], "lot": "L2406A", "qty": 3}]
    (req,) = picking.list_count_requests(ctx)
    assert req["location_id"] == f.far_bin and req["reason"] == "short_pick"
    # the short opened a count task at that bin, due today, for the counters' queue
    count = counting.get_count_task(ctx, r["count_task_id"], None)
    assert (count["location_id"], count["state"], count["kind"]) == (f.far_bin, "open", "count")
    assert count["due_date"] == ctx.now().date()
    assert counting.create_count_tasks(ctx, owner_id=f.w.owner,
                                       location_ids=[f.far_bin])[0]["id"] == count["id"]
    assert scans.list_exceptions(ctx, None)[0]["code"] == "short_pick"
    line = get_order(ctx, o["id"], None)["lines"][0]
    assert (line["picked"], line["allocated"], line["backordered"]) == (2, 3, 0)
    (follow_up,) = picking.list_pick_tasks(ctx, task["wave_id"])
    picking.confirm_pick(ctx, follow_up["id"], follow_up["location_barcode"],
                         gas_scan(f, "L2406A", date(2027, 6, 30)))
    assert get_order(ctx, o["id"], None)["state"] == "picked"
    assert stock.verify(ctx)["ok"]


def test_a_picked_quantity_above_the_task_is_refused(ctx, gas_task):
    f, _, task = gas_task
    from shelfwise.domain.errors import InvalidInput
    with pytest.raises(InvalidInput) as err:
        picking.confirm_pick(ctx, task["id"], task["location_barcode"], f.gas_gtin, qty=6)
    assert err.value.code == "over_pick"


def test_a_pick_that_finds_nothing_anywhere_backorders_the_order_out_of_its_wave(
        ctx, gas_task):
    """An order whose every unit was short with no other bin to give any is not
    'picked' with nothing to pack: it is backordered, leaves its wave, and can be
    allocated again (or cancelled) when stock arrives."""
    f, o, task = gas_task
    other = order(ctx, f, "SO-2002", [(f.w.lot_item, 23)])
    assert allocate_order(ctx, other["id"])["state"] == "allocated"  # the rest is promised
    r = picking.confirm_pick(ctx, task["id"], task["location_barcode"],
                             gas_scan(f, "L2403B", date(2027, 3, 31)), qty=0)
    assert r["state"] == "short" and r["picked_qty"] == 0 and not r["reallocated"]
    got = get_order(ctx, o["id"], None)
    assert got["state"] == "backordered" and got["wave_id"] is None, got
    line = got["lines"][0]
    assert (line["picked"], line["allocated"], line["backordered"]) == (0, 0, 5)
    assert picking.get_wave(ctx, task["wave_id"], None)["state"] == "picked"  # its work is done
    ledger.post_movements(ctx, [move(f.w.owner, f.w.lot_item, f.w.supplier, f.w.bins[2], 5,
                                     lot="L2406A", type=MovementType.RECEIPT)])
    assert allocate_order(ctx, o["id"])["state"] == "allocated"
    (again,) = picking.create_waves(ctx, f.w.facility, order_ids=[o["id"]])
    assert get_order(ctx, o["id"], None)["wave_id"] == again["id"]
    assert stock.verify(ctx)["ok"]


def test_the_count_of_a_short_bin_answers_its_count_request(ctx, gas_task):
    f, _, task = gas_task
    r = picking.confirm_pick(ctx, task["id"], task["location_barcode"],
                             gas_scan(f, "L2403B", date(2027, 3, 31)), qty=2)
    count = counting.get_count_task(ctx, r["count_task_id"], None)
    # the bin really holds 8 - 2 picked - (3 never there): the counter finds 3
    done = counting.submit_count(ctx, count["id"], location_scan=count["location_barcode"],
                                 lines=[counting.CountedLine(
                                     gas_scan(f, "L2403B", date(2027, 3, 31)), 3)])
    if done["state"] == "recount_requested":
        recount = counting.get_count_task(ctx, done["recount_task_id"], None)
        done = counting.submit_count(
            ctx, recount["id"], location_scan=recount["location_barcode"],
            lines=[counting.CountedLine(gas_scan(f, "L2403B", date(2027, 3, 31)), 3)])
    assert picking.list_count_requests(ctx)  # still open: the variance awaits approval
    counting.approve_count(ctx, done["task_id"], user="supervisor1")
    assert picking.list_count_requests(ctx) == []
    assert [q["state"] for q in picking.list_count_requests(ctx, state="done")] == ["done"]
    assert stock.verify(ctx)["ok"]
