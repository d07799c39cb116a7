"""Supervisor desk flows in a real browser: release a wave and open its pick list; move
stock to another facility with a transfer; take a customer return back and decide each
line; and the dashboard's trend charts drawn as SVG."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect

from shelfwise.domain.counting import Tolerance
from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, counting, ledger, orders, picking, shipping, stock
from shelfwise.services.counting import CountedLine
from shelfwise.services.orders import OrderSpec
from tests.browser.conftest import Live, screenshot
from tests.factories import gtin, move

pytestmark = pytest.mark.browser

SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno",
           "postcode": "89501", "country": "US"}
CUTOFF = datetime(2030, 10, 1, 16, 0, tzinfo=UTC)


def _allocated(live: Live, number: str, lines: list[tuple[int, int]], **kw) -> int:
    w = live.world
    oid = orders.create_order(live.ctx, OrderSpec(w.owner, w.facility, number, tuple(lines),
                                                  SHIP_TO, **kw))["id"]
    orders.allocate_order(live.ctx, oid)
    return oid


def _gas_scan(lot: str, expiry: date) -> str:
    return f"01{gtin(2).zfill(14)}17{expiry:%y%m%d}10{lot}"


def _shipped_order(live: Live, number: str) -> int:
    """Three tents and two gas canisters of lot L2406A: picked, packed and shipped."""
    ctx, w = live.ctx, live.world
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 6, 30), None)
    ledger.post_movement(ctx, move(w.owner, w.lot_item, w.supplier, w.bins[1], 10,
                                   lot="L2406A", type=MovementType.RECEIPT))
    oid = _allocated(live, number, [(w.item, 3), (w.lot_item, 2)])
    [wave] = picking.create_waves(ctx, w.facility, order_ids=[oid])
    packed = []
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        scan = gtin(1) if t["item_id"] == w.item else _gas_scan(t["lot"], t["expiry"])
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], scan)
        packed += [scan] * t["qty"]
    shipping.pack_carton(ctx, oid, packed)
    shipping.ship_order(ctx, oid)
    return oid


def test_a_supervisor_releases_a_wave_and_sees_its_pick_tasks(live: Live, desktop: Page):
    w = live.world
    first = _allocated(live, "SO-5001", [(w.item, 4)], carrier="ups", cutoff_at=CUTOFF)
    _allocated(live, "SO-5002", [(w.item, 2)], carrier="ups", cutoff_at=CUTOFF, channel="b2b")
    later = _allocated(live, "SO-5003", [(w.item, 1)], carrier="dhl")
    desktop.goto("/supervisor/waves")
    expect(desktop.locator("[data-group]")).to_have_count(2)
    expect(desktop.locator("[data-plan]")).to_contain_text("2 wave(s)")
    desktop.select_option("select[name=channel]", "b2b")
    desktop.get_by_role("button", name="Filter").click()
    expect(desktop.locator("tr[data-order]")).to_have_count(1)
    desktop.select_option("select[name=channel]", "")
    desktop.get_by_role("button", name="Filter").click()
    expect(desktop.locator("tr[data-order]")).to_have_count(3)
    screenshot(desktop, "supervisor-waves-board")

    desktop.check("tr[data-order='SO-5001'] input[name=order_id]")
    desktop.check("tr[data-order='SO-5002'] input[name=order_id]")
    desktop.get_by_role("button", name="Release selected").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Wave released")
    expect(desktop.locator("tr[data-order]")).to_have_count(1)  # SO-5003 still waits
    wave_id = orders.get_order(live.ctx, first, None)["wave_id"]
    row = desktop.locator(f"[data-table='waves'] tr[data-wave='{wave_id}']")
    expect(row.locator("[data-progress]")).to_have_text("0/2")
    assert orders.get_order(live.ctx, later, None)["state"] == "allocated"

    desktop.locator(f"[data-wave-link='{wave_id}']").click()
    expect(desktop.locator("h1")).to_contain_text(f"Wave {wave_id}")
    tasks = desktop.locator("[data-table='pick-tasks'] tr[data-task]")
    expect(tasks).to_have_count(2)
    expect(tasks.first).to_contain_text("A-01-01-A")
    expect(tasks.first).to_contain_text("TENT-2P")
    screenshot(desktop, "supervisor-wave-pick-list")


def test_a_transfer_is_shipped_to_another_facility_and_received_there(live: Live,
                                                                        desktop: Page):
    w = live.world
    desktop.goto("/supervisor/transfers")
    expect(desktop.locator("[data-in-transit-empty]")).to_be_visible()
    form = desktop.locator("form[data-form='new-transfer']")
    form.locator("select[name=source_facility_id]").select_option(label="WH1")
    form.locator("select[name=dest_facility_id]").select_option(label="WH2")
    form.locator("input[name=reference]").fill("TR-2026-07")
    form.locator("[data-line='0'] select[name=item_id]").select_option(label="ACME · TENT-2P")
    form.locator("[data-line='0'] input[name=qty]").fill("5")
    form.get_by_role("button", name="Draft transfer").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Transfer drafted")

    draft = desktop.locator("[data-transfer][data-state='draft']")
    expect(draft.locator("select[name=source]")).to_contain_text("A-01-01-A")
    draft.get_by_role("button", name="Ship from WH1").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Transfer shipped")
    for facility, direction in (("WH1", "outbound"), ("WH2", "inbound")):
        row = desktop.locator(f"[data-table='in-transit'][data-facility='{facility}'] "
                              f"tr[data-direction='{direction}'][data-item='TENT-2P']")
        expect(row.locator("[data-qty]")).to_have_text("5")
    assert stock.level(live.ctx, w.owner, w.item, w.facility)["on_hand"] == 35
    assert stock.level(live.ctx, w.owner, w.item, w.facility2)["in_transit"] == 5
    screenshot(desktop, "supervisor-transfer-in-transit")

    shipped = desktop.locator("[data-transfer][data-state='shipped']")
    shipped.locator("select[name=to_location_id]").select_option(label="B-01-01-A (storage)")
    shipped.get_by_role("button", name="Receive at WH2").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Transfer received")
    expect(desktop.locator("[data-in-transit-empty]")).to_be_visible()
    expect(desktop.locator("[data-table='transfers'] tr[data-transfer] [data-state]")
           ).to_have_text("received")
    level = stock.level(live.ctx, w.owner, w.item, w.facility2)
    assert (level["on_hand"], level["in_transit"]) == (5, 0)
    report = stock.verify(live.ctx)
    assert report["ok"], report


def test_a_return_is_received_and_one_line_restocked_the_other_scrapped(live: Live,
                                                                         desktop: Page):
    w = live.world
    _shipped_order(live, "SO-6001")
    tents_before = stock.level(live.ctx, w.owner, w.item, w.facility)
    gas_before = stock.level(live.ctx, w.owner, w.lot_item, w.facility)

    desktop.goto("/supervisor/returns")
    desktop.locator("input[name=order]").fill("SO-6001")
    desktop.get_by_role("button", name="Find order").click()
    form = desktop.locator("form[data-form='new-rma']")
    expect(form.locator("tr[data-item='GAS-230'] input[name=lot]")).to_have_value("L2406A")
    form.locator("tr[data-item='TENT-2P'] input[name=qty]").fill("2")
    form.locator("tr[data-item='GAS-230'] input[name=qty]").fill("1")
    form.get_by_role("button", name="Authorise return").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Return authorised")

    card = desktop.locator("[data-rma][data-state='authorised']")
    expect(card.locator("select[name=to_location_id]")).to_contain_text("DOCK-01")
    card.get_by_role("button", name="Receive").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Return received")
    screenshot(desktop, "supervisor-returns-inspect")

    tent = desktop.locator("[data-rma][data-state='received'] tr[data-item='TENT-2P']")
    tent.locator("select[name=disposition]").select_option("restock")
    tent.locator("select[name=to_location_id]").select_option(label="A-01-02-A (storage)")
    tent.get_by_role("button", name="Decide").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("Line restock")
    expect(tent.locator("[data-disposition]")).to_have_text("restock")
    expect(tent.locator("[data-available]")).to_have_text(str(tents_before["available"] + 2))

    gas = desktop.locator("[data-rma][data-state='received'] tr[data-item='GAS-230']")
    gas.locator("select[name=disposition]").select_option("scrap")
    gas.locator("input[name=reason]").fill("dented")
    gas.get_by_role("button", name="Decide").click()
    expect(desktop.locator("[data-result='good']")).to_contain_text("RMA closed")
    expect(desktop.locator("[data-table='rmas'] tr[data-rma] [data-state]")).to_have_text(
        "closed")

    tents = stock.level(live.ctx, w.owner, w.item, w.facility)
    gas_now = stock.level(live.ctx, w.owner, w.lot_item, w.facility)
    assert tents["on_hand"] == tents_before["on_hand"] + 2
    assert tents["available"] == tents_before["available"] + 2
    assert gas_now["on_hand"] == gas_before["on_hand"]  # the canister went to scrap
    desktop.goto(f"/items/{w.item}")
    expect(desktop.locator("[data-table='balances'] tr[data-location='A-01-02-A'] [data-qty]")
           ).to_have_text("2")
    assert stock.verify(live.ctx)["ok"]


def test_the_dashboard_draws_orders_per_day_and_count_accuracy_as_svg(live: Live,
                                                                       desktop: Page):
    w = live.world
    for n in range(3):
        _allocated(live, f"SO-70{n:02d}", [(w.item, 1)])
    [task] = counting.create_count_tasks(live.ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                         tolerance=Tolerance(units=1))
    bin_code = catalog.get_location(live.ctx, w.bins[0])["barcode"]
    counting.submit_count(live.ctx, task["id"], location_scan=bin_code,
                          lines=[CountedLine(gtin(1), 40)])  # the books were right
    desktop.goto("/")
    orders_chart = desktop.locator("svg.chart[data-chart='Orders per day']")
    expect(orders_chart).to_be_visible()
    expect(orders_chart.locator("rect.bar")).to_have_count(30)
    today = orders_chart.locator("rect.bar").last
    expect(today).to_have_attribute("data-value", "3")
    accuracy = desktop.locator("svg.chart[data-chart='Counts within tolerance (% per week)']")
    expect(accuracy).to_be_visible()
    expect(accuracy.locator("rect.bar")).to_have_count(1)  # this week; the others are gaps
    expect(accuracy.locator("rect.bar")).to_have_attribute("data-value", "100")
    screenshot(desktop, "dashboard-trends")
    desktop.get_by_role("link", name="Trends", exact=True).click()
    expect(desktop.locator("[data-table='orders-per-day']")).to_contain_text("3")
