"""The simulation's shared state and its ledger-history tier.

:class:`Sim` holds what every tier of the simulated year shares -- the demand model,
the demo planner, the injected faults and the physical truth they create -- and runs
the history days: purchase orders arriving as receipt and putaway movements, the day's
orders picked from the home bins and shipped (no order documents), transfers between
facilities, quarantine, and, once the execution faults start, their mis-picks,
wrong-bin putaways, unrecorded damage and the cycle-count programme. It also records
the planning side: the channel ring-fence of the fault plan and the planner's
forecasts, stored as planning runs.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict, deque
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from shelfwise.demo import faults as fx
from shelfwise.demo.catalog_data import SUPPLIERS
from shelfwise.demo.demand import DemandModel
from shelfwise.demo.planner import LEAD_DAYS, Planner
from shelfwise.demo.world import SimClock, Site, Sku
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import holds, ledger, stock
from shelfwise.services.context import Context
from shelfwise.storage.planning_tables import channel_allocations, forecasts, planning_runs
from shelfwise.storage.tables import balances, lots

if TYPE_CHECKING:
    from shelfwise.demo.floor_days import FloorDays


class Sim:
    """The history tier (ledger postings) and what every tier shares: demand, planner,
    faults and the physical truth."""

    def __init__(self, ctx: Context, rng: random.Random, clock: SimClock, sites: list[Site],
                 skus: list[Sku], plan: fx.FaultPlan, faults: list[fx.Fault], days: int
                 ) -> None:
        self.ctx, self.rng, self.clock, self.sites, self.skus = ctx, rng, clock, sites, skus
        self.plan, self.faults = plan, faults
        self.lot_seq = 0
        self.in_transit: list[tuple[int, Site, Site, Sku, str, int]] = []
        self.demand = DemandModel(skus)
        daily = self.demand.expected_daily()
        self.index = {s.id: n for n, s in enumerate(skus)}
        prior = np.array([[daily[s.id] for s in skus] for _ in sites])
        bias, lead = np.ones(prior.shape), np.full(prior.shape, LEAD_DAYS)
        codes = [s.code for s in sites]
        self.late_items: set[int] = set()
        for f in faults:
            for iid in f.item_ids:
                for fac in f.facilities:
                    key = (codes.index(fac), self.index[iid])
                    if f.kind == "forecast_low" and plan.forecast:
                        bias[key] = plan.forecast.factor
                    if f.kind == "late_supplier" and plan.late:
                        lead[key] = plan.late.real_days
                        self.late_items.add(iid)
        per_line = self.demand.line_units()
        line_units = np.array([per_line[s.id] for s in skus])
        self.planner = Planner(prior, line_units, np.array([s.case_pack for s in skus]), days,
                               bias, lead)
        self.shelves = fx.Shelves(owner_of={s.id: s.owner_id for s in skus})
        self.fenced: dict[tuple[int, int], tuple[int, int | None]] = {}
        self.fence_short: dict[tuple[int, int], set[int]] = defaultdict(set)

    def at(self, hour: int) -> None:
        self.clock.now = self.clock.now.replace(hour=hour, minute=self.rng.randint(0, 59))

    def supplier_of(self, sku: Sku) -> str:
        if sku.id in self.late_items and self.plan.late:
            return self.plan.late.supplier
        return SUPPLIERS.get(sku.owner, "DEFAULT")

    def run_day(self, day: int, floor: FloorDays | None = None) -> None:
        """One day of ledger history; with ``floor``, execution faults and the count
        programme already run (they need no orders)."""
        today = self.clock.now.date()
        self.at(7)
        due: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for site_i, item_i, qty in self.planner.arrivals(day):
            due[site_i].append((item_i, qty))
        for n, site in enumerate(self.sites):
            if due[n]:
                puts = self.receive(site, due[n], today)
                if floor is not None:
                    floor.posted_putaways(site, puts)
        if day % 7 == 3 and floor is None:
            self._count_adjustments()
        if day % 30 == 10:
            self._transfer_out()
        self._transfer_in()
        if today.weekday() < 6:
            self.at(11)
            self._orders(today, floor)
        if day % 45 == 20:
            self._quarantine()
        if floor is not None:
            self.at(13)
            floor.damage()
            if today.weekday() < 6:
                self.at(15)
                floor.counts.run(today)
        self.at(18)
        self.close_day(self.model_on_hand())

    def close_day(self, on_hand: np.ndarray) -> None:
        """The evening plan: purchase orders go out; they arrive after the real lead time."""
        self.planner.close_day(on_hand)

    def resync(self, location_id: int, owner_id: int, facility_id: int) -> None:
        """A count changed the books at a bin: the history model reads them back."""
        with self.ctx.read() as conn:
            rows = conn.execute(sa.select(balances.c.item_id, balances.c.lot, balances.c.qty)
                                .where(balances.c.location_id == location_id,
                                       balances.c.owner_id == owner_id, balances.c.qty > 0)
                                .order_by(balances.c.item_id, balances.c.lot)).all()
        for sku in self.skus:
            if sku.owner_id == owner_id and sku.home.get(facility_id) == location_id:
                sku.stock[facility_id] = deque([[r.lot, int(r.qty)] for r in rows
                                                if r.item_id == sku.id])

    def model_on_hand(self) -> np.ndarray:
        return np.array([[sum(q for _, q in s.stock[site.id]) for s in self.skus]
                         for site in self.sites], dtype=float)

    # -- inbound
    def receive(self, site: Site, due: list[tuple[int, int]], today: date
                ) -> list[MovementCommand]:
        """Post purchase orders arriving today: receipt at a dock, putaway to the home bin.
        Returns the putaway commands."""
        cmds: list[MovementCommand] = []
        puts: list[MovementCommand] = []
        new_lots: list[dict[str, Any]] = []
        dock = self.rng.choice(site.docks)
        for item_i, qty in due:
            sku = self.skus[item_i]
            lot = ""
            if sku.lot_tracked:
                self.lot_seq += 1
                lot = f"L{today:%y%m}{self.lot_seq:05d}"
                new_lots.append({"owner_id": sku.owner_id, "item_id": sku.id, "code": lot,
                                 "expiry": today + timedelta(days=self.rng.randint(120, 540)),
                                 "created_at": self.ctx.now()})
            doc = f"PO-{today:%y%m%d}-{site.code}"
            cmds.append(MovementCommand(
                sku.owner_id, MovementType.RECEIPT,
                (LineCommand(sku.id, site.supplier, dock, qty, lot),),
                document_type="purchase_order", document_id=doc, user="receiver1",
                device="RF-07"))
            puts.append(MovementCommand(
                sku.owner_id, MovementType.PUTAWAY,
                (LineCommand(sku.id, dock, sku.home[site.id], qty, lot),),
                document_type="purchase_order", document_id=doc, user="putaway2",
                device="RF-03", scans=(f"{site.code}-DOCK", f"bin:{sku.home[site.id]}")))
            sku.stock[site.id].append([lot, qty])
        if new_lots:
            with self.ctx.write() as conn:
                conn.execute(sa.insert(lots), new_lots)
        ledger.post_movements(self.ctx, cmds)
        self.at(9)
        ledger.post_movements(self.ctx, puts)
        return puts

    # -- outbound
    def _orders(self, today: date, floor: FloorDays | None) -> None:
        """The day's orders, fulfilled from the home bins: picks to staging, then one
        shipment per owner (history keeps no order documents)."""
        for n_site, site in enumerate(self.sites):
            picks: dict[int, list[LineCommand]] = defaultdict(list)
            ships: dict[int, list[LineCommand]] = defaultdict(list)
            zone = floor.zone_stock(site) if floor is not None else {}
            for n, order in enumerate(self.demand.orders(self.rng, today.weekday())):
                number = f"SO-{today:%y%m%d}-{site.code}-{n:04d}"
                for sku, want in order.lines:
                    got = self._take(sku, site, want)
                    self.planner.record(n_site, self.index[sku.id], want,
                                        want - sum(q for _, q in got))
                    for lot, qty in got:
                        if zone and floor is not None:
                            floor.raw_pick(zone, site, sku.owner_id, sku.id, lot,
                                           sku.home[site.id], qty, number)
                        picks[sku.owner_id].append(
                            LineCommand(sku.id, sku.home[site.id], site.staging, qty, lot))
                        ships[sku.owner_id].append(
                            LineCommand(sku.id, site.staging, site.customer, qty, lot))
            doc = f"{today:%y%m%d}-{site.code}"
            self.at(13)
            ledger.post_movements(self.ctx, [
                MovementCommand(o, MovementType.PICK, tuple(lines), document_type="pick_list",
                                document_id=f"PL-{doc}-{o}", user="picker4", device="RF-11")
                for o, lines in sorted(picks.items())])
            self.at(16)
            ledger.post_movements(self.ctx, [
                MovementCommand(o, MovementType.SHIP, tuple(lines), document_type="shipment",
                                document_id=f"SHP-{doc}-{o}", user="shipper1", device="PACK-2")
                for o, lines in sorted(ships.items())])

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
            for sku in self.rng.sample(self.skus, min(6, len(self.skus))):
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
                cmds.append(MovementCommand(sku.owner_id, MovementType.COUNT, (line,),
                                            reason="count_variance", document_type="count",
                                            user="counter1", device="RF-02"))
        if cmds:
            ledger.post_movements(self.ctx, cmds)

    def _transfer_out(self) -> None:
        src, dst = self.sites[0], self.sites[1]
        for sku in self.rng.sample(self.skus, min(5, len(self.skus))):
            week = int(np.ceil(self.planner.f[0, self.index[sku.id]] * 7))
            for lot, qty in self._take(sku, src, max(1, week)):
                ledger.post_movement(self.ctx, MovementCommand(
                    sku.owner_id, MovementType.TRANSFER_OUT,
                    (LineCommand(sku.id, sku.home[src.id], dst.in_transit, qty, lot),),
                    document_type="transfer", document_id=f"TO-{self.clock.now:%y%m%d}",
                    user="shipper1"))
                self.in_transit.append((self._day_index() + 4, src, dst, sku, lot, qty))

    def _transfer_in(self) -> None:
        due = [t for t in self.in_transit if t[0] <= self._day_index()]
        for t in due:
            _, _src, dst, sku, lot, qty = t
            ledger.post_movement(self.ctx, MovementCommand(
                sku.owner_id, MovementType.TRANSFER_IN,
                (LineCommand(sku.id, dst.in_transit, sku.home[dst.id], qty, lot),),
                document_type="transfer", document_id=f"TI-{self.clock.now:%y%m%d}",
                user="receiver2"))
            sku.stock[dst.id].append([lot, qty])
            self.in_transit.remove(t)

    def _day_index(self) -> int:
        return self.clock.now.toordinal()

    def _quarantine(self) -> None:
        for site in self.sites:
            sku = self.rng.choice(self.skus)
            for lot, qty in self._take(sku, site, 2):
                ledger.post_movement(self.ctx, MovementCommand(
                    sku.owner_id, MovementType.HOLD,
                    (LineCommand(sku.id, sku.home[site.id], site.quarantine, qty, lot),),
                    reason="suspected_damage", user="supervisor1"))

    # -- planning records and the channel fault
    def fence(self, floor: FloorDays) -> None:
        """The channel split of the fault plan: a B2B ring-fence of ``b2b_share`` of the
        planned stock level of the chosen items, topped up as stock comes in."""
        ch = self.plan.channel
        fault = next((f for f in self.faults if f.kind == "channel_fence"), None)
        if ch is None or fault is None:
            return
        site_i = next(n for n, s in enumerate(self.sites) if s.code == ch.facility)
        site = self.sites[site_i]
        for iid in fault.item_ids:
            owner_id = self.skus[self.index[iid]].owner_id
            held, ca = self.fenced.get((site.id, iid), (0, None))
            level = stock.level(self.ctx, owner_id, iid, site.id)
            free = level["sellable"] - level["allocated"]
            add = min(free, int(ch.b2b_share * self.planner.S[site_i, self.index[iid]]) - held)
            if add <= 0:
                continue
            with self.ctx.write() as conn:
                if ca is None:
                    run = conn.execute(sa.insert(planning_runs).returning(planning_runs.c.id),
                                       _run_row(self.ctx.now(), "channel split", 1)
                                       ).scalar_one()
                    ca = conn.execute(sa.insert(channel_allocations).returning(
                        channel_allocations.c.id), {
                        "run_id": run, "owner_id": owner_id, "item_id": iid,
                        "facility_id": site.id, "channel": "b2b", "qty": 0, "available": 0,
                        "policy": f"fixed_share b2b {ch.b2b_share:.0%}", "active": True,
                        "created_at": self.ctx.now()}).scalar_one()
                conn.execute(sa.update(channel_allocations)
                             .where(channel_allocations.c.id == ca)
                             .values(qty=held + add, available=held + add))
            holds.place_hold(self.ctx, owner_id=owner_id, item_id=iid, facility_id=site.id,
                              qty=add, document_type="channel_allocation", document_id=str(ca))
            self.fenced[(site.id, iid)] = (held + add, ca)

    def hit(self, since_day: int) -> dict[tuple[int, int], set[str]]:
        """Keys a planning fault visibly cost orders on two days or more."""
        out: dict[tuple[int, int], set[str]] = defaultdict(set)
        for (site_i, item_i), days in self.planner.short_while_late.items():
            sku = self.skus[item_i]
            if sku.id in self.late_items and len([d for d in days if d >= since_day]) >= 2:
                out[(sku.id, self.sites[site_i].id)].add("late_supplier")
        for key, days in self.fence_short.items():
            if len(days) >= 2:
                out[key].add("channel_fence")
        return dict(out)

    def write_forecasts(self, on_hand: np.ndarray) -> None:
        """Store the demo planner's forecasts and their accuracy over the year as a
        planning run, where the diagnosis reads forecast bias and WAPE."""
        keys = [(n, i, s.owner_id, s.id, site.id) for n, site in enumerate(self.sites)
                for i, s in enumerate(self.skus)]
        days = self.planner.today
        rows = self.planner.forecast_rows(keys, on_hand, days)
        with self.ctx.write() as conn:
            run = conn.execute(sa.insert(planning_runs).returning(planning_runs.c.id),
                               _run_row(self.ctx.now(), "demo planner", len(rows), days)
                               ).scalar_one()
            if rows:
                conn.execute(sa.insert(forecasts), [{**r, "run_id": run} for r in rows])


def _run_row(now: datetime, what: str, series: int, history_days: int = 0) -> dict[str, Any]:
    return {"owner_id": None, "facility_id": None, "horizon": 28, "service_level": 0.95,
            "review_period": 1, "engine": "demo", "series": series,
            "history_days": history_days, "seconds": 0.0,
            "summary": json.dumps({"what": what, "series": series}),
            "created_by": "demo-planner", "created_at": now}
