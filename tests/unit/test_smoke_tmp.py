import pytest
import sqlalchemy as sa

from shelfwise.services import ledger, stock
from tests.factories import build_world, stock_up


def test_smoke(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    lv = stock.level(ctx, w.owner, w.item, w.facility)
    assert lv["on_hand"] == 10 and lv["available"] == 10
    h = ledger.place_hold(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility, qty=4)
    assert stock.level(ctx, w.owner, w.item, w.facility)["available"] == 6
    ledger.post_hold(ctx, h["hold_id"], qty=3, to_location_id=w.staging, from_location_id=w.bins[0])
    lv = stock.level(ctx, w.owner, w.item, w.facility)
    assert lv["available"] == 7 and lv["in_process"] == 3 and lv["on_hand"] == 10
    assert stock.verify(ctx)["ok"], stock.verify(ctx)


def test_seal_then_tamper_is_detected(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    clock.advance(minutes=10)
    assert stock.seal(ctx) is not None
    assert stock.verify(ctx)["ok"]
    with pytest.raises(sa.exc.DBAPIError), ctx.write() as conn:
        conn.exec_driver_sql("UPDATE movement_lines SET qty = 11")
    # tamper below the trigger: drop it, edit, and the seal catches it
    with ctx.write() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER movements_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE movements DISABLE TRIGGER movements_append_only")
        conn.exec_driver_sql("UPDATE movements SET user_name = 'mallory'")
    report = stock.verify(ctx)
    assert report["broken_seals"] == 1 and not report["ok"]
