from shelfwise.services import ledger, stock
from tests.factories import build_world, move, stock_up


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
