"""The diagnosis page in a browser, on five weeks of a simulated operation with known
faults (shelfwise.bench.diagnose): zone B at DX1 mispicks and misplaces stock (control),
and some items run out because of a biased forecast or a slow supplier (management).
The page must draw its charts as SVG, put the costliest problems first, and filter.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from shelfwise.bench.diagnose import Scenario, Simulation
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_planner_pages import _serving
from tests.conftest import FakeClock

pytestmark = pytest.mark.browser

CHARTS = ("Count accuracy by zone (%)", "Refused scans per 1,000 by zone",
          "Item x facility calls", "Cost of problems by kind")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path,
              browser: Browser) -> Iterator[str]:
    """One simulated operation served for every test here (simulating takes seconds;
    the page only reads)."""
    db = tmp_path_factory.mktemp("diagnosis") / "dx.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url, synchronous="OFF")
    clock = FakeClock()
    ctx = Context(engine=engine, settings=Settings(database_url=url, auth=False), clock=clock)
    Simulation(ctx, clock, 1, Scenario(days=35)).run()
    with _serving(ctx) as base:
        yield base
    engine.dispose()


@pytest.fixture
def page(browser: Browser, simulated: str) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=simulated)
    context.set_default_timeout(10000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_the_diagnosis_page_draws_its_charts_and_ranks_where_to_look(page: Page):
    page.goto("/diagnosis")
    for title in CHARTS:
        expect(page.locator(f"svg.chart[data-chart='{title}']")).to_be_visible()
    zone_b = page.locator("svg.chart[data-chart='Count accuracy by zone (%)'] "
                          "rect[data-label='DX1/B']")
    zone_a = page.locator("svg.chart[data-chart='Count accuracy by zone (%)'] "
                          "rect[data-label='DX1/A']")
    assert float(zone_b.get_attribute("data-value")) < float(zone_a.get_attribute("data-value"))
    calls = page.locator("svg.chart[data-chart='Item x facility calls'] rect.bar")
    expect(calls).to_have_count(4)
    assert float(page.locator("svg.chart[data-chart='Item x facility calls'] "
                              "rect[data-label='control']").get_attribute("data-value")) >= 1

    ranked = page.locator("[data-table='where-to-look'] > li")
    expect(ranked.first).to_be_visible()
    costs = [int(c) for c in ranked.evaluate_all("els => els.map(e => e.dataset.cost)")]
    assert costs == sorted(costs, reverse=True) and costs[0] > 0
    expect(page.locator("[data-table='where-to-look'] li[data-scope='zone']").first
           ).to_contain_text("DX1 zone B")
    first = ranked.first
    expect(first.locator(".evidence li").first).not_to_be_empty()
    expect(first.locator(".action")).to_contain_text("Do:")
    expect(page.locator("[data-head='control'] strong")).not_to_have_text("0")
    expect(page.locator("[data-table='items'] tr[data-call='management']").first).to_be_visible()
    screenshot(page, "diagnosis")


def test_filters_narrow_the_diagnosis_and_a_bad_period_is_explained(page: Page):
    page.goto("/diagnosis")
    page.select_option("select[name=facility_id]", label="DX2")
    page.select_option("select[name=call]", "")
    page.locator("[data-filters] button").click()
    expect(page).to_have_url(re.compile(r"facility_id=\d+"))
    rows = page.locator("[data-table='items'] tbody tr")
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.facility)")) == {"DX2"}
    expect(page.locator("rect[data-label='DX1/B']")).to_have_count(0)

    page.fill("input[name=period]", "Q4 2026")
    page.locator("[data-filters] button").click()
    expect(page.locator(".result.bad")).to_contain_text("invalid_period")
    expect(page.locator("svg.chart")).to_have_count(0)


def test_the_diagnosis_page_fits_a_phone(browser: Browser, simulated: str):
    context = browser.new_context(viewport=PHONE, base_url=simulated, is_mobile=True)
    p = context.new_page()
    try:
        assert p.goto("/diagnosis").status == 200
        expect(p.locator("svg.chart").first).to_be_visible()
        overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the phone"
        screenshot(p, "diagnosis")
    finally:
        context.close()
