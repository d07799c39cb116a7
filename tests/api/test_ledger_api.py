"""The ledger over HTTP: movements, holds, stock figures, history and the audit check.

Every refusal is a 4xx ``application/problem+json`` with a stable ``code`` and leaves
the ledger (movements, lines, balances, stock levels, holds, outbox, idempotency keys)
exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, ledger, stock
from shelfwise.services.context import Context
from tests.conftest import FakeClock
from tests.factories import World, move, stock_up
from tests.ledger_snapshot import snapshot

Body = dict[str, Any]


def movement(w: World, qty: Any = 5, *, src: int | None = None, dst: int | None = None,
             item: int | None = None, type: str = "move", lot: str = "", **extra: Any) -> Body:
    line = {"item_id": item or w.item, "from_location_id": src or w.bins[0],
            "to_location_id": dst or w.bins[1], "qty": qty}
    if lot:
        line["lot"] = lot
    return {"owner_id": w.owner, "type": type, "lines": [line], **extra}


def hold(w: World, qty: Any = 4, **extra: Any) -> Body:
    return {"owner_id": w.owner, "item_id": w.item, "facility_id": w.facility, "qty": qty,
            **extra}


def refused(client: TestClient, ctx: Context, method: str, url: str, status: int, code: str,
            **kw: Any) -> Body:
    """Send a request that must be refused with ``status``/``code`` and write nothing."""
    before = snapshot(ctx)
    r = client.request(method, url, **kw)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["detail"]
    assert snapshot(ctx) == before, "a refused request changed the ledger"
    return body


Case = tuple[str, Callable[[World], Body], int, str]


def each_refused(client: TestClient, ctx: Context, method: str, url: str, w: World,
                 cases: list[Case]) -> None:
    """Send every bad body in turn (one database for all: a refusal changes nothing, which
    ``refused`` checks each time) and report every case that was not refused right."""
    wrong = []
    for case, make, status, code in cases:
        try:
            refused(client, ctx, method, url, status, code, json=make(w))
        except AssertionError as e:
            wrong.append(f"{case}: {e}")
    assert not wrong, "\n".join(wrong)


def figures(client: TestClient, w: World, facility: int | None = None,
            item: int | None = None) -> Body:
    rows = client.get("/api/stock", params={"owner_id": w.owner, "item_id": item or w.item,
                                            "facility_id": facility or w.facility}).json()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def stocked(ctx: Context, world: World) -> World:
    """Ten tents in A-01-01-A and a lot of butane canisters in A-01-02-A."""
    stock_up(ctx, world, 10)
    catalog.create_lot(ctx, world.lot_item, "L2406A", date(2027, 6, 30), None)
    ledger.post_movement(ctx, move(world.owner, world.lot_item, world.supplier, world.bins[1], 24,
                                   lot="L2406A", type=MovementType.RECEIPT))
    return world


# ------------------------------------------------------------------ movements


def test_a_receipt_is_posted_and_read_back(client: TestClient, world: World) -> None:
    r = client.post("/api/movements", json=movement(
        world, 12, src=world.supplier, dst=world.dock, type="receipt", document_type="receipt",
        document_id="PO-4471", device="HH-07", scans=["0109506000000015"]))
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["replayed"] is False and m["type"] == "receipt" and m["user_name"] == "api"
    assert m["document_id"] == "PO-4471" and m["scans"] == ["0109506000000015"]
    assert m["lines"] == [{"item_id": world.item, "lot": "", "from_location_id": world.supplier,
                           "to_location_id": world.dock, "qty": 12}]
    assert client.get(f"/api/movements/{m['id']}").json()["lines"] == m["lines"]
    assert figures(client, world)["receiving"] == 12


def test_a_movement_of_several_lines_is_all_or_nothing(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    w = stocked
    body = movement(w, 4)
    body["lines"].append({"item_id": w.item, "from_location_id": w.bins[2],
                          "to_location_id": w.staging, "qty": 1})  # A-02-01-A is empty
    out = refused(client, ctx, "POST", "/api/movements", 409, "insufficient_stock", json=body)
    assert [(s["location_id"], s["needed"], s["present"]) for s in out["shortfalls"]] == [
        (w.bins[2], 1, 0)]


BAD_MOVEMENTS: list[Case] = [
    ("unknown item", lambda w: movement(w, item=999999), 404, "item_not_found"),
    ("another owner's item", lambda w: movement(w, item=w.other_item), 404, "item_not_found"),
    ("zero quantity", lambda w: movement(w, 0), 422, "invalid_quantity"),
    ("negative quantity", lambda w: movement(w, -3), 422, "invalid_quantity"),
    ("quantity as a string", lambda w: movement(w, "5"), 422, "invalid_quantity"),
    ("quantity as a float", lambda w: movement(w, 5.0), 422, "invalid_quantity"),
    ("quantity as a bool", lambda w: movement(w, True), 422, "invalid_quantity"),
    ("quantity as null", lambda w: movement(w, None), 422, "invalid_quantity"),
    ("quantity too large", lambda w: movement(w, 1_000_000_001), 422, "quantity_too_large"),
    ("quantity past 64 bits", lambda w: movement(w, 2**70), 422, "quantity_too_large"),
    ("more than on hand", lambda w: movement(w, 11), 409, "insufficient_stock"),
    ("from an empty bin", lambda w: movement(w, 1, src=w.bins[2]), 409, "insufficient_stock"),
    ("unknown source", lambda w: movement(w, src=999999), 404, "location_not_found"),
    ("unknown destination", lambda w: movement(w, dst=999999), 404, "location_not_found"),
    ("same from and to", lambda w: movement(w, dst=w.bins[0]), 422, "same_location"),
    ("unknown movement type", lambda w: movement(w, type="teleport"), 422,
     "invalid_movement_type"),
    ("lot missing", lambda w: movement(w, 2, src=w.bins[1], dst=w.bins[0], item=w.lot_item),
     422, "lot_required"),
    ("lot unknown", lambda w: movement(w, 2, src=w.bins[1], dst=w.bins[0], item=w.lot_item,
                                       lot="L9999Z"), 404, "lot_not_found"),
    ("lot on an untracked item", lambda w: movement(w, lot="L2406A"), 422, "lot_not_tracked"),
    ("adjustment without reason", lambda w: movement(w, src=w.adjustment, type="adjustment"),
     422, "reason_required"),
    ("no lines", lambda w: {**movement(w), "lines": []}, 422, "invalid_request"),
    ("unknown field", lambda w: movement(w, priority="high"), 422, "invalid_request"),
    ("owner as a string", lambda w: {**movement(w), "owner_id": str(w.owner)}, 422,
     "invalid_request"),
    ("missing type", lambda w: {k: v for k, v in movement(w).items() if k != "type"}, 422,
     "invalid_request"),
]


def test_every_bad_movement_is_refused_and_writes_nothing(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    each_refused(client, ctx, "POST", "/api/movements", stocked, BAD_MOVEMENTS)


def test_a_body_that_is_not_json_is_a_400(client: TestClient, ctx: Context,
                                          stocked: World) -> None:
    for raw in (b'{"owner_id": 1, "type": "move", "lines": [', b"owner_id=1&type=move",
                b"\xff\xfe"):
        refused(client, ctx, "POST", "/api/movements", 400, "malformed_json", content=raw,
                headers={"content-type": "application/json"})
    refused(client, ctx, "POST", "/api/movements", 422, "invalid_request", content=b"",
            headers={"content-type": "application/json"})


def test_a_reused_idempotency_key_with_another_body_is_refused(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    key = {"Idempotency-Key": "hh07-scan-000113"}
    assert client.post("/api/movements", json=movement(stocked, 2), headers=key).status_code == 201
    refused(client, ctx, "POST", "/api/movements", 409, "idempotency_key_reused",
            json=movement(stocked, 3), headers=key)


def test_an_overlong_idempotency_key_is_refused(client: TestClient, ctx: Context,
                                                stocked: World) -> None:
    refused(client, ctx, "POST", "/api/movements", 422, "invalid_request",
            json=movement(stocked, 2), headers={"Idempotency-Key": "k" * 129})


def test_an_unknown_movement_is_a_404(client: TestClient, ctx: Context) -> None:
    refused(client, ctx, "GET", "/api/movements/999999", 404, "movement_not_found")


# ------------------------------------------------------------------ holds


def test_a_hold_reserves_stock_and_a_full_post_moves_it(
    client: TestClient, stocked: World
) -> None:
    w = stocked
    r = client.post("/api/holds", json=hold(w, 4, document_type="order", document_id="SO-1001"))
    assert r.status_code == 201, r.text
    h = r.json()
    assert h["state"] == "pending" and h["qty"] == 4 and h["replayed"] is False
    assert figures(client, w)["available"] == 6 and figures(client, w)["allocated"] == 4
    r = client.post(f"/api/holds/{h['id']}/post", json={
        "qty": 4, "to_location_id": w.staging, "from_location_id": w.bins[0]})
    assert r.status_code == 200, r.text
    posted = r.json()
    assert posted["state"] == "posted" and posted["posted_qty"] == 4
    assert posted["movement_id"] == client.get(f"/api/holds/{h['id']}").json()["movement_id"]
    m = client.get(f"/api/movements/{posted['movement_id']}").json()
    assert m["type"] == "pick" and m["document_id"] == "SO-1001"
    f = figures(client, w)
    assert (f["on_hand"], f["available"], f["allocated"], f["in_process"]) == (10, 6, 0, 4)


def test_a_partial_post_releases_the_rest_of_the_hold(client: TestClient, stocked: World) -> None:
    w = stocked
    h = client.post("/api/holds", json=hold(w, 6, location_id=w.bins[0])).json()
    r = client.post(f"/api/holds/{h['id']}/post", json={"qty": 2, "to_location_id": w.staging})
    assert r.status_code == 200, r.text
    assert r.json()["posted_qty"] == 2 and r.json()["state"] == "posted"
    f = figures(client, w)
    assert (f["on_hand"], f["available"], f["allocated"], f["in_process"]) == (10, 8, 0, 2)
    bins = client.get("/api/stock/balances", params={"location_id": w.bins[0]}).json()
    assert [(b["qty"], b["allocated"]) for b in bins] == [(8, 0)]


def test_a_voided_hold_gives_its_units_back(client: TestClient, ctx: Context,
                                            stocked: World) -> None:
    w = stocked
    h = client.post("/api/holds", json=hold(w, 7)).json()
    assert figures(client, w)["available"] == 3
    r = client.post(f"/api/holds/{h['id']}/void")
    assert r.status_code == 200 and r.json()["state"] == "voided"
    assert figures(client, w)["available"] == 10
    refused(client, ctx, "POST", f"/api/holds/{h['id']}/void", 409, "invalid_hold_state")
    refused(client, ctx, "POST", f"/api/holds/{h['id']}/post", 409, "invalid_hold_state",
            json={"qty": 1, "to_location_id": w.staging, "from_location_id": w.bins[0]})


def test_a_hold_expires_once_the_clock_passes_its_time(
    client: TestClient, clock: FakeClock, stocked: World
) -> None:
    w = stocked
    soon = client.post("/api/holds", json=hold(w, 3, expires_at="2026-10-01T09:00:00Z")).json()
    later = client.post("/api/holds", json=hold(w, 2, expires_at="2026-10-02T09:00:00Z")).json()
    clock.advance(minutes=59, seconds=59)  # 08:59:59, one second early
    assert client.post("/api/holds/expire").json() == {"expired": 0}
    clock.advance(seconds=1)  # 09:00:00 exactly: due
    assert client.post("/api/holds/expire").json() == {"expired": 1}
    assert client.get(f"/api/holds/{soon['id']}").json()["state"] == "expired"
    assert client.get(f"/api/holds/{later['id']}").json()["state"] == "pending"
    assert figures(client, w)["available"] == 8
    assert client.post("/api/holds/expire").json() == {"expired": 0}


def test_a_hold_expiry_given_in_another_time_zone_is_honoured(
    client: TestClient, clock: FakeClock, stocked: World
) -> None:
    """11:00 in Central Europe is 09:00 UTC: due at 09:30 UTC, not at 11:00."""
    h = client.post("/api/holds", json=hold(stocked, 3,
                                            expires_at="2026-10-01T11:00:00+02:00")).json()
    clock.advance(minutes=30)  # 08:30 UTC
    assert client.post("/api/holds/expire").json() == {"expired": 0}
    clock.advance(hours=1)  # 09:30 UTC
    assert client.post("/api/holds/expire").json() == {"expired": 1}
    assert client.get(f"/api/holds/{h['id']}").json()["state"] == "expired"


def test_an_expired_hold_cannot_be_posted(client: TestClient, ctx: Context, clock: FakeClock,
                                          stocked: World) -> None:
    w = stocked
    h = client.post("/api/holds", json=hold(w, 3, expires_at="2026-10-01T09:00:00Z")).json()
    clock.advance(hours=2)
    client.post("/api/holds/expire")
    refused(client, ctx, "POST", f"/api/holds/{h['id']}/post", 409, "invalid_hold_state",
            json={"qty": 3, "to_location_id": w.staging, "from_location_id": w.bins[0]})


def test_a_hold_cannot_be_posted_twice(client: TestClient, ctx: Context, stocked: World) -> None:
    w = stocked
    h = client.post("/api/holds", json=hold(w, 4)).json()
    post = {"qty": 4, "to_location_id": w.staging, "from_location_id": w.bins[0]}
    assert client.post(f"/api/holds/{h['id']}/post", json=post).status_code == 200
    refused(client, ctx, "POST", f"/api/holds/{h['id']}/post", 409, "invalid_hold_state",
            json=post)
    refused(client, ctx, "POST", f"/api/holds/{h['id']}/void", 409, "invalid_hold_state")


BAD_POSTS: list[Case] = [
    ("more than held", lambda w: {"qty": 5, "to_location_id": w.staging,
                                  "from_location_id": w.bins[0]}, 422, "over_post"),
    ("zero", lambda w: {"qty": 0, "to_location_id": w.staging, "from_location_id": w.bins[0]},
     422, "invalid_quantity"),
    ("negative", lambda w: {"qty": -1, "to_location_id": w.staging,
                            "from_location_id": w.bins[0]}, 422, "invalid_quantity"),
    ("string quantity", lambda w: {"qty": "4", "to_location_id": w.staging,
                                   "from_location_id": w.bins[0]}, 422, "invalid_quantity"),
    ("no source", lambda w: {"qty": 4, "to_location_id": w.staging}, 422, "location_required"),
    ("unknown destination", lambda w: {"qty": 4, "to_location_id": 999999,
                                       "from_location_id": w.bins[0]}, 404,
     "location_not_found"),
    ("source in another facility", lambda w: {"qty": 4, "to_location_id": w.staging,
                                              "from_location_id": w.bins2[0]}, 422,
     "wrong_facility"),
    ("from an empty bin", lambda w: {"qty": 4, "to_location_id": w.staging,
                                     "from_location_id": w.bins[2]}, 409, "insufficient_stock"),
    ("unknown field", lambda w: {"qty": 4, "to_location_id": w.staging,
                                 "from_location_id": w.bins[0], "force": True}, 422,
     "invalid_request"),
]


def test_every_bad_hold_post_is_refused_and_writes_nothing(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    h = client.post("/api/holds", json=hold(stocked, 4)).json()
    each_refused(client, ctx, "POST", f"/api/holds/{h['id']}/post", stocked, BAD_POSTS)
    assert client.get(f"/api/holds/{h['id']}").json()["state"] == "pending"


def test_an_unknown_hold_is_a_404(client: TestClient, ctx: Context, stocked: World) -> None:
    refused(client, ctx, "GET", "/api/holds/999999", 404, "hold_not_found")
    refused(client, ctx, "POST", "/api/holds/999999/void", 404, "hold_not_found")
    refused(client, ctx, "POST", "/api/holds/999999/post", 404, "hold_not_found",
            json={"qty": 1, "to_location_id": stocked.staging})


BAD_HOLDS: list[Case] = [
    ("unknown item", lambda w: hold(w, item_id=999999), 404, "item_not_found"),
    ("another owner's item", lambda w: hold(w, item_id=w.other_item), 404, "item_not_found"),
    ("zero quantity", lambda w: hold(w, 0), 422, "invalid_quantity"),
    ("negative quantity", lambda w: hold(w, -2), 422, "invalid_quantity"),
    ("quantity as a string", lambda w: hold(w, "5"), 422, "invalid_quantity"),
    ("quantity as a float", lambda w: hold(w, 5.0), 422, "invalid_quantity"),
    ("quantity as a bool", lambda w: hold(w, True), 422, "invalid_quantity"),
    ("quantity too large", lambda w: hold(w, 10**12), 422, "quantity_too_large"),
    ("more than available", lambda w: hold(w, 11), 409, "insufficient_available"),
    ("more than the bin has", lambda w: hold(w, 3, location_id=w.bins[2]), 409,
     "insufficient_available"),
    ("unknown location", lambda w: hold(w, location_id=999999), 404, "location_not_found"),
    ("a location that is not sellable", lambda w: hold(w, location_id=w.staging), 422,
     "location_not_sellable"),
    ("a bin of another facility", lambda w: hold(w, location_id=w.bins2[0]), 422,
     "location_not_sellable"),
    ("a lot without its bin", lambda w: hold(w, item_id=w.lot_item, lot="L2406A"), 422,
     "lot_needs_location"),
    ("an unknown facility", lambda w: hold(w, facility_id=999999), 404,
     "facility_not_found"),
    ("a facility without stock", lambda w: hold(w, facility_id=w.facility2), 409,
     "insufficient_available"),
    ("a bad expiry", lambda w: hold(w, expires_at="tomorrow"), 422, "invalid_request"),
    ("unknown field", lambda w: hold(w, priority=1), 422, "invalid_request"),
]


def test_every_bad_hold_is_refused_and_writes_nothing(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    each_refused(client, ctx, "POST", "/api/holds", stocked, BAD_HOLDS)


def test_a_malformed_hold_body_is_a_400(client: TestClient, ctx: Context, stocked: World) -> None:
    refused(client, ctx, "POST", "/api/holds", 400, "malformed_json",
            content=b'{"owner_id": 1, "qty": 4', headers={"content-type": "application/json"})


def test_a_hold_key_reused_for_another_hold_is_refused(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    key = {"Idempotency-Key": "order-SO-1001-line-1"}
    assert client.post("/api/holds", json=hold(stocked, 2), headers=key).status_code == 201
    refused(client, ctx, "POST", "/api/holds", 409, "idempotency_key_reused",
            json=hold(stocked, 3), headers=key)


def test_a_hold_post_key_reused_for_another_hold_is_refused(
    client: TestClient, ctx: Context, stocked: World
) -> None:
    w = stocked
    first = client.post("/api/holds", json=hold(w, 2)).json()
    second = client.post("/api/holds", json=hold(w, 3)).json()
    key = {"Idempotency-Key": "hh07-pick-0042"}
    post = {"qty": 2, "to_location_id": w.staging, "from_location_id": w.bins[0]}
    assert client.post(f"/api/holds/{first['id']}/post", json=post, headers=key).status_code == 200
    refused(client, ctx, "POST", f"/api/holds/{second['id']}/post", 409,
            "idempotency_key_reused", json={**post, "qty": 3}, headers=key)
    assert client.get(f"/api/holds/{second['id']}").json()["state"] == "pending"


# ------------------------------------------------------------------ stock queries


def test_stock_figures_follow_a_day_in_the_warehouse(
    client: TestClient, ctx: Context, world: World
) -> None:
    w = world

    def post(body: Body) -> Body:
        r = client.post("/api/movements", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    post(movement(w, 100, src=w.supplier, dst=w.dock, type="receipt"))
    post(movement(w, 80, src=w.dock, dst=w.bins[0], type="putaway"))
    post(movement(w, 5, src=w.bins[0], dst=w.quarantine, type="hold"))
    post(movement(w, 5, src=w.adjustment, dst=w.bins[1], type="adjustment",
                  reason="COUNT_FOUND"))
    h = client.post("/api/holds", json=hold(w, 10)).json()
    client.post(f"/api/holds/{h['id']}/post", json={
        "qty": 6, "to_location_id": w.staging, "from_location_id": w.bins[0]})
    open_hold = client.post("/api/holds", json=hold(w, 3, location_id=w.bins[1])).json()
    post(movement(w, 4, src=w.bins[0], dst=w.in_transit2, type="transfer_out"))
    post(movement(w, 1, src=w.staging, dst=w.customer, type="ship"))

    wh1 = figures(client, w)
    assert {k: wh1[k] for k in ("on_hand", "receiving", "sellable", "available", "allocated",
                                "in_process", "held", "in_transit")} == {
        "on_hand": 100, "receiving": 20, "sellable": 70, "available": 67, "allocated": 3,
        "in_process": 5, "held": 5, "in_transit": 0,
    }
    wh2 = figures(client, w, facility=w.facility2)
    assert (wh2["on_hand"], wh2["in_transit"], wh2["available"]) == (0, 4, 0)
    assert stock.level(ctx, w.owner, w.item, w.facility)["available"] == 67

    bins = {b["location_code"]: (b["qty"], b["allocated"]) for b in client.get(
        "/api/stock/balances", params={"item_id": w.item, "facility_id": w.facility}).json()}
    assert bins == {"DOCK-01": (20, 0), "A-01-01-A": (65, 0), "A-01-02-A": (5, 3),
                    "QUAR-01": (5, 0), "STAGE-01": (5, 0)}
    totals = client.get("/api/stock/facilities", params={"facility_id": w.facility}).json()
    assert [(t["owner_id"], t["on_hand"], t["allocated"]) for t in totals] == [(w.owner, 100, 3)]

    client.post(f"/api/holds/{open_hold['id']}/void")
    assert figures(client, w)["available"] == 70
    assert client.get("/api/ledger/verify").json()["ok"] is True


def test_history_pages_back_through_the_ledger(client: TestClient, stocked: World) -> None:
    w = stocked
    for n in range(7):
        client.post("/api/movements", json=movement(
            w, 1, src=w.bins[n % 2], dst=w.bins[(n + 1) % 2], document_id=f"MV-{n}"))
    seen: list[int] = []
    before: int | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"item_id": w.item, "limit": 3}
        if before is not None:
            params["before_id"] = before
        page = client.get("/api/history", params=params).json()
        seen += [ln["line_id"] for ln in page["lines"]]
        pages += 1
        if page["next_before_id"] is None:
            break
        assert page["next_before_id"] == page["lines"][-1]["line_id"]
        before = page["next_before_id"]
    assert pages == 3  # 3 + 3 + 2 lines: the receipt and seven moves
    assert len(seen) == 8 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    newest = client.get("/api/history", params={"item_id": w.item, "limit": 1}).json()
    assert newest["lines"][0]["document_id"] == "MV-6"
    by_bin = client.get("/api/history", params={"location_id": w.bins[1], "limit": 50}).json()
    assert by_bin["next_before_id"] is None
    assert all(w.bins[1] in (ln["from_location_id"], ln["to_location_id"])
               for ln in by_bin["lines"])


def test_a_bad_history_page_is_refused(client: TestClient, ctx: Context,
                                       stocked: World) -> None:
    for params in ({"limit": 0}, {"limit": 501}, {"before_id": 0}, {"limit": "ten"}):
        refused(client, ctx, "GET", "/api/history", 422, "invalid_request", params=params)


def test_the_ledger_verifies_ok(client: TestClient, stocked: World) -> None:
    r = client.get("/api/ledger/verify")
    assert r.status_code == 200
    report = r.json()
    assert report["ok"] is True and report["movements"] == 2
    assert report["negative_physical"] == 0 and report["oversold"] == 0
