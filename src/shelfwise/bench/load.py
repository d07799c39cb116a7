"""SQLite's limit: ramp concurrent handheld clients against the real HTTP server.

Each simulated handheld posts a scan-driven move (one movement through the API, with an
idempotency key) a few times a second. For each step of the ramp we report p50/p99
latency and errors; the *knee* is the client count at which p99 first passes 250 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade

KNEE_MS = 250.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str, clients: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    ctx = Context(engine=engine, settings=Settings(database_url=url))
    owner = catalog.create_owner(ctx, "LOAD", "Load Test Brand")["id"]
    fac = catalog.create_facility(ctx, "LWH", "Load DC")["id"]
    bins = catalog.create_locations(ctx, [
        {"facility_id": fac, "code": f"A-{n:02d}-01-A", "kind": "storage"} for n in range(1, 65)])
    items = catalog.create_items(ctx, [
        ItemSpec(owner, f"LOAD-{n:03d}", f"Load item {n}", (with_check_digit(f"40063812{n:04d}"),))
        for n in range(64)])
    supplier = catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER)
    ledger.post_movements(ctx, [
        MovementCommand(owner, MovementType.RECEIPT, (LineCommand(i, supplier, b, 100_000),))
        for i, b in zip(items, bins, strict=True)])
    engine.dispose()
    return {"owner": owner, "items": items, "bins": bins}


async def _client(http: httpx.AsyncClient, n: int, world: dict, until: float, rate: float,
                  lat: list[float], errors: dict[str, int]) -> None:
    rng = random.Random(n)
    item, home = world["items"][n % 64], world["bins"][n % 64]
    other = world["bins"][(n + 1) % 64]
    seq = 0
    while time.perf_counter() < until:
        src, dst = (home, other) if seq % 2 == 0 else (other, home)
        body = {"owner_id": world["owner"], "type": "move", "device": f"RF-{n:02d}",
                "scans": [str(src), str(item), str(dst)],
                "lines": [{"item_id": item, "from_location_id": src, "to_location_id": dst,
                           "qty": 1}]}
        t = time.perf_counter()
        try:
            r = await http.post("/api/movements", json=body,
                                headers={"Idempotency-Key": f"load-{n}-{seq}-{os.getpid()}"})
            if r.status_code >= 400:
                code = r.json().get("code", str(r.status_code))
                errors[code] = errors.get(code, 0) + 1
                if "locked" in r.text.lower():
                    errors["database_locked"] = errors.get("database_locked", 0) + 1
        except httpx.HTTPError as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        lat.append((time.perf_counter() - t) * 1000)
        seq += 1
        await asyncio.sleep(max(0.0, rng.expovariate(rate)))


async def _step(base: str, clients: int, seconds: float, rate: float, world: dict):
    lat: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        until = time.perf_counter() + seconds
        await asyncio.gather(*[_client(http, n, world, until, rate, lat, errors)
                               for n in range(clients)])
    lat.sort()
    return {
        "clients": clients, "requests": len(lat),
        "p50_ms": round(lat[len(lat) // 2], 1) if lat else None,
        "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)], 1) if lat else None,
        "errors": errors,
    }


def run_load(database_url: str | None = None, *, steps=(1, 4, 16, 32, 64), seconds=4.0,
             rate=3.0) -> dict[str, Any]:
    """Ramp clients against a server on a fresh database; returns the steps and the knee."""
    if database_url is None:
        path = os.path.join(tempfile.mkdtemp(prefix="shelfwise-load-"), "load.db")
        database_url = f"sqlite:///{path}"
    world = _seed(database_url, max(steps))
    port = _free_port()
    env = dict(os.environ, SHELFWISE_DATABASE_URL=database_url, SHELFWISE_AUTH="off")
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfwise", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server under test did not start") from None
                time.sleep(0.2)
        # a thread of its own, so this also works from code already inside an event loop
        with ThreadPoolExecutor(1) as pool:
            results = [pool.submit(asyncio.run, _step(base, c, seconds, rate, world)).result()
                       for c in steps]
    finally:
        server.terminate()
        server.wait(10)
    knee = next((r["clients"] for r in results if (r["p99_ms"] or 0) > KNEE_MS), None)
    return {
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "steps": results,
        "knee_clients": knee if knee is not None else f">{max(steps)}",
        "locked_errors_seen": sum(r["errors"].get("database_locked", 0) for r in results),
        "errors_total": sum(sum(r["errors"].values()) for r in results),
    }
