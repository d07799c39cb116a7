"""Catalog over HTTP: owners, facilities, zones, locations, items and lots.

Every refusal is a 4xx ``application/problem+json`` with a stable ``code``, and writes
nothing to the catalog.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shelfwise.services.context import Context
from shelfwise.storage.tables import facilities, item_gtins, items, locations, lots, owners, zones
from tests.factories import World, gtin

CATALOG_TABLES = (owners, facilities, zones, locations, items, item_gtins, lots)


def catalog_rows(ctx: Context) -> dict[str, list[tuple]]:
    with ctx.read() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in CATALOG_TABLES
        }


def refused(client: TestClient, ctx: Context, method: str, url: str, status: int, code: str,
            **kw: Any) -> dict[str, Any]:
    """Send a request that must be refused with ``status``/``code`` and change nothing."""
    before = catalog_rows(ctx)
    r = client.request(method, url, **kw)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert catalog_rows(ctx) == before
    return body


def each_refused(client: TestClient, ctx: Context, method: str, url: str, base: dict,
                 cases: list[tuple[dict, int, str]]) -> None:
    """Send ``base`` with each change in turn; report every change not refused right."""
    wrong = []
    for change, status, code in cases:
        try:
            refused(client, ctx, method, url, status, code, json={**base, **change})
        except AssertionError as e:
            wrong.append(f"{change}: {e}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------ owners


def test_an_owner_is_created_listed_and_read_back(client: TestClient) -> None:
    r = client.post("/api/owners", json={"code": "ACME", "name": "Acme Outdoor Co."})
    assert r.status_code == 201
    owner = r.json()
    assert owner["code"] == "ACME" and owner["name"] == "Acme Outdoor Co."
    assert [o["code"] for o in client.get("/api/owners").json()] == ["ACME"]
    assert client.get(f"/api/owners/{owner['id']}").json()["name"] == "Acme Outdoor Co."


def test_a_duplicate_owner_code_is_refused(client: TestClient, ctx: Context) -> None:
    client.post("/api/owners", json={"code": "ACME", "name": "Acme Outdoor Co."})
    refused(client, ctx, "POST", "/api/owners", 409, "duplicate_owner",
            json={"code": "ACME", "name": "Another Acme"})


def test_a_bad_owner_body_is_refused(client: TestClient, ctx: Context) -> None:
    each_refused(client, ctx, "POST", "/api/owners", {}, [
        ({"code": "acme corp!", "name": "Acme"}, 422, "invalid_code"),
        ({"code": "ACME", "name": ""}, 422, "invalid_request"),
        ({"code": "ACME"}, 422, "invalid_request"),
        ({"code": "ACME", "name": "Acme", "vip": True}, 422, "invalid_request"),
        ({"code": 7, "name": "Acme"}, 422, "invalid_request"),
    ])


def test_a_body_that_is_not_json_is_a_400(client: TestClient, ctx: Context) -> None:
    refused(client, ctx, "POST", "/api/owners", 400, "malformed_json",
            content=b'{"code": "ACME", "name": ', headers={"content-type": "application/json"})


def test_an_unknown_owner_is_a_404(client: TestClient, ctx: Context) -> None:
    refused(client, ctx, "GET", "/api/owners/999999", 404, "owner_not_found")


# ------------------------------------------------------------------ facilities and zones


def test_a_facility_comes_with_its_virtual_locations(client: TestClient) -> None:
    r = client.post("/api/facilities", json={"code": "WH1", "name": "Reno DC"})
    assert r.status_code == 201
    fid = r.json()["id"]
    assert client.get(f"/api/facilities/{fid}").json()["code"] == "WH1"
    assert [f["code"] for f in client.get("/api/facilities").json()] == ["WH1"]
    virtual = client.get("/api/locations", params={"facility_id": fid}).json()
    assert {loc["barcode"] for loc in virtual} == {
        "WH1:SUPPLIER", "WH1:CUSTOMER", "WH1:ADJUSTMENT", "WH1:SCRAP", "WH1:IN_TRANSIT",
        "WH1:PRODUCTION",
    }


def test_a_duplicate_facility_and_an_unknown_facility_are_refused(
    client: TestClient, ctx: Context
) -> None:
    client.post("/api/facilities", json={"code": "WH1", "name": "Reno DC"})
    refused(client, ctx, "POST", "/api/facilities", 409, "duplicate_facility",
            json={"code": "WH1", "name": "Reno again"})
    refused(client, ctx, "GET", "/api/facilities/999999", 404, "facility_not_found")


def test_zones_are_created_per_facility(client: TestClient, ctx: Context) -> None:
    fid = client.post("/api/facilities", json={"code": "WH1", "name": "Reno DC"}).json()["id"]
    r = client.post("/api/zones", json={"facility_id": fid, "code": "A", "name": "Ambient"})
    assert r.status_code == 201 and r.json()["code"] == "A"
    assert [z["code"] for z in client.get("/api/zones", params={"facility_id": fid}).json()] == [
        "A"]
    refused(client, ctx, "POST", "/api/zones", 409, "duplicate_zone",
            json={"facility_id": fid, "code": "A"})
    refused(client, ctx, "POST", "/api/zones", 404, "facility_not_found",
            json={"facility_id": 999999, "code": "B"})


# ------------------------------------------------------------------ locations


def test_a_bin_is_created_and_found_by_its_barcode(client: TestClient, world: World) -> None:
    r = client.post("/api/locations", json={
        "facility_id": world.facility, "code": "A-01-03-B", "kind": "storage",
        "capacity_units": 240})
    assert r.status_code == 201
    loc = r.json()
    assert loc["barcode"] == "A-01-03-B" and loc["path_order"] == "A-01-03-B"
    assert loc["kind"] == "storage" and loc["capacity_units"] == 240
    assert client.get(f"/api/locations/{loc['id']}").json()["code"] == "A-01-03-B"
    found = client.get("/api/locations", params={"barcode": "A-01-03-B"}).json()
    assert [f["id"] for f in found] == [loc["id"]]
    assert client.get("/api/locations", params={"barcode": "Z-99-99-Z"}).json() == []
    staging = client.get("/api/locations", params={"facility_id": world.facility,
                                                   "kind": "staging"}).json()
    assert [s["code"] for s in staging] == ["STAGE-01"]


BAD_LOCATIONS = [
        ({"kind": "shelf"}, 422, "invalid_kind"),
        ({"kind": "customer"}, 422, "invalid_kind"),
        ({"code": "A-01-01-A"}, 409, "duplicate_location"),
        ({"code": "bin with spaces"}, 422, "invalid_code"),
        ({"capacity_units": 0}, 422, "invalid_capacity"),
        ({"capacity_units": "10"}, 422, "invalid_request"),
        ({"facility_id": 999999}, 404, "facility_not_found"),
        ({"zone_id": 999999}, 404, "zone_not_found"),
]


def test_every_bad_location_is_refused(client: TestClient, ctx: Context, world: World) -> None:
    base = {"facility_id": world.facility, "code": "A-01-03-B", "kind": "storage"}
    each_refused(client, ctx, "POST", "/api/locations", base, BAD_LOCATIONS)


def test_a_zone_of_another_facility_is_refused(client: TestClient, ctx: Context,
                                               world: World) -> None:
    zone = client.post("/api/zones", json={"facility_id": world.facility2, "code": "B"}).json()
    refused(client, ctx, "POST", "/api/locations", 404, "zone_not_found", json={
        "facility_id": world.facility, "code": "A-01-03-B", "kind": "storage",
        "zone_id": zone["id"]})


def test_an_unknown_location_is_a_404(client: TestClient, ctx: Context) -> None:
    refused(client, ctx, "GET", "/api/locations/999999", 404, "location_not_found")


# ------------------------------------------------------------------ items


def test_an_item_stores_its_gtins_as_gtin14(client: TestClient, world: World) -> None:
    upc = gtin(7)[1:]  # the 12-digit UPC-A form of a GTIN-13 with a leading zero
    r = client.post("/api/items", json={
        "owner_id": world.owner, "sku": "STOVE-1", "description": "Camping stove",
        "gtins": [upc], "case_pack": 6, "weight_g": 1450})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["gtins"] == [upc.zfill(14)]
    assert item["case_pack"] == 6 and item["lot_tracked"] is False
    assert client.get(f"/api/items/{item['id']}").json()["sku"] == "STOVE-1"
    listed = client.get("/api/items", params={"owner_id": world.owner, "sku": "STOVE-1"}).json()
    assert [i["id"] for i in listed] == [item["id"]]
    assert listed[0]["gtins"] == [upc.zfill(14)]


def test_two_owners_may_use_the_same_sku(client: TestClient, world: World) -> None:
    r = client.post("/api/items", json={
        "owner_id": world.other_owner, "sku": "TENT-2P", "description": "Nordic tent"})
    assert r.status_code == 201
    assert len(client.get("/api/items", params={"sku": "TENT-2P"}).json()) == 2


BAD_ITEMS = [
        ({"gtins": [gtin(9)[:-1] + str((int(gtin(9)[-1]) + 1) % 10)]}, 422, "bad_check_digit"),
        ({"gtins": ["9506000"]}, 422, "invalid_gtin"),
        ({"gtins": ["0950600000009X"]}, 422, "invalid_gtin"),
        ({"sku": "TENT-2P"}, 409, "duplicate_sku"),
        ({"gtins": [gtin(1)]}, 409, "duplicate_gtin"),
        ({"owner_id": 999999}, 404, "owner_not_found"),
        ({"expiry_tracked": True}, 422, "expiry_needs_lot"),
        ({"case_pack": 0}, 422, "invalid_case_pack"),
        ({"case_pack": "12"}, 422, "invalid_request"),
        ({"lot_tracked": "yes"}, 422, "invalid_request"),
        ({"weight_g": -1}, 422, "invalid_weight_g"),
        ({"colour": "green"}, 422, "invalid_request"),
]


def test_every_bad_item_is_refused(client: TestClient, ctx: Context, world: World) -> None:
    base = {"owner_id": world.owner, "sku": "STOVE-1", "description": "Camping stove",
            "gtins": [gtin(8)]}
    each_refused(client, ctx, "POST", "/api/items", base, BAD_ITEMS)


def test_an_item_description_can_change_but_not_its_tracking(
    client: TestClient, ctx: Context, world: World
) -> None:
    r = client.patch(f"/api/items/{world.item}", json={"description": "Two-person tent, green"})
    assert r.status_code == 200 and r.json()["description"] == "Two-person tent, green"
    refused(client, ctx, "PATCH", f"/api/items/{world.item}", 422, "invalid_request",
            json={"lot_tracked": True})
    refused(client, ctx, "PATCH", f"/api/items/{world.item}", 422, "invalid_case_pack",
            json={"case_pack": 0})
    refused(client, ctx, "PATCH", "/api/items/999999", 404, "item_not_found",
            json={"description": "Ghost"})


def test_an_unknown_item_is_a_404(client: TestClient, ctx: Context) -> None:
    refused(client, ctx, "GET", "/api/items/999999", 404, "item_not_found")


# ------------------------------------------------------------------ lots


def test_a_lot_with_its_expiry_is_created_and_listed(client: TestClient, world: World) -> None:
    r = client.post(f"/api/items/{world.lot_item}/lots",
                    json={"code": "L2406A", "expiry": "2027-06-30"})
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "L2406A"
    listed = client.get(f"/api/items/{world.lot_item}/lots").json()
    assert [(lot["code"], str(lot["expiry"])) for lot in listed] == [("L2406A", "2027-06-30")]


def test_bad_lots_are_refused(client: TestClient, ctx: Context, world: World) -> None:
    url = f"/api/items/{world.lot_item}/lots"
    client.post(url, json={"code": "L2406A", "expiry": "2027-06-30"})
    refused(client, ctx, "POST", url, 409, "duplicate_lot",
            json={"code": "L2406A", "expiry": "2027-06-30"})
    refused(client, ctx, "POST", url, 422, "expiry_required", json={"code": "L2407B"})
    refused(client, ctx, "POST", url, 422, "invalid_lot", json={"code": "L 24"})
    refused(client, ctx, "POST", url, 422, "invalid_request",
            json={"code": "L2407B", "expiry": "30/06/2027"})
    refused(client, ctx, "POST", f"/api/items/{world.item}/lots", 422, "lot_not_tracked",
            json={"code": "L2406A"})
    refused(client, ctx, "POST", "/api/items/999999/lots", 404, "item_not_found",
            json={"code": "L2406A"})
    refused(client, ctx, "GET", "/api/items/999999/lots", 404, "item_not_found")


def test_the_health_check_answers(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
