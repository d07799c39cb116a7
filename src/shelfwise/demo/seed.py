"""Seed the demo: a year of receipts, putaways, orders (holds), picks, shipments,
transfers, quarantine and count adjustments, posted through the services.

The demo keeps a small model of where stock is so it only asks for what is possible;
the ledger still checks every posting. A simulated clock walks through the year.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress

from shelfwise.demo.catalog_data import AISLES, BAYS, FACILITIES, LEVELS, OWNERS, ZONES, demo_items
from shelfwise.demo.floor_days import FloorDays
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import billing, catalog, ledger, metering, stock
from shelfwise.services.context import Context
from shelfwise.storage.tables import lots, owners

ITEMS_PER_OWNER = 167
DAYS = 365
#: The most recent days run through the real floor workflows (scans, waves, cartons).
FLOOR_DAYS = 10


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    id: int
    code: str
    supplier: int = 0
    customer: int = 0
    adjustment: int = 0
    in_transit: int = 0
    docks: list[int] = field(default_factory=list)
    staging: int = 0
    quarantine: int = 0
    damaged: int = 0
    storage: list[int] = field(default_factory=list)


@dataclass
class Sku:
    id: int
    owner_id: int
    case_pack: int
    lot_tracked: bool
    rate: float  # mean units per day per facility
    weekly: list[float]
    home: dict[int, int] = field(default_factory=dict)  # facility -> home bin
    # facility -> deque of [lot, qty] in the home bin, oldest first
    stock: dict[int, deque] = field(default_factory=dict)


def seed_demo(
    ctx: Context,
    *,
    seed: int = 7,
    console: Console | None = None,
    days: int = DAYS,
    items_per_owner: int = ITEMS_PER_OWNER,
) -> dict[str, Any]:
    """Create the demo unless the database already has owners. Returns a summary."""
    with ctx.read() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(owners)).scalar():
            return {"seeded": False, "reason": "database already has data", **_summary(ctx)}
    rng = random.Random(seed)
    real_clock = ctx.clock
    end = real_clock().replace(hour=6, minute=0, second=0, microsecond=0)
    clock = SimClock(end - timedelta(days=days))
    ctx.clock = clock
    try:
        sites, skus = _build_catalog(ctx, rng, items_per_owner)
        sim = _Sim(ctx, rng, clock, sites, skus)
        floor_days = min(FLOOR_DAYS, days)
        with Progress(console=console or Console(stderr=True), transient=True) as bar:
            task = bar.add_task("simulating a year of warehouse work", total=days)
            for day in range(days - floor_days):
                sim.run_day(day, last=False)
                bar.advance(task)
            floor = FloorDays(sim)
            for day in range(days - floor_days, days):
                sim.clock.now += timedelta(days=1)
                if sim.clock.now.weekday() < 6:
                    floor.run_day(sim.clock.now.date(), last=(day == days - 1))
                bar.advance(task)
        first = end.date() - timedelta(days=days)
        _rate_cards(ctx, first.replace(day=1))
        for n in range(max(0, days - 60), days):  # nightly storage snapshots, last 60 days
            ctx.clock = SimClock(end - timedelta(days=days - n - 1))
            metering.meter_storage(ctx, (end - timedelta(days=days - n - 1)).date())
    finally:
        ctx.clock = real_clock
    return {"seeded": True, **_summary(ctx)}


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


def _build_catalog(ctx: Context, rng: random.Random, per_owner: int):
    owner_ids = {code: catalog.create_owner(ctx, code, name)["id"] for code, name, *_ in OWNERS}
    sites = []
    for fcode, fname in FACILITIES:
        fid = catalog.create_facility(ctx, fcode, fname)["id"]
        s = Site(fid, fcode)
        for kind, attr in (
            (LocationKind.SUPPLIER, "supplier"),
            (LocationKind.CUSTOMER, "customer"),
            (LocationKind.ADJUSTMENT, "adjustment"),
            (LocationKind.IN_TRANSIT, "in_transit"),
        ):
            setattr(s, attr, catalog.virtual_location(ctx, fid, kind))
        specs = [
            {"facility_id": fid, "code": f"{fcode}-DOCK-{n:02d}", "kind": "receiving"}
            for n in range(1, 5)
        ]
        specs += [
            {"facility_id": fid, "code": f"{fcode}-STAGE-{n:02d}", "kind": "staging"}
            for n in range(1, 4)
        ]
        specs += [
            {"facility_id": fid, "code": f"{fcode}-PACK-01", "kind": "packing"},
            {"facility_id": fid, "code": f"{fcode}-SHIP-01", "kind": "shipping"},
            {"facility_id": fid, "code": f"{fcode}-QUAR-01", "kind": "quarantine"},
            {"facility_id": fid, "code": f"{fcode}-DMG-01", "kind": "damaged"},
        ]
        n_fixed = len(specs)
        for zcode, zname in ZONES:
            zid = catalog.create_zone(ctx, fid, zcode, zname)["id"]
            for a in range(1, AISLES + 1):
                for b in range(1, BAYS + 1):
                    for lv in LEVELS:
                        code = f"{zcode}-{a:02d}-{b:02d}-{lv}"
                        kind = "pick_face" if (zcode == "A" and lv == "A") else "storage"
                        specs.append(
                            {
                                "facility_id": fid,
                                "zone_id": zid,
                                "kind": kind,
                                "code": code,
                                "barcode": f"{fcode}-{code}",
                                "capacity_units": 2000,
                            }
                        )
        ids = catalog.create_locations(ctx, specs)
        s.docks, s.staging = ids[:4], ids[4]
        s.quarantine, s.damaged = ids[9], ids[10]
        s.storage = ids[n_fixed:]
        sites.append(s)
    specs = demo_items(owner_ids, per_owner, rng)
    item_ids = catalog.create_items(ctx, specs)
    skus = []
    for spec, iid in zip(specs, item_ids, strict=True):
        rate = rng.lognormvariate(0.6, 1.0) if rng.random() > 0.2 else rng.uniform(0.05, 0.3)
        weekly = [1.25, 1.15, 1.05, 1.0, 1.2, 0.7, 0.65] if rng.random() < 0.6 else [1.0] * 7
        sku = Sku(iid, spec.owner_id, spec.case_pack, spec.lot_tracked, min(rate, 60.0), weekly)
        for s in sites:
            sku.home[s.id] = rng.choice(s.storage)
            sku.stock[s.id] = deque()
        skus.append(sku)
    return sites, skus


class _Sim:
    def __init__(
        self, ctx: Context, rng: random.Random, clock: SimClock, sites: list[Site], skus: list[Sku]
    ) -> None:
        self.ctx, self.rng, self.clock, self.sites, self.skus = ctx, rng, clock, sites, skus
        self.lot_seq = 0
        self.in_transit: list[tuple[int, Site, Site, Sku, str, int]] = []
        self.weights = [s.rate for s in skus]

    def at(self, hour: int) -> None:
        self.clock.now = self.clock.now.replace(hour=hour, minute=self.rng.randint(0, 59))

    def run_day(self, day: int, last: bool) -> None:
        self.clock.now = self.clock.now + timedelta(days=1) if day else self.clock.now
        today = self.clock.now.date()
        self.at(7)
        self._receive(today)
        if day % 7 == 3:
            self._count_adjustments()
        if day % 30 == 10:
            self._transfer_out()
        self._transfer_in(day)
        if today.weekday() < 6:
            self.at(11)
            self._orders(today, post=not last)
        if day % 45 == 20:
            self._quarantine()

    # -- inbound
    def _receive(self, today: date) -> None:
        """Replenish every SKU whose home-bin stock fell below ~10 days of demand."""
        cmds: list[MovementCommand] = []
        puts: list[MovementCommand] = []
        new_lots: list[dict[str, Any]] = []
        for site in self.sites:
            dock = self.rng.choice(site.docks)
            for sku in self.skus:
                have = sum(q for _, q in sku.stock[site.id])
                if have >= sku.rate * 10 + 1:
                    continue
                qty = max(sku.case_pack, round(sku.rate * 30 / sku.case_pack) * sku.case_pack)
                lot = ""
                if sku.lot_tracked:
                    self.lot_seq += 1
                    lot = f"L{today:%y%m}{self.lot_seq:05d}"
                    new_lots.append(
                        {
                            "owner_id": sku.owner_id,
                            "item_id": sku.id,
                            "code": lot,
                            "expiry": today + timedelta(days=self.rng.randint(120, 540)),
                            "created_at": self.ctx.now(),
                        }
                    )
                doc = f"PO-{today:%y%m%d}-{site.code}"
                cmds.append(
                    MovementCommand(
                        sku.owner_id,
                        MovementType.RECEIPT,
                        (LineCommand(sku.id, site.supplier, dock, qty, lot),),
                        document_type="purchase_order",
                        document_id=doc,
                        user="receiver1",
                        device="RF-07",
                    )
                )
                puts.append(
                    MovementCommand(
                        sku.owner_id,
                        MovementType.PUTAWAY,
                        (LineCommand(sku.id, dock, sku.home[site.id], qty, lot),),
                        document_type="purchase_order",
                        document_id=doc,
                        user="putaway2",
                        device="RF-03",
                        scans=(f"{site.code}-DOCK", str(sku.home[site.id])),
                    )
                )
                sku.stock[site.id].append([lot, qty])
        if new_lots:
            with self.ctx.write() as conn:
                conn.execute(sa.insert(lots), new_lots)
        ledger.post_movements(self.ctx, cmds)
        self.at(9)
        ledger.post_movements(self.ctx, puts)

    # -- outbound
    def _orders(self, today: date, post: bool) -> None:
        wd = today.weekday()
        for site in self.sites:
            expected = sum(s.rate * s.weekly[wd] for s in self.skus) / 28
            n_lines = max(1, int(self.rng.gauss(expected, expected**0.5)))
            picked = self.rng.choices(self.skus, weights=self.weights, k=n_lines)
            owner_lines: dict[int, list[LineCommand]] = defaultdict(list)
            bodies, dests = [], []
            for n, sku in enumerate(picked):
                want = max(1, int(self.rng.expovariate(1 / max(1.0, sku.rate * 2))))
                order = f"SO-{today:%y%m%d}-{site.code}-{n:04d}"
                for lot, qty in self._take(sku, site, want):
                    bodies.append(
                        {
                            "owner_id": sku.owner_id,
                            "item_id": sku.id,
                            "facility_id": site.id,
                            "qty": qty,
                            "location_id": sku.home[site.id],
                            "lot": lot,
                            "document_type": "order",
                            "document_id": order,
                        }
                    )
                    dests.append(LineCommand(sku.id, site.staging, site.customer, qty, lot))
            placed = ledger.place_holds(self.ctx, bodies)
            if post:
                self.at(13)
                ledger.post_holds(
                    self.ctx,
                    [
                        ledger.HoldPost(
                            h["hold_id"], b["qty"], site.staging, user="picker4", device="RF-11"
                        )
                        for h, b in zip(placed, bodies, strict=True)
                    ],
                )
                for b, line in zip(bodies, dests, strict=True):
                    owner_lines[b["owner_id"]].append(line)
                self.at(16)
                ledger.post_movements(
                    self.ctx,
                    [
                        MovementCommand(
                            o,
                            MovementType.SHIP,
                            tuple(lines),
                            document_type="shipment",
                            document_id=f"SHP-{today:%y%m%d}-{site.code}-{o}",
                            user="shipper1",
                            device="PACK-2",
                        )
                        for o, lines in owner_lines.items()
                        if lines
                    ],
                )

    def _take(self, sku: Sku, site: Site, want: int) -> list[tuple[str, int]]:
        """FEFO/FIFO from the model's lots in the home bin."""
        out = []
        q = sku.stock[site.id]
        while want > 0 and q:
            lot, have = q[0]
            n = min(have, want)
            out.append((lot, n))
            want -= n
            if n == have:
                q.popleft()
            else:
                q[0][1] -= n
        return out

    # -- exceptions and moves
    def _count_adjustments(self) -> None:
        cmds = []
        for site in self.sites:
            for sku in self.rng.sample(self.skus, 6):
                q = sku.stock[site.id]
                if not q:
                    continue
                lot, have = q[0]
                if self.rng.random() < 0.5 and have > 2:
                    line = LineCommand(sku.id, sku.home[site.id], site.adjustment, 1, lot)
                    q[0][1] -= 1
                else:
                    line = LineCommand(sku.id, site.adjustment, sku.home[site.id], 1, lot)
                    q[0][1] += 1
                cmds.append(
                    MovementCommand(
                        sku.owner_id,
                        MovementType.COUNT,
                        (line,),
                        reason="count_variance",
                        document_type="count",
                        user="counter1",
                        device="RF-02",
                    )
                )
        ledger.post_movements(self.ctx, cmds)

    def _transfer_out(self) -> None:
        src, dst = self.sites[0], self.sites[1]
        for sku in self.rng.sample(self.skus, 5):
            got = self._take(sku, src, max(1, int(sku.rate * 5)))
            for lot, qty in got:
                ledger.post_movement(
                    self.ctx,
                    MovementCommand(
                        sku.owner_id,
                        MovementType.TRANSFER_OUT,
                        (LineCommand(sku.id, sku.home[src.id], dst.in_transit, qty, lot),),
                        document_type="transfer",
                        document_id=f"TO-{self.clock.now:%y%m%d}",
                        user="shipper1",
                    ),
                )
                self.in_transit.append((self._day_index() + 4, src, dst, sku, lot, qty))

    def _transfer_in(self, day: int) -> None:
        due = [t for t in self.in_transit if t[0] <= self._day_index()]
        for t in due:
            _, _src, dst, sku, lot, qty = t
            ledger.post_movement(
                self.ctx,
                MovementCommand(
                    sku.owner_id,
                    MovementType.TRANSFER_IN,
                    (LineCommand(sku.id, dst.in_transit, sku.home[dst.id], qty, lot),),
                    document_type="transfer",
                    document_id=f"TI-{self.clock.now:%y%m%d}",
                    user="receiver2",
                ),
            )
            dst_q = sku.stock[dst.id]
            dst_q.append([lot, qty])
            self.in_transit.remove(t)

    def _day_index(self) -> int:
        return self.clock.now.toordinal()

    def _quarantine(self) -> None:
        for site in self.sites:
            sku = self.rng.choice(self.skus)
            got = self._take(sku, site, 2)
            for lot, qty in got:
                ledger.post_movement(
                    self.ctx,
                    MovementCommand(
                        sku.owner_id,
                        MovementType.HOLD,
                        (LineCommand(sku.id, sku.home[site.id], site.quarantine, qty, lot),),
                        reason="suspected_damage",
                        user="supervisor1",
                    ),
                )


__all__ = ["seed_demo", "UTC"]
