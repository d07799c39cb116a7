"""Ledger benchmark: service-layer postings vs raw inserts into the same database.

The baseline is the physical limit measured in the same run: plain inserts of
ledger-shaped rows through the same driver, with the same transaction sizes and the
same durability settings. Availability latency is measured with a large ledger present
(background lines bulk-loaded, balances rebuilt set-based from them).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import tempfile
import time
from typing import Any

import sqlalchemy as sa
from rich.console import Console

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, holds, ledger, stock
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import is_sqlite, make_engine, normalize_url
from shelfwise.storage.migrate import upgrade
from shelfwise.storage.rebuild import rebuild_balances

BATCH = 100
RAW_DDL = (
    "CREATE TABLE bench_raw_lines (id {pk}, movement_id BIGINT NOT NULL, owner_id BIGINT NOT NULL,"
    " item_id BIGINT NOT NULL, lot VARCHAR(20) NOT NULL, from_location_id BIGINT NOT NULL,"
    " to_location_id BIGINT NOT NULL, qty BIGINT NOT NULL)"
)


def _engine(url: str | None) -> tuple[sa.Engine, str, str | None]:
    """A fresh database: a temp SQLite file, or a throw-away schema on PostgreSQL."""
    if url is None or is_sqlite(normalize_url(url)):
        path = os.path.join(tempfile.mkdtemp(prefix="shelfwise-bench-"), "bench.db")
        return make_engine(f"sqlite:///{path}", synchronous="FULL"), f"sqlite:///{path}", None
    schema = f"bench_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    eng = sa.create_engine(
        normalize_url(url), pool_size=4, connect_args={"options": f"-csearch_path={schema}"}
    )
    return eng, url, schema


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def run_ledger_bench(
    database_url: str | None = None,
    *,
    ledger_lines: int = 1_000_000,
    moves: int = 3_000,
    queries: int = 2_000,
    progress: Console | None = None,
) -> dict[str, Any]:
    say = progress.log if progress else (lambda *a, **k: None)
    engine, url, schema = _engine(database_url)
    upgrade(engine)
    ctx = Context(engine=engine, settings=Settings(database_url=url))
    try:
        return _run(ctx, engine, ledger_lines, moves, queries, say)
    finally:
        if schema:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def _run(
    ctx: Context, engine: sa.Engine, ledger_lines: int, moves: int, queries: int, say
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    owner = catalog.create_owner(ctx, "BENCH", "Bench Brand")["id"]
    fac = catalog.create_facility(ctx, "BWH", "Bench DC")["id"]
    supplier = catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER)
    customer = catalog.virtual_location(ctx, fac, LocationKind.CUSTOMER)
    bins = catalog.create_locations(
        ctx,
        [
            {"facility_id": fac, "code": f"A-{a:02d}-{b:02d}-A", "kind": "storage"}
            for a in range(1, 11)
            for b in range(1, 21)
        ],
    )
    n_items = 2_000
    items = catalog.create_items(
        ctx,
        [
            ItemSpec(
                owner, f"SKU-{n:05d}", f"Bench item {n}", (with_check_digit(f"4006381{n:05d}"),)
            )
            for n in range(n_items)
        ],
    )
    hot = items[0]
    ledger.post_movement(
        ctx,
        MovementCommand(owner, MovementType.RECEIPT, (LineCommand(hot, supplier, bins[0], 10**9),)),
    )
    ledger.post_movement(
        ctx,
        MovementCommand(owner, MovementType.RECEIPT, (LineCommand(hot, supplier, bins[1], 10**9),)),
    )

    def mv(n: int, tag: str) -> MovementCommand:
        a, b = (bins[0], bins[1]) if n % 2 == 0 else (bins[1], bins[0])
        return MovementCommand(
            owner,
            MovementType.MOVE,
            (LineCommand(hot, a, b, 1),),
            user="bench",
            device="RF-01",
            idempotency_key=f"{tag}-{n}",
        )

    with engine.begin() as conn:
        pk = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "BIGSERIAL PRIMARY KEY"
        conn.exec_driver_sql(RAW_DDL.format(pk=pk))
    raw = sa.table(
        "bench_raw_lines",
        *[
            sa.column(c)
            for c in (
                "movement_id",
                "owner_id",
                "item_id",
                "lot",
                "from_location_id",
                "to_location_id",
                "qty",
            )
        ],
    )
    raw_insert = sa.insert(raw)

    def raw_row(n: int) -> dict[str, Any]:
        return {
            "movement_id": n,
            "owner_id": owner,
            "item_id": hot,
            "lot": "",
            "from_location_id": bins[0],
            "to_location_id": bins[1],
            "qty": 1,
        }

    say("single-movement transactions")
    n_single = max(200, moves // 5)
    t = time.perf_counter()
    for n in range(n_single):
        ledger.post_movement(ctx, mv(n, "s"))
    ours_single = _rate(n_single, time.perf_counter() - t)
    t = time.perf_counter()
    for n in range(n_single):
        with engine.begin() as conn:
            conn.execute(raw_insert, raw_row(n))
    raw_single = _rate(n_single, time.perf_counter() - t)

    say("batched transactions of 100")
    n_batched = (moves // BATCH) * BATCH
    t = time.perf_counter()
    for b in range(0, n_batched, BATCH):
        ledger.post_movements(ctx, [mv(n, "b") for n in range(b, b + BATCH)])
    ours_batched = _rate(n_batched, time.perf_counter() - t)
    t = time.perf_counter()
    for b in range(0, n_batched, BATCH):
        with engine.begin() as conn:
            conn.execute(raw_insert, [raw_row(n) for n in range(b, b + BATCH)])
    raw_batched = _rate(n_batched, time.perf_counter() - t)

    say("holds")
    n_holds = max(200, moves // 5)
    t = time.perf_counter()
    for n in range(n_holds):
        holds.place_hold(
            ctx,
            owner_id=owner,
            item_id=hot,
            facility_id=fac,
            qty=1,
            document_type="order",
            document_id=f"SO-{n}",
        )
    hold_rate = _rate(n_holds, time.perf_counter() - t)

    say(f"bulk-loading {ledger_lines:,} ledger lines")
    present = _fill(engine, owner, items, bins, supplier, customer, ledger_lines, ctx.now())
    say("availability queries")
    rng = random.Random(1)
    lat = []
    for _ in range(queries):
        item = rng.choice(items)
        t = time.perf_counter()
        stock.level(ctx, owner, item, fac)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    t = time.perf_counter()
    stock.seal(ctx)
    seal_s = time.perf_counter() - t
    t = time.perf_counter()
    report = stock.verify(ctx)
    verify_s = time.perf_counter() - t
    return {
        "database": engine.dialect.name,
        "moves_per_s_batched": ours_batched,
        "moves_per_s_single": ours_single,
        "raw_rows_per_s_batched": raw_batched,
        "raw_rows_per_s_single": raw_single,
        "ratio_batched": round(ours_batched / raw_batched, 3),
        "ratio_single": round(ours_single / raw_single, 3),
        "hold_per_s": hold_rate,
        "availability_p50_ms": round(statistics.median(lat), 3),
        "availability_p99_ms": round(lat[int(len(lat) * 0.99) - 1], 3),
        "ledger_lines": present,
        "verify_ok": report["ok"],
        "seal_seconds": round(seal_s, 2),
        "verify_seconds": round(verify_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _fill(
    engine: sa.Engine,
    owner: int,
    items: list[int],
    bins: list[int],
    supplier: int,
    customer: int,
    target: int,
    now,
) -> int:  # type: ignore[no-untyped-def]
    """Bulk-load background history (receipts then smaller shipments per item and bin),
    then rebuild balances from the ledger set-based so the books stay exact."""
    from shelfwise.storage.tables import movement_lines, movements

    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT COUNT(*) FROM movement_lines")).scalar() or 0
    rng = random.Random(7)
    chunk = 20_000
    while have < target:
        n = min(chunk, target - have)
        with engine.begin() as conn:
            first = (
                conn.execute(
                    sa.insert(movements).returning(movements.c.id, sort_by_parameter_order=True),
                    [
                        {
                            "owner_id": owner,
                            "type": "receipt" if k % 2 == 0 else "ship",
                            "reason": "",
                            "document_type": "bulk",
                            "document_id": "",
                            "user_name": "bench",
                            "device": "",
                            "scans": "[]",
                            "note": "",
                            "created_at": now,
                        }
                        for k in range(n)
                    ],
                )
                .scalars()
                .all()
            )
            rows = []
            for k, mid in enumerate(first):
                item = items[1 + (have + k) // 2 % (len(items) - 1)]
                b = bins[(item + (have + k) // (2 * len(items))) % len(bins)]
                if k % 2 == 0:
                    rows.append((mid, item, supplier, b, 5 + rng.randint(0, 5)))
                else:
                    rows.append((mid, item, b, customer, rng.randint(1, 5)))
            conn.execute(
                sa.insert(movement_lines),
                [
                    {
                        "movement_id": m,
                        "owner_id": owner,
                        "item_id": i,
                        "lot": "",
                        "from_location_id": f,
                        "to_location_id": t,
                        "qty": q,
                    }
                    for m, i, f, t, q in rows
                ],
            )
        have += n
    with engine.begin() as conn:
        rebuild_balances(conn)
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction, or SQLite refuses
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return have
