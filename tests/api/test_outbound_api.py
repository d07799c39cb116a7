"""The outbound workflow over HTTP, and its refusals as problem+json."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.outbound import router
from tests.outbound_world import SHIP_TO, build_floor, gas_scan


def _client(ctx) -> TestClient:
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    return TestClient(app)


def test_an_order_goes_from_post_to_shipped_over_http(ctx):
    f = build_floor(ctx)
    api = _client(ctx)
    r = api.post("/api/orders", json={
        "owner_id": f.w.owner, "facility_id": f.w.facility, "number": "WEB-1",
        "ship_to": SHIP_TO, "lines": [{"item_id": f.w.lot_item, "qty": 3}]})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert api.post(f"/api/orders/{oid}/allocate").json()["state"] == "allocated"
    wave = api.post("/api/waves", json={"facility_id": f.w.facility, "order_ids": [oid]}).json()[0]
    (task,) = api.get(f"/api/waves/{wave['id']}/tasks").json()
    bad = api.post(f"/api/pick-tasks/{task['id']}/confirm",
                   json={"location_scan": "A-01-01-A", "item_scan": f.gas_gtin})
    assert bad.status_code == 422 and bad.json()["code"] == "wrong_location"
    scan = gas_scan(f, "L2403B", date(2027, 3, 31))
    ok = api.post(f"/api/pick-tasks/{task['id']}/confirm",
                  json={"location_scan": task["location_barcode"], "item_scan": scan})
    assert ok.status_code == 200, ok.text
    carton = api.post(f"/api/orders/{oid}/cartons", json={"scans": [scan] * 3})
    assert carton.status_code == 201 and len(carton.json()["sscc"]) == 18
    shipped = api.post(f"/api/orders/{oid}/ship").json()
    label = api.get(f"/api/shipments/{shipped['shipment_id']}/label")
    assert label.headers["content-type"] == "application/pdf"
    assert api.get(f"/api/orders/{oid}").json()["state"] == "shipped"
    assert api.get("/api/ledger/verify").json()["ok"]


def test_a_quantity_as_a_string_is_refused(ctx):
    f = build_floor(ctx)
    r = _client(ctx).post("/api/orders", json={
        "owner_id": f.w.owner, "facility_id": f.w.facility, "number": "WEB-2",
        "ship_to": SHIP_TO, "lines": [{"item_id": f.w.item, "qty": "3"}]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_quantity"


def test_shipping_an_unpacked_order_is_a_conflict(ctx):
    f = build_floor(ctx)
    api = _client(ctx)
    oid = api.post("/api/orders", json={
        "owner_id": f.w.owner, "facility_id": f.w.facility, "number": "WEB-3",
        "ship_to": SHIP_TO, "lines": [{"item_id": f.w.item, "qty": 1}]}).json()["id"]
    r = api.post(f"/api/orders/{oid}/ship")
    assert r.status_code == 409 and r.json()["code"] == "invalid_order_state"
