"""The batched writes behind the floor workflows: many rows in one statement must still
give every row its own id, every pick its own movement, and every unit its own scan
check, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shelfwise.barcodes import BadCheckDigit, MalformedBarcode, WrongItem, parse_scan
from shelfwise.domain.catalog import with_check_digit
from shelfwise.services import holds, picking, shipping, stock
from shelfwise.services.orders import allocate_orders, get_order
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.outbound_tables import cartons
from tests.factories import build_world, stock_up
from tests.outbound_world import build_floor, order


def test_holds_placed_in_one_batch_each_get_their_own_id(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 100)
    bodies = [{"owner_id": w.owner, "item_id": w.item, "facility_id": w.facility,
               "qty": q, "location_id": w.bins[0], "document_type": "order",
               "document_id": f"SO-{q:04d}"} for q in (3, 1, 4, 1, 5, 9, 2, 6)]
    placed = holds.place_holds(ctx, bodies)
    assert len({p["hold_id"] for p in placed}) == len(bodies)
    for body, p in zip(bodies, placed, strict=True):
        hold = holds.get_hold(ctx, p["hold_id"], None)
        assert (hold["qty"], hold["document_id"]) == (body["qty"], body["document_id"])


def test_insert_ids_returns_ids_in_row_order_across_statements(ctx):
    """More rows than fit one statement: the ids still follow the rows."""
    f = build_floor(ctx)
    o = order(ctx, f, "SO-5001", [(f.w.item, 1)])
    rows = [{"order_id": o["id"], "owner_id": f.w.owner, "weight_g": 100 + n,
             "state": "packed", "packed_by": "", "created_at": ctx.now()}
            for n in range(1_203)]
    with ctx.write() as conn:
        ids = ls.insert_ids(conn, cartons, rows)
        weights = dict(conn.execute(sa.select(cartons.c.id, cartons.c.weight_g)).all())
    assert len(set(ids)) == len(rows)
    assert [weights[i] for i in ids] == [r["weight_g"] for r in rows]


def test_a_batch_of_picks_posts_one_movement_per_task_and_completes_the_orders(ctx):
    f = build_floor(ctx)
    orders = [order(ctx, f, f"SO-60{n:02d}", [(f.w.item, 1)]) for n in range(6)]
    allocate_orders(ctx, [o["id"] for o in orders])
    wave = picking.create_waves(ctx, f.w.facility, order_ids=[o["id"] for o in orders])[0]
    tasks = picking.list_pick_tasks(ctx, wave["id"])
    done = picking.confirm_picks(ctx, [picking.PickConfirm(t["id"], t["location_barcode"],
                                                           f.tent_gtin) for t in tasks],
                                 user="ana", device="HH-07")
    assert len({d["movement_id"] for d in done}) == len(tasks)
    by_id = {t["id"]: t for t in picking.list_pick_tasks(ctx, wave["id"], state=None)}
    for d in done:
        assert by_id[d["task_id"]]["state"] == "picked"
        assert by_id[d["task_id"]]["movement_id"] == d["movement_id"]
        assert by_id[d["task_id"]]["picked_by"] == "ana"
        assert by_id[d["task_id"]]["picked_at"] is not None
    for o in orders:
        got = get_order(ctx, o["id"], None)
        assert got["state"] == "picked"
        assert [(ln["allocated"], ln["picked"]) for ln in got["lines"]] == [(0, 1)]
    assert picking.get_wave(ctx, wave["id"])["state"] == "picked"
    assert stock.verify(ctx)["ok"]


def test_every_unit_of_a_carton_is_checked_even_after_the_same_label_passed(ctx):
    f = build_floor(ctx)
    o = order(ctx, f, "SO-7001", [(f.w.item, 2)])
    allocate_orders(ctx, [o["id"]])
    wave = picking.create_waves(ctx, f.w.facility, order_ids=[o["id"]])[0]
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], f.tent_gtin)
    with pytest.raises(WrongItem):
        shipping.pack_carton(ctx, o["id"], [f.tent_gtin, f.lamp_gtin])
    assert get_order(ctx, o["id"], None)["lines"][0]["packed"] == 0
    packed = shipping.pack_carton(ctx, o["id"], [f.tent_gtin, f.tent_gtin])
    assert packed["lines"] == [{"order_line_id": packed["lines"][0]["order_line_id"],
                                "lot": "", "qty": 2}]


def test_a_remembered_scan_is_the_same_scan_and_refusals_are_never_remembered():
    good = with_check_digit("0950600012345")
    assert parse_scan(good) == parse_scan(good) == parse_scan(good)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    for _ in range(2):
        with pytest.raises(BadCheckDigit):
            parse_scan(bad)
        with pytest.raises(MalformedBarcode):
            parse_scan([good])  # type: ignore[arg-type]
