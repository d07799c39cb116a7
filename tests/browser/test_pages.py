"""The dashboard updates live; item, location and supervisor pages render; screenshots
of every screen at phone and desktop size go to test-artifacts/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Live, screenshot

pytestmark = pytest.mark.browser


def test_a_movement_posted_through_the_api_appears_on_an_open_dashboard(live: Live,
                                                                        desktop: Page):
    w = live.world
    desktop.goto("/")
    expect(desktop.locator("body[data-live='on']")).to_have_count(1)
    wh1_acme = desktop.locator(
        "[data-facility='WH1'] tr[data-owner='ACME'] [data-figure='on_hand']")
    expect(wh1_acme).to_have_text("40")
    desktop.evaluate("window.__stillTheSamePage = true")

    r = httpx.post(f"{live.url}/api/movements", json={
        "owner_id": w.owner, "type": "receipt", "device": "EDI",
        "lines": [{"item_id": w.item, "from_location_id": w.supplier,
                   "to_location_id": w.bins[1], "qty": 5}]})
    assert r.status_code == 201, r.text

    expect(wh1_acme).to_have_text("45", timeout=5000)
    expect(desktop.locator("[data-grand='on_hand']")).to_have_text("45")
    expect(desktop.locator("[data-table='recent'] tbody tr").first).to_contain_text("receipt")
    assert desktop.evaluate("window.__stillTheSamePage") is True  # no reload happened
    screenshot(desktop, "dashboard-live")


def test_item_page_shows_balances_history_and_a_stock_chart(live: Live, desktop: Page):
    w = live.world
    desktop.goto(f"/items/{w.item}")
    expect(desktop.locator("[data-table='balances'] tr[data-location='A-01-01-A'] [data-qty]")
           ).to_have_text("40")
    expect(desktop.locator("svg.chart[data-chart='On hand over time']")).to_be_visible()
    expect(desktop.locator("[data-table='history'] tr[data-type='receipt']")).to_have_count(1)
    desktop.select_option("select[name=type]", "move")
    desktop.locator(".filters button").click()
    expect(desktop.locator("[data-table='history']")).to_contain_text("No movements match")
    desktop.goto(f"/locations/{w.bins[0]}")
    expect(desktop.locator("[data-table='balances'] tr[data-item='TENT-2P'] [data-qty]")
           ).to_have_text("40")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_screen_renders_and_is_captured(live: Live, browser, viewport):
    context = browser.new_context(viewport=viewport, base_url=live.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    screens = {
        "dashboard": "/", "item": f"/items/{live.world.item}",
        "location": f"/locations/{live.world.bins[0]}", "scan-menu": "/scan",
        "scan-lookup-empty": "/scan/lookup", "scan-move-empty": "/scan/move",
        "scan-receive-list": "/scan/receive", "scan-putaway-list": "/scan/putaway",
        "scan-pick-list": "/scan/pick", "scan-pack-list": "/scan/pack",
        "scan-count-list": "/scan/count", "supervisor-exceptions": "/supervisor/exceptions",
        "supervisor-holds": "/supervisor/holds", "supervisor-counts": "/supervisor/counts",
        "planning-empty": "/planning", "diagnosis-quiet": "/diagnosis",
        "supervisor-waves": "/supervisor/waves", "supervisor-transfers": "/supervisor/transfers",
        "supervisor-returns": "/supervisor/returns", "trends": "/trends",
    }
    try:
        for name, path in screens.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            expect(page.locator("h1")).to_be_visible()
            screenshot(page, name)
    finally:
        context.close()
    assert not errors
