"""Races: many clients at once never oversell, never drive a bin negative, and a hold is
closed exactly once.

Threads share the Context (the engine's pool gives each its own connection); the
process variant forks clients with their own engines. Everything runs on SQLite and,
when ``SHELFWISE_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from shelfwise.domain.errors import Conflict, InsufficientStock
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import holds as hold_cmds
from shelfwise.services import ledger, stock
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.tables import holds, movements
from tests.conftest import FakeClock
from tests.factories import World, build_world, move, stock_up
from tests.ledger_snapshot import BACKEND_PARAMS

CLIENTS = 8
ATTEMPTS = 10
UNITS = 3
ON_HAND = 50


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def race(clients: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``clients`` threads released together; exceptions are returned."""
    gate = threading.Barrier(clients)
    results: list[Any] = [None] * clients

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # the caller inspects every outcome
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a client hung"
    return results


def reraise_unexpected(results: list[Any]) -> None:
    for r in results:
        if isinstance(r, BaseException):
            raise r


def pending_held(ctx: Context, w: World) -> tuple[int, int]:
    with ctx.read() as conn:
        n, total = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(holds.c.qty), 0))
            .where(holds.c.item_id == w.item, holds.c.state == "pending")).one()
    return int(n), int(total)


def movement_count(ctx: Context) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar_one()


def assert_books_right(ctx: Context) -> None:
    report = stock.verify(ctx)
    assert report["ok"], report
    assert report["oversold"] == 0 and report["negative_physical"] == 0


# ------------------------------------------------------------------ holds


def place_holds(ctx: Context, w: World, location: int | None) -> int:
    """One client: ATTEMPTS holds of UNITS; returns how many it got."""
    won = 0
    for _ in range(ATTEMPTS):
        try:
            hold_cmds.place_hold(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                              qty=UNITS, location_id=location, document_type="order",
                              document_id="SO-RUSH")
            won += 1
        except InsufficientStock as e:
            assert e.code == "insufficient_available"
    return won


@pytest.mark.parametrize("at_bin", [False, True], ids=["facility", "bin"])
def test_eight_clients_racing_for_fifty_units_never_oversell(ctx: Context, at_bin: bool) -> None:
    w = build_world(ctx)
    stock_up(ctx, w, ON_HAND)
    location = w.bins[0] if at_bin else None
    results = race(CLIENTS, lambda _: place_holds(ctx, w, location))
    reraise_unexpected(results)
    granted = sum(results) * UNITS
    assert granted == ON_HAND - ON_HAND % UNITS == 48  # every 3 that fit, not one more
    assert pending_held(ctx, w) == (sum(results), granted)
    level = stock.level(ctx, w.owner, w.item, w.facility)
    assert (level["allocated"], level["available"], level["on_hand"]) == (48, 2, ON_HAND)
    assert_books_right(ctx)


def _client_process(url: str, w: World, location: int | None, out: Any) -> None:
    engine = make_engine(url, synchronous="OFF", pool_size=2)
    try:
        ctx = Context(engine=engine, settings=Settings(database_url=url), clock=FakeClock())
        out.put(place_holds(ctx, w, location))
    except BaseException as e:  # reported to the parent, which fails
        out.put(repr(e))
    finally:
        engine.dispose()


def test_eight_processes_racing_for_fifty_units_never_oversell(ctx: Context) -> None:
    w = build_world(ctx)
    stock_up(ctx, w, ON_HAND)
    url = ctx.engine.url.render_as_string(hide_password=False)
    mp = multiprocessing.get_context("fork")
    out = mp.Queue()
    procs = [mp.Process(target=_client_process, args=(url, w, None, out)) for _ in range(CLIENTS)]
    for p in procs:
        p.start()
    won = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert all(isinstance(n, int) for n in won), won
    assert sum(won) * UNITS == 48
    assert pending_held(ctx, w) == (16, 48)
    assert stock.level(ctx, w.owner, w.item, w.facility)["available"] == 2
    assert_books_right(ctx)


# ------------------------------------------------------------------ closing a hold


@pytest.mark.parametrize("rival", ["void", "post"])
def test_a_hold_raced_by_two_closers_is_closed_exactly_once(ctx: Context, rival: str) -> None:
    w = build_world(ctx)
    stock_up(ctx, w, 40)
    rounds = 6
    posted = 0
    for n in range(rounds):
        hid = hold_cmds.place_hold(ctx, owner_id=w.owner, item_id=w.item, facility_id=w.facility,
                                qty=5, location_id=w.bins[0])["hold_id"]

        def close(i: int, hid: int = hid) -> str:
            if i == 0 or rival == "post":
                hold_cmds.post_hold(ctx, hid, qty=5, to_location_id=w.staging, user=f"picker{i}")
                return "posted"
            hold_cmds.void_hold(ctx, hid)
            return "voided"

        results = race(2, close)
        wins = [r for r in results if isinstance(r, str)]
        losses = [r for r in results if not isinstance(r, str)]
        assert len(wins) == 1, f"round {n}: {results}"
        assert isinstance(losses[0], Conflict) and losses[0].code == "invalid_hold_state", \
            f"round {n}: the loser got {losses[0]!r}"
        assert hold_cmds.get_hold(ctx, hid, None)["state"] == wins[0]
        posted += wins[0] == "posted"
    assert movement_count(ctx) == 1 + posted
    level = stock.level(ctx, w.owner, w.item, w.facility)
    assert (level["allocated"], level["in_process"], level["sellable"]) == (
        0, 5 * posted, 40 - 5 * posted)
    assert_books_right(ctx)


# ------------------------------------------------------------------ draining bins


def test_eight_clients_draining_one_bin_never_take_it_below_zero(ctx: Context) -> None:
    w = build_world(ctx)
    stock_up(ctx, w, ON_HAND)

    def drain(i: int) -> int:
        done = 0
        for _ in range(ATTEMPTS):
            try:
                ledger.post_movement(ctx, move(w.owner, w.item, w.bins[0], w.bins[1], UNITS,
                                               reason=f"client {i}"))
                done += 1
            except InsufficientStock as e:
                assert e.code == "insufficient_stock"
        return done

    results = race(CLIENTS, drain)
    reraise_unexpected(results)
    assert sum(results) == ON_HAND // UNITS
    bins = {b["location_id"]: b["qty"] for b in stock.bin_balances(ctx, None, item_id=w.item)}
    assert bins == {w.bins[0]: ON_HAND % UNITS, w.bins[1]: ON_HAND - ON_HAND % UNITS}
    assert_books_right(ctx)


def test_movements_taking_two_bins_in_opposite_orders_neither_deadlock_nor_overdraw(
    ctx: Context,
) -> None:
    w = build_world(ctx)
    a, b = w.bins[0], w.bins[1]
    stock_up(ctx, w, 40, a)
    stock_up(ctx, w, 40, b)

    def pick_both(i: int) -> int:
        first, second = (a, b) if i % 2 == 0 else (b, a)
        done = 0
        for _ in range(ATTEMPTS):
            cmd = MovementCommand(owner_id=w.owner, type=MovementType.PICK, lines=(
                LineCommand(w.item, first, w.staging, 1),
                LineCommand(w.item, second, w.staging, 1)))
            try:
                ledger.post_movement(ctx, cmd)
                done += 1
            except InsufficientStock:
                pass
        return done

    results = race(CLIENTS, pick_both)
    reraise_unexpected(results)
    assert sum(results) == 40  # 8 x 10 attempts, 40 pairs in stock
    level = stock.level(ctx, w.owner, w.item, w.facility)
    assert (level["sellable"], level["in_process"]) == (0, 80)
    assert_books_right(ctx)
