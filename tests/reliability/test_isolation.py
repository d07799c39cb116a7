"""Scripted two-session interleavings on PostgreSQL through our own storage code.

Each anomaly is provoked with a barrier so both sessions are inside their transaction
at once. Our code must show 0 anomalies and 0 deadlocks over many trials; a deliberately
naive version (read in Python, then write) of each check must fail, proving the check
can see the bug.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from tests.factories import build_world, move, stock_up

from shelfwise.domain.errors import InsufficientStock
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import ledger, stock

pytestmark = pytest.mark.postgres
TRIALS = 15


@pytest.fixture
def pg_ctx(ctx, backend):
    if backend != "postgres":
        pytest.skip("isolation interleavings are a PostgreSQL concern (SQLite serialises writers)")
    return ctx


def _two(fn_a, fn_b) -> list:
    """Run two sessions at once; return what each raised (or None)."""
    errors: list = [None, None]

    def run(i, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - we count every failure kind
            errors[i] = e

    threads = [threading.Thread(target=run, args=(0, fn_a)),
               threading.Thread(target=run, args=(1, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def _qty(ctx, w, loc) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.text(
            "SELECT qty FROM balances WHERE item_id = :i AND location_id = :l"),
            {"i": w.item, "l": loc}).scalar()


def test_lost_update_on_a_bin_cannot_happen(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 10_000)
    anomalies = 0
    for _ in range(TRIALS):
        before = _qty(ctx, w, w.bins[0])
        _two(lambda: ledger.post_movement(ctx, move(w.owner, w.item, w.bins[0], w.bins[1], 1)),
             lambda: ledger.post_movement(ctx, move(w.owner, w.item, w.bins[0], w.bins[2], 1)))
        anomalies += _qty(ctx, w, w.bins[0]) != before - 2
    assert anomalies == 0
    assert stock.verify(ctx)["ok"]


def test_naive_read_then_write_loses_updates(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 10_000)
    lost = 0
    for _ in range(TRIALS):
        before = _qty(ctx, w, w.bins[0])
        barrier = threading.Barrier(2, timeout=10)

        def naive():
            with ctx.write() as conn:
                q = conn.execute(sa.text(
                    "SELECT qty FROM balances WHERE item_id = :i AND location_id = :l"),
                    {"i": w.item, "l": w.bins[0]}).scalar()
                barrier.wait()
                conn.execute(sa.text(
                    "UPDATE balances SET qty = :q WHERE item_id = :i AND location_id = :l"),
                    {"q": q - 1, "i": w.item, "l": w.bins[0]})

        _two(naive, naive)
        lost += _qty(ctx, w, w.bins[0]) != before - 2
    assert lost > 0, "the naive version should lose updates; the check cannot see the bug"


def test_two_allocators_never_oversell(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    anomalies = 0
    for n in range(TRIALS):
        hold = dict(owner_id=w.owner, item_id=w.item, facility_id=w.facility, qty=3,
                    document_type="order", document_id=f"SO-{n}")
        errs = _two(lambda h=hold: ledger.place_hold(ctx, **h),
                    lambda h=hold: ledger.place_hold(ctx, **h))
        wins = sum(e is None for e in errs)
        anomalies += wins != 1 or any(e is not None and not isinstance(e, InsufficientStock)
                                      for e in errs)
        with ctx.read() as conn:
            ids = [r[0] for r in conn.execute(sa.text(
                "SELECT id FROM holds WHERE state = 'pending'"))]
        for hid in ids:
            ledger.void_hold(ctx, hid)
    assert anomalies == 0
    assert stock.verify(ctx)["ok"]


def test_naive_allocators_oversell_by_write_skew(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    oversold = 0
    for _ in range(TRIALS):
        barrier = threading.Barrier(2, timeout=10)
        granted = []

        def naive():
            with ctx.write() as conn:
                avail = conn.execute(sa.text(
                    "SELECT sellable - allocated FROM stock_levels WHERE item_id = :i"
                    " AND facility_id = :f"), {"i": w.item, "f": w.facility}).scalar()
                barrier.wait()
                if avail >= 3:
                    granted.append(3)  # a naive system would now hand out the stock

        _two(naive, naive)
        oversold += sum(granted) > 5
    assert oversold > 0, "the naive check-then-reserve should oversell"


def _opposite_order_movement(w, first, second) -> MovementCommand:
    return MovementCommand(w.owner, MovementType.MOVE, (
        LineCommand(w.item, first, w.staging, 1), LineCommand(w.item, second, w.staging, 1)))


def test_two_orders_locking_two_bins_in_opposite_orders_never_deadlock(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 1_000, w.bins[0])
    stock_up(ctx, w, 1_000, w.bins[1])
    deadlocks = anomalies = 0
    for _ in range(TRIALS):
        errs = _two(
            lambda: ledger.post_movement(ctx, _opposite_order_movement(w, w.bins[0], w.bins[1])),
            lambda: ledger.post_movement(ctx, _opposite_order_movement(w, w.bins[1], w.bins[0])))
        for e in errs:
            if isinstance(e, DBAPIError) and getattr(e.orig, "sqlstate", "") == "40P01":
                deadlocks += 1
            elif e is not None:
                anomalies += 1
    assert (deadlocks, anomalies) == (0, 0)
    assert stock.verify(ctx)["ok"]


def test_naive_opposite_order_locking_deadlocks(pg_ctx):
    ctx = pg_ctx
    w = build_world(ctx)
    stock_up(ctx, w, 1_000, w.bins[0])
    stock_up(ctx, w, 1_000, w.bins[1])
    deadlocks = 0
    for _ in range(3):
        barrier = threading.Barrier(2, timeout=10)

        def naive(first, second):
            with ctx.write() as conn:
                for n, loc in enumerate((first, second)):
                    conn.execute(sa.text(
                        "UPDATE balances SET qty = qty - 1 WHERE item_id = :i"
                        " AND location_id = :l"), {"i": w.item, "l": loc})
                    if n == 0:
                        barrier.wait()

        errs = _two(lambda: naive(w.bins[0], w.bins[1]), lambda: naive(w.bins[1], w.bins[0]))
        deadlocks += sum(isinstance(e, DBAPIError) and getattr(e.orig, "sqlstate", "") == "40P01"
                         for e in errs)
    assert deadlocks > 0, "row-at-a-time locking in opposite orders should deadlock"
