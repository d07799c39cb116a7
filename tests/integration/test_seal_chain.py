"""The seal chain: the fast in-database hash is the reference hash, seals are written in a
short write that never waits for postings, and two sealers cannot fork the chain."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import catalog, ledger, stock
from shelfwise.storage import seals
from shelfwise.storage.verify import _LEDGER_BALANCES
from tests.factories import build_world, stock_up


def _lot_exists(ctx, item: int, code: str) -> bool:
    return any(x["code"] == code for x in catalog.list_lots(ctx, item, None))


def _post_varied(ctx, w, clock, n: int = 7) -> None:
    """Movements with everything the canonical text must render exactly: Unicode,
    separators-like punctuation, lots, scans, and timestamps with and without µs."""
    for k in range(n):
        if not _lot_exists(ctx, w.lot_item, f"L-2026-{k:02d}"):
            catalog.create_lot(ctx, w.lot_item, f"L-2026-{k:02d}", date(2028, 1, 1 + k), None)
        clock.now = datetime(2026, 10, 1, 8, 0, k, 123456 * (k % 2), tzinfo=UTC)
        ledger.post_movement(ctx, MovementCommand(
            w.owner, MovementType.RECEIPT,
            (LineCommand(w.lot_item, w.supplier, w.bins[k % 3], 3 + k, f"L-2026-{k:02d}"),
             LineCommand(w.item, w.supplier, w.bins[0], 1 + k)),
            reason=["", "Wareneingang – Größe ü", "comma, \"quote\" 'tick'"][k % 3],
            document_type="receipt", document_id=f"ASN-{k:04d}", user="jürgen.ø",
            device="RF-07", scans=(f"(01)09506000000010(10)L-{k}", "ßcan ✓")))


@pytest.mark.parametrize("chunk", [1, 2, 50_000])
def test_fast_hash_is_the_reference_hash(ctx, clock, monkeypatch, chunk):
    w = build_world(ctx)
    _post_varied(ctx, w, clock)
    monkeypatch.setattr(seals, "CHUNK", chunk)
    with ctx.read() as conn:
        top = conn.execute(sa.text("SELECT MAX(id) FROM movement_lines")).scalar()
        for lo, hi in ((0, top), (3, top - 2), (top, top), (5, 6)):
            assert seals.hash_range(conn, lo, hi, "ab" * 32) == seals.hash_range_rows(
                conn, lo, hi, "ab" * 32)


def test_checkpoint_sums_are_the_ledger_sums_up_to_the_seal(ctx, clock):
    w = build_world(ctx)
    _post_varied(ctx, w, clock, 4)
    clock.advance(minutes=10)
    stock.seal(ctx)
    # empty a bin completely: its key must leave the checkpoint, not stay at 0
    ledger.post_movement(ctx, MovementCommand(w.owner, MovementType.SHIP, (
        LineCommand(w.item, w.bins[0], w.customer, 1 + 2 + 3 + 4),)))
    _post_varied(ctx, w, clock, 3)
    clock.advance(minutes=10)
    second = stock.seal(ctx)
    with ctx.read() as conn:
        sums = set(conn.execute(sa.text(
            "SELECT owner_id, item_id, location_id, lot, qty FROM ledger_checkpoint_sums")))
        truth = {tuple(r) for r in conn.execute(sa.text(_LEDGER_BALANCES)) if r.qty}
        cp = seals.last_checkpoint(conn)
        assert sums == truth
        assert (cp["through_line_id"], cp["seal_id"]) == (second["to_line_id"], second["id"])
        assert seals.checkpoint_digest(conn) == (cp["digest"], cp["keys"])


def test_a_seal_prepared_in_a_read_is_written_in_a_short_write(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    clock.advance(minutes=10)
    with ctx.read() as conn:
        plan = seals.prepare_seal(conn, ctx.now())
    stock_up(ctx, w, 5)  # postings go on meanwhile; the plan stays valid
    with ctx.write() as conn:
        row = seals.write_seal(conn, plan)
    assert row["line_count"] == 1
    with ctx.write() as conn:  # a plan made before that seal is stale now
        assert seals.write_seal(conn, plan) is None
    assert stock.verify(ctx)["ok"]


def test_two_seals_cannot_start_at_the_same_line(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    clock.advance(minutes=10)
    first = stock.seal(ctx)
    with pytest.raises(sa.exc.IntegrityError), ctx.write() as conn:
        conn.execute(sa.text(
            "INSERT INTO ledger_seals (from_line_id, to_line_id, line_count, hash, prev_hash,"
            " created_at) VALUES (0, :t, 1, :h, :g, :c)"),
            {"t": first["to_line_id"], "h": "f" * 64, "g": seals.GENESIS, "c": ctx.now()})


def test_many_small_seals_are_rechecked_in_one_pass(ctx, clock):
    w = build_world(ctx)
    for _ in range(30):
        stock_up(ctx, w, 1)
        clock.advance(minutes=10)
        stock.seal(ctx)
    report = stock.verify(ctx)
    assert (report["seals"], report["broken_seals"], report["ok"]) == (30, 0, True)
    assert report["mode"] == "checkpoint"


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_open_seal_transaction_does_not_hold_up_postings(ctx, clock, backend):
    """On PostgreSQL a seal only reads ledger rows and writes its own tables."""
    w = build_world(ctx)
    stock_up(ctx, w, 100)
    clock.advance(minutes=10)
    posted: list[float] = []
    with ctx.write() as conn:
        assert seals.seal(conn, ctx.now()) is not None  # uncommitted until the block ends

        def post() -> None:
            t = time.perf_counter()
            ledger.post_movement(ctx, MovementCommand(w.owner, MovementType.MOVE, (
                LineCommand(w.item, w.bins[0], w.bins[1], 1),)))
            posted.append(time.perf_counter() - t)

        worker = threading.Thread(target=post)
        worker.start()
        worker.join(timeout=10)
        assert posted and posted[0] < 5, "a posting waited for the open seal transaction"
    assert stock.verify(ctx)["ok"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_concurrent_sealers_never_fork_the_chain(ctx, clock, backend):
    """Three sealers at once, three rounds: one seal per round, the others find nothing."""
    w = build_world(ctx)
    results: list[object] = []

    def sealer(start: threading.Barrier) -> None:
        start.wait()
        try:
            results.append(stock.seal(ctx))
        except sa.exc.DBAPIError as e:  # pragma: no cover - reported by the assert
            results.append(e)

    for _ in range(3):
        for _ in range(4):
            stock_up(ctx, w, 1)
        clock.advance(minutes=10)
        start = threading.Barrier(3)
        threads = [threading.Thread(target=sealer, args=(start,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r is not None for r in results) == 3
    report = stock.verify(ctx)
    assert (report["seals"], report["broken_seals"], report["ok"]) == (3, 0, True)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_seals_do_not_depend_on_the_session_time_zone(ctx, clock, backend):
    w = build_world(ctx)
    _post_varied(ctx, w, clock, 3)
    clock.advance(minutes=10)
    with ctx.write() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'America/Los_Angeles'")
        assert seals.seal(conn, ctx.now()) is not None
    with ctx.read() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Kolkata'")
        assert seals.check_seals(conn)["broken_seals"] == 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_seal_hashed_the_old_way_in_another_time_zone_still_verifies(ctx, clock, backend):
    """Seals written before the hash moved into the database used the session's zone."""
    w = build_world(ctx)
    _post_varied(ctx, w, clock, 3)
    with ctx.write() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'America/Los_Angeles'")
        top = conn.execute(sa.text("SELECT MAX(id) FROM movement_lines")).scalar()
        digest, n = seals.hash_range_rows(conn, 0, top, seals.GENESIS)
        assert digest != seals.hash_range(conn, 0, top, seals.GENESIS)[0]
        conn.execute(sa.text(
            "INSERT INTO ledger_seals (from_line_id, to_line_id, line_count, hash, prev_hash,"
            " created_at) VALUES (0, :t, :n, :h, :g, :c)"),
            {"t": top, "n": n, "h": digest, "g": seals.GENESIS, "c": ctx.now()})
    with ctx.read() as conn:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'America/Los_Angeles'")
        assert seals.check_seals(conn)["broken_seals"] == 0
