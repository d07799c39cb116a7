"""Order commands: create, allocate (many at once), cancel; and order lookups.

Allocation reserves stock through the ledger's atomic holds, one hold per bin/lot
split, all of a batch of orders in one transaction. Each hold becomes a pick task
(not yet in a wave). What no bin can give is backordered on the line, never oversold:
the availability check and the reservation are one conditional UPDATE in the ledger.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from shelfwise.domain import allocation as alloc
from shelfwise.domain.catalog import validate_code
from shelfwise.domain.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from shelfwise.domain.ledger import validate_quantity
from shelfwise.domain.locations import SELLABLE_KINDS
from shelfwise.domain.orders import (
    ALLOCATABLE,
    LineQuantities,
    OrderState,
    allocation_state,
    check_transition,
    line_state,
    parse_channel,
)
from shelfwise.domain.picking import TaskState
from shelfwise.services import holds, ledger
from shelfwise.services.context import Context
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.outbound_tables import order_lines, orders, pick_tasks
from shelfwise.storage.tables import balances, facilities, items, locations, lots, stock_levels

Scope = frozenset[int] | None
T = TypeVar("T")
MAX_LINES = 500
RETRIES = 4  # re-reads of an item's stock after losing a race for it
ADDRESS_FIELDS = ("name", "lines", "city", "postcode", "country")


def transact(ctx: Context, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` in one write transaction, retrying PostgreSQL serialization failures
    and deadlocks (the whole unit re-runs from a fresh read, so nothing half-applies)."""
    for attempt in range(ledger.MAX_ATTEMPTS):
        try:
            with ctx.write() as conn:
                return fn(conn)
        except DBAPIError as e:
            if ledger.is_retryable(e) and attempt < ledger.MAX_ATTEMPTS - 1:
                continue
            raise
    raise AssertionError("unreachable")


def _in_scope(scope: Scope, owner_id: int) -> bool:
    return scope is None or owner_id in scope


# -- create ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSpec:
    owner_id: int
    facility_id: int
    number: str
    lines: tuple[tuple[int, int], ...]  # (item_id, qty)
    ship_to: dict[str, Any]
    channel: str = "b2c"
    priority: int = 0
    carrier: str = "manual"
    service: str = "standard"
    cutoff_at: datetime | None = None


def _validate_spec(s: OrderSpec) -> dict[str, Any]:
    validate_code(s.number, "number")
    channel = parse_channel(s.channel)
    if not s.lines:
        raise InvalidInput("an order needs at least one line", code="empty_order")
    if len(s.lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines per order", code="too_many_lines")
    for n, (item_id, qty) in enumerate(s.lines):
        validate_quantity(qty, f"lines[{n}].qty")
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            raise InvalidInput(f"lines[{n}].item_id must be an id", code="invalid_item")
    if isinstance(s.priority, bool) or not isinstance(s.priority, int) or not -9 <= s.priority <= 9:
        raise InvalidInput("priority must be a whole number from -9 to 9", code="invalid_priority")
    validate_code(s.carrier, "carrier")
    missing = [f for f in ("name", "city", "postcode", "country") if not s.ship_to.get(f)]
    if missing or set(s.ship_to) - set(ADDRESS_FIELDS):
        raise InvalidInput(f"ship_to needs name, city, postcode and country (missing {missing})",
                           code="invalid_address")
    addr = {k: s.ship_to.get(k, [] if k == "lines" else "") for k in ADDRESS_FIELDS}
    if not isinstance(addr["lines"], list) or not all(isinstance(x, str) for x in addr["lines"]):
        raise InvalidInput("ship_to.lines must be a list of strings", code="invalid_address")
    return {"channel": channel.value, "ship_to": json.dumps(addr, sort_keys=True)}


def create_orders(ctx: Context, specs: Sequence[OrderSpec], scope: Scope = None,
                  user: str = "") -> list[dict[str, Any]]:
    """Create orders in one transaction (all or none). An order number an owner already
    used with the same content is a replay (a webhook delivered twice) and returns the
    first order; with different content it is refused."""
    checked = [_validate_spec(s) for s in specs]
    for s in specs:
        if not _in_scope(scope, s.owner_id):
            raise NotFound(f"owner {s.owner_id} does not exist", code="owner_not_found")
    now = ctx.now()

    def run(conn: Connection) -> list[dict[str, Any]]:
        _check_references(conn, specs)
        out: list[dict[str, Any]] = []
        for s, c in zip(specs, checked, strict=True):
            prior = conn.execute(sa.select(orders.c.id).where(
                orders.c.owner_id == s.owner_id, orders.c.number == s.number)).scalar()
            if prior is not None:
                if _fingerprint(conn, prior) != _spec_fingerprint(s, c):
                    raise Conflict(f"order {s.number!r} already exists with other content",
                                   code="duplicate_order")
                out.append({"id": prior, "replayed": True})
                continue
            oid = conn.execute(sa.insert(orders).returning(orders.c.id), {
                "owner_id": s.owner_id, "facility_id": s.facility_id, "number": s.number,
                "channel": c["channel"], "state": OrderState.NEW.value, "priority": s.priority,
                "carrier": s.carrier, "service": s.service, "cutoff_at": s.cutoff_at,
                "ship_to": c["ship_to"], "created_at": now, "updated_at": now,
            }).scalar_one()
            conn.execute(sa.insert(order_lines), [
                {"order_id": oid, "owner_id": s.owner_id, "line_no": n + 1, "item_id": i,
                 "ordered": q}
                for n, (i, q) in enumerate(s.lines)
            ])
            out.append({"id": oid, "replayed": False})
        ls.insert_events(conn, [
            {"topic": "order.created", "owner_id": s.owner_id, "created_at": now,
             "payload": json.dumps({"order_id": o["id"], "number": s.number, "user": user})}
            for s, o in zip(specs, out, strict=True) if not o["replayed"]
        ])
        return out

    try:
        return transact(ctx, run)
    except IntegrityError:
        # a concurrent twin inserted the same number first: replay it
        return create_orders(ctx, specs, scope, user)


def create_order(ctx: Context, spec: OrderSpec, scope: Scope = None, user: str = ""
                 ) -> dict[str, Any]:
    res = create_orders(ctx, [spec], scope, user)[0]
    return {**get_order(ctx, res["id"], scope), "replayed": res["replayed"]}


def _check_references(conn: Connection, specs: Sequence[OrderSpec]) -> None:
    fac_ids = {s.facility_id for s in specs}
    found = set(conn.execute(sa.select(facilities.c.id).where(facilities.c.id.in_(fac_ids)))
                .scalars())
    if fac_ids - found:
        raise NotFound(f"facility {min(fac_ids - found)} does not exist",
                       code="facility_not_found")
    item_ids = {i for s in specs for i, _ in s.lines}
    owner_of = dict(conn.execute(sa.select(items.c.id, items.c.owner_id)
                                 .where(items.c.id.in_(item_ids))).all())
    for s in specs:
        for i, _ in s.lines:
            if owner_of.get(i) != s.owner_id:
                raise NotFound(f"item {i} does not exist", code="item_not_found")


def _spec_fingerprint(s: OrderSpec, c: dict[str, Any]) -> str:
    return json.dumps([s.facility_id, c["channel"], s.carrier, c["ship_to"],
                       [list(x) for x in s.lines]])


def _fingerprint(conn: Connection, order_id: int) -> str:
    o = conn.execute(sa.select(orders).where(orders.c.id == order_id)).one()
    lines = conn.execute(sa.select(order_lines.c.item_id, order_lines.c.ordered)
                         .where(order_lines.c.order_id == order_id)
                         .order_by(order_lines.c.line_no)).all()
    return json.dumps([o.facility_id, o.channel, o.carrier, o.ship_to,
                       [[r.item_id, r.ordered] for r in lines]])


# -- read ------------------------------------------------------------------------------


def _quantities(r: Any) -> LineQuantities:
    return LineQuantities(r["ordered"], r["allocated"], r["picked"], r["packed"], r["shipped"],
                          r["backordered"])


def get_order(ctx: Context, order_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        return load_order(conn, order_id, scope)


def load_order(conn: Connection, order_id: int, scope: Scope) -> dict[str, Any]:
    row = conn.execute(sa.select(orders).where(orders.c.id == order_id)).first()
    if row is None or not _in_scope(scope, row.owner_id):
        raise NotFound(f"order {order_id} does not exist", code="order_not_found")
    out = dict(row._mapping)
    out["ship_to"] = json.loads(out["ship_to"])
    state = OrderState(out["state"])
    out["lines"] = []
    for r in conn.execute(sa.select(order_lines).where(order_lines.c.order_id == order_id)
                          .order_by(order_lines.c.line_no)):
        line = dict(r._mapping)
        line["state"] = line_state(_quantities(line), state).value
        out["lines"].append(line)
    return out


def list_orders(ctx: Context, scope: Scope, *, facility_id: int | None = None,
                state: str | None = None, wave_id: int | None = None, limit: int = 50,
                offset: int = 0) -> list[dict[str, Any]]:
    stmt = sa.select(orders).order_by(orders.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(orders.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(orders.c.facility_id == facility_id)
    if state is not None:
        stmt = stmt.where(orders.c.state == state)
    if wave_id is not None:
        stmt = stmt.where(orders.c.wave_id == wave_id)
    with ctx.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for r in rows:
        r["ship_to"] = json.loads(r["ship_to"])
    return rows


# -- allocate --------------------------------------------------------------------------


def load_candidates(
    conn: Connection, owner_ids: set[int], item_ids: set[int], facility_id: int
) -> dict[tuple[int, int], list[alloc.Candidate]]:
    """Unreserved stock per (owner, item) in the facility's sellable bins, with lot age
    and expiry: what an allocation strategy chooses from."""
    b = balances
    stmt = (
        sa.select(b.c.owner_id, b.c.item_id, b.c.location_id, b.c.lot,
                  (b.c.qty - b.c.allocated).label("available"), locations.c.kind,
                  locations.c.path_order, lots.c.expiry, lots.c.created_at)
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(lots, sa.and_(lots.c.item_id == b.c.item_id, lots.c.code == b.c.lot))
        .where(b.c.facility_id == facility_id, b.c.item_id.in_(item_ids),
               b.c.owner_id.in_(owner_ids), b.c.qty - b.c.allocated > 0,
               locations.c.kind.in_([k.value for k in SELLABLE_KINDS]),
               locations.c.active == sa.true())
    )
    out: dict[tuple[int, int], list[alloc.Candidate]] = defaultdict(list)
    for r in conn.execute(stmt):
        out[(r.owner_id, r.item_id)].append(alloc.Candidate(
            r.location_id, r.lot, int(r.available), r.expiry, r.created_at, r.kind,
            r.path_order))
    return out


def load_stock(
    conn: Connection, keys: set[tuple[int, int]], facility_id: int
) -> tuple[dict[tuple[int, int], list[alloc.Candidate]], dict[tuple[int, int], int],
           dict[int, bool]]:
    """What allocating ``keys`` (owner, item) needs, in one read: the candidate bins
    (as :func:`load_candidates`), the facility-wide cap per key (as
    :func:`facility_available`) and whether each item is expiry-tracked. A key with no
    candidate bin gets no cap, which is the same: nothing can be allocated to it."""
    b, sl = balances, stock_levels
    stmt = (
        sa.select(b.c.owner_id, b.c.item_id, b.c.location_id, b.c.lot,
                  (b.c.qty - b.c.allocated).label("available"), locations.c.kind,
                  locations.c.path_order, lots.c.expiry, lots.c.created_at,
                  (sl.c.sellable - sl.c.allocated).label("cap"), items.c.expiry_tracked)
        .join(locations, locations.c.id == b.c.location_id)
        .join(items, items.c.id == b.c.item_id)
        .outerjoin(sl, sa.and_(sl.c.owner_id == b.c.owner_id, sl.c.item_id == b.c.item_id,
                               sl.c.facility_id == b.c.facility_id))
        .outerjoin(lots, sa.and_(lots.c.item_id == b.c.item_id, lots.c.code == b.c.lot))
        .where(b.c.facility_id == facility_id, b.c.item_id.in_({k[1] for k in keys}),
               b.c.owner_id.in_({k[0] for k in keys}), b.c.qty - b.c.allocated > 0,
               locations.c.kind.in_([k.value for k in SELLABLE_KINDS]),
               locations.c.active == sa.true())
    )
    cands: dict[tuple[int, int], list[alloc.Candidate]] = defaultdict(list)
    caps: dict[tuple[int, int], int] = {}
    expiry: dict[int, bool] = {}
    for (owner_id, item_id, location_id, lot, available, kind, path_order, lot_expiry,
         received_at, cap, expiry_tracked) in conn.execute(stmt):
        key = (owner_id, item_id)
        if key not in keys:
            continue
        cands[key].append(alloc.Candidate(location_id, lot, int(available), lot_expiry,
                                          received_at, kind, path_order))
        caps[key] = int(cap or 0)
        expiry[item_id] = bool(expiry_tracked)
    return cands, caps, expiry


def facility_available(conn: Connection, keys: set[tuple[int, int]], facility_id: int
                       ) -> dict[tuple[int, int], int]:
    """Sellable minus allocated per (owner, item): facility-wide holds (a channel
    reservation, say) count too, so bins alone never promise more than this."""
    if not keys:
        return {}
    sl = stock_levels
    rows = conn.execute(sa.select(sl.c.owner_id, sl.c.item_id, sl.c.sellable - sl.c.allocated)
                        .where(sl.c.facility_id == facility_id,
                               sl.c.item_id.in_({k[1] for k in keys})))
    return {(r[0], r[1]): int(r[2]) for r in rows if (r[0], r[1]) in keys}


@dataclass
class LineNeed:
    """A line to allocate inside a transaction, and what allocation gave it."""

    order_id: int
    order_number: str
    line_id: int
    owner_id: int
    item_id: int
    facility_id: int
    need: int
    wave_id: int | None = None
    exclude: frozenset[int] = frozenset()
    got: int = 0


class Allocator:
    """Allocates lines inside one transaction, reading candidates once per item and
    placing one ledger hold per split. Lines are served in the order given (callers
    pass urgent orders first) and items in key order, so concurrent allocators take
    row locks in the same order and cannot deadlock.

    The holds of a run are placed together, set-based (one conditional reservation per
    stock key). On SQLite every one fits: ``BEGIN IMMEDIATE`` serialises writers and the
    candidates were read inside this transaction. On PostgreSQL another allocator may
    commit between the read and the reservation; then the whole attempt is undone (a
    savepoint) and the run goes split by split, re-reading an item's stock whenever a
    split no longer fits.
    """

    def __init__(self, ctx: Context, conn: Connection,
                 strategies: dict[int, alloc.Strategy] | None = None) -> None:
        self.ctx, self.conn = ctx, conn
        self.today: date = ctx.now().date()
        self.strategies = strategies or {}
        self.tasks: list[dict[str, Any]] = []
        self._deferred: list[dict[str, Any]] = []
        self._zone: dict[int, int | None] = {}
        self._batch = True

    def run(self, needs: Sequence[LineNeed]) -> None:
        if self.conn.dialect.name == "sqlite":
            self._run(needs)
            return
        got, start = [n.got for n in needs], len(self.tasks)
        attempt = self.conn.begin_nested()
        try:
            self._run(needs)
        except InsufficientStock:
            attempt.rollback()
            for n, g in zip(needs, got, strict=True):
                n.got = g
            del self.tasks[start:]
            self._deferred, self._batch = [], False
            self._run(needs)
        else:
            attempt.commit()

    def _run(self, needs: Sequence[LineNeed]) -> None:
        by_fac: dict[int, list[LineNeed]] = defaultdict(list)
        for n in needs:
            if n.need > 0:
                by_fac[n.facility_id].append(n)
        for fac, group in sorted(by_fac.items()):
            cands, caps, expiry = load_stock(
                self.conn, {(n.owner_id, n.item_id) for n in group}, fac)
            by_item: dict[tuple[int, int], list[LineNeed]] = defaultdict(list)
            for n in group:
                by_item[(n.owner_id, n.item_id)].append(n)
            for key in sorted(by_item):
                strategy = self.strategies.get(key[1]) or alloc.strategy_for(expiry.get(key[1],
                                                                                         False))
                pool, cap = cands.get(key, []), caps.get(key, 0)
                for n in by_item[key]:
                    pool, cap = self._line(n, pool, cap, strategy)
        if self.tasks:
            self._insert_tasks()

    def _line(self, n: LineNeed, pool: list[alloc.Candidate], cap: int,
              strategy: alloc.Strategy) -> tuple[list[alloc.Candidate], int]:
        for _ in range(RETRIES):
            want = min(n.need - n.got, cap)
            if want <= 0:
                return pool, cap
            plan = alloc.allocate(want, pool, strategy, self.today, n.exclude)
            placed = [s for s in plan.splits if self._place(n, s, pool)]
            n.got += sum(s.qty for s in placed)
            pool, cap = alloc.consume(pool, placed), cap - sum(s.qty for s in placed)
            if len(placed) == len(plan.splits):
                return pool, cap
            # another allocator committed first (PostgreSQL): re-read this item's stock
            pool, cap = self._reload(n)
        return pool, cap

    def _reload(self, n: LineNeed) -> tuple[list[alloc.Candidate], int]:
        key = (n.owner_id, n.item_id)
        pool = load_candidates(self.conn, {n.owner_id}, {n.item_id}, n.facility_id).get(key, [])
        return pool, facility_available(self.conn, {key}, n.facility_id).get(key, 0)

    def _place(self, n: LineNeed, s: alloc.Split, pool: list[alloc.Candidate]) -> bool:
        body = {"owner_id": n.owner_id, "item_id": n.item_id, "facility_id": n.facility_id,
                "qty": s.qty, "location_id": s.location_id, "lot": s.lot,
                "document_type": "order", "document_id": n.order_number}
        task = {
            "wave_id": n.wave_id, "order_id": n.order_id, "order_line_id": n.line_id,
            "owner_id": n.owner_id, "item_id": n.item_id, "hold_id": None,
            "location_id": s.location_id, "lot": s.lot, "qty": s.qty,
            "path_order": next((c.path_order for c in pool if c.location_id == s.location_id),
                               ""),
            "state": TaskState.OPEN.value,
        }
        if self._batch:
            self._deferred.append(body)  # placed all at once in _insert_tasks
        else:
            sp = self.conn.begin_nested()
            try:
                task["hold_id"] = holds.place_hold_in(self.ctx, self.conn, body, None,
                                                       None)["hold_id"]
            except InsufficientStock:
                sp.rollback()
                return False
            sp.commit()
        self.tasks.append(task)
        return True

    def _insert_tasks(self) -> None:
        if self._deferred:
            placed = holds.place_holds_in(self.ctx, self.conn, self._deferred)
            pending = [t for t in self.tasks if t["hold_id"] is None]
            for t, h in zip(pending, placed, strict=True):
                t["hold_id"] = h["hold_id"]
            self._deferred = []
        loc_ids = {t["location_id"] for t in self.tasks} - set(self._zone)
        if loc_ids:
            self._zone.update(self.conn.execute(
                sa.select(locations.c.id, locations.c.zone_id)
                .where(locations.c.id.in_(loc_ids))).all())
        for t in self.tasks:
            t["zone_id"] = self._zone.get(t["location_id"])
        ls.executemany(self.conn, _INSERT_TASK, self.tasks)


_TASK_COLUMNS = ("wave_id", "order_id", "order_line_id", "owner_id", "item_id", "hold_id",
                 "location_id", "zone_id", "lot", "qty", "path_order", "state")
_INSERT_TASK = (f"INSERT INTO pick_tasks ({', '.join(_TASK_COLUMNS)})"
                f" VALUES ({', '.join(':' + c for c in _TASK_COLUMNS)})")
_LINE_UPDATE = ("UPDATE order_lines SET allocated = :allocated, backordered = :backordered"
                " WHERE id = :id")


def allocate_orders(
    ctx: Context, order_ids: Sequence[int], scope: Scope = None,
    strategies: dict[int, alloc.Strategy] | None = None,
) -> list[dict[str, Any]]:
    """Allocate many orders in one transaction; returns per order its new state and
    per line what was reserved and what is backordered.

    Orders are served most urgent first (earliest cut-off, highest priority, oldest),
    so scarce stock goes where it is needed soonest. ``strategies`` maps item ids to a
    policy overriding the default FEFO/FIFO choice.
    """
    ids = sorted(set(order_ids))
    if not ids:
        return []
    now = ctx.now()

    def run(conn: Connection) -> list[dict[str, Any]]:
        stmt = sa.select(orders).where(orders.c.id.in_(ids)).order_by(orders.c.id)
        if conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        rows = {r.id: r for r in conn.execute(stmt)}
        for oid in ids:
            r = rows.get(oid)
            if r is None or not _in_scope(scope, r.owner_id):
                raise NotFound(f"order {oid} does not exist", code="order_not_found")
            if OrderState(r.state) not in ALLOCATABLE:
                check_transition(OrderState(r.state), OrderState.ALLOCATED, oid)
        lines = _lines_of(conn, ids)
        urgent = sorted(rows.values(), key=_urgency)
        needs = [
            LineNeed(o.id, o.number, ln["id"], o.owner_id, ln["item_id"], o.facility_id,
                     ln["ordered"] - ln["allocated"] - ln["picked"])
            for o in urgent for ln in lines[o.id]
        ]
        Allocator(ctx, conn, strategies).run(needs)
        return _apply_allocation(conn, rows, lines, needs, now)

    return transact(ctx, run)


def allocate_order(ctx: Context, order_id: int, scope: Scope = None) -> dict[str, Any]:
    return allocate_orders(ctx, [order_id], scope)[0]


def _urgency(o: Any) -> tuple:
    cut = o.cutoff_at.replace(tzinfo=None) if o.cutoff_at else datetime.max
    return (cut, -o.priority, o.id)


def _lines_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in ls.as_dicts(conn.execute(
            sa.select(order_lines).where(order_lines.c.order_id.in_(ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no))):
        out[r["order_id"]].append(r)
    return out


def _apply_allocation(conn: Connection, rows: dict[int, Any], lines: dict[int, list],
                      needs: Sequence[LineNeed], now: datetime) -> list[dict[str, Any]]:
    got = {n.line_id: n.got for n in needs}
    updates, results = [], []
    by_state: dict[str, list[int]] = defaultdict(list)
    events = []
    for oid, o in rows.items():
        qs = []
        for ln in lines[oid]:
            ln["allocated"] += got.get(ln["id"], 0)
            ln["backordered"] = ln["ordered"] - ln["allocated"] - ln["picked"]
            updates.append({"id": ln["id"], "allocated": ln["allocated"],
                            "backordered": ln["backordered"]})
            qs.append(_quantities(ln))
        state = allocation_state(qs)
        check_transition(OrderState(o.state), state, oid)
        by_state[state.value].append(oid)
        results.append({
            "order_id": oid, "state": state.value,
            "lines": [{"line_id": ln["id"], "item_id": ln["item_id"],
                       "allocated": ln["allocated"], "backordered": ln["backordered"]}
                      for ln in lines[oid]],
        })
        events.append({"topic": "order.allocated", "owner_id": o.owner_id, "created_at": now,
                       "payload": json.dumps({"order_id": oid, "state": state.value})})
    ls.executemany(conn, _LINE_UPDATE, updates)
    for state, oids in by_state.items():
        conn.execute(sa.update(orders).where(orders.c.id.in_(oids))
                     .values(state=state, updated_at=now))
    ls.insert_events(conn, events)
    return results


# -- cancel ----------------------------------------------------------------------------


def cancel_order(ctx: Context, order_id: int, scope: Scope = None, user: str = ""
                 ) -> dict[str, Any]:
    """Withdraw an order before it is waved: every hold is voided, units go back to
    available at once."""
    now = ctx.now()

    def run(conn: Connection) -> None:
        stmt = sa.select(orders).where(orders.c.id == order_id)
        if conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        o = conn.execute(stmt).first()
        if o is None or not _in_scope(scope, o.owner_id):
            raise NotFound(f"order {order_id} does not exist", code="order_not_found")
        check_transition(OrderState(o.state), OrderState.CANCELLED, order_id)
        for t in conn.execute(sa.select(pick_tasks.c.id, pick_tasks.c.hold_id).where(
                pick_tasks.c.order_id == order_id,
                pick_tasks.c.state == TaskState.OPEN.value).order_by(pick_tasks.c.id)).all():
            holds.void_hold_in(ctx, conn, t.hold_id, None)
            conn.execute(sa.update(pick_tasks).where(pick_tasks.c.id == t.id)
                         .values(state=TaskState.CANCELLED.value))
        conn.execute(sa.update(order_lines).where(order_lines.c.order_id == order_id)
                     .values(allocated=0, backordered=0))
        conn.execute(sa.update(orders).where(orders.c.id == order_id)
                     .values(state=OrderState.CANCELLED.value, updated_at=now))
        ls.insert_events(conn, [{"topic": "order.cancelled", "owner_id": o.owner_id,
                                 "created_at": now,
                                 "payload": json.dumps({"order_id": order_id, "user": user})}])

    transact(ctx, run)
    return get_order(ctx, order_id, scope)
