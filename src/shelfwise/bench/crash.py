"""Crash safety: SIGKILL a posting process at random points, resume with the same keys,
and check nothing acknowledged was lost and nothing was posted twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger, stock
from shelfwise.services.context import Context


@dataclass
class CrashReport:
    movements: int
    kills: int
    lost: int
    duplicates: int
    mismatches: int
    integrity_ok: bool
    acked: int
    restarts: int = 0
    server_kills: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__ | {}


def prepare(ctx: Context) -> tuple[int, int, int, int]:
    owner = catalog.create_owner(ctx, "CRASH", "Crash Test Brand")["id"]
    fac = catalog.create_facility(ctx, "CWH", "Crash DC")["id"]
    a, b = catalog.create_locations(ctx, [
        {"facility_id": fac, "code": "A-01-01-A", "kind": "storage"},
        {"facility_id": fac, "code": "A-01-02-A", "kind": "storage"},
    ])
    from shelfwise.domain.catalog import ItemSpec, with_check_digit

    item = catalog.create_item(ctx, ItemSpec(owner, "CRASH-1", "Crash item",
                                             (with_check_digit("400638100001"),)))["id"]
    supplier = catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER)
    for loc in (a, b):
        ledger.post_movement(ctx, MovementCommand(owner, MovementType.RECEIPT,
                                                  (LineCommand(item, supplier, loc, 1_000_000),)))
    return owner, item, a, b


def run_crash(ctx: Context, url: str, *, movements: int, kills: int, seed: int,
              server_kill=None) -> CrashReport:  # type: ignore[no-untyped-def]
    """Post ``movements`` through a worker killed ``kills`` times at random moments.

    ``server_kill``, if given, is called instead of killing the worker on some rounds
    (it stops the database server abruptly and starts it again).
    """
    owner, item, a, b = prepare(ctx)
    rng = random.Random(seed)
    acked: set[int] = set()
    restarts = server_kills = 0
    kills_done = 0
    env = dict(os.environ)
    while True:
        done_to = max(acked) + 1 if acked else 0
        # always restart from 0: replays of acknowledged keys must post nothing
        args = [sys.executable, "-m", "shelfwise.bench.crash_worker", url, "0", str(movements),
                str(owner), str(item), str(a), str(b)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
        restarts += 1
        if kills_done < kills:
            target = rng.randint(1, max(2, (movements - done_to) // max(1, kills - kills_done)))
            seen = 0
            assert proc.stdout is not None
            for line in proc.stdout:
                parts = line.split()
                if parts and parts[0] == "ack":
                    n = int(parts[1])
                    if n >= done_to:
                        seen += 1
                    acked.add(n)
                if seen >= target:
                    break
            if server_kill is not None and kills_done % 4 == 3:
                server_kill()
                server_kills += 1
            time.sleep(rng.random() * 0.01)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills_done += 1
            continue
        out, _ = proc.communicate()
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == "ack":
                acked.add(int(parts[1]))
        if proc.returncode != 0:
            # a worker failing because the server was down: go round again
            continue
        break
    with ctx.read() as conn:
        keys = conn.execute(sa.text(
            "SELECT COUNT(*) FROM idempotency_keys WHERE key LIKE 'mv:crash-%'")).scalar()
        moved = conn.execute(sa.text(
            "SELECT COUNT(*) FROM movements WHERE user_name = 'crash'")).scalar()
        present = {int(r[0].split("-")[-1]) for r in conn.execute(sa.text(
            "SELECT key FROM idempotency_keys WHERE key LIKE 'mv:crash-%'"))}
        integrity = True
        if conn.dialect.name == "sqlite":
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    report = stock.verify(ctx)
    return CrashReport(
        movements=moved, kills=kills_done, lost=len(acked - present),
        duplicates=max(0, moved - keys), mismatches=0 if report["ok"] else 1,
        integrity_ok=integrity, acked=len(acked), restarts=restarts, server_kills=server_kills,
    )
