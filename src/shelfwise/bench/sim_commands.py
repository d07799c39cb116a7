"""The simulation's commands: each picks seeded parameters from the model and the open
documents, and says what the model expects: the change it makes, or the refusal.

An :class:`Op` is one operator's action through the real service layer. ``call`` runs
it (and may be run again, as a handheld retries); ``apply`` updates the model from the
model's own prediction, checking the service's answer against it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shelfwise.barcodes import ScanError
from shelfwise.domain import counting as count_rules
from shelfwise.domain.counting import Tolerance
from shelfwise.domain.errors import Conflict, InsufficientStock
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import SELLABLE_KINDS
from shelfwise.services import (
    counting,
    ledger,
    orders,
    picking,
    putaway,
    receiving,
    returns,
    shipping,
    transfers,
)
from shelfwise.services.context import Context

from .sim_model import Model
from .sim_world import LOTS, SHIP_TO, World


class Divergence(AssertionError):
    """The service's answer or the database disagrees with the model."""


@dataclass
class Op:
    kind: str
    call: Callable[[], Any]
    apply: Callable[[Any], None]
    refuse: tuple[type[BaseException], ...] = ()
    retries: bool = True  # the service retries a serialization failure itself
    replayable: bool = True  # sending it twice must not act twice (idempotent or a 409)
    detail: str = ""


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Divergence(message)


class Commands:
    """Builds the next operator action of each kind, or ``None`` if none is possible."""

    def __init__(self, sim: Any, world: World, model: Model, rng: random.Random) -> None:
        self.sim, self.w, self.m, self.rng = sim, world, model, rng
        self.serial = 0
        self.counts: dict[int, list[tuple[int, str, int, int]]] = {}  # task -> variances
        self.packed: dict[int, list[tuple[int, str, int]]] = {}  # order -> (item, lot, qty)
        self.transfer_from: dict[int, int] = {}  # transfer -> the bin it is picked from

    @property
    def ctx(self) -> Context:
        return self.sim.ctx

    def _next(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.sim.seed}-{self.serial:05d}"

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        with self.ctx.read() as conn:
            return conn.execute(sa.text(sql), params).all()

    def _operator(self) -> tuple[str, str]:
        n = self.rng.randrange(12)
        return f"op{n:02d}", f"HH-{n:02d}"

    def _owner_item(self) -> tuple[int, int, str]:
        item = self.rng.choice(sorted(self.w.items))
        owner, _, lot_tracked = self.w.items[item]
        lot = self.rng.choice(sorted(LOTS)) if lot_tracked else ""
        return owner, item, lot

    # -- receiving ---------------------------------------------------------------------

    def receipt(self) -> Op:
        b = self.rng.choice(self.w.buildings)
        owner = self.rng.choice(self.w.owners)
        lines = [{"item_id": i, "expected_qty": self.rng.randint(5, 40)}
                 for i in sorted(self.w.items) if self.w.items[i][0] == owner]
        ref = self._next("PO")
        return Op("receipt", lambda: receiving.create_receipt(
            self.ctx, owner_id=owner, facility_id=b.id, type="purchase_order", reference=ref,
            lines=lines, supplier="Alpine Gear Ltd"), lambda r: None, retries=False)

    def receive(self) -> Op | None:
        open_ = self._rows("SELECT id, owner_id, facility_id FROM receipts"
                           " WHERE state IN ('open', 'receiving') ORDER BY id")
        if not open_:
            return None
        rid, owner, fid = self.rng.choice(open_)
        item = self.rng.choice(sorted(i for i, v in self.w.items.items() if v[0] == owner))
        lot = self.rng.choice(sorted(LOTS)) if self.w.items[item][2] else ""
        b = self.w.building(fid)
        qty, damaged = self.rng.randint(1, 24), self.rng.random() < 0.1
        user, device = self._operator()
        scan = self.w.item_scan(item, lot)
        if self.rng.random() < 0.08:  # a smudged label: one wrong check digit
            at = 18 if lot else len(scan) - 1  # the GTIN's check digit
            bad = scan[:at] + str((int(scan[at]) + 1) % 10) + scan[at + 1:]
            return Op("receive", lambda: receiving.receive_scan(
                self.ctx, rid, location_scan=self.w.barcodes[b.dock], item_scan=bad, qty=qty,
                user=user, device=device), lambda r: None, refuse=(ScanError,))
        key = self._next("rcv")
        dest = b.damaged if damaged else b.dock

        def apply(r: dict[str, Any]) -> None:
            expect(r["location_id"] == dest and r["qty"] == qty, f"receive answered {r}")
            self.m.move(owner, item, b.supplier, dest, qty, lot)

        return Op("receive", lambda: receiving.receive_scan(
            self.ctx, rid, location_scan=self.w.barcodes[b.dock], item_scan=scan, qty=qty,
            damaged=damaged, user=user, device=device, idempotency_key=key), apply,
            detail=f"receipt {rid} item {item} lot {lot!r} qty {qty} damaged {damaged}")

    def close(self) -> Op | None:
        rows = self._rows("SELECT id FROM receipts WHERE state = 'receiving' ORDER BY id")
        if not rows:
            return None
        rid = self.rng.choice(rows)[0]
        return Op("receipt_close", lambda: receiving.close_receipt(self.ctx, rid, user="lead"),
                  lambda r: None, retries=False)

    def put_away(self) -> Op | None:
        tasks = self._rows("SELECT id, owner_id, item_id, lot, qty - qty_done, from_location_id,"
                           " suggested_location_id, facility_id FROM putaway_tasks"
                           " WHERE state = 'open' ORDER BY id")
        if not tasks:
            return None
        tid, owner, item, lot, left, src, suggested, fid = self.rng.choice(tasks)
        dest, reason = suggested, ""
        if dest is None or self.rng.random() < 0.15:
            dest, reason = self.rng.choice(self.w.building(fid).bins), "suggested bin is full"
        qty = left if self.rng.random() < 0.7 else self.rng.randint(1, left)
        user, device = self._operator()
        key = self._next("put")

        def apply(r: dict[str, Any]) -> None:
            expect(r["put_qty"] == qty, f"putaway answered {r}")
            self.m.move(owner, item, src, dest, qty, lot)

        return Op("putaway", lambda: putaway.confirm_putaway(
            self.ctx, tid, location_scan=self.w.barcodes[dest],
            item_scan=self.w.item_scan(item, lot), qty=qty, reason=reason, user=user,
            device=device, idempotency_key=key), apply,
            detail=f"task {tid} qty {qty} to {dest}")

    # -- outbound ----------------------------------------------------------------------

    def order(self) -> Op:
        b = self.rng.choice(self.w.buildings)
        owner = self.rng.choice(self.w.owners)
        items = [i for i in sorted(self.w.items) if self.w.items[i][0] == owner]
        picked = self.rng.sample(items, self.rng.randint(1, len(items)))
        spec = orders.OrderSpec(owner, b.id, self._next("SO"),
                                tuple((i, self.rng.randint(1, 8)) for i in sorted(picked)),
                                SHIP_TO)
        return Op("order", lambda: orders.create_orders(self.ctx, [spec]), lambda r: None)

    def _tasks_after(self, order_ids: list[int], after: int) -> list[Any]:
        if not order_ids:
            return []
        with self.ctx.read() as conn:
            return conn.execute(sa.text(
                "SELECT id, order_line_id, hold_id, owner_id, item_id, location_id, lot, qty"
                " FROM pick_tasks WHERE id > :after AND order_id IN :ids ORDER BY id")
                .bindparams(sa.bindparam("ids", expanding=True)),
                {"after": after, "ids": order_ids}).all()

    def _last_task(self) -> int:
        return self._rows("SELECT COALESCE(MAX(id), 0) FROM pick_tasks")[0][0]

    def _take_tasks(self, tasks: list[Any], fid: int) -> dict[int, int]:
        """Reserve the new pick tasks' holds in the model; units per order line."""
        got: dict[int, int] = {}
        for t in tasks:
            key = (t.owner_id, t.item_id, t.location_id, t.lot)
            expect(self.m.kinds[t.location_id] in SELLABLE_KINDS
                   and self.m.facility_of[t.location_id] == fid,
                   f"task {t.id} allocated from location {t.location_id}")
            expect(self.m.unreserved(key) >= t.qty,
                   f"task {t.id} reserves {t.qty} of {key}; the model has "
                   f"{self.m.unreserved(key)} free")
            self.m.reserve(t.hold_id, key, t.qty)
            got[t.order_line_id] = got.get(t.order_line_id, 0) + t.qty
        return got

    def allocate(self) -> Op | None:
        rows = self._rows("SELECT id, facility_id FROM orders WHERE state IN"
                          " ('new', 'backordered', 'partially_allocated') ORDER BY id")
        if not rows:
            return None
        fid = self.rng.choice(rows)[1]
        ids = sorted(r[0] for r in rows if r[1] == fid)[: self.rng.randint(1, 4)]
        with self.ctx.read() as conn:
            lines = conn.execute(sa.text(
                "SELECT l.id, o.owner_id, l.item_id, l.ordered - l.allocated - l.picked"
                " FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.id IN :ids"
                " ORDER BY o.id, l.line_no").bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": ids}).all()
        free: dict[tuple[int, int], int] = {}
        want: dict[int, int] = {}
        for lid, owner, item, need in lines:
            k = (owner, item)
            free.setdefault(k, self.m.available(owner, item, fid))
            want[lid] = min(need, free[k])
            free[k] -= want[lid]
        after = self._last_task()

        def apply(_r: Any) -> None:
            got = self._take_tasks(self._tasks_after(ids, after), fid)
            expect({k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v},
                   f"allocation gave {got}; the model expects {want}")

        return Op("allocate", lambda: orders.allocate_orders(self.ctx, ids), apply,
                  detail=f"orders {ids}")

    def wave(self) -> Op | None:
        rows = self._rows("SELECT id, facility_id FROM orders WHERE wave_id IS NULL AND state"
                          " IN ('allocated', 'partially_allocated') ORDER BY id")
        if not rows:
            return None
        fid = self.rng.choice(rows)[1]
        ids = [r[0] for r in rows if r[1] == fid][:6]
        return Op("wave", lambda: picking.create_waves(self.ctx, fid, order_ids=ids,
                                                       allow_partial=True, user="lead"),
                  lambda r: None, detail=f"orders {ids}")

    def pick(self) -> Op | None:
        tasks = self._rows(
            "SELECT t.id, t.order_id, t.hold_id, t.owner_id, t.item_id, t.location_id, t.lot,"
            " t.qty, w.staging_location_id, w.facility_id FROM pick_tasks t"
            " JOIN waves w ON w.id = t.wave_id WHERE t.state = 'open' ORDER BY t.id")
        if not tasks:
            return None
        t = self.rng.choice(tasks)
        user, device = self._operator()
        scan = self.w.item_scan(t.item_id, t.lot)
        if self.rng.random() < 0.06:  # walked to the wrong bin
            wrong = next(b for b in self.w.building(t.facility_id).bins if b != t.location_id)
            return Op("pick", lambda: picking.confirm_pick(
                self.ctx, t.id, self.w.barcodes[wrong], scan, t.qty, user=user, device=device),
                lambda r: None, refuse=(ScanError,))
        found = t.qty if self.rng.random() < 0.8 else self.rng.randint(0, t.qty - 1)
        kind = "pick" if found == t.qty else "short_pick"

        def call() -> dict[str, Any]:
            return picking.confirm_pick(self.ctx, t.id, self.w.barcodes[t.location_id],
                                        scan if found else "", found, user=user, device=device)

        if t.hold_id not in self.m.holds:  # a count released this promise
            return Op(kind, call, lambda r: None, refuse=(Conflict,))
        after = self._last_task()
        bin_key = (t.owner_id, t.item_id, t.location_id, t.lot)

        def apply(r: dict[str, Any]) -> None:
            expect(r["picked_qty"] == found and r["short"] == (found < t.qty),
                   f"pick answered {r}")
            self.m.release(t.hold_id)
            self.m.move(t.owner_id, t.item_id, t.location_id, t.staging_location_id, found,
                        t.lot)
            if found < t.qty:
                can = min(t.qty - found, self.m.available(
                    t.owner_id, t.item_id, t.facility_id, frozenset({t.location_id})))
                new = self._tasks_after([t.order_id], after)
                got = sum(self._take_tasks(new, t.facility_id).values())
                expect(got == can, f"short pick re-allocated {got}; the model expects {can}")
                expect(all((n.owner_id, n.item_id, n.location_id, n.lot) != bin_key
                           for n in new), "a short pick re-allocated from the same bin")

        return Op(kind, call, apply, detail=f"task {t.id} found {found} of {t.qty}")

    def pack(self) -> Op | None:
        rows = self._rows("SELECT o.id FROM orders o WHERE o.state = 'picked' AND EXISTS"
                          " (SELECT 1 FROM pick_tasks t WHERE t.order_id = o.id"
                          " AND t.picked_qty > 0) ORDER BY o.id")
        if not rows:
            return None
        oid = self.rng.choice(rows)[0]
        units = self._rows("SELECT item_id, lot, SUM(picked_qty) FROM pick_tasks"
                           " WHERE order_id = :o AND picked_qty > 0 GROUP BY item_id, lot"
                           " ORDER BY item_id, lot", o=oid)
        scans = [self.w.item_scan(i, lot) for i, lot, q in units for _ in range(int(q))]
        user, device = self._operator()

        def apply(_r: Any) -> None:
            self.packed[oid] = [(i, lot, int(q)) for i, lot, q in units]

        return Op("pack", lambda: shipping.pack_carton(self.ctx, oid, scans, user=user,
                                                       device=device), apply,
                  detail=f"order {oid}")

    def ship(self) -> Op | None:
        rows = self._rows("SELECT o.id, o.owner_id, o.facility_id, w.staging_location_id"
                          " FROM orders o JOIN waves w ON w.id = o.wave_id"
                          " WHERE o.state = 'packed' ORDER BY o.id")
        if not rows:
            return None
        picked = rows[: self.rng.randint(1, 3)]

        def apply(r: list[dict[str, Any]]) -> None:
            expect(len(r) == len(picked), f"ship answered {r}")
            for oid, owner, fid, staging in picked:
                customer = self.w.building(fid).customer
                for item, lot, q in self.packed.pop(oid):
                    self.m.move(owner, item, staging, customer, q, lot)

        return Op("ship", lambda: shipping.ship_orders(self.ctx, [r[0] for r in picked],
                                                       user="dock"), apply,
                  detail=f"orders {[r[0] for r in picked]}")

    def cancel(self) -> Op | None:
        rows = self._rows("SELECT id FROM orders WHERE state IN ('new', 'backordered',"
                          " 'partially_allocated', 'allocated') ORDER BY id")
        if not rows:
            return None
        oid = self.rng.choice(rows)[0]
        held = [r[0] for r in self._rows("SELECT hold_id FROM pick_tasks WHERE order_id = :o"
                                         " AND state = 'open' ORDER BY id", o=oid)]

        def call() -> Any:
            return orders.cancel_order(self.ctx, oid, user="cs")

        if any(h not in self.m.holds for h in held):
            return Op("cancel", call, lambda r: None, refuse=(Conflict,))

        def apply(_r: Any) -> None:
            for h in held:
                self.m.release(h)

        return Op("cancel", call, apply, detail=f"order {oid}")

    # -- counting and adjusting ---------------------------------------------------------

    def count(self) -> Op | None:
        b = self.rng.choice(self.w.buildings)
        loc = self.rng.choice(b.bins)
        owner = self.rng.choice(self.w.owners)
        there = self.m.at(loc, owner)
        if not there:
            return None
        lines, variances = [], []
        for (item, lot), q in there.items():
            counted = max(0, q + self.rng.choice([0, 0, 0, -1, -2, 1]))
            lines.append(counting.CountedLine(self.w.item_scan(item, lot), counted))
            variances.append((item, lot, q, counted))
        user, device = self._operator()

        def call() -> dict[str, Any]:
            [task] = counting.create_count_tasks(self.ctx, owner_id=owner, location_ids=[loc],
                                                 tolerance=Tolerance(units=1000))
            r = counting.submit_count(self.ctx, task["id"], location_scan=self.w.barcodes[loc],
                                      lines=lines, user=user, device=device)
            if r["state"] == "recount_requested":
                # a short pick's count (no tolerance) was waiting at this bin: the
                # recount finds the same, and the variance goes to approval
                r = counting.submit_count(self.ctx, r["recount_task_id"],
                                          location_scan=self.w.barcodes[loc], lines=lines,
                                          user=user, device=device)
            return r

        def apply(r: dict[str, Any]) -> None:
            changed = any(q != c for _, _, q, c in variances)
            expect(r["state"] == ("awaiting_approval" if changed else "closed"),
                   f"count answered {r}")
            if changed:
                self.counts[r["task_id"]] = [(owner, loc, *v) for v in variances]

        return Op("count", call, apply, retries=False, replayable=False,
                  detail=f"bin {loc} {variances}")

    def approve(self) -> Op | None:
        if not self.counts:
            return None
        tid = self.rng.choice(sorted(self.counts))
        lines = self.counts[tid]

        def call() -> Any:
            return counting.approve_count(self.ctx, tid, user="supervisor")

        voids: list[int] = []
        freed: set[int] = set()
        for owner, loc, item, lot, expected, counted in lines:
            if counted >= expected:
                continue
            key, short = (owner, item, loc, lot), expected - counted
            if self.m.qty[key] < short:
                return Op("approve", call, lambda r: None, refuse=(InsufficientStock,))
            live = [(h, q) for h, q in self.m.holds_at(key) if h not in freed]
            alloc = sum(q for _, q in live)
            v = count_rules.holds_to_void(live, alloc, self.m.qty[key] - short)
            voids += v
            freed |= set(v)

        # open pick tasks standing on the holds the count will void: their lines are
        # tried again in the facility's other bins
        lost: list[Any] = []
        if voids:
            with self.ctx.read() as conn:
                lost = conn.execute(sa.text(
                    "SELECT order_id, owner_id, item_id, location_id, qty - picked_qty"
                    " FROM pick_tasks WHERE state = 'open' AND hold_id IN :h")
                    .bindparams(sa.bindparam("h", expanding=True)), {"h": voids}).all()
        after = self._last_task()

        def apply(r: dict[str, Any]) -> None:
            expect(sorted(r["voided_holds"]) == sorted(voids),
                   f"approval voided {r['voided_holds']}; the model expects {voids}")
            for h in voids:
                self.m.release(h)
            for owner, loc, item, lot, expected, counted in lines:
                adj = self.w.building(self.m.facility_of[loc]).adjustment
                if counted < expected:
                    self.m.move(owner, item, loc, adj, expected - counted, lot)
                elif counted > expected:
                    self.m.move(owner, item, adj, loc, counted - expected, lot)
            if lost:
                fid = self.m.facility_of[lost[0].location_id]
                need: dict[tuple[int, int], int] = {}
                for x in lost:
                    need[(x.owner_id, x.item_id)] = need.get((x.owner_id, x.item_id), 0) + x[4]
                can = {k: min(n, self.m.available(k[0], k[1], fid,
                                                  frozenset({x.location_id for x in lost})))
                       for k, n in need.items()}
                new = self._tasks_after(sorted({x.order_id for x in lost}), after)
                self._take_tasks(new, fid)
                got: dict[tuple[int, int], int] = {}
                for n in new:
                    got[(n.owner_id, n.item_id)] = got.get((n.owner_id, n.item_id), 0) + n.qty
                expect({k: v for k, v in got.items() if v} == {k: v for k, v in can.items() if v},
                       f"count re-allocated {got}; the model expects {can}")
            del self.counts[tid]

        return Op("approve", call, apply, detail=f"count {tid} {lines}")

    def adjust(self) -> Op | None:
        b = self.rng.choice(self.w.buildings)
        loc = self.rng.choice(b.bins)
        owner, item, lot = self._owner_item()
        key = (owner, item, loc, lot)
        loss = self.rng.random() < 0.6
        qty = self.rng.randint(1, 6)
        src, dst = (loc, b.adjustment) if loss else (b.adjustment, loc)
        if lot and lot == "L2611C" and (item, lot) not in self._known_lots():
            lot = "L2406A"
            key = (owner, item, loc, lot)
        cmd = MovementCommand(owner, MovementType.ADJUSTMENT,
                              (LineCommand(item, src, dst, qty, lot),),
                              reason="damaged_in_storage" if loss else "found_stock",
                              user=self._operator()[0], idempotency_key=self._next("adj"))

        def call() -> Any:
            return ledger.post_movement(self.ctx, cmd)

        if loss and self.m.unreserved(key) < qty:
            return Op("adjust", call, lambda r: None, refuse=(InsufficientStock,))
        return Op("adjust", call, lambda r: self.m.move(owner, item, src, dst, qty, lot),
                  detail=f"{key} {'-' if loss else '+'}{qty}")

    def _known_lots(self) -> set[tuple[int, str]]:
        return {(r[0], r[1]) for r in self._rows("SELECT item_id, code FROM lots")}

    # -- transfers and returns ------------------------------------------------------------

    def transfer(self) -> Op | None:
        src, dst = self.rng.sample(self.w.buildings, 2)
        stock = [(k, q) for k, q in sorted(self.m.qty.items())
                 if q > 0 and k[2] in src.bins]
        if not stock:
            return None
        (owner, item, loc, lot), q = self.rng.choice(stock)
        qty = self.rng.randint(1, q)
        line = transfers.TransferLine(item, qty, lot)
        ref = self._next("TR")

        def apply(r: dict[str, Any]) -> None:
            self.transfer_from[r["id"]] = loc

        return Op("transfer", lambda: transfers.create_transfer(
            self.ctx, owner_id=owner, source_facility_id=src.id, dest_facility_id=dst.id,
            lines=[line], reference=ref), apply, retries=False, replayable=False)

    def transfer_ship(self) -> Op | None:
        rows = self._rows("SELECT t.id, t.owner_id, t.dest_facility_id, l.id, l.item_id, l.lot,"
                          " l.qty FROM transfer_orders t JOIN transfer_lines l"
                          " ON l.transfer_id = t.id WHERE t.state = 'draft' ORDER BY t.id")
        rows = [r for r in rows if r[0] in self.transfer_from]
        if not rows:
            return None
        tid, owner, dest, line_id, item, lot, qty = self.rng.choice(rows)
        loc = self.transfer_from[tid]
        transit = self.w.building(dest).in_transit

        def call() -> Any:
            return transfers.ship_transfer(self.ctx, tid, picks=[
                    transfers.ShipPick(line_id, loc, lot or None)], user="ana")

        if self.m.unreserved((owner, item, loc, lot)) < qty:
            return Op("transfer_ship", call, lambda r: None, refuse=(InsufficientStock,))
        return Op("transfer_ship", call,
                  lambda r: self.m.move(owner, item, loc, transit, qty, lot))

    def transfer_receive(self) -> Op | None:
        rows = self._rows("SELECT t.id, t.owner_id, t.dest_facility_id, l.item_id, l.lot, l.qty"
                          " FROM transfer_orders t JOIN transfer_lines l ON l.transfer_id = t.id"
                          " WHERE t.state = 'shipped' ORDER BY t.id")
        if not rows:
            return None
        tid, owner, dest, item, lot, qty = self.rng.choice(rows)
        b = self.w.building(dest)
        to = self.rng.choice(b.bins)
        return Op("transfer_receive", lambda: transfers.receive_transfer(
            self.ctx, tid, to_location_id=to, user="ben"),
            lambda r: self.m.move(owner, item, b.in_transit, to, qty, lot))

    def rma(self) -> Op:
        b = self.rng.choice(self.w.buildings)
        owner, item, lot = self._owner_item()
        if lot == "L2611C":
            lot = "L2406A"
        qty = self.rng.randint(1, 3)
        ref = self._next("SO")
        return Op("rma", lambda: returns.create_rma(
            self.ctx, owner_id=owner, facility_id=b.id, order_reference=ref,
            lines=[returns.RmaLine(item, qty, lot)]), lambda r: None, retries=False,
            replayable=False)

    def rma_receive(self) -> Op | None:
        rows = self._rows("SELECT r.id, r.owner_id, r.facility_id, l.item_id, l.lot, l.qty"
                          " FROM rmas r JOIN rma_lines l ON l.rma_id = r.id"
                          " WHERE r.state = 'authorised' ORDER BY r.id")
        if not rows:
            return None
        rid, owner, fid, item, lot, qty = self.rng.choice(rows)
        b = self.w.building(fid)
        return Op("rma_receive", lambda: returns.receive_rma(self.ctx, rid, to_location_id=b.dock,
                                                             user="lee"),
                  lambda r: self.m.move(owner, item, b.customer, b.dock, qty, lot))

    def rma_inspect(self) -> Op | None:
        rows = self._rows("SELECT r.id, l.id, r.owner_id, r.facility_id, l.item_id, l.lot,"
                          " l.received_qty, l.received_location_id FROM rmas r"
                          " JOIN rma_lines l ON l.rma_id = r.id WHERE r.state = 'received'"
                          " AND l.disposition = '' AND l.received_qty > 0 ORDER BY l.id")
        if not rows:
            return None
        rid, line_id, owner, fid, item, lot, qty, at = self.rng.choice(rows)
        b = self.w.building(fid)
        disp = self.rng.choice(["restock", "restock", "damaged", "scrap"])
        to = self.rng.choice(b.bins) if disp == "restock" else None
        dest = to if to is not None else b.damaged
        if disp == "scrap":
            with self.ctx.read() as conn:
                dest = conn.execute(sa.text(
                    "SELECT id FROM locations WHERE facility_id = :f AND kind = 'scrap'"),
                    {"f": fid}).scalar()
        return Op("rma_inspect", lambda: returns.inspect_line(
            self.ctx, rid, line_id, disposition=disp, to_location_id=to,
            reason="torn_fabric" if disp == "scrap" else "", user="lee"),
            lambda r: self.m.move(owner, item, at, dest, qty, lot), detail=f"{disp} {qty}")
