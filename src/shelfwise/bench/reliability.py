"""``shelfwise bench reliability``: every reliability figure of the README in one run.

Crash safety (SIGKILLed posting), the deterministic simulation, PostgreSQL isolation
interleavings with their naive controls, fuzzed HTTP input, the SQLite/PostgreSQL load
knee, and the auditor's time to verify a sealed ledger of 1,000,000 lines.

The PostgreSQL URL, if given, must name a scratch database: it is emptied (its
``public`` schema dropped) before each part that uses it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import OperationalError

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, stock
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine

from .simulation import prepare_database, run_many

FULL = {"crash_movements": 10_000, "crash_kills": 24, "sim_seeds": 10, "sim_steps": 500,
        "pg_sim_seeds": 2, "iso_trials": 50, "fuzz": 2_000, "load_steps": (1, 4, 16, 32, 64),
        "load_seconds": 4.0, "verify_lines": 1_000_000,
        "server_movements": 2_000, "server_kills": 6}
QUICK = {"crash_movements": 1_000, "crash_kills": 20, "sim_seeds": 2, "sim_steps": 150,
         "pg_sim_seeds": 1, "iso_trials": 10, "fuzz": 200, "load_steps": (1, 8, 24),
         "load_seconds": 2.0, "verify_lines": 100_000,
         "server_movements": 400, "server_kills": 4}


def _fresh(url: str | None, name: str) -> str:
    """A new empty, migrated database: a temp SQLite file, or the PostgreSQL scratch db."""
    if url is None:
        url = f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='shelfwise-rel-'), name)}.db"
    prepare_database(url)
    return url


def _ctx(url: str, clock: Any = None) -> Context:
    engine = make_engine(url, pool_size=20) if not url.startswith("sqlite") else make_engine(url)
    kw = {"clock": clock} if clock else {}
    return Context(engine=engine, settings=Settings(database_url=url, auth=False), **kw)


def crash_part(url: str | None, cfg: dict[str, Any]) -> dict[str, Any]:
    from .crash import run_crash

    db = _fresh(url, "crash")
    ctx = _ctx(db)
    try:
        return run_crash(ctx, db, movements=cfg["crash_movements"], kills=cfg["crash_kills"],
                         seed=17).as_dict()
    finally:
        ctx.engine.dispose()


def verify_part(url: str | None, lines: int) -> dict[str, Any]:
    """Bulk-load ``lines`` ledger lines, seal them, then time ``stock.verify``."""
    from .ledger import _fill

    db = _fresh(url, "verify")
    ctx = _ctx(db, clock=lambda: datetime.now(UTC))
    try:
        owner = catalog.create_owner(ctx, "AUDIT", "Audit Brand")["id"]
        fac = catalog.create_facility(ctx, "AWH", "Audit DC")["id"]
        bins = catalog.create_locations(ctx, [
            {"facility_id": fac, "code": f"A-{a:02d}-{b:02d}-A", "kind": "storage"}
            for a in range(1, 11) for b in range(1, 21)])
        items = catalog.create_items(ctx, [
            ItemSpec(owner, f"SKU-{n:05d}", f"Audit item {n}",
                     (with_check_digit(f"4006381{n:05d}"),)) for n in range(500)])
        supplier = catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER)
        customer = catalog.virtual_location(ctx, fac, LocationKind.CUSTOMER)
        ctx.engine.dispose()  # no pooled connection may hold SQLite's WAL checkpoint back
        try:
            _fill(ctx.engine, owner, items, bins, supplier, customer, lines,
                  datetime.now(UTC) - timedelta(days=1))
        except OperationalError as e:
            # the closing WAL checkpoint is an optimisation; the lines and balances are in
            if "wal_checkpoint" not in str(e):
                raise
        t = time.perf_counter()
        sealed = stock.seal(ctx)
        seal_s = time.perf_counter() - t
        t = time.perf_counter()
        report = stock.verify(ctx)
        verify_s = time.perf_counter() - t
        return {"lines": lines, "seal_seconds": round(seal_s, 2),
                "verify_seconds": round(verify_s, 2), "ok": report["ok"],
                "sealed_lines": (sealed or {}).get("line_count", 0)}
    finally:
        ctx.engine.dispose()


def run_reliability_bench(postgres_url: str | None = None, quick: bool = False,
                          say: Any = None) -> dict[str, Any]:
    """Run every part; returns (and prints) one JSON object with the README's figures."""
    from .fuzz import run_fuzz
    from .isolation import run_isolation
    from .load import run_load

    cfg = QUICK if quick else FULL
    log = say or (lambda *_: None)
    out: dict[str, Any] = {"quick": quick, "details": {}}
    d = out["details"]

    log("crash safety (SQLite)")
    crashes = [crash_part(None, cfg)]
    if postgres_url:
        log("crash safety (PostgreSQL)")
        crashes.append(crash_part(postgres_url, cfg))
    if postgres_url:
        log("crash safety (PostgreSQL server stopped mid-batch, restarted)")
        from .crash import server_crash_figures

        server = server_crash_figures(postgres_url, movements=cfg["server_movements"],
                                      server_kills=cfg["server_kills"])
        d["crash_server"] = server
        if "skipped" not in server:
            crashes.append(server)
    d["crash"] = crashes
    out["crash_kills"] = sum(c["kills"] for c in crashes)
    out["crash_server_kills"] = sum(c.get("server_kills", 0) for c in crashes)
    out["crash_movements"] = sum(c["movements"] for c in crashes)
    out["crash_mismatches"] = sum(c["mismatches"] + (not c["integrity_ok"]) for c in crashes)
    out["crash_lost"] = sum(c["lost"] for c in crashes)
    out["crash_duplicates"] = sum(c["duplicates"] for c in crashes)

    log("simulation")
    seeds = list(range(1, cfg["sim_seeds"] + 1))
    sims = [run_many(_fresh(None, "sim"), seeds, cfg["sim_steps"])]
    if postgres_url:
        sims.append(run_many(postgres_url, seeds[: cfg["pg_sim_seeds"]], cfg["sim_steps"]))
    d["simulation"] = sims
    out["sim_steps"] = sum(s["steps"] for s in sims)
    out["sim_divergences"] = sum(s["divergences"] for s in sims)
    out["sim_faults_injected"] = sum(sum(s["faults_injected"].values()) for s in sims)

    if postgres_url:
        log("isolation interleavings (PostgreSQL)")
        ctx = _ctx(_fresh(postgres_url, "iso"))
        try:
            iso = run_isolation(ctx, cfg["iso_trials"], naive_trials=5)
        finally:
            ctx.engine.dispose()
        d["isolation"] = iso
        out["isolation_trials"] = iso["trials"]
        out["isolation_anomalies"] = iso["anomalies"] + iso["deadlocks"]
        out["naive_versions_caught"] = f"{iso['naive_caught']}/{iso['naive_ran']}"
    else:
        out["isolation_trials"] = 0
        out["isolation_anomalies"] = None
        out["naive_versions_caught"] = "0/0 (needs --postgres-url)"

    log("fuzzed HTTP input")
    ctx = _ctx(_fresh(None, "fuzz"))
    try:
        fz = run_fuzz(ctx, cfg["fuzz"])
    finally:
        ctx.engine.dispose()
    d["fuzz"] = fz
    out["fuzz_examples"] = fz["examples"]
    out["fuzz_5xx"] = fz["server_errors"]
    out["fuzz_refusals_that_wrote"] = fz["writes_by_refused"]

    log("load ramp (SQLite)")
    loads = {"sqlite": run_load(None, steps=cfg["load_steps"], seconds=cfg["load_seconds"])}
    if postgres_url:
        log("load ramp (PostgreSQL)")
        loads["postgres"] = run_load(_fresh(postgres_url, "load"), steps=cfg["load_steps"],
                                     seconds=cfg["load_seconds"])
    d["load"] = loads
    out["knee_clients_sqlite"] = loads["sqlite"]["knee_clients"]
    out["knee_clients_postgres"] = loads["postgres"]["knee_clients"] if postgres_url else None
    out["locked_errors_seen"] = sum(x["locked_errors_seen"] for x in loads.values())

    log(f"verify a sealed ledger of {cfg['verify_lines']:,} lines (SQLite)")
    ver = {"sqlite": verify_part(None, cfg["verify_lines"])}
    if postgres_url:
        log("verify (PostgreSQL)")
        ver["postgres"] = verify_part(postgres_url, cfg["verify_lines"])
    d["verify"] = ver
    full_size = cfg["verify_lines"] == 1_000_000
    out["verify_lines"] = cfg["verify_lines"]
    out["verify_seconds"] = ver["sqlite"]["verify_seconds"]
    out["verify_seconds_1m"] = ver["sqlite"]["verify_seconds"] if full_size else None
    if postgres_url:
        out["verify_seconds_postgres"] = ver["postgres"]["verify_seconds"]
        out["verify_seconds_1m_postgres"] = ver["postgres"]["verify_seconds"] if full_size \
            else None
    out["verify_ok"] = all(v["ok"] for v in ver.values())
    return out


def main(postgres_url: str | None = None, quick: bool = False) -> None:
    import sys

    result = run_reliability_bench(postgres_url, quick,
                                   say=lambda m: print(f"- {m}", file=sys.stderr, flush=True))
    print(json.dumps(result, default=str))
