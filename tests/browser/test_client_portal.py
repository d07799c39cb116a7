"""The client portal in a real browser: Acme's user logs in through the login form and
walks every page the navigation offers, then its orders, receipts and invoices, and
never sees a trace of Nordic, the other client stored in the same building. Nordic's
pages typed in directly are "not found". Screenshots of the portal at phone and desktop
size go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from shelfwise.api.app import create_app
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    PASSWORD,
    cheap_hashing,
    make_user,
)
from tests.browser.conftest import DESKTOP, PHONE, screenshot, serving
from tests.conftest import FakeClock
from tests.web.portal_world import Tenants, build_tenants

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("cheap_hashing")]


class Portal:
    def __init__(self, url: str, ctx: Context, tenants: Tenants) -> None:
        self.url, self.ctx, self.t = url, ctx, tenants


@pytest.fixture
def portal(tmp_path: Path, sqlite_template: Path, browser: Browser,
           cheap_hashing: None) -> Iterator[Portal]:  # noqa: F811
    """The whole app with authentication on, serving Acme's and Nordic's month."""
    db = tmp_path / "portal.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url, synchronous="OFF")
    settings = Settings(database_url=url, auth=False)
    ctx = Context(engine=engine, settings=settings, clock=FakeClock())
    tenants = build_tenants(ctx)
    ctx = Context(engine=engine, clock=ctx.clock,
                  settings=replace(settings, auth=True, cookie_secure=False,
                                   rate_limit_burst=100_000, rate_limit_per_minute=100_000))
    make_user(ctx, "acme-portal", "client", [tenants.w.owner])
    make_user(ctx, "nordic-portal", "client", [tenants.w.other_owner])
    with serving(create_app(ctx)) as url:
        yield Portal(url, ctx, tenants)
    engine.dispose()


def _logged_in(browser: Browser, portal: Portal, viewport: dict[str, int],
               username: str = "acme-portal") -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, base_url=portal.url,
                                  is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
                                  accept_downloads=True)
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/orders")  # no session yet: to the login form, then back here
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/orders$"))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def acme(browser: Browser, portal: Portal) -> Iterator[Page]:
    yield from _logged_in(browser, portal, DESKTOP)


def _no_trace_of_nordic(page: Page, portal: Portal) -> None:
    html = page.content()
    found = [m for m in portal.t.other_markers if m in html]
    assert found == [], f"{page.url} shows Nordic's {found}"


def test_a_client_walks_every_page_and_never_sees_another_clients_data(acme: Page,
                                                                        portal: Portal):
    acme.goto("/")
    nav = [a.get_attribute("href") for a in acme.locator("header nav a").all()]
    assert {"/orders", "/receipts", "/invoices"} <= set(nav)
    for href in nav:
        response = acme.goto(href)
        assert response is not None and response.status in (200, 403), href
        _no_trace_of_nordic(acme, portal)
    # every order, receipt and invoice Acme can open from its lists
    for listing in ("/orders", "/receipts", "/invoices"):
        acme.goto(listing)
        links = [a.get_attribute("href") for a in
                 acme.locator(f"[data-table='{listing[1:]}'] tbody a:not([href*=download])")
                 .all()]
        assert links, listing
        for href in links:
            response = acme.goto(href)
            assert response is not None and response.status == 200, href
            _no_trace_of_nordic(acme, portal)
    # items, their bins (one shared with Nordic) and the scanner's lists
    acme.goto("/items")
    for href in [a.get_attribute("href") for a in acme.locator("[data-table=items] a").all()]:
        acme.goto(href)
        _no_trace_of_nordic(acme, portal)
    acme.goto(f"/locations/{portal.t.other['location_id']}")
    expect(acme.locator("[data-table=balances] tr[data-item='TENT-2P']")).to_have_count(1)
    _no_trace_of_nordic(acme, portal)


def test_another_clients_pages_typed_in_directly_are_not_found(acme: Page, portal: Portal):
    o = portal.t.other
    for path in (f"/items/{o['item_id']}", f"/items/{o['lot_item_id']}",
                 f"/orders/{o['order_id']}", f"/orders/{o['waved_order_id']}",
                 f"/receipts/{o['receipt_id']}", f"/invoices/{o['invoice_id']}",
                 f"/scan/pack/{o['order_id']}", f"/scan/receive/{o['receipt_id']}",
                 f"/scan/pick/{o['wave_id']}"):
        response = acme.goto(path)
        assert response is not None and response.status == 404, path
        expect(acme.locator("h1")).to_have_text("Not found")
        _no_trace_of_nordic(acme, portal)
    response = acme.request.get(f"/invoices/{o['invoice_id']}/download?format=pdf")
    assert response.status == 404
    screenshot(acme, "portal-not-found")


def test_a_client_sees_its_own_orders_receipts_and_invoices(acme: Page, portal: Portal):
    t = portal.t
    acme.goto("/orders")
    expect(acme.locator("[data-table=orders] tbody tr")).to_have_count(2)
    shipped = acme.locator("tr[data-order='SO-ACME-2001']")
    expect(shipped.locator("[data-state]")).to_have_text("shipped")
    shipped.locator("a").click()
    expect(acme.locator("h1")).to_contain_text("Order SO-ACME-2001")
    expect(acme.locator("[data-table=lines] tr[data-sku='TENT-2P'] td").nth(8)).to_have_text("6")
    expect(acme.locator("[data-shipment] [data-tracking]")).to_have_text(t.own_markers[-1])
    expect(acme.locator("[data-table=cartons] tbody tr")).to_have_count(1)

    acme.goto("/receipts")
    acme.locator("tr[data-receipt='ASN-ACME-1001'] a").click()
    expect(acme.locator("[data-total=expected]")).to_have_text("60")
    expect(acme.locator("[data-total=received]")).to_have_text("58")
    expect(acme.locator("[data-table=lines] tr[data-status=short]")).to_have_count(1)
    expect(acme.locator("ul.discrepancies li")).to_contain_text("2 short")

    acme.goto("/invoices")
    expect(acme.locator("[data-table=invoices] tbody tr")).to_have_count(1)
    acme.locator("tr[data-invoice='INV-ACME-2026-10'] a").first.click()
    expect(acme.locator("[data-money=total]")).to_have_text("50.00 USD")
    with acme.expect_download() as download:
        acme.locator("[data-download=pdf]").click()
    assert download.value.suggested_filename == "INV-ACME-2026-10.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_filters_narrow_a_clients_lists(acme: Page):
    acme.goto("/orders")
    acme.select_option("select[name=state]", "waved")
    acme.locator(".filters button").click()
    expect(acme.locator("[data-table=orders] tbody tr[data-order]")).to_have_count(1)
    expect(acme.locator("tr[data-order='SO-ACME-2002']")).to_have_count(1)
    acme.fill("input[name=number]", "SO-NORDIC")
    acme.locator(".filters button").click()
    expect(acme.locator("[data-table=orders] tbody")).to_contain_text("No orders match")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_portal_screen_renders_and_is_captured(browser: Browser, portal: Portal,
                                                    viewport: dict[str, int]):
    t = portal.t
    screens = {
        "portal-orders": "/orders",
        "portal-order-shipped": f"/orders/{t.orders['SO-ACME-2001']}",
        "portal-order-waved": f"/orders/{t.orders['SO-ACME-2002']}",
        "portal-receipts": "/receipts",
        "portal-receipt-short": f"/receipts/{t.receipts['ASN-ACME-1001']}",
        "portal-receipt-receiving": f"/receipts/{t.receipts['PO-ACME-1002']}",
        "portal-invoices": "/invoices",
        "portal-invoice": f"/invoices/{t.invoices['INV-ACME-2026-10']}",
        "portal-dashboard": "/",
    }
    for page in _logged_in(browser, portal, viewport):
        for name, path in screens.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            expect(page.locator("h1")).to_be_visible()
            _no_trace_of_nordic(page, portal)
            screenshot(page, name)


def test_the_other_client_sees_its_own_portal_and_not_acmes(browser: Browser, portal: Portal):
    """The same pages, logged in as Nordic: the isolation holds both ways."""
    for page in _logged_in(browser, portal, DESKTOP, "nordic-portal"):
        page.goto("/orders")
        expect(page.locator("tr[data-order='SO-NORDIC-9001']")).to_have_count(1)
        for path in ("/orders", "/receipts", "/invoices", "/"):
            page.goto(path)
            html = page.content()
            assert not [m for m in portal.t.own_markers if m in html], path
            assert "ACME" not in html and "Acme Outdoor" not in html, path
        response = page.goto(f"/orders/{portal.t.orders['SO-ACME-2001']}")
        assert response is not None and response.status == 404
