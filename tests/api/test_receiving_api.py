"""Receiving and putaway over HTTP: a handheld's scans in, problem+json codes out, and a
refused scan leaves the ledger untouched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.receiving import router
from shelfwise.services import catalog
from shelfwise.services.context import Context
from shelfwise.storage.tables import movements, scan_exceptions
from tests.factories import World, build_world, gtin

TENT = gtin(1)
GAS = gtin(2)


@pytest.fixture
def api(ctx: Context) -> Iterator[TestClient]:
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    with TestClient(app) as c:
        yield c


@pytest.fixture
def w(ctx: Context) -> World:
    world = build_world(ctx)
    catalog.create_locations(ctx, [{"facility_id": world.facility, "code": "DMG-01",
                                    "kind": "damaged"}])
    return world


def new_po(api: TestClient, w: World, ref: str = "PO-4500012345") -> dict[str, Any]:
    r = api.post("/api/receipts", json={
        "owner_id": w.owner, "facility_id": w.facility, "type": "purchase_order",
        "reference": ref, "supplier": "Alpine Gear Ltd", "expected_date": "2026-10-02",
        "lines": [{"item_id": w.item, "expected_qty": 10},
                  {"item_id": w.lot_item, "expected_qty": 5}]})
    assert r.status_code == 201, r.text
    return r.json()


def tally(ctx: Context) -> tuple[int, int]:
    with ctx.read() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar(),
                conn.execute(sa.select(sa.func.count()).select_from(scan_exceptions)).scalar())


def problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def test_a_receipt_is_created_read_and_listed(api: TestClient, w: World) -> None:
    po = new_po(api, w)
    assert po["state"] == "open" and len(po["lines"]) == 2
    assert api.get(f"/api/receipts/{po['id']}").json()["reference"] == "PO-4500012345"
    assert [r["id"] for r in api.get("/api/receipts", params={"state": "open"}).json()] == [
        po["id"]]


def test_a_receipt_with_another_owners_item_is_404(api: TestClient, ctx: Context,
                                                    w: World) -> None:
    r = api.post("/api/receipts", json={
        "owner_id": w.owner, "facility_id": w.facility, "type": "asn", "reference": "ASN-9",
        "lines": [{"item_id": w.other_item, "expected_qty": 3}]})
    problem(r, 404, "item_not_found")
    assert api.get("/api/receipts").json() == []


def test_a_quantity_as_a_string_is_refused(api: TestClient, w: World) -> None:
    po = new_po(api, w)
    r = api.post(f"/api/receipts/{po['id']}/scans",
                 json={"location_scan": "DOCK-01", "item_scan": TENT, "qty": "5"})
    problem(r, 422, "invalid_quantity")


def test_scan_receive_close_and_put_away(api: TestClient, ctx: Context, w: World) -> None:
    po = new_po(api, w)
    url = f"/api/receipts/{po['id']}/scans"
    headers = {"Idempotency-Key": "hh7-0001"}
    body = {"location_scan": "DOCK-01", "item_scan": TENT, "qty": 9, "device": "HH-07"}
    first = api.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = api.post(url, json=body, headers=headers)
    assert again.json()["replayed"] is True
    assert again.json()["movement_id"] == first.json()["movement_id"]
    dmg = api.post(url, json={"location_scan": "DOCK-01", "item_scan": TENT, "qty": 1,
                              "damaged": True})
    assert dmg.status_code == 201
    gas = api.post(url, json={"location_scan": "DOCK-01",
                              "item_scan": f"]C101{GAS}1727123110L2406A", "qty": 6})
    assert gas.json()["line"]["over"] == 1

    closed = api.post(f"/api/receipts/{po['id']}/close").json()
    assert closed["state"] == "closed"
    assert [x["status"] for x in closed["discrepancy_report"]["lines"]] == ["damaged", "over"]
    rep = api.get(f"/api/receipts/{po['id']}/discrepancies").json()
    assert rep == closed["discrepancy_report"]

    tasks = api.get("/api/putaway-tasks", params={"receipt_id": po["id"]}).json()
    assert sorted(t["qty"] for t in tasks) == [6, 9]
    for t in tasks:
        where = catalog.get_location(ctx, t["suggested_location_id"])["barcode"]
        scan = TENT if t["item_id"] == w.item else f"]C101{GAS}10L2406A"
        r = api.post(f"/api/putaway-tasks/{t['id']}/confirm",
                     json={"location_scan": where, "item_scan": scan})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "done"
    assert api.get("/api/ledger/verify").json()["ok"] is True
    stock = api.get("/api/stock", params={"item_id": w.item}).json()
    assert stock[0]["available"] == 9


@pytest.mark.parametrize(("location", "item", "code"), [
    ("A-01-01-A", TENT, "wrong_location"),
    ("DOCK-01", gtin(3), "unknown_gtin"),
    ("DOCK-01", TENT[:-1] + str((int(TENT[-1]) + 3) % 10), "bad_check_digit"),
    ("DOCK-01", f"]C101{GAS}1726063010L2406A", "expired_lot"),
    ("DOCK-01", gtin(999), "unknown_gtin"),
])
def test_a_refused_scan_is_422_recorded_and_moves_nothing(
        api: TestClient, ctx: Context, w: World, location: str, item: str, code: str) -> None:
    po = new_po(api, w)
    mv, ex = tally(ctx)
    r = api.post(f"/api/receipts/{po['id']}/scans",
                 json={"location_scan": location, "item_scan": item, "qty": 2})
    problem(r, 422, code)
    assert tally(ctx) == (mv, ex + 1)
    assert api.get(f"/api/receipts/{po['id']}").json()["state"] == "open"


def test_a_putaway_to_the_wrong_bin_is_refused_unless_overridden(
        api: TestClient, ctx: Context, w: World) -> None:
    po = new_po(api, w)
    api.post(f"/api/receipts/{po['id']}/scans",
             json={"location_scan": "DOCK-01", "item_scan": TENT, "qty": 4})
    (t,) = api.post(f"/api/receipts/{po['id']}/putaway-tasks").json()
    other = next(b for b in w.bins if b != t["suggested_location_id"])
    where = catalog.get_location(ctx, other)["barcode"]
    url = f"/api/putaway-tasks/{t['id']}/confirm"
    problem(api.post(url, json={"location_scan": where, "item_scan": TENT}), 422,
            "wrong_location")
    r = api.post(url, json={"location_scan": where, "item_scan": TENT, "qty": 3,
                            "reason": "suggested bin blocked"})
    assert r.status_code == 200 and r.json()["override"] is True
    assert r.json()["remaining"] == 1
    problem(api.post(f"/api/receipts/{po['id']}/cancel"), 409, "invalid_state")


def test_pick_faces_are_assigned_and_listed(api: TestClient, w: World) -> None:
    r = api.post("/api/putaway/pick-faces", json={"owner_id": w.owner, "item_id": w.item,
                                          "facility_id": w.facility, "location_id": w.bins[2],
                                          "min_qty": 4, "max_qty": 40})
    assert r.status_code == 201, r.text
    faces = api.get("/api/putaway/pick-faces", params={"item_id": w.item}).json()
    assert faces[0]["max_qty"] == 40
    problem(api.post("/api/putaway/pick-faces", json={"owner_id": w.owner, "item_id": w.item,
                                              "facility_id": w.facility,
                                              "location_id": w.bins[0], "min_qty": 4,
                                              "max_qty": 40}), 422, "not_a_pick_face")


def test_unknown_receipts_and_tasks_are_404(api: TestClient, w: World) -> None:
    problem(api.get("/api/receipts/999"), 404, "receipt_not_found")
    problem(api.post("/api/receipts/999/close"), 404, "receipt_not_found")
    problem(api.get("/api/putaway-tasks/999"), 404, "putaway_task_not_found")
