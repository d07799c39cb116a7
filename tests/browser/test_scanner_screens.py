"""Scanner screens driven like a handheld: every value is typed into the focused field and
ended with Enter, as a keyboard-wedge scanner sends it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from shelfwise.services import orders, picking, putaway, receiving, scans, stock
from shelfwise.services.orders import OrderSpec
from tests.browser.conftest import Live, scan, screenshot
from tests.factories import gtin

pytestmark = pytest.mark.browser

TENT = gtin(1)
SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno", "postcode": "89501",
           "country": "US"}


def _result(page: Page, kind: str):
    box = page.locator(f"#panel .result.{kind}")
    expect(box).to_be_visible()
    return box


def test_receive_put_away_pick_pack_and_ship_are_done_by_scans_alone(live: Live, phone: Page):
    w, ctx = live.world, live.ctx
    rid = receiving.create_receipt(ctx, owner_id=w.owner, facility_id=w.facility,
                                   type="purchase_order", reference="PO-4471",
                                   supplier="Summit Gear", lines=[
                                       {"item_id": w.item, "expected_qty": 6}])["id"]

    # receive: dock, product, quantity
    phone.goto(f"/scan/receive/{rid}")
    screenshot(phone, "scan-receive")
    scan(phone, "DOCK-01", TENT, "6")
    expect(_result(phone, "good")).to_contain_text("Received")
    expect(phone.locator("[data-item='TENT-2P'] [data-received]")).to_have_text("6")
    phone.locator("#close-receipt").click()
    expect(_result(phone, "good")).to_contain_text("1 putaway task")

    # put away: go where the task says, scan the location and the product
    phone.goto("/scan/putaway")
    phone.locator("a.big").first.click()
    target = phone.locator(".task .target").inner_text().strip()
    screenshot(phone, "scan-putaway")
    scan(phone, target, TENT)
    expect(_result(phone, "good")).to_contain_text("6 unit(s)")

    # an order is allocated and released in a wave (office work, not scanning)
    oid = orders.create_order(ctx, OrderSpec(w.owner, w.facility, "SO-10023", ((w.item, 4),),
                                             SHIP_TO))["id"]
    orders.allocate_order(ctx, oid)
    wave = picking.create_waves(ctx, w.facility, order_ids=[oid])[0]["id"]

    # pick: task by task along the path
    phone.goto(f"/scan/pick/{wave}")
    screenshot(phone, "scan-pick")
    for _ in range(10):
        if phone.locator("[data-done]").count():
            break
        bin_code = phone.locator(".task .target").inner_text().strip()
        scan(phone, bin_code, TENT)
        expect(_result(phone, "good")).to_contain_text("Picked")
    expect(phone.locator("[data-done]")).to_be_visible()

    # pack: one scan per unit, an empty Enter closes the carton; then ship
    phone.goto(f"/scan/pack/{oid}")
    scan(phone, TENT, TENT, TENT, TENT)
    expect(phone.locator("ol.scanned li")).to_have_count(4)
    screenshot(phone, "scan-pack")
    phone.keyboard.press("Enter")
    expect(_result(phone, "good")).to_contain_text("SSCC")
    expect(phone.locator("h1 [data-state]")).to_have_text("packed")
    phone.locator("#ship").click()
    expect(_result(phone, "good")).to_contain_text("Shipped")
    expect(phone.locator("h1 [data-state]")).to_have_text("shipped")

    # the ledger tells the whole story, with who, which device and what was scanned
    lines = stock.history(ctx, None, item_id=w.item, limit=50)
    by_type = {r["type"]: r for r in reversed(lines)}
    assert {"receipt", "putaway", "pick", "ship"} <= set(by_type)
    assert by_type["receipt"]["scans"] == ["DOCK-01", TENT]
    assert by_type["receipt"]["device"] == "HH-07"
    assert by_type["putaway"]["scans"] == [target, TENT]
    assert by_type["ship"]["qty"] == 4
    level = stock.level(ctx, w.owner, w.item, w.facility)
    assert level["on_hand"] == 40 + 6 - 4
    assert putaway.list_putaway_tasks(ctx, None, state="open") == []
    assert stock.verify(ctx)["ok"]


def test_a_wrong_scan_shows_the_error_in_red_and_moves_nothing(live: Live, phone: Page):
    ctx = live.ctx
    before = stock.history(ctx, None, limit=500)
    phone.goto("/scan/move")
    bad_gtin = TENT[:-1] + str((int(TENT[-1]) + 1) % 10)
    scan(phone, "A-01-01-A", bad_gtin, "3", "A-01-02-A")
    box = _result(phone, "bad")
    expect(box.locator(".result-code")).to_have_text("bad_check_digit")
    expect(box).to_contain_text("check digit")
    screenshot(phone, "scan-move-refused")
    assert stock.history(ctx, None, limit=500) == before
    refused = scans.list_exceptions(ctx, None)
    assert [(r["code"], r["scanned"], r["device"]) for r in refused] == [
        ("bad_check_digit", bad_gtin, "HH-07")]
    # focus is back in the first field, ready for the rescan
    expect(phone.locator("#f-from_scan")).to_be_focused()


def test_moving_stock_by_scans_posts_a_move_with_the_scans(live: Live, phone: Page):
    w, ctx = live.world, live.ctx
    phone.goto("/scan/move")
    expect(phone.locator("#f-from_scan")).to_be_focused()
    screenshot(phone, "scan-move")
    scan(phone, "A-01-01-A", TENT, "7", "A-02-01-A")
    expect(_result(phone, "good")).to_contain_text("7 × TENT-2P A-01-01-A → A-02-01-A")
    moved = stock.history(ctx, None, item_id=w.item, limit=1)[0]
    assert (moved["type"], moved["qty"], moved["scans"]) == ("move", 7, [
        "A-01-01-A", TENT, "A-02-01-A"])
    here = {b["location_code"]: b["qty"] for b in stock.bin_balances(ctx, None, item_id=w.item)}
    assert here == {"A-01-01-A": 33, "A-02-01-A": 7}
    # the form is cleared for the next move, focus in the first field again
    expect(phone.locator("#f-from_scan")).to_have_value("")
    expect(phone.locator("#f-from_scan")).to_be_focused()


def test_lookup_tells_what_a_scanned_product_or_location_is(live: Live, phone: Page):
    phone.goto("/scan/lookup")
    scan(phone, TENT)
    expect(phone.locator(".found[data-kind='item']")).to_contain_text("TENT-2P")
    expect(phone.locator(".found")).to_contain_text("A-01-01-A")
    screenshot(phone, "scan-lookup")
    scan(phone, "A-01-01-A")
    expect(phone.locator(".found[data-kind='location']")).to_contain_text("TENT-2P")
    scan(phone, "NO-SUCH-THING")
    expect(_result(phone, "bad").locator(".result-code")).to_have_text("unknown_barcode")
