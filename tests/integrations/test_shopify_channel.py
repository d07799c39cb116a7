"""A Shopify-style store sends order webhooks; stock levels flow back to it."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.webhooks_inbound import router
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.ledger import MovementType
from shelfwise.integrations import shopify
from shelfwise.services import catalog, ledger
from shelfwise.services.orders import allocate_order, get_order, list_orders
from shelfwise.storage.integration_tables import channel_configs, inbound_messages
from tests.factories import build_world, gtin, move

SAMPLE = (Path(__file__).parents[1] / "data" / "shopify" / "orders_create.json").read_bytes()
SECRET = "shpss_8c1d0f5e2a7b4c9d"


@pytest.fixture
def shop(ctx):
    w = build_world(ctx)
    shirt = catalog.create_item(ctx, ItemSpec(w.owner, "TSHIRT-BLU-M", "Classic tee blue M",
                                              (gtin(11),)))["id"]
    mug = catalog.create_item(ctx, ItemSpec(w.owner, "MUG-CER-12OZ", "Ceramic mug 12 oz",
                                            (gtin(12),)))["id"]
    ledger.post_movements(ctx, [
        move(w.owner, shirt, w.supplier, w.bins[0], 40, type=MovementType.RECEIPT),
        move(w.owner, mug, w.supplier, w.bins[1], 15, type=MovementType.RECEIPT)])
    ch = shopify.create_channel(ctx, owner_id=w.owner, facility_id=w.facility, code="SHOP",
                                shared_secret=SECRET, shop_domain="acme-outdoor.myshopify.com",
                                sync_url="http://127.0.0.1:9/unused", sync_interval_s=60)
    return {"w": w, "shirt": shirt, "mug": mug, "channel": ch["id"]}


@pytest.fixture
def api(ctx):
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    with TestClient(app) as c:
        yield c


def headers(body: bytes, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            secret: str = SECRET) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": shopify.signature(secret, body),
            "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "acme-outdoor.myshopify.com",
            "Content-Type": "application/json"}


def count(ctx, table) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_a_signed_order_webhook_becomes_one_outbound_order(ctx, shop, api):
    path = f"/api/channels/{shop['channel']}/webhooks/orders-create"
    r = api.post(path, content=SAMPLE, headers=headers(SAMPLE))
    assert r.status_code == 200, r.text
    assert r.json()["number"] == "SHOP-1042" and r.json()["duplicate"] is False
    order = get_order(ctx, r.json()["order_id"], None)
    assert order["state"] == "new"
    assert {(ln["item_id"], ln["ordered"]) for ln in order["lines"]} == {
        (shop["shirt"], 2), (shop["mug"], 1)}
    assert order["ship_to"] == {"name": "Jane Buyer", "lines": ["Buyer Co", "500 Market St",
                                                                "Suite 12"],
                                "city": "Philadelphia", "postcode": "19106", "country": "US"}


def test_a_bad_signature_is_refused_with_401_and_writes_nothing(ctx, shop, api):
    path = f"/api/channels/{shop['channel']}/webhooks/orders-create"
    tampered = SAMPLE.replace(b'"quantity": 2', b'"quantity": 20')
    r = api.post(path, content=tampered, headers=headers(SAMPLE))
    assert r.status_code == 401 and r.json()["code"] == "bad_signature"
    r = api.post(path, content=SAMPLE, headers=headers(SAMPLE, secret="not-the-shop-secret"))
    assert r.status_code == 401
    r = api.post(path, content=SAMPLE, headers={"X-Shopify-Webhook-Id": "x"})
    assert r.status_code == 401
    assert list_orders(ctx, None) == [] and count(ctx, inbound_messages) == 0


def test_the_same_webhook_delivered_five_times_creates_one_order(ctx, shop, api):
    path = f"/api/channels/{shop['channel']}/webhooks/orders-create"
    results = [api.post(path, content=SAMPLE, headers=headers(SAMPLE)).json() for _ in range(5)]
    assert [r["duplicate"] for r in results] == [False, True, True, True, True]
    assert len({r["order_id"] for r in results}) == 1
    assert len(list_orders(ctx, None)) == 1


def test_five_concurrent_deliveries_of_one_webhook_create_one_order(ctx, shop):
    start = threading.Barrier(5)

    def deliver(_: int) -> dict:
        start.wait()
        return shopify.receive_webhook(ctx, shop["channel"], "orders/create", SAMPLE,
                                       headers(SAMPLE))

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(deliver, range(5)))
    assert sorted(r["duplicate"] for r in results) == [False, True, True, True, True]
    assert len({r["order_id"] for r in results}) == 1
    assert len(list_orders(ctx, None)) == 1 and count(ctx, inbound_messages) == 1


def test_an_unknown_sku_is_refused_and_the_redelivery_succeeds_once_the_item_exists(
        ctx, shop, api):
    body = SAMPLE.replace(b'"MUG-CER-12OZ"', b'"MUG-CER-16OZ"')
    path = f"/api/channels/{shop['channel']}/webhooks/orders-create"
    r = api.post(path, content=body, headers=headers(body))
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    assert r.json()["skus"] == ["MUG-CER-16OZ"]
    assert list_orders(ctx, None) == [] and count(ctx, inbound_messages) == 0
    catalog.create_item(ctx, ItemSpec(shop["w"].owner, "MUG-CER-16OZ", "Ceramic mug 16 oz"))
    r = api.post(path, content=body, headers=headers(body))
    assert r.status_code == 200 and len(list_orders(ctx, None)) == 1


def test_another_owners_sku_is_not_mapped(ctx, shop, api):
    body = SAMPLE.replace(b'"MUG-CER-12OZ"', b'"LAMP-OAK"')  # NORDIC's item
    r = api.post(f"/api/channels/{shop['channel']}/webhooks/orders-create", content=body,
                 headers=headers(body))
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"


def test_a_cancel_webhook_cancels_the_order_and_frees_its_stock(ctx, shop, api):
    base = f"/api/channels/{shop['channel']}/webhooks"
    oid = api.post(f"{base}/orders-create", content=SAMPLE, headers=headers(SAMPLE)).json()[
        "order_id"]
    allocate_order(ctx, oid)
    cancel = json.dumps({"id": 6123456789012345678, "name": "#1042",
                         "cancel_reason": "customer"}).encode()
    r = api.post(f"{base}/orders-cancelled", content=cancel,
                 headers=headers(cancel, webhook_id="c0ffee00-0000-4000-8000-000000000001"))
    assert r.status_code == 200, r.text
    assert get_order(ctx, oid, None)["state"] == "cancelled"
    again = api.post(f"{base}/orders-cancelled", content=cancel,
                     headers=headers(cancel, webhook_id="c0ffee00-0000-4000-8000-000000000001"))
    assert again.json()["duplicate"] is True


class FakeShop:
    """Stands in for the store's inventory API (as an httpx transport)."""

    def __init__(self) -> None:
        self.pushes: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Shelfwise-Signature"] == shopify.signature(
            SECRET, request.content)
        self.pushes.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True})


class FakeShopServer(ThreadingHTTPServer):
    """The store's inventory API as a real local HTTP server (127.0.0.1, threads)."""

    def __init__(self) -> None:
        shop = FakeShop()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                req = httpx.Request("POST", self.path, content=body,
                                    headers=dict(self.headers.items()))
                status = shop(req).status_code
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)
        self.shop = shop
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/admin/inventory_levels/set"


def test_available_stock_is_pushed_when_it_changes_at_most_once_per_interval(
        ctx, clock, shop, api):
    server = FakeShopServer()
    with ctx.write() as conn:
        conn.execute(sa.update(channel_configs).values(sync_url=server.url))
    fake = server.shop
    first = shopify.sync_inventory(ctx)[0]
    assert first["levels"] == {"MUG-CER-12OZ": 15, "TSHIRT-BLU-M": 40}
    assert shopify.sync_inventory(ctx)[0]["pushed"] == 0  # nothing changed

    oid = api.post(f"/api/channels/{shop['channel']}/webhooks/orders-create", content=SAMPLE,
                   headers=headers(SAMPLE)).json()["order_id"]
    allocate_order(ctx, oid)  # holds 2 shirts and 1 mug
    clock.advance(seconds=10)
    assert shopify.sync_inventory(ctx)[0]["skipped"] == "debounced"
    clock.advance(seconds=60)
    pushed = shopify.sync_inventory(ctx)[0]
    assert pushed["levels"] == {"MUG-CER-12OZ": 14, "TSHIRT-BLU-M": 38}
    assert len(fake.pushes) == 2
    assert fake.pushes[1]["shop_domain"] == "acme-outdoor.myshopify.com"
    server.shutdown()


def test_a_failed_push_is_retried_with_the_same_changes(ctx, clock, shop):
    calls = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503)

    result = shopify.sync_inventory(ctx, client=httpx.Client(transport=httpx.MockTransport(down)))
    assert result[0]["error"] == "HTTP 503"
    fake = FakeShop()
    again = shopify.sync_inventory(ctx, client=httpx.Client(transport=httpx.MockTransport(fake)))
    assert again[0]["levels"] == {"MUG-CER-12OZ": 15, "TSHIRT-BLU-M": 40}
