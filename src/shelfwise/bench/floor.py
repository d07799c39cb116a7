"""``python -m shelfwise.bench.floor``: a busy outbound day through the service layer.

Orders are allocated (FEFO/FIFO, holds), released in waves, picked by scans in path
order, packed into SSCC cartons and shipped with the manual carrier, all through the
same services the API calls. The baseline is the ledger itself in the same run at the
same size: as many single-line movements posted with ``ledger.post_movements`` in
batches of 100. ``ratio`` = order lines per second / ledger movements per second says
what the whole workflow costs against its cheapest possible bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from shelfwise.domain.carriers import ManualCarrier
from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.picking import WaveRules
from shelfwise.services import catalog, ledger, picking, shipping, stock
from shelfwise.services.context import Context
from shelfwise.services.orders import OrderSpec, allocate_orders, create_orders
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade

ORDER_BATCH = 250
PICK_BATCH = 100
WAVE_ORDERS = 250
SHIP_TO = {"name": "Bench Customer", "lines": ["1 Main St"], "city": "Reno",
           "postcode": "89501", "country": "US"}


def _setup(ctx: Context, skus: int) -> dict[str, Any]:
    owner = catalog.create_owner(ctx, "BENCH", "Bench Brand")["id"]
    fac = catalog.create_facility(ctx, "BWH", "Bench DC")["id"]
    zone = catalog.create_zone(ctx, fac, "P", "Pick")["id"]
    specs = [{"facility_id": fac, "code": f"P-{i // 400 + 1:02d}-{i // 10 % 40 + 1:02d}-"
              f"{i % 10 + 1:02d}", "kind": "pick_face", "zone_id": zone} for i in range(skus)]
    specs += [{"facility_id": fac, "code": f"R-{i // 400 + 1:02d}-{i // 10 % 40 + 1:02d}-"
               f"{i % 10 + 1:02d}", "kind": "storage", "zone_id": zone} for i in range(skus)]
    specs.append({"facility_id": fac, "code": "STAGE-01", "kind": "staging"})
    locs = catalog.create_locations(ctx, specs)
    gtins = [with_check_digit(f"0950601{i:06d}") for i in range(skus)]
    item_ids = catalog.create_items(ctx, [
        ItemSpec(owner, f"SKU-{i:05d}", f"Bench item {i}", (gtins[i],), weight_g=250)
        for i in range(skus)])
    supplier = catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER)
    cmds = [MovementCommand(owner, MovementType.RECEIPT, (
        LineCommand(item_ids[i], supplier, locs[i], 10_000),
        LineCommand(item_ids[i], supplier, locs[skus + i], 10_000))) for i in range(skus)]
    for n in range(0, len(cmds), 500):
        ledger.post_movements(ctx, cmds[n:n + 500])
    barcodes = {locs[i]: specs[i]["code"] for i in range(len(specs))}
    return {"owner": owner, "facility": fac, "items": item_ids, "gtins": gtins, "locs": locs,
            "barcodes": barcodes, "gtin_of": dict(zip(item_ids, gtins, strict=True))}


def _orders(ctx: Context, w: dict[str, Any], order_lines: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    specs, left, n = [], order_lines, 0
    while left > 0:
        k = min(left, rng.choice((1, 2, 3, 4, 5, 6, 7)))
        chosen = rng.sample(w["items"], k)
        specs.append(OrderSpec(w["owner"], w["facility"], f"SO-{n:07d}",
                               tuple((i, rng.randint(1, 3)) for i in chosen), SHIP_TO,
                               channel=rng.choice(("b2c", "b2c", "marketplace")),
                               priority=rng.randint(0, 3)))
        left -= k
        n += 1
    ids: list[int] = []
    for b in range(0, len(specs), 1000):
        ids += [r["id"] for r in create_orders(ctx, specs[b:b + 1000])]
    return ids


class _Meter:
    """Wall seconds, CPU seconds of this process and SQL statements per stage. CPU time
    is what the code costs even when other work shares the cores; statements are what
    it costs in round trips."""

    def __init__(self, engine: Any) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self._count = 0

        def count(*_: Any) -> None:
            self._count += 1

        event.listen(engine, "before_cursor_execute", count)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        w, c, n = time.perf_counter(), time.process_time(), self._count
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
            self.statements[name] = self.statements.get(name, 0) + self._count - n


def _day(ctx: Context, w: dict[str, Any], order_ids: list[int], m: _Meter) -> None:
    """allocate -> wave -> pick -> pack -> ship, measured per stage."""
    with m.stage("allocate"):
        for b in range(0, len(order_ids), ORDER_BATCH):
            allocate_orders(ctx, order_ids[b:b + ORDER_BATCH])
    with m.stage("wave"):
        waves = picking.create_waves(ctx, w["facility"], rules=WaveRules(WAVE_ORDERS, 10_000))
    for wave in waves:
        with m.stage("pick"):
            tasks = picking.list_pick_tasks(ctx, wave["id"])
            confirms = [picking.PickConfirm(x["id"], x["location_barcode"],
                                            w["gtin_of"][x["item_id"]]) for x in tasks]
            for b in range(0, len(confirms), PICK_BATCH):
                picking.confirm_picks(ctx, confirms[b:b + PICK_BATCH], user="bench",
                                      device="HH-1")
        with m.stage("pack"):
            units: dict[int, list[str]] = {}
            for x in tasks:
                units.setdefault(x["order_id"], []).extend([w["gtin_of"][x["item_id"]]] * x["qty"])
            shipping.pack_cartons(ctx, [shipping.CartonRequest(o, tuple(u))
                                        for o, u in sorted(units.items())], user="bench")
        with m.stage("ship"):
            shipping.ship_wave(ctx, wave["id"], user="bench")


def _ledger_baseline(ctx: Context, w: dict[str, Any], n: int) -> float:
    """Seconds to post ``n`` single-line movements in batches of 100 (pick face -> reserve
    bin and back, so stock never runs out)."""
    skus = len(w["items"])
    cmds = []
    for k in range(n):
        i = k % skus
        a, b = w["locs"][i], w["locs"][skus + i]
        src, dst = (a, b) if (k // skus) % 2 == 0 else (b, a)
        cmds.append(MovementCommand(w["owner"], MovementType.MOVE,
                                    (LineCommand(w["items"][i], src, dst, 1),)))
    s = time.perf_counter()
    for b in range(0, n, 100):
        ledger.post_movements(ctx, cmds[b:b + 100])
    return time.perf_counter() - s


def run_floor_bench(database_url: str | None = None, order_lines: int = 20_000,
                    skus: int = 2_000, seed: int = 7) -> dict[str, Any]:
    """Run the day and the baseline on a fresh database (a temporary SQLite file unless
    ``database_url`` names an empty, migratable database); print and return figures."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'floor.db'}"
        engine = make_engine(url)
        upgrade(engine)
        ctx = Context(engine=engine, settings=Settings(database_url=url))
        # thermal-printer labels: a PDF label costs ~25 ms to render, ZPL ~0.05 ms
        shipping.register_carrier(ctx, ManualCarrier(label_format="zpl"))
        w = _setup(ctx, skus)
        s = time.perf_counter()
        order_ids = _orders(ctx, w, order_lines, seed)
        create_s = time.perf_counter() - s
        m = _Meter(engine)
        _day(ctx, w, order_ids, m)
        with m.stage("baseline"):
            _ledger_baseline(ctx, w, order_lines)
        report = stock.verify(ctx)
        engine.dispose()
    base_s, base_cpu = m.wall.pop("baseline"), m.cpu.pop("baseline")
    base_statements = m.statements.pop("baseline")
    day_s, day_cpu = sum(m.wall.values()), sum(m.cpu.values())
    lines_per_s = order_lines / day_s
    moves_per_s = order_lines / base_s
    out = {
        "backend": url.split(":", 1)[0],
        "order_lines": order_lines,
        "orders": len(order_ids),
        "skus": skus,
        "lines_per_s": round(lines_per_s, 1),
        "ledger_moves_per_s": round(moves_per_s, 1),
        "ratio": round(lines_per_s / moves_per_s, 3),
        "stage_seconds": {k: round(v, 2) for k, v in m.wall.items()},
        # CPU seconds of this process: steadier than wall time when the cores are shared
        "stage_cpu_seconds": {k: round(v, 2) for k, v in m.cpu.items()},
        "ratio_cpu": round(base_cpu / day_cpu, 3),
        "ledger_baseline_seconds": round(base_s, 2),
        "ledger_baseline_cpu_seconds": round(base_cpu, 2),
        "stage_statements": dict(m.statements),
        "ledger_baseline_statements": base_statements,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "order_create_lines_per_s": round(order_lines / create_s, 1),
        "label_format": "zpl",
        "verify_ok": report["ok"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(out, indent=2))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=None)
    p.add_argument("--order-lines", type=int, default=20_000)
    p.add_argument("--skus", type=int, default=2_000)
    a = p.parse_args(argv)
    run_floor_bench(a.database_url, a.order_lines, a.skus)


if __name__ == "__main__":
    main()
