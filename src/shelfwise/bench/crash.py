"""Crash safety: SIGKILL a posting process at random points, resume with the same keys,
and check nothing acknowledged was lost and nothing was posted twice.

:func:`run_server_crash` does the same to the PostgreSQL server: it stops the whole
cluster mid-batch (``immediate`` or ``fast``) and starts it again.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import make_url

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
    return _report(ctx, acked, kills_done, restarts, server_kills)


def _report(ctx: Context, acked: set[int], kills: int, restarts: int,
            server_kills: int, notes: list[str] | None = None) -> CrashReport:
    """The checks after a crashed batch has been resumed to the end."""
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
        movements=moved, kills=kills, lost=len(acked - present),
        duplicates=max(0, moved - keys), mismatches=0 if report["ok"] else 1,
        integrity_ok=integrity, acked=len(acked), restarts=restarts, server_kills=server_kills,
        notes=notes or [],
    )


@dataclass(frozen=True)
class PgCluster:
    """A local PostgreSQL cluster this process may stop and start (``pg_ctlcluster``)."""

    version: str
    name: str
    host: str
    port: int

    @classmethod
    def for_url(cls, url: str) -> tuple[PgCluster | None, str]:
        """The cluster serving ``url``, or None and the reason it cannot be controlled."""
        u = make_url(url)
        if not u.drivername.startswith("postgresql"):
            return None, "not a PostgreSQL URL"
        host, port = u.host or "localhost", u.port or 5432
        if host not in ("localhost", "127.0.0.1", "::1"):
            return None, f"PostgreSQL at {host} is not on this machine"
        if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
            return None, "pg_ctlcluster is not installed"
        try:
            lines = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                                   check=True, timeout=30).stdout.splitlines()
        except (OSError, subprocess.SubprocessError) as e:
            return None, f"pg_lsclusters failed: {e}"
        for line in lines:
            f = line.split()
            if len(f) >= 5 and f[2] == str(port) and f[3].startswith("online"):
                if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != f[4]:
                    return None, f"only root or {f[4]} may stop cluster {f[0]}/{f[1]}"
                return cls(f[0], f[1], host, port), ""
        return None, f"no online cluster on port {port}"

    @classmethod
    @contextlib.contextmanager
    def scratch(cls) -> Iterator[tuple[PgCluster | None, str]]:
        """A throw-away cluster of its own (Debian's ``pg_createcluster`` on a free port,
        dropped afterwards), so stopping it disturbs nobody else's connections: yields the
        cluster and a URL to its ``postgres`` database, or None and why it can't be made
        (needs root and Debian's PostgreSQL packages)."""
        if os.geteuid() != 0:
            yield None, "making a scratch cluster needs root"
            return
        if shutil.which("pg_createcluster") is None or shutil.which("pg_dropcluster") is None:
            yield None, "Debian's pg_createcluster is not installed"
            return
        version = sorted(os.listdir("/usr/lib/postgresql"), key=float)[-1]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        name = f"swcrash{os.getpid()}"
        password = secrets.token_hex(12)
        try:
            subprocess.run(["pg_createcluster", version, name, "-p", str(port), "--start",
                            "--", "--auth-local=peer", "--auth-host=scram-sha-256"],
                           check=True, capture_output=True, timeout=120)
            subprocess.run(["su", "postgres", "-c",
                            f"psql -q -p {port} -c \"ALTER USER postgres PASSWORD "
                            f"'{password}'\""], check=True, capture_output=True, timeout=60)
            yield (cls(version, name, "127.0.0.1", port),
                   f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres")
        finally:
            subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True,
                           timeout=120)

    def restart(self, mode: str) -> float:
        """Stop the server (``immediate``: no shutdown checkpoint, crash recovery at start;
        ``fast``: sessions cut, open transactions rolled back), start it, wait until it
        takes connections; returns the seconds it was unavailable."""
        t = time.perf_counter()
        self._ctl("stop", "-m", mode)
        self._ctl("start")
        for _ in range(600):
            ready = subprocess.run(["pg_isready", "-q", "-h", self.host, "-p", str(self.port)],
                                   timeout=30)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        return time.perf_counter() - t

    def _ctl(self, *action: str) -> None:
        subprocess.run(["pg_ctlcluster", self.version, self.name, *action], check=True,
                       capture_output=True, timeout=120)


def _worker(url: str, movements: int, ids: tuple[int, int, int, int]) -> subprocess.Popen:
    args = [sys.executable, "-m", "shelfwise.bench.crash_worker", url, "0", str(movements),
            *map(str, ids)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _read_acks(proc: subprocess.Popen, acked: set[int], new: int | None) -> bool:
    """Collect acks until ``new`` keys never acked before were seen (True) or the
    worker ends (False)."""
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        parts = line.split()
        if parts and parts[0] == "ack":
            n = int(parts[1])
            seen += n not in acked
            acked.add(n)
            if new is not None and seen >= new:
                return True
    proc.wait()
    return False


def run_server_crash(ctx: Context, url: str, cluster: PgCluster, *, movements: int,
                     server_kills: int, seed: int,
                     modes: tuple[str, ...] = ("immediate", "fast")) -> CrashReport:
    """Post ``movements`` while the PostgreSQL server itself is stopped abruptly
    ``server_kills`` times (cycling through ``modes``) and started again.

    A worker that loses its server dies and is started again over the whole range once
    the server is back (replays must post nothing); one that reconnects keeps going.
    Acks are printed only after commit, so an acked movement must survive the crash."""
    ids = prepare(ctx)
    rng = random.Random(seed)
    acked: set[int] = set()
    restarts, kills, notes = 1, 0, []
    proc = _worker(url, movements, ids)
    while kills < server_kills:
        left = max(1, movements - len(acked))
        if not _read_acks(proc, acked, rng.randint(1, max(1, left // (server_kills - kills + 1)))):
            proc, restarts = _worker(url, movements, ids), restarts + 1
            continue
        mode = modes[kills % len(modes)]
        notes.append(f"{mode} stop after {len(acked)} acks: "
                     f"{cluster.restart(mode):.1f} s without a server")
        kills += 1
    while True:  # then to the end of the batch, starting workers while they fail
        _read_acks(proc, acked, None)
        if proc.returncode == 0:
            return _report(ctx, acked, 0, restarts, kills, notes)
        if restarts > 3 * server_kills + 10:
            raise RuntimeError(f"the worker keeps failing (exit {proc.returncode})")
        proc, restarts = _worker(url, movements, ids), restarts + 1


def server_crash_figures(url: str | None = None, *, movements: int = 2_000,
                         server_kills: int = 4, seed: int = 23) -> dict:
    """:func:`run_server_crash` as ``bench reliability`` figures, on a scratch cluster of
    its own when this process may make one (root, Debian packages), else on the cluster
    serving ``url`` (its database is emptied, and every other client of that cluster
    loses its connections); ``skipped`` says why when neither can be stopped from here."""
    with PgCluster.scratch() as (cluster, scratch_url):
        if cluster is not None:
            return _server_crash_on(cluster, scratch_url, movements, server_kills, seed)
        if url is None:
            return {"server_kills": 0, "skipped": scratch_url}
        shared, why = PgCluster.for_url(url)
        if shared is None:
            return {"server_kills": 0, "skipped": why}
        return _server_crash_on(shared, url, movements, server_kills, seed)


def _server_crash_on(cluster: PgCluster, url: str, movements: int, server_kills: int,
                     seed: int) -> dict:
    from shelfwise.settings import Settings
    from shelfwise.storage.engine import make_engine

    from .simulation import prepare_database

    prepare_database(url)
    ctx = Context(engine=make_engine(url, pool_size=4), settings=Settings(database_url=url))
    try:
        t = time.perf_counter()
        report = run_server_crash(ctx, url, cluster, movements=movements,
                                  server_kills=server_kills, seed=seed)
        return report.as_dict() | {"seconds": round(time.perf_counter() - t, 1)}
    finally:
        ctx.engine.dispose()
