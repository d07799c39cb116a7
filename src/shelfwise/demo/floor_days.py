"""The demo's most recent weeks, run through the real floor workflows.

Earlier months are posted as plain ledger history (fast); these last days go through
exactly what people on the floor do: purchase orders received by scanning GS1 labels,
putaway confirmed by scanning the suggested bin, orders allocated (FEFO/FIFO), waved,
picked by scanning bin and product, packed by scanning into cartons and shipped; cycle
counts; a transfer in transit. The final day is left open so a new user sees work to do.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

from shelfwise.services import catalog, counting, picking, putaway, receiving, shipping, stock
from shelfwise.services.orders import OrderSpec, allocate_orders, create_orders
from shelfwise.services.picking import PickConfirm
from shelfwise.services.shipping import CartonRequest

if TYPE_CHECKING:
    from shelfwise.demo.seed import Site, Sku, _Sim

GS = "\x1d"
SHIP_TO = [
    {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno", "postcode": "89501",
     "country": "US"},
    {"name": "Trailhead Outfitters", "lines": ["400 Main St", "Dock 3"], "city": "Boise",
     "postcode": "83702", "country": "US"},
    {"name": "Mika Virtanen", "lines": ["8 Harbor Rd"], "city": "Columbus", "postcode": "43004",
     "country": "US"},
]


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
    def __init__(self, sim: _Sim) -> None:
        self.sim = sim
        self.ctx, self.rng = sim.ctx, sim.rng
        self.gtins = {s.id: catalog.get_item(self.ctx, s.id, None)["gtins"][0] for s in sim.skus}
        self.barcodes: dict[int, str] = {}
        self.order_seq = 0
        self.expiry: dict[str, date] = {}

    def barcode(self, location_id: int) -> str:
        if location_id not in self.barcodes:
            self.barcodes[location_id] = catalog.get_location(self.ctx, location_id)["barcode"]
        return self.barcodes[location_id]

    def run_day(self, today: date, last: bool) -> None:
        self.sim.at(7)
        for site in self.sim.sites:
            self._receive(site, today, leave_open=last)
        self.sim.at(10)
        for site in self.sim.sites:
            self._outbound(site, today, last)
        if today.weekday() == 2 or last:
            self.sim.at(15)
            self._counts(today, last)

    # -- inbound: a PO per owner, scanned in, closed, put away by scanning
    def _receive(self, site: Site, today: date, leave_open: bool) -> None:
        by_owner: dict[int, list[Sku]] = defaultdict(list)
        levels = {r["item_id"]: r for r in stock.levels(self.ctx, None, facility_id=site.id,
                                                         limit=10_000)}
        for sku in self.sim.skus:
            lv = levels.get(sku.id)
            have = (lv["on_hand"] - lv["allocated"]) if lv else 0
            if have < sku.rate * 21 + 2 and self.rng.random() < 0.6:
                by_owner[sku.owner_id].append(sku)
        dock = self.barcode(site.docks[0])
        for owner_id, skus in by_owner.items():
            skus = skus[:12]
            lines = [{"item_id": s.id,
                      "expected_qty": max(s.case_pack, round(s.rate * 20 / s.case_pack)
                                          * s.case_pack)} for s in skus]
            r = receiving.create_receipt(
                self.ctx, owner_id=owner_id, facility_id=site.id, type="purchase_order",
                reference=f"PO-{today:%y%m%d}-{site.code}-{owner_id}", lines=lines,
                supplier="DEFAULT", expected_date=today, user="buyer1")
            if leave_open:
                continue  # due today: the receiving team has not started yet
            for s, ln in zip(skus, lines, strict=True):
                qty = ln["expected_qty"] - (1 if self.rng.random() < 0.05 else 0)
                if s.lot_tracked:
                    self.sim.lot_seq += 1
                    lot = f"L{today:%y%m}{self.sim.lot_seq:05d}"
                    exp = today + timedelta(days=self.rng.randint(150, 500))
                    self.expiry[lot] = exp
                    scan = item_scan(self.gtins[s.id], lot, exp)
                else:
                    scan = item_scan(self.gtins[s.id])
                receiving.receive_scan(self.ctx, r["id"], location_scan=dock, item_scan=scan,
                                       qty=qty, user="receiver1", device="RF-07")
            closed = receiving.close_receipt(self.ctx, r["id"], user="receiver1")
            self.sim.at(9)
            for task_id in closed.get("putaway_task_ids", []):
                task = putaway.get_putaway_task(self.ctx, task_id)
                dest = task["suggested_location_id"]
                if dest is None:
                    continue
                putaway.confirm_putaway(
                    self.ctx, task_id, location_scan=self.barcode(dest),
                    item_scan=item_scan(self.gtins[task["item_id"]]) if not task["lot"]
                    else item_scan(self.gtins[task["item_id"]], task["lot"],
                                   self.expiry.get(task["lot"])),
                    user="putaway2", device="RF-03")

    # -- outbound: orders → allocate → wave → pick → pack → ship
    def _outbound(self, site: Site, today: date, last: bool) -> None:
        n_orders = self.rng.randint(8, 14)
        specs = []
        for _ in range(n_orders):
            self.order_seq += 1
            channel = self.rng.choices(["b2c", "b2b", "marketplace"], [6, 2, 2])[0]
            skus = self.rng.choices(self.sim.skus, weights=self.sim.weights,
                                    k=self.rng.randint(1, 4 if channel != "b2b" else 8))
            lines: dict[int, int] = {}
            for s in skus:
                lines[s.id] = lines.get(s.id, 0) + max(1, int(self.rng.expovariate(
                    1 / (6 if channel == "b2b" else 1.5))))
            specs.append(OrderSpec(skus[0].owner_id, site.id, f"SO-{self.order_seq:06d}",
                                   tuple((i, q) for i, q in lines.items()
                                         if self._owner(i) == skus[0].owner_id),
                                   self.rng.choice(SHIP_TO), channel=channel,
                                   priority=1 if channel == "b2b" else 0))
        orders = create_orders(self.ctx, specs, user="order-import")
        ids = [o["id"] for o in orders]
        results = allocate_orders(self.ctx, ids)
        ids = [r.get("order_id", r.get("id")) for r in results
               if r.get("state") in ("allocated", "partially_allocated")]
        if not ids:
            return
        if last:
            # half goes out in a wave that is being picked; the rest waits for the next wave
            ids = ids[: len(ids) // 2]
        waves = picking.create_waves(self.ctx, site.id, order_ids=ids, allow_partial=True,
                                     user="lead1")
        self.sim.at(12)
        for wave in waves:
            tasks = picking.list_pick_tasks(self.ctx, wave["id"])
            confirms = [PickConfirm(t["id"], t["location_barcode"],
                                    item_scan(self.gtins[t["item_id"]], t["lot"], t["expiry"])
                                    if t["lot"] else item_scan(self.gtins[t["item_id"]]))
                        for t in tasks]
            if last:
                confirms = confirms[: len(confirms) // 2]  # the picker is halfway round
            if confirms:
                picking.confirm_picks(self.ctx, confirms, user="picker4", device="RF-11")
            if not last:
                self._pack_and_ship(wave)

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

    def _owner(self, item_id: int) -> int:
        return next(s.owner_id for s in self.sim.skus if s.id == item_id)

    # -- cycle counts: blind counts of a few bins; the last day leaves tasks open
    def _counts(self, today: date, last: bool) -> None:
        for site in self.sim.sites:
            bins = stock.bin_balances(self.ctx, None, facility_id=site.id, limit=200)
            bins = [b for b in bins if b["kind"] in ("storage", "pick_face")]
            if not bins:
                continue
            sample = self.rng.sample(bins, min(4, len(bins)))
            by_owner: dict[int, list[int]] = defaultdict(list)
            for b in sample:
                by_owner[b["owner_id"]].append(b["location_id"])
            for owner_id, locs in by_owner.items():
                tasks = counting.create_count_tasks(
                    self.ctx, owner_id=owner_id, location_ids=sorted(set(locs)), due_date=today)
                if not last:
                    for t in tasks:
                        here = stock.bin_balances(self.ctx, frozenset({owner_id}),
                                                  location_id=t["location_id"], limit=500)
                        self._count(t, here)

    def _count(self, task: dict, sample: list[dict]) -> None:
        """A counter scans the bin and each product; now and then one is off by one."""
        here = [b for b in sample if b["location_id"] == task["location_id"]]
        lines = []
        for b in here:
            qty = max(0, b["qty"] + (self.rng.choice([-1, 1]) if self.rng.random() < 0.15
                                     else 0))
            scan = (item_scan(self.gtins[b["item_id"]], b["lot"], b["expiry"]) if b["lot"]
                    else item_scan(self.gtins[b["item_id"]]))
            lines.append(counting.CountedLine(scan, qty, b["lot"] or None))
        res = counting.submit_count(self.ctx, task["id"], location_scan=self.barcode(
            task["location_id"]), lines=lines, user="counter1", device="RF-02")
        recount = res.get("recount_task_id")
        if recount:
            res = counting.submit_count(self.ctx, recount, location_scan=self.barcode(
                task["location_id"]), lines=lines, user="counter2", device="RF-05")
            task = {**task, "id": recount}
        if res.get("state") == "awaiting_approval":
            counting.approve_count(self.ctx, task["id"], user="supervisor1")
