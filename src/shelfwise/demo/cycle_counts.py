"""The demo's cycle-count programme, run through the counting service.

Every working day each facility counts the bins that are due: a bin holding a fast mover
(class A, the top fifth by forecast) every ``INTERVAL['A']`` days, B and C items less
often, the most overdue first and at most ``PER_DAY`` per facility. Two triggers add
bins: a refused scan (the handheld caught someone at the wrong bin or product) has the
bins involved counted the next day, and a count that finds a variance has the
neighbouring bins of that owner in the same zone counted too -- a mis-pick or a
wrong-bin putaway usually shows in the bin next door.

Counters are blind and exact: they find what is physically there, which is the books plus
whatever the injected execution faults moved (:class:`~shelfwise.demo.faults.Shelves`).
A first count off the books asks for a recount; a confirmed variance is approved by the
supervisor and posted as a COUNT movement.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from shelfwise.demo.faults import Shelves
from shelfwise.services import counting
from shelfwise.storage.outbound_tables import pick_tasks
from shelfwise.storage.tables import balances, locations, lots, scan_exceptions

if TYPE_CHECKING:
    from shelfwise.demo.floor_days import FloorDays

INTERVAL = {"A": 21, "B": 45, "C": 90}  # calendar days between counts of a bin
PER_DAY = 6  # scheduled counts per facility per working day
NEIGHBOURS = 2
REST_DAYS = 7  # a bin counted this recently is not counted again on a trigger


class CountProgram:
    def __init__(self, floor: FloorDays, shelves: Shelves, rng: random.Random) -> None:
        self.floor, self.shelves, self.rng = floor, shelves, rng
        self.ctx = floor.ctx
        self.last: dict[tuple[int, int], int] = {}  # (owner, bin) -> ordinal day counted
        self.requested: dict[int, set[tuple[int, int]]] = defaultdict(set)  # facility -> bins
        self.found = 0
        self.seen_exception = 0  # scan exceptions up to this id have been followed up
        self.by_barcode = {b: loc for loc, b in floor.barcodes.items()}

    def _bins(self, facility_id: int) -> dict[tuple[int, int], list[tuple[int, str, int, date]]]:
        """Book contents of the facility's counted bins: (owner, bin) -> item lines."""
        out: dict[tuple[int, int], list] = defaultdict(list)
        with self.ctx.read() as conn:
            for r in conn.execute(
                    sa.select(balances.c.owner_id, balances.c.location_id, balances.c.item_id,
                              balances.c.lot, balances.c.qty, lots.c.expiry)
                    .join(locations, locations.c.id == balances.c.location_id)
                    .outerjoin(lots, sa.and_(lots.c.item_id == balances.c.item_id,
                                             lots.c.code == balances.c.lot))
                    .where(balances.c.facility_id == facility_id, balances.c.qty > 0,
                           locations.c.kind.in_(["storage", "pick_face"]))
                    .order_by(balances.c.owner_id, balances.c.location_id, balances.c.item_id,
                              balances.c.lot)):
                out[(r.owner_id, r.location_id)].append((r.item_id, r.lot, int(r.qty), r.expiry))
        return out

    def _class(self, lines: list, site_index: int) -> str:
        f = max(self.floor.sim.planner.f[site_index, self.floor.index[i]] for i, *_ in lines)
        return "A" if f >= self.floor.a_cut[site_index] else (
            "B" if f >= self.floor.b_cut[site_index] else "C")

    def due(self, site_index: int, facility_id: int, today: date,
            contents: dict[tuple[int, int], list]) -> list[tuple[int, int]]:
        day = today.toordinal()
        scored = []
        for key, lines in contents.items():
            interval = INTERVAL[self._class(lines, site_index)]
            if key not in self.last:  # stagger the first round
                self.last[key] = day - self.rng.randint(0, interval - 1)
            overdue = (day - self.last[key]) / interval
            if overdue >= 1:
                scored.append((-overdue, key))
        scored.sort()
        picked = [k for _, k in scored[:PER_DAY]]
        extra = [k for k in sorted(self.requested.pop(facility_id, set()))
                 if k in contents and day - self.last.get(k, -REST_DAYS) >= REST_DAYS]
        return list(dict.fromkeys(extra + picked))

    def _follow_refused_scans(self) -> None:
        """Bins where the handheld refused a scan since the last run get counted."""
        with self.ctx.read() as conn:
            rows = conn.execute(
                sa.select(scan_exceptions.c.id, scan_exceptions.c.owner_id,
                          scan_exceptions.c.facility_id, scan_exceptions.c.expected,
                          scan_exceptions.c.scanned, pick_tasks.c.location_id)
                .outerjoin(pick_tasks, sa.and_(scan_exceptions.c.task_type == "pick",
                                               sa.cast(pick_tasks.c.id, sa.String)
                                               == scan_exceptions.c.task_id))
                .where(scan_exceptions.c.id > self.seen_exception)
                .order_by(scan_exceptions.c.id)).all()
        for r in rows:
            self.seen_exception = max(self.seen_exception, r.id)
            bins = {self.by_barcode.get(r.expected), self.by_barcode.get(r.scanned),
                    r.location_id} - {None}
            for b in bins:
                if r.owner_id is not None and r.facility_id is not None:
                    self.requested[r.facility_id].add((r.owner_id, b))

    def run(self, today: date, execute: bool = True) -> None:
        """Create today's count tasks; count them unless the day is left open."""
        self._follow_refused_scans()
        for n, site in enumerate(self.floor.sim.sites):
            contents = self._bins(site.id)
            todo = self.due(n, site.id, today, contents)
            by_owner: dict[int, list[int]] = defaultdict(list)
            for owner_id, loc in todo:
                by_owner[owner_id].append(loc)
            for owner_id, locs in sorted(by_owner.items()):
                tasks = counting.create_count_tasks(self.ctx, owner_id=owner_id,
                                                    location_ids=locs, due_date=today)
                if not execute:
                    continue
                for t in tasks:
                    key = (owner_id, t["location_id"])
                    self.last[key] = today.toordinal()
                    if self._count(t, contents.get(key, [])):
                        self._ask_neighbours(site.id, key, contents)

    def _count(self, task: dict, book: list[tuple[int, str, int, date]]) -> bool:
        """Count one bin (and recount, approve); True when the books were off."""
        owner_id, loc = task["owner_id"], task["location_id"]
        expiry = {(i, lot): exp for i, lot, _, exp in book}
        found = self.shelves.counted(loc, task["facility_id"], owner_id,
                                     [(i, lot, q) for i, lot, q, _ in book])
        lines = [counting.CountedLine(self.floor.scan(i, lot, expiry.get((i, lot))), q,
                                      lot or None) for i, lot, q in found]
        where = self.floor.barcode(loc)
        res = counting.submit_count(self.ctx, task["id"], location_scan=where, lines=lines,
                                    user="counter1", device="RF-02")
        task_id = task["id"]
        if res.get("recount_task_id"):
            task_id = res["recount_task_id"]
            res = counting.submit_count(self.ctx, task_id, location_scan=where, lines=lines,
                                        user="counter2", device="RF-05")
        if res.get("state") != "awaiting_approval":
            return False
        counting.approve_count(self.ctx, task_id, user="supervisor1")
        self.shelves.settle(loc, owner_id)
        self.floor.sim.resync(loc, owner_id, task["facility_id"])
        self.found += 1
        return True

    def _ask_neighbours(self, facility_id: int, key: tuple[int, int],
                        contents: dict[tuple[int, int], list]) -> None:
        owner_id, loc = key
        zone, order = self.floor.zone_and_order(loc)
        near = sorted((abs(self.floor.zone_and_order(b)[1] - order), b)
                      for (o, b) in contents
                      if o == owner_id and b != loc and self.floor.zone_and_order(b)[0] == zone)
        for _, b in near[:NEIGHBOURS]:
            self.requested[facility_id].add((owner_id, b))


def velocity_cuts(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per facility, the forecast above which an item is class A (top 20 %) and B (next
    30 %)."""
    a = np.array([np.quantile(row[row > 0], 0.8) if (row > 0).any() else 0 for row in f])
    b = np.array([np.quantile(row[row > 0], 0.5) if (row > 0).any() else 0 for row in f])
    return a, b
