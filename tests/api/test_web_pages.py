"""Web pages and the event stream, without a browser: scope, errors, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.domain.ledger import MovementType
from shelfwise.services import ledger, stock
from shelfwise.services.context import Context
from shelfwise.web import events, install_web
from tests.factories import World, build_world, gtin, move, stock_up


class ScopeTo:
    """Stand-in for authentication: every request is a client user of one owner."""

    def __init__(self, app, owners: frozenset[int]) -> None:
        self.app, self.owners = app, owners

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope.setdefault("state", {})["scope"] = self.owners
        await self.app(scope, receive, send)


def _app(ctx: Context):
    app = create_app(ctx)
    if not any(getattr(r, "path", "") == "/scan/move" for r in app.routes):
        install_web(app)
    return app


@pytest.fixture
def world(ctx: Context) -> World:
    w = build_world(ctx)
    stock_up(ctx, w, 40)
    ledger.post_movement(ctx, move(w.other_owner, w.other_item, w.supplier, w.bins[1], 9,
                                   type=MovementType.RECEIPT))
    return w


@pytest.fixture
def client(ctx: Context, world: World) -> Iterator[TestClient]:
    with TestClient(_app(ctx)) as c:
        yield c


def test_every_page_renders_for_warehouse_staff(client: TestClient, world: World):
    for path in ("/", "/partials/dashboard", f"/items/{world.item}",
                 f"/locations/{world.bins[0]}", "/items", "/scan", "/scan/lookup", "/scan/move",
                 "/scan/receive", "/scan/putaway", "/scan/pick", "/scan/pack", "/scan/count",
                 "/supervisor/exceptions", "/supervisor/holds", "/supervisor/counts"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")


def test_a_client_user_sees_only_its_own_owners_stock(ctx: Context, world: World):
    app = ScopeTo(_app(ctx), frozenset({world.other_owner}))
    with TestClient(app) as c:
        page = c.get("/").text
        assert "NORDIC" in page and "ACME" not in page
        assert c.get(f"/items/{world.item}").status_code == 404
        lookup = c.post("/scan/lookup", data={"code": gtin(1)})
        assert lookup.status_code == 422 and "unknown_gtin" in lookup.text


def test_an_unknown_item_is_a_404_page_not_a_crash(client: TestClient):
    r = client.get("/items/987654")
    assert r.status_code == 404 and "item_not_found" in r.text


def test_a_move_with_a_wrong_location_scan_is_refused_and_recorded(client: TestClient,
                                                                   ctx: Context):
    before = stock.history(ctx, None, limit=100)
    r = client.post("/scan/move", data={"from_scan": gtin(1), "item_scan": gtin(1), "qty": "2",
                                        "to_scan": "A-01-02-A", "key": "k1"})
    assert r.status_code == 422 and "wrong_location" in r.text
    assert stock.history(ctx, None, limit=100) == before


def test_a_move_replayed_with_the_same_form_key_posts_once(client: TestClient, ctx: Context,
                                                           world: World):
    form = {"from_scan": "A-01-01-A", "item_scan": gtin(1), "qty": "2", "to_scan": "A-01-02-A",
            "key": "retry-on-bad-wifi"}
    assert client.post("/scan/move", data=form).status_code == 200
    assert client.post("/scan/move", data=form).status_code == 200
    here = {b["location_code"]: b["qty"]
            for b in stock.bin_balances(ctx, None, item_id=world.item)}
    assert here == {"A-01-01-A": 38, "A-01-02-A": 2}


def test_the_event_stream_skips_other_owners_rows(ctx: Context, world: World):
    cursor, rows = events.rows_after(ctx, 0, frozenset({world.other_owner}))
    assert rows and all(r["owner_id"] in (None, world.other_owner) for r in rows)
    assert cursor == events.latest_id(ctx)
    assert events.rows_after(ctx, cursor, None) == (cursor, [])
    assert "event: movement.posted" in events.format_event(
        {"id": 7, "topic": "movement.posted", "owner_id": 1})
