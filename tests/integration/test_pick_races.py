"""Pickers and allocators racing for one scarce SKU never oversell it, on SQLite and on
PostgreSQL: every unit is either available, reserved once, or picked once."""

from __future__ import annotations

import threading

from shelfwise.domain.errors import Conflict
from shelfwise.domain.ledger import MovementType
from shelfwise.services import ledger, picking, stock
from shelfwise.services.orders import allocate_orders, get_order
from tests.factories import move
from tests.outbound_world import build_floor, order

PICKERS = 8
ALLOCATORS = 8


def test_concurrent_pickers_and_allocators_never_oversell(ctx):
    f = build_floor(ctx)
    w = f.w
    # 15 tents on the floor; 8 waved orders of 1 + one shared order of 2 take 10
    waved = [order(ctx, f, f"SO-40{n:02d}", [(w.item, 1)])["id"] for n in range(PICKERS)]
    shared = order(ctx, f, "SO-4099", [(w.item, 2)])["id"]
    allocate_orders(ctx, [*waved, shared])
    wave = picking.create_waves(ctx, w.facility, order_ids=[*waved, shared])[0]
    tasks = {t["order_id"]: t for t in picking.list_pick_tasks(ctx, wave["id"])}
    # the allocators' orders want 8 x 2 x 2 = 32 more units; only 5 are left
    pending = [[order(ctx, f, f"SO-41{a}{k}", [(w.item, 2)])["id"] for k in range(2)]
               for a in range(ALLOCATORS)]

    barrier = threading.Barrier(PICKERS + ALLOCATORS)
    errors: list[BaseException] = []
    shared_wins: list[int] = []

    def picker(n: int) -> None:
        try:
            barrier.wait()
            mine = tasks[waved[n]]
            picking.confirm_pick(ctx, mine["id"], mine["location_barcode"], f.tent_gtin,
                                 user=f"picker{n}")
            t = tasks[shared]
            try:
                r = picking.confirm_pick(ctx, t["id"], t["location_barcode"], f.tent_gtin,
                                         user=f"picker{n}")
                if not r["replayed"]:
                    shared_wins.append(n)
            except Conflict:
                pass  # another picker confirmed it first
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def allocator(a: int) -> None:
        try:
            barrier.wait()
            allocate_orders(ctx, pending[a])
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=picker, args=(n,)) for n in range(PICKERS)]
    threads += [threading.Thread(target=allocator, args=(a,)) for a in range(ALLOCATORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(shared_wins) == 1

    lines = [get_order(ctx, oid, None)["lines"][0] for group in pending for oid in group]
    newly_reserved = sum(ln["allocated"] for ln in lines)
    assert newly_reserved == 5
    assert all(ln["allocated"] + ln["backordered"] == 2 for ln in lines)
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert lvl["in_process"] == PICKERS + 2
    assert lvl["allocated"] == 5 and lvl["available"] == 0 and lvl["sellable"] == 5
    report = stock.verify(ctx)
    assert report["ok"] and report["oversold"] == 0, report
    # and nothing more can be taken from the bins
    ledger.post_movement(ctx, move(w.owner, w.item, w.supplier, w.bins[0], 1,
                                   type=MovementType.RECEIPT))
    assert stock.level(ctx, w.owner, w.item, w.facility)["available"] == 1
