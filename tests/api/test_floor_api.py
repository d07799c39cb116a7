"""The floor workflows over HTTP: blind counts, quarantine, transfers, returns and
replenishment, with problem+json errors for bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers import counting as counting_api
from shelfwise.api.routers import movements_floor
from shelfwise.services import catalog, stock
from tests.factories import build_world, gtin, stock_up


@pytest.fixture
def api(ctx):
    app = create_app(ctx)
    app.include_router(counting_api.router, prefix="/api")
    app.include_router(movements_floor.router, prefix="/api")
    return TestClient(app)


def test_blind_count_over_http_never_shows_the_expected_quantity(api, ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 12)
    r = api.post("/api/count-tasks", json={"owner_id": w.owner, "location_ids": [w.bins[0]],
                                           "tolerance_units": 5})
    assert r.status_code == 201
    task = r.json()[0]
    shown = api.get(f"/api/count-tasks/{task['id']}").json()
    assert not any("expected" in k or "qty" in k for k in shown)
    r = api.post(f"/api/count-tasks/{task['id']}/submit", json={
        "location_scan": "A-01-01-A", "lines": [{"scan": gtin(1), "qty": 10}]})
    assert r.json() == {"task_id": task["id"], "state": "awaiting_approval"}
    review = api.get(f"/api/count-tasks/{task['id']}/review").json()
    assert review["results"][0]["variance"] == -2
    r = api.post(f"/api/count-tasks/{task['id']}/approve")
    assert r.status_code == 200 and r.json()["movement_id"]
    assert api.get("/api/counts/accuracy").json()["ira_by_counts"] == 1.0
    assert stock.level(ctx, w.owner, w.item, w.facility)["on_hand"] == 10


def test_bad_input_gets_problem_json_and_changes_nothing(api, ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    r = api.post("/api/quarantine/hold", json={"owner_id": w.owner, "item_id": w.item,
                                               "from_location_id": w.bins[0], "qty": "2",
                                               "reason": "recall"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_quantity"
    assert api.get("/api/count-tasks/999").json()["code"] == "count_task_not_found"
    r = api.post("/api/quarantine/hold", json={"owner_id": w.owner, "item_id": w.item,
                                               "from_location_id": w.bins[0], "qty": 9,
                                               "reason": "recall"})
    assert r.status_code == 409 and r.json()["code"] == "insufficient_stock"
    assert stock.level(ctx, w.owner, w.item, w.facility)["held"] == 0


def test_transfer_return_and_replenishment_over_http(api, ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 40)
    t = api.post("/api/transfers", json={"owner_id": w.owner, "source_facility_id": w.facility,
                                         "dest_facility_id": w.facility2,
                                         "lines": [{"item_id": w.item, "qty": 4}]}).json()
    r = api.post(f"/api/transfers/{t['id']}/ship", json={"picks": [
        {"line_id": t["lines"][0]["id"], "from_location_id": w.bins[0]}]})
    assert r.json()["state"] == "shipped"
    assert api.get(f"/api/facilities/{w.facility2}/in-transit").json()["inbound"][0]["qty"] == 4
    r = api.post(f"/api/transfers/{t['id']}/receive", json={"to_location_id": w.bins2[0]})
    assert r.json()["state"] == "received"

    rma = api.post("/api/rmas", json={"owner_id": w.owner, "facility_id": w.facility,
                                      "order_reference": "SO-10300",
                                      "lines": [{"item_id": w.item, "qty": 1}]}).json()
    api.post(f"/api/rmas/{rma['id']}/receive", json={"to_location_id": w.dock})
    r = api.post(f"/api/rmas/{rma['id']}/lines/{rma['lines'][0]['id']}/inspect",
                 json={"disposition": "restock", "to_location_id": w.bins[1]})
    assert r.json()["state"] == "closed"

    face = w.bins[2]
    assert api.put("/api/pick-faces", json={"owner_id": w.owner, "item_id": w.item,
                                            "location_id": face, "min_qty": 2,
                                            "max_qty": 10}).status_code == 200
    [task] = api.post("/api/replenishment/check", json={"facility_id": w.facility}).json()
    r = api.post(f"/api/replenishment-tasks/{task['id']}/confirm",
                 json={"to_scan": catalog.get_location(ctx, face)["barcode"]})
    assert r.json()["qty"] == 10
    assert stock.verify(ctx)["ok"]


def test_creating_a_transfer_or_rma_twice_with_one_key_creates_one(api, ctx):
    """A handheld or a client that lost the response retries with the same key: it gets
    the document the first request created, never a twin; another body is refused."""
    import sqlalchemy as sa

    from shelfwise.storage.counting_tables import rmas, transfer_orders

    def count_rows(ctx, table) -> int:
        with ctx.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    w = build_world(ctx)
    body = {"owner_id": w.owner, "source_facility_id": w.facility,
            "dest_facility_id": w.facility2, "lines": [{"item_id": w.item, "qty": 4}]}
    key = {"Idempotency-Key": "tr-7f3a"}
    first = api.post("/api/transfers", json=body, headers=key)
    again = api.post("/api/transfers", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = api.post("/api/transfers", json={**body, "lines": [{"item_id": w.item, "qty": 5}]},
                     headers=key)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert count_rows(ctx, transfer_orders) == 1

    rma = {"owner_id": w.owner, "facility_id": w.facility, "order_reference": "SO-1",
           "lines": [{"item_id": w.item, "qty": 1}]}
    a = api.post("/api/rmas", json=rma, headers={"Idempotency-Key": "rma-1"}).json()
    b = api.post("/api/rmas", json=rma, headers={"Idempotency-Key": "rma-1"}).json()
    c = api.post("/api/rmas", json=rma).json()  # no key: a second, deliberate RMA
    assert a["id"] == b["id"] != c["id"]
    assert count_rows(ctx, rmas) == 2
