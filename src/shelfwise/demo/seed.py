"""Seed the demo: a year of receipts, putaways, orders, picks, shipments, transfers,
quarantine and counts, posted through the services, with known faults injected.

The demo keeps a small model of where stock is so it only asks for what is possible;
the ledger still checks every posting. A simulated clock walks through the year: most of
it as plain ledger history (fast), the last weeks through the real order, picking,
packing, shipping and counting workflows (:mod:`shelfwise.demo.floor_days`). Demand comes
from :mod:`shelfwise.demo.demand`, purchasing from the demo planner
(:mod:`shelfwise.demo.planner`), and the faults ``shelfwise diagnose`` should find from
:mod:`shelfwise.demo.faults`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress

from shelfwise.demo import faults as fx
from shelfwise.demo.floor_days import FloorDays
from shelfwise.demo.history import Sim
from shelfwise.demo.world import SimClock, build_catalog
from shelfwise.domain.carriers import ManualCarrier
from shelfwise.services import billing, catalog, metering, shipping, stock
from shelfwise.services.context import Context
from shelfwise.storage.tables import owners

ITEMS_PER_OWNER = 167
DAYS = 365
#: The most recent days run through the real floor workflows (scans, waves, cartons).
FLOOR_DAYS = 10
#: Before them, days whose orders and counts already go through the services.
DESK_DAYS = 35


@dataclass
class DemoRun:
    """What seeding did: the summary ``shelfwise demo`` prints, and the injected faults
    with the keys the execution faults touched (the truth a diagnosis is scored on)."""

    summary: dict[str, Any]
    faults: list[fx.Fault] = field(default_factory=list)
    #: (item id, facility id) -> execution faults that made its books materially wrong,
    #: and those of them a count then saw (all a diagnosis can know about)
    touched: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    seen: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    #: (item id, facility id) -> planning faults that cost it orders on two days or more
    #: while orders went through Shelfwise (a late delivery, a ring-fence)
    hit: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    facility_ids: dict[str, int] = field(default_factory=dict)


def seed_demo(ctx: Context, **options: Any) -> dict[str, Any]:
    """Create the demo unless the database already has owners; returns the summary
    ``shelfwise demo`` prints. ``options`` are those of :func:`run_demo`."""
    return run_demo(ctx, **options).summary


def run_demo(
    ctx: Context,
    *,
    seed: int = 7,
    console: Console | None = None,
    days: int = DAYS,
    items_per_owner: int = ITEMS_PER_OWNER,
    plan: fx.FaultPlan = fx.DEFAULT_PLAN,
    floor_days: int = FLOOR_DAYS,
    desk_days: int = DESK_DAYS,
) -> DemoRun:
    """:func:`seed_demo`, also returning the injected faults. ``days`` of history end
    with ``desk_days`` of orders through the order service and ``floor_days`` of full
    floor workflows."""
    with ctx.read() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(owners)).scalar():
            return DemoRun({"seeded": False, "reason": "database already has data",
                            **_summary(ctx)})
    rng = random.Random(seed)
    real_clock = ctx.clock
    end = real_clock().replace(hour=6, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    clock = SimClock(start)
    ctx.clock = clock
    try:
        sites, skus = build_catalog(ctx, rng, items_per_owner)
        zone = plan.zone
        zoned = {s.id for s in skus for site in sites if zone and site.code == zone.facility
                 and site.zone_of.get(s.home[site.id]) == zone.zone}
        faults = fx.resolve(plan, [fx.CatalogItem(s.id, s.owner, s.sku, s.noun, s.rate)
                                   for s in skus], [s.code for s in sites], zoned)
        sim = Sim(ctx, rng, clock, sites, skus, plan, faults, days)
        history = max(0, days - floor_days - desk_days)
        floor = _simulate(sim, console, days, history, floor_days)
        sim.write_forecasts(floor.on_hand() if floor else sim.model_on_hand())
        _rate_cards(ctx, start.date().replace(day=1))
        for n in range(max(0, days - 60), days):  # nightly storage snapshots, last 60 days
            ctx.clock = SimClock(end - timedelta(days=days - n - 1))
            metering.meter_storage(ctx, (end - timedelta(days=days - n - 1)).date())
    finally:
        ctx.clock = real_clock
    summary = {"seeded": True, **_summary(ctx), "injected_faults": fx.describe(faults)}
    return DemoRun(summary, faults, {k: set(v) for k, v in sim.shelves.touched.items()},
                   {k: set(v) for k, v in sim.shelves.seen.items()}, sim.hit(history),
                   {s.code: s.id for s in sites})


def _simulate(sim: Sim, console: Console | None, days: int, history: int,
              floor_days: int) -> FloorDays | None:
    """Walk the simulated clock through the days: ledger history first (with execution
    faults and counts from ``execution_days`` before the end), then the order-desk days,
    then the floor days. Order-desk labels go to a thermal printer (ZPL, quick to
    render); the floor days print PDFs like the rest of the system."""
    ctx, start = sim.ctx, sim.clock.now
    faulty = max(0, days - sim.plan.execution_days)
    pdf = shipping.carriers(ctx).get("manual")
    floor: FloorDays | None = None
    with Progress(console=console or Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating a year of warehouse work", total=days)
        try:
            for day in range(days):
                sim.clock.now = start + timedelta(days=day)
                if floor is None and day >= min(faulty, history):
                    floor = FloorDays(sim)
                if day < history:
                    sim.run_day(day, floor)
                elif floor is not None:
                    scanned = day >= days - floor_days
                    shipping.register_carrier(ctx, pdf if scanned and pdf is not None
                                              else ManualCarrier(label_format="zpl"))
                    sim.fence(floor)
                    floor.run_day(day, sim.clock.now.date(), scanned, last=(day == days - 1))
                bar.advance(task)
        finally:
            if pdf is not None:
                shipping.register_carrier(ctx, pdf)
    return floor


def _rate_cards(ctx: Context, start: date) -> None:
    """A 3PL price list per client brand, so `shelfwise billing run` has something to bill."""
    for owner in catalog.list_owners(ctx, None):
        billing.put_rate_card(ctx, owner["id"], effective_from=start, currency="USD",
                              minimum_monthly_cents=50_000, actor="demo", rates={
                                  "receipt_lines": "45", "units_received": "6",
                                  "units_picked": "18", "cartons_packed": "95",
                                  "orders_shipped": "150", "lines_shipped": "20",
                                  "returns_processed": "250", "storage_unit_days": "0.4",
                              })


def _summary(ctx: Context) -> dict[str, Any]:
    with ctx.read() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
            for t in (
                "owners",
                "facilities",
                "items",
                "locations",
                "movements",
                "movement_lines",
                "holds",
            )
        }
    counts["ledger_ok"] = stock.verify(ctx)["ok"]
    return counts


__all__ = ["seed_demo", "run_demo", "DemoRun", "UTC"]
