"""The demo's most recent weeks, run through the real workflows.

Earlier months are posted as plain ledger history (fast). The last ``DESK_DAYS +
FLOOR_DAYS`` days run every order through the order service: created, allocated
(FEFO/FIFO; what no bin can give is backordered on the line), waved, picked by scanning
bin and product, packed by scanning into cartons and shipped; and a cycle-count
programme counts bins blind through the counting service. On the order-desk days
(the earlier part) receipts are posted as ledger movements and shipping labels go to the
thermal printer (ZPL); on the floor days (the last part) purchase orders are received
by scanning GS1 labels and put away by scanning the suggested bin, and labels are PDF.
The final day is left open so a new user sees work to do.

The injected execution faults act here (see :mod:`shelfwise.demo.faults`): mis-picks and
wrong-bin putaways in one zone, some refused by the scanner and recorded, the rest
moving stock without telling the books; and unrecorded damage.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from shelfwise.barcodes.errors import ScanError
from shelfwise.demo.cycle_counts import CountProgram, velocity_cuts
from shelfwise.demo.faults import coin
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.services import picking, putaway, receiving, scans, shipping
from shelfwise.services.orders import OrderSpec, allocate_orders, create_orders
from shelfwise.services.picking import PickConfirm
from shelfwise.services.shipping import CartonRequest
from shelfwise.storage import catalog_store as cs
from shelfwise.storage.tables import balances, locations, stock_levels, zones

if TYPE_CHECKING:
    from shelfwise.demo.history import Sim
    from shelfwise.demo.world import Site

GS = "\x1d"
SHIP_TO = [
    {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno", "postcode": "89501",
     "country": "US"},
    {"name": "Trailhead Outfitters", "lines": ["400 Main St", "Dock 3"], "city": "Boise",
     "postcode": "83702", "country": "US"},
    {"name": "Mika Virtanen", "lines": ["8 Harbor Rd"], "city": "Columbus", "postcode": "43004",
     "country": "US"},
]
REFUSED = (ScanError, ShelfwiseError)


def item_scan(gtin14: str, lot: str = "", expiry: date | None = None, count: int = 0) -> str:
    """What a handheld sends for a product label (GS1-128 with symbology id)."""
    s = f"]C101{gtin14}"
    if expiry is not None:
        s += f"17{expiry:%y%m%d}"
    if lot:
        s += f"10{lot}"
        if count:
            s += GS
    if count:
        s += f"30{count}"
    return s


class FloorDays:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.ctx, self.rng = sim.ctx, sim.rng
        self.index = {s.id: n for n, s in enumerate(sim.skus)}
        self.site_index = {s.id: n for n, s in enumerate(sim.sites)}
        with self.ctx.read() as conn:
            self.gtins = {i: g[0] for i, g in cs.gtins_for_items(conn, list(self.index)).items()}
            rows = conn.execute(sa.select(locations.c.id, locations.c.barcode,
                                          locations.c.facility_id, zones.c.code)
                                .outerjoin(zones, zones.c.id == locations.c.zone_id)
                                .order_by(locations.c.facility_id, zones.c.code,
                                          locations.c.code)).all()
        self.barcodes = {r.id: r.barcode for r in rows}
        self.place = {r.id: (r.facility_id, r.code or "", n) for n, r in enumerate(rows)}
        self.order_seq = 0
        self.expiry: dict[str, date] = {}
        self.a_cut, self.b_cut = velocity_cuts(sim.planner.f)
        self.counts = CountProgram(self, sim.shelves, self.rng)
        z = sim.plan.zone
        self.zone_site = next((s for s in sim.sites if z and s.code == z.facility), None)

    # -- lookups
    def barcode(self, location_id: int) -> str:
        return self.barcodes[location_id]

    def zone_and_order(self, location_id: int) -> tuple[str, int]:
        _, zone, order = self.place[location_id]
        return zone, order

    def scan(self, item_id: int, lot: str = "", expiry: date | None = None) -> str:
        return item_scan(self.gtins[item_id], lot, expiry if lot else None)

    def in_fault_zone(self, location_id: int | None) -> bool:
        z = self.sim.plan.zone
        if z is None or self.zone_site is None or location_id is None:
            return False
        fac, zone, _ = self.place[location_id]
        return fac == self.zone_site.id and zone == z.zone

    # -- one day
    def run_day(self, day: int, today: date, scanned: bool, last: bool) -> None:
        sim = self.sim
        sim.at(7)
        due: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for site_i, item_i, qty in sim.planner.arrivals(day):
            due[site_i].append((item_i, qty))
        tomorrow: dict[int, list[tuple[int, int]]] = defaultdict(list)
        if last:  # the purchase orders due tomorrow are announced too: work to look at
            for site_i, item_i, qty in sim.planner.arrivals(day + 1):
                tomorrow[site_i].append((item_i, qty))
        for n, site in enumerate(sim.sites):
            if scanned:
                self._receive_scanned(site, due[n], today, leave_open=last)
                self._receive_scanned(site, tomorrow[n], today + timedelta(days=1),
                                      leave_open=True)
            elif due[n]:
                self.posted_putaways(site, sim.receive(site, due[n], today))
        if today.weekday() < 6:
            sim.at(10)
            for site in sim.sites:
                self._outbound(site, today, last)
        sim.at(13)
        self.damage()
        if today.weekday() < 6:
            sim.at(15)
            self.counts.run(today, execute=not last)
        sim.at(18)
        sim.close_day(self.on_hand())

    def on_hand(self) -> np.ndarray:
        out = np.zeros((len(self.sim.sites), len(self.sim.skus)))
        with self.ctx.read() as conn:
            for r in conn.execute(sa.select(stock_levels.c.item_id, stock_levels.c.facility_id,
                                            stock_levels.c.on_hand)):
                if r.item_id in self.index and r.facility_id in self.site_index:
                    out[self.site_index[r.facility_id], self.index[r.item_id]] = r.on_hand
        return out

    # -- the faulty zone: what is in its bins, and the bin next door
    def _zone_stock(self) -> dict[int, list[tuple[int, int, str, int]]]:
        if self.zone_site is None:
            return {}
        out: dict[int, list[tuple[int, int, str, int]]] = defaultdict(list)
        with self.ctx.read() as conn:
            for r in conn.execute(sa.select(balances.c.location_id, balances.c.owner_id,
                                            balances.c.item_id, balances.c.lot, balances.c.qty)
                                  .where(balances.c.facility_id == self.zone_site.id,
                                         balances.c.qty > 0)
                                  .order_by(balances.c.location_id, balances.c.owner_id,
                                            balances.c.item_id, balances.c.lot)):
                if self.in_fault_zone(r.location_id):
                    out[r.location_id].append((r.owner_id, r.item_id, r.lot, int(r.qty)))
        return out

    def _next_door(self, stock: dict[int, list], loc: int, owner_id: int, item_id: int | None
                   ) -> tuple[int, int, str] | None:
        """The nearest other bin of the zone holding the owner's stock (of another item
        when ``item_id`` is given): ``(bin, item, lot)``."""
        here = self.place[loc][2]
        best = None
        for b, lines in stock.items():
            if b == loc:
                continue
            for o, i, lot, qty in lines:
                if o == owner_id and (item_id is None or i != item_id) and qty > 0:
                    d = abs(self.place[b][2] - here)
                    if best is None or d < best[0]:
                        best = (d, (b, i, lot))
        return None if best is None else best[1]

    def _wrong_putaway(self, stock: dict[int, list], owner_id: int, item_id: int, lot: str,
                       dest: int, qty: int) -> int | None:
        """Maybe the units go in the bin next door. Returns that bin when the scanner
        catches it (the caller records the refusal and puts them away right); when it
        does not, the shelves drift from the books and None is returned."""
        z = self.sim.plan.zone
        if z is None or not self.in_fault_zone(dest) or not coin(self.rng, z.wrong_putaway_rate):
            return None
        other = self._next_door(stock, dest, owner_id, None)
        if other is None:
            return None
        shelves, fac = self.sim.shelves, self.place[dest][0]
        if coin(self.rng, z.caught_share):
            shelves.caught += 1
            return other[0]
        shelves.uncaught += 1
        shelves.move((dest, item_id, lot), -qty, fac, "zone_mispicks")
        shelves.move((other[0], item_id, lot), qty, fac, "zone_mispicks")
        return None

    def raw_pick(self, stock: dict[int, list], site: Site, owner_id: int, item_id: int,
                 lot: str, location_id: int, qty: int, order: str) -> None:
        """A pick posted as a movement (the ledger-history days) in the faulty zone: maybe
        the neighbour's bin was scanned (refused, recorded) or its box taken (drift)."""
        z = self.sim.plan.zone
        if z is None or not self.in_fault_zone(location_id) or \
                not coin(self.rng, z.mispick_rate):
            return
        other = self._next_door(stock, location_id, owner_id, item_id)
        if other is None:
            return
        shelves = self.sim.shelves
        if coin(self.rng, z.caught_share):
            shelves.caught += 1
            scans.record_exception(
                self.ctx, code="wrong_location", message="scanned the bin next to the task's",
                task_type="pick", task_id=order, expected=self.barcode(location_id),
                scanned=self.barcode(other[0]), owner_id=owner_id, facility_id=site.id,
                user="picker4", device="RF-11")
            return
        shelves.uncaught += 1
        shelves.move((location_id, item_id, lot), qty, site.id, "zone_mispicks")
        shelves.move(other, -qty, site.id, "zone_mispicks")

    def zone_stock(self, site: Site) -> dict[int, list]:
        return self._zone_stock() if site is self.zone_site else {}

    # -- inbound
    def posted_putaways(self, site: Site, puts: list) -> None:
        """Putaways posted as movements (the scanner checked them) in the faulty zone."""
        stock = self._zone_stock() if site is self.zone_site else {}
        for cmd in puts:
            ln = cmd.lines[0]
            wrong = self._wrong_putaway(stock, cmd.owner_id, ln.item_id, ln.lot,
                                        ln.to_location_id, ln.qty)
            if wrong is not None:
                scans.record_exception(
                    self.ctx, code="wrong_location", message="scanned a bin that is not the "
                    "task's", task_type="putaway", task_id=cmd.document_id,
                    expected=self.barcode(ln.to_location_id), scanned=self.barcode(wrong),
                    owner_id=cmd.owner_id, facility_id=site.id, user="putaway2",
                    device="RF-03")

    def _receive_scanned(self, site: Site, due: list[tuple[int, int]], today: date,
                         leave_open: bool) -> None:
        """Floor days: a PO per owner, scanned in, closed, put away by scanning."""
        by_owner: dict[int, list[tuple[Any, int]]] = defaultdict(list)
        for item_i, qty in due:
            sku = self.sim.skus[item_i]
            by_owner[sku.owner_id].append((sku, qty))
        dock = self.barcode(site.docks[0])
        for owner_id, lines in sorted(by_owner.items()):
            r = receiving.create_receipt(
                self.ctx, owner_id=owner_id, facility_id=site.id, type="purchase_order",
                reference=f"PO-{today:%y%m%d}-{site.code}-{owner_id}",
                lines=[{"item_id": s.id, "expected_qty": q} for s, q in lines],
                supplier=self.sim.supplier_of(lines[0][0]), expected_date=today,
                user="buyer1")
            if leave_open:
                continue  # due today: the receiving team has not started yet
            for s, q in lines:
                qty = q - (1 if q > 1 and self.rng.random() < 0.05 else 0)
                lot, exp = "", None
                if s.lot_tracked:
                    self.sim.lot_seq += 1
                    lot = f"L{today:%y%m}{self.sim.lot_seq:05d}"
                    exp = today + timedelta(days=self.rng.randint(150, 500))
                    self.expiry[lot] = exp
                receiving.receive_scan(self.ctx, r["id"], location_scan=dock,
                                       item_scan=item_scan(self.gtins[s.id], lot, exp),
                                       qty=qty, user="receiver1", device="RF-07")
            closed = receiving.close_receipt(self.ctx, r["id"], user="receiver1")
            self.sim.at(9)
            self._put_away(site, closed.get("putaway_task_ids", []))

    def _put_away(self, site: Site, task_ids: list[int]) -> None:
        stock = self._zone_stock() if site is self.zone_site else {}
        for task_id in task_ids:
            task = putaway.get_putaway_task(self.ctx, task_id)
            dest = task["suggested_location_id"]
            if dest is None:
                continue
            scan = self.scan(task["item_id"], task["lot"], self.expiry.get(task["lot"]))
            wrong = self._wrong_putaway(stock, task["owner_id"], task["item_id"], task["lot"],
                                        dest, int(task["qty"]) - int(task["qty_done"]))
            if wrong is not None:
                with contextlib.suppress(*REFUSED):  # the handheld refuses it (and records it)
                    putaway.confirm_putaway(self.ctx, task_id, location_scan=self.barcode(wrong),
                                            item_scan=scan, user="putaway2", device="RF-03")
            putaway.confirm_putaway(self.ctx, task_id, location_scan=self.barcode(dest),
                                    item_scan=scan, user="putaway2", device="RF-03")

    # -- outbound: orders -> allocate -> wave -> pick -> pack -> ship
    def _outbound(self, site: Site, today: date, last: bool) -> None:
        n_site = self.site_index[site.id]
        specs = []
        for order in self.sim.demand.orders(self.rng, today.weekday()):
            self.order_seq += 1
            specs.append(OrderSpec(order.owner_id, site.id, f"SO-{self.order_seq:06d}",
                                   tuple((s.id, q) for s, q in order.lines),
                                   self.rng.choice(SHIP_TO), channel=order.channel,
                                   priority=1 if order.channel == "b2b" else 0))
        if not specs:
            return
        orders = create_orders(self.ctx, specs, user="order-import")
        results = allocate_orders(self.ctx, [o["id"] for o in orders])
        ordered = {(o["id"], i): q for o, s in zip(orders, specs, strict=True)
                   for i, q in s.lines}
        channel = {o["id"]: s.channel for o, s in zip(orders, specs, strict=True)}
        for r in results:
            for ln in r["lines"]:
                self.sim.planner.record(n_site, self.index[ln["item_id"]],
                                        ordered[(r["order_id"], ln["item_id"])],
                                        ln["backordered"])
                if ln["backordered"] and channel[r["order_id"]] != "b2b" and \
                        (site.id, ln["item_id"]) in self.sim.fenced:
                    self.sim.fence_short[(ln["item_id"], site.id)].add(today.toordinal())
        ids = [r["order_id"] for r in results
               if r["state"] in ("allocated", "partially_allocated")]
        if not ids:
            return
        if last:
            # half goes out in a wave that is being picked; the rest waits for the next wave
            ids = ids[: len(ids) // 2]
        if not ids:
            return
        waves = picking.create_waves(self.ctx, site.id, order_ids=ids, allow_partial=True,
                                     user="lead1")
        self.sim.at(12)
        stock = self._zone_stock() if site is self.zone_site else {}
        for wave in waves:
            tasks = picking.list_pick_tasks(self.ctx, wave["id"])
            confirms = [self._pick(t, stock) for t in tasks]
            if last:
                confirms = confirms[: len(confirms) // 2]  # the picker is halfway round
            if confirms:
                picking.confirm_picks(self.ctx, confirms, user="picker4", device="RF-11")
            if not last:
                self._pack_and_ship(wave)

    def _pick(self, t: dict[str, Any], stock: dict[int, list]) -> PickConfirm:
        """The confirmation of one pick task, after the faulty zone had its way with it."""
        ok = PickConfirm(t["id"], t["location_barcode"],
                         self.scan(t["item_id"], t["lot"], t["expiry"]))
        z = self.sim.plan.zone
        if z is None or not self.in_fault_zone(t["location_id"]) or \
                not coin(self.rng, z.mispick_rate):
            return ok
        other = self._next_door(stock, t["location_id"], t["owner_id"], t["item_id"])
        if other is None:
            return ok
        shelves, fac = self.sim.shelves, self.place[t["location_id"]][0]
        if coin(self.rng, z.caught_share):
            shelves.caught += 1
            with contextlib.suppress(*REFUSED):  # the neighbour's product: refused
                picking.confirm_pick(self.ctx, t["id"], t["location_barcode"],
                                     self.scan(other[1], other[2], None),
                                     user="picker4", device="RF-11")
            return ok
        shelves.uncaught += 1  # scanned the right label, took the box next to it
        shelves.move((t["location_id"], t["item_id"], t["lot"]), int(t["qty"]), fac,
                     "zone_mispicks")
        shelves.move(other, -int(t["qty"]), fac, "zone_mispicks")
        return ok

    def _pack_and_ship(self, wave: dict) -> None:
        self.sim.at(14)
        picked: dict[int, dict[tuple[int, str, object], int]] = defaultdict(
            lambda: defaultdict(int))
        for t in picking.list_pick_tasks(self.ctx, wave["id"], state="picked"):
            picked[t["order_id"]][(t["item_id"], t["lot"], t["expiry"])] += t["picked_qty"]
        reqs = [CartonRequest(oid, tuple(
            item_scan(self.gtins[i], lot, exp if lot else None, q)
            for (i, lot, exp), q in lines.items() if q > 0))
            for oid, lines in picked.items()]
        reqs = [r for r in reqs if r.scans]
        if reqs:
            shipping.pack_cartons(self.ctx, reqs, user="packer2", device="PACK-2")
            self.sim.at(16)
            shipping.ship_wave(self.ctx, wave["id"], user="shipper1", device="DOCK-1")

    # -- unrecorded damage: broken, binned, never scrapped in the system
    def damage(self) -> None:
        dm = self.sim.plan.damage
        fault = next((f for f in self.sim.faults if f.kind == "damage"), None)
        if dm is None or fault is None:
            return
        site = next(s for s in self.sim.sites if s.code == dm.facility)
        for item_id in fault.item_ids:
            if not coin(self.rng, dm.daily_chance):
                continue
            with self.ctx.read() as conn:
                rows = conn.execute(sa.select(balances.c.location_id, balances.c.lot,
                                              balances.c.qty)
                                    .join(locations, locations.c.id == balances.c.location_id)
                                    .where(balances.c.item_id == item_id,
                                           balances.c.facility_id == site.id,
                                           balances.c.qty > 0,
                                           locations.c.kind.in_(["storage", "pick_face"]))
                                    .order_by(balances.c.qty.desc(), balances.c.location_id,
                                              balances.c.lot)).all()
            if not rows:
                continue
            place = (rows[0].location_id, item_id, rows[0].lot)
            there = int(rows[0].qty) + self.sim.shelves.drift.get(place, 0)
            broken = min(there, self.rng.randint(*dm.units))
            self.sim.shelves.move(place, -broken, site.id, "damage")
