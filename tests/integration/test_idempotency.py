"""Idempotency: a command retried (bad Wi-Fi, a webhook delivered twice) posts once.

The same key with the same body replays the first result, sequentially or from eight
clients at once; the same key with another body is refused and changes nothing. Checked
through the service layer and through the HTTP API (``Idempotency-Key`` header), for
movements, for placing holds and for posting them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.domain.errors import Conflict
from shelfwise.domain.ledger import MovementType
from shelfwise.services import holds, ledger, stock
from shelfwise.services.context import Context
from tests.factories import World, build_world, move, stock_up
from tests.ledger_snapshot import BACKEND_PARAMS, counts, snapshot

CLIENTS = 8


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def w(ctx: Context) -> World:
    world = build_world(ctx)
    stock_up(ctx, world, 40)
    return world


def race(work: Callable[[int], Any], clients: int = CLIENTS) -> list[Any]:
    """Run ``work(i)`` on threads released together; any exception fails the test."""
    gate = threading.Barrier(clients)
    results: list[Any] = [None] * clients

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # re-raised below with its client
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a client hung"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def assert_one_original(results: list[dict[str, Any]], id_field: str) -> None:
    assert len({r[id_field] for r in results}) == 1, results
    assert sorted(r["replayed"] for r in results) == [False] + [True] * (len(results) - 1)


def putaway(w: World, key: str, qty: int = 6) -> Any:
    return move(w.owner, w.item, w.bins[0], w.bins[1], qty, type=MovementType.PUTAWAY, key=key)


def hold_body(w: World, qty: int = 4) -> dict[str, Any]:
    return {"owner_id": w.owner, "item_id": w.item, "facility_id": w.facility, "qty": qty,
            "document_type": "order", "document_id": "SO-2002"}


# ------------------------------------------------------------------ service: movements


def test_a_posting_sent_twice_is_posted_once(ctx: Context, w: World) -> None:
    first = ledger.post_movement(ctx, putaway(w, "hh07-0001"))
    before = snapshot(ctx)
    again = ledger.post_movement(ctx, putaway(w, "hh07-0001"))
    assert first["replayed"] is False and again == {**first, "replayed": True}
    assert snapshot(ctx) == before
    assert stock.level(ctx, w.owner, w.item, w.facility)["on_hand"] == 40


def test_a_key_reused_for_another_posting_is_refused(ctx: Context, w: World) -> None:
    ledger.post_movement(ctx, putaway(w, "hh07-0002"))
    before = snapshot(ctx)
    with pytest.raises(Conflict) as e:
        ledger.post_movement(ctx, putaway(w, "hh07-0002", qty=7))
    assert e.value.code == "idempotency_key_reused"
    assert snapshot(ctx) == before


def test_eight_clients_sending_the_same_posting_post_it_once(ctx: Context, w: World) -> None:
    before = counts(ctx)["movements"]
    results = race(lambda _: ledger.post_movement(ctx, putaway(w, "hh07-0003")))
    assert_one_original(results, "movement_id")
    assert counts(ctx)["movements"] == before + 1
    bins = {b["location_id"]: b["qty"] for b in stock.bin_balances(ctx, None, item_id=w.item)}
    assert bins == {w.bins[0]: 34, w.bins[1]: 6}
    assert stock.verify(ctx)["ok"]


# ------------------------------------------------------------------ service: holds


def test_a_hold_placed_twice_is_placed_once(ctx: Context, w: World) -> None:
    first = holds.place_hold(ctx, **hold_body(w), idempotency_key="SO-2002-1")
    before = snapshot(ctx)
    again = holds.place_hold(ctx, **hold_body(w), idempotency_key="SO-2002-1")
    assert again == {**first, "replayed": True}
    assert snapshot(ctx) == before
    with pytest.raises(Conflict) as e:
        holds.place_hold(ctx, **hold_body(w, qty=5), idempotency_key="SO-2002-1")
    assert e.value.code == "idempotency_key_reused"
    assert snapshot(ctx) == before
    assert stock.level(ctx, w.owner, w.item, w.facility)["allocated"] == 4


def test_eight_clients_placing_the_same_hold_place_it_once(ctx: Context, w: World) -> None:
    results = race(lambda _: holds.place_hold(ctx, **hold_body(w), idempotency_key="SO-2002-2"))
    assert_one_original(results, "hold_id")
    assert counts(ctx)["holds"] == 1
    assert stock.level(ctx, w.owner, w.item, w.facility)["allocated"] == 4
    assert stock.verify(ctx)["ok"]


def test_a_hold_posted_twice_is_posted_once(ctx: Context, w: World) -> None:
    hid = holds.place_hold(ctx, **hold_body(w))["hold_id"]

    def post() -> dict[str, Any]:
        return holds.post_hold(ctx, hid, qty=3, to_location_id=w.staging,
                                from_location_id=w.bins[0], idempotency_key="pick-77")

    first = post()
    before = snapshot(ctx)
    again = post()
    assert again == {**first, "replayed": True}
    assert snapshot(ctx) == before


def test_a_hold_post_key_reused_for_another_hold_is_refused(ctx: Context, w: World) -> None:
    one = holds.place_hold(ctx, **hold_body(w))["hold_id"]
    two = holds.place_hold(ctx, **hold_body(w, qty=2))["hold_id"]
    holds.post_hold(ctx, one, qty=4, to_location_id=w.staging, from_location_id=w.bins[0],
                     idempotency_key="pick-78")
    before = snapshot(ctx)
    with pytest.raises(Conflict) as e:
        holds.post_hold(ctx, two, qty=2, to_location_id=w.staging,
                         from_location_id=w.bins[0], idempotency_key="pick-78")
    assert e.value.code == "idempotency_key_reused"
    assert snapshot(ctx) == before
    assert holds.get_hold(ctx, two, None)["state"] == "pending"


def test_eight_clients_posting_the_same_hold_post_it_once(ctx: Context, w: World) -> None:
    hid = holds.place_hold(ctx, **hold_body(w))["hold_id"]
    before = counts(ctx)["movements"]
    results = race(lambda i: holds.post_hold(ctx, hid, qty=4, to_location_id=w.staging,
                                              from_location_id=w.bins[0],
                                              idempotency_key="pick-79"))
    assert_one_original(results, "movement_id")
    assert counts(ctx)["movements"] == before + 1
    level = stock.level(ctx, w.owner, w.item, w.facility)
    assert (level["allocated"], level["in_process"]) == (0, 4)
    assert stock.verify(ctx)["ok"]


# ------------------------------------------------------------------ HTTP


def movement_json(w: World, qty: int = 6) -> dict[str, Any]:
    return {"owner_id": w.owner, "type": "putaway", "lines": [
        {"item_id": w.item, "from_location_id": w.bins[0], "to_location_id": w.bins[1],
         "qty": qty}]}


def test_a_posting_sent_twice_over_http_is_posted_once(ctx: Context, w: World) -> None:
    client = TestClient(create_app(ctx))
    key = {"Idempotency-Key": "hh07-0100"}
    first = client.post("/api/movements", json=movement_json(w), headers=key)
    before = snapshot(ctx)
    again = client.post("/api/movements", json=movement_json(w), headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["replayed"] is False and again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    assert snapshot(ctx) == before
    other = client.post("/api/movements", json=movement_json(w, 7), headers=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert snapshot(ctx) == before


def test_eight_clients_posting_over_http_post_once(ctx: Context, w: World) -> None:
    app = create_app(ctx)
    before = counts(ctx)["movements"]

    def send(_: int) -> dict[str, Any]:
        r = TestClient(app).post("/api/movements", json=movement_json(w),
                                 headers={"Idempotency-Key": "hh07-0101"})
        assert r.status_code == 201, r.text
        return {"movement_id": r.json()["id"], "replayed": r.json()["replayed"]}

    assert_one_original(race(send), "movement_id")
    assert counts(ctx)["movements"] == before + 1


def test_a_hold_placed_twice_over_http_is_placed_once(ctx: Context, w: World) -> None:
    app = create_app(ctx)

    def send(_: int) -> dict[str, Any]:
        r = TestClient(app).post("/api/holds", json=hold_body(w),
                                 headers={"Idempotency-Key": "SO-2002-9"})
        assert r.status_code == 201, r.text
        return {"hold_id": r.json()["id"], "replayed": r.json()["replayed"]}

    results = race(send)
    assert_one_original(results, "hold_id")
    assert send(0)["replayed"] is True
    assert counts(ctx)["holds"] == 1
    assert stock.level(ctx, w.owner, w.item, w.facility)["allocated"] == 4


def test_a_hold_posted_twice_over_http_is_posted_once(ctx: Context, w: World) -> None:
    app = create_app(ctx)
    hid = TestClient(app).post("/api/holds", json=hold_body(w)).json()["id"]
    before = counts(ctx)["movements"]

    def send(_: int) -> dict[str, Any]:
        r = TestClient(app).post(f"/api/holds/{hid}/post", json={
            "qty": 4, "to_location_id": w.staging, "from_location_id": w.bins[0]},
            headers={"Idempotency-Key": "pick-80"})
        assert r.status_code == 200, r.text
        return r.json()

    results = race(send)
    assert_one_original(results, "movement_id")
    assert all(r["state"] == "posted" for r in results)
    assert counts(ctx)["movements"] == before + 1
