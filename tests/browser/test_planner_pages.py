"""The planner's screens in a browser: suggestions with their why, and decisions that
become real purchase and transfer orders (or nothing, when rejected). With logins on,
only a planner gets the buttons, and the server refuses anyone else's decision.

The world is six weeks of tent sales (tests/planning_world.py): WH1 sells ten a day and
is nearly out, WH2 holds far more than it needs, so the plan buys for WH1 and moves
stock from WH2.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from shelfwise.api.app import create_app
from shelfwise.services import planning, receiving, transfers
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from tests.api.access_helpers import PASSWORD, cheap_hashing, make_user  # noqa: F401
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, screenshot, serving  # noqa: F401
from tests.conftest import FakeClock
from tests.planning_world import PlanningWorld, seed_planning_world

pytestmark = pytest.mark.browser


@dataclass
class Planned:
    url: str
    ctx: Context
    pw: PlanningWorld
    run_id: int

    def suggestion(self, kind: str) -> dict:
        return planning.list_suggestions(self.ctx, run_id=self.run_id, kind=kind)[0]


@contextmanager
def _serving(ctx: Context) -> Iterator[str]:
    """The whole app on a free port in a thread, as the ``live`` fixture serves it."""
    with serving(create_app(ctx)) as url:
        yield url


def _planned(tmp_path: Path, template: Path, *, auth: bool) -> Iterator[Planned]:
    db = tmp_path / "plan.db"
    shutil.copy(template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url, synchronous="OFF")
    clock = FakeClock()
    ctx = Context(engine=engine, settings=Settings(database_url=url, auth=auth), clock=clock)
    pw = seed_planning_world(ctx, clock)
    run = planning.run_plan(ctx, user="nightly")
    try:
        with _serving(ctx) as base:
            yield Planned(base, ctx, pw, run["run_id"])
    finally:
        engine.dispose()


@pytest.fixture
def planned(tmp_path: Path, sqlite_template: Path, browser: Browser) -> Iterator[Planned]:
    yield from _planned(tmp_path, sqlite_template, auth=False)


@pytest.fixture
def planned_with_logins(tmp_path: Path, sqlite_template: Path, browser: Browser,
                        cheap_hashing: None) -> Iterator[Planned]:  # noqa: F811
    yield from _planned(tmp_path, sqlite_template, auth=True)


@contextmanager
def _page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    context.set_default_timeout(8000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _row(page: Page, suggestion_id: int):
    return page.locator(f"tbody[data-suggestion='{suggestion_id}']")


def test_a_planner_reads_the_why_and_approves_a_purchase_into_a_real_purchase_order(
        planned: Planned, browser: Browser):
    buy = planned.suggestion("purchase")
    with _page(browser, planned.url) as page:
        page.goto("/planning")
        expect(page.locator("#run h2")).to_contain_text(f"Plan run {planned.run_id}")
        group = page.locator(f"section.po-group[data-group='{buy['group_ref']}']")
        expect(group).to_be_visible()
        row = _row(page, buy["id"])
        expect(row.locator(".why-text")).to_contain_text("safety stock")
        for figure in ("forecast", "lead_time", "service_level", "safety_stock",
                       "reorder_point", "position"):
            expect(row.locator(f"[data-why='{figure}']")).to_be_visible()
        expect(row.locator("[data-why='service_level'] b")).to_have_text("95%")
        row.locator("details summary").click()
        expect(row.locator("table.figures")).to_contain_text("Reorder point")
        screenshot(page, "planning")

        row.locator("[data-action='approve']").click()
        expect(row.locator(".result.good")).to_contain_text("Approved")
        expect(_row(page, buy["id"])).to_have_attribute("data-state", "approved")
        expect(_row(page, buy["id"]).locator("[data-action]")).to_have_count(0)

    decided = planning.get_suggestion(planned.ctx, buy["id"])
    assert (decided["state"], decided["document_type"]) == ("approved", "receipt")
    po = receiving.get_receipt(planned.ctx, int(decided["document_id"]))
    assert po["type"] == "purchase_order" and po["facility_id"] == planned.pw.w.facility
    assert [(ln["item_id"], ln["expected"]) for ln in po["lines"]] == [
        (buy["item_id"], buy["qty"])]


def test_an_adjusted_transfer_becomes_a_transfer_order_of_the_planners_quantity(
        planned: Planned, browser: Browser):
    move = planned.suggestion("transfer")
    wanted = move["qty"] + 7
    with _page(browser, planned.url) as page:
        page.goto("/planning?kind=transfer")
        expect(page.locator("section.po-group")).to_have_count(0)
        row = _row(page, move["id"])
        expect(row.locator(".line")).to_contain_text("from WH2")
        expect(row.locator(".why-text")).to_contain_text("Projected to run out")
        row.locator("input[name=qty]").fill(str(wanted))
        row.locator("[data-action='approve']").click()
        expect(row.locator(".result.good")).to_contain_text("Adjusted and approved")
        expect(_row(page, move["id"])).to_have_attribute("data-state", "adjusted")
        expect(_row(page, move["id"]).locator("[data-qty]")).to_contain_text(str(wanted))

    decided = planning.get_suggestion(planned.ctx, move["id"])
    assert (decided["state"], decided["qty"], decided["proposed_qty"]) == (
        "adjusted", wanted, move["qty"])
    order = transfers.get_transfer(planned.ctx, int(decided["document_id"]), None)
    assert order["source_facility_id"] == planned.pw.w.facility2
    assert [ln["qty"] for ln in order["lines"]] == [wanted]


def test_a_rejected_suggestion_orders_nothing_and_a_bad_quantity_is_refused(
        planned: Planned, browser: Browser):
    buy = planned.suggestion("purchase")
    with _page(browser, planned.url) as page:
        page.goto("/planning")
        row = _row(page, buy["id"])
        row.locator("input[name=qty]").fill("0")
        row.locator("[data-action='approve']").click()
        expect(row.locator(".result.bad")).to_contain_text("invalid_quantity")
        expect(_row(page, buy["id"])).to_have_attribute("data-state", "proposed")

        _row(page, buy["id"]).locator("[data-action='reject']").click()
        expect(_row(page, buy["id"]).locator(".result.good")).to_contain_text("Rejected")
        expect(_row(page, buy["id"])).to_have_attribute("data-state", "rejected")
        page.goto("/planning?state=rejected")
        expect(_row(page, buy["id"])).to_be_visible()

    assert planning.get_suggestion(planned.ctx, buy["id"])["document_id"] == ""
    assert [r for r in receiving.list_receipts(planned.ctx, None)
            if r["type"] == "purchase_order"] == []


def test_run_plan_now_shows_the_new_run(planned: Planned, browser: Browser):
    with _page(browser, planned.url) as page:
        page.goto("/planning")
        page.select_option("select[name=service_level]", "0.98")
        page.locator("[data-action='run-plan']").click()
        expect(page).to_have_url(f"{planned.url}/planning?run_id={planned.run_id + 1}")
        expect(page.locator("#run h2")).to_contain_text(f"Plan run {planned.run_id + 1}")
        expect(page.locator("[data-run='service_level'] strong")).to_have_text("98%")
        expect(page.locator("tbody[data-kind='purchase']").first).to_be_visible()


def _log_in(page: Page, username: str) -> None:
    page.goto("/planning")  # no session yet: the login form, then back here
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/planning$"))


def test_only_a_planner_may_decide_and_the_server_refuses_anyone_else(
        planned_with_logins: Planned, browser: Browser):
    p = planned_with_logins
    make_user(p.ctx, "sam.supervisor", "supervisor")
    make_user(p.ctx, "pia.planner", "planner")
    buy = p.suggestion("purchase")

    with _page(browser, p.url) as page:
        _log_in(page, "sam.supervisor")
        row = _row(page, buy["id"])
        expect(row.locator(".why-text")).to_be_visible()
        expect(row.locator("[data-action]")).to_have_count(0)
        expect(page.locator("[data-read-only]")).to_be_visible()
        expect(page.locator("[data-action='run-plan']")).to_have_count(0)
        # the server, not only the page, refuses: a forged post with a valid session + CSRF
        token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))"
                              "['X-CSRF-Token']")
        for path in (f"/planning/suggestions/{buy['id']}/accept",
                     f"/planning/suggestions/{buy['id']}/reject", "/planning/runs"):
            r = page.request.post(path, headers={"X-CSRF-Token": token})
            assert r.status == 403, (path, r.status)
    assert planning.get_suggestion(p.ctx, buy["id"])["state"] == "proposed"

    with _page(browser, p.url) as page:
        _log_in(page, "pia.planner")
        row = _row(page, buy["id"])
        row.locator("[data-action='approve']").click()  # htmx sends the CSRF header
        expect(_row(page, buy["id"])).to_have_attribute("data-state", "approved")
    decided = planning.get_suggestion(p.ctx, buy["id"])
    assert (decided["state"], decided["decided_by"]) == ("approved", "pia.planner")
    assert receiving.get_receipt(p.ctx, int(decided["document_id"]))["type"] == "purchase_order"
