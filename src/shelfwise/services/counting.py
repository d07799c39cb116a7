"""Cycle counting: classify items, plan and create count tasks, take blind counts,
recount, approve variances into count adjustments, and measure record accuracy.

The counter's side (task, submit) never returns the books' quantity. Approving a
variance is one transaction: holds that no longer fit the counted stock are voided
first, then the COUNT movement to or from the facility's adjustment location is posted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.barcodes import WrongLot
from shelfwise.domain import counting as rules
from shelfwise.domain.classification import AbcCuts, classify_abc
from shelfwise.domain.counting import CountState, Tolerance
from shelfwise.domain.errors import InsufficientStock, InvalidInput, NotFound, Shortfall
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import PHYSICAL_KINDS, SELLABLE_KINDS, LocationKind
from shelfwise.services import catalog, count_scheduling
from shelfwise.services import floor_commands as fc
from shelfwise.services import holds as hold_cmds
from shelfwise.services.context import Context
from shelfwise.services.reallocation import reallocate_lost_holds
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.counting_tables import advance, count_results, count_tasks, item_classes
from shelfwise.storage.tables import (
    balances,
    facilities,
    holds,
    items,
    locations,
    movement_lines,
    movements,
    stock_levels,
)

Scope = frozenset[int] | None
COUNTED_KINDS = (LocationKind.STORAGE, LocationKind.PICK_FACE)


# ------------------------------------------------------------------ ABC classes


def classify_items(
    ctx: Context, *, owner_id: int, facility_id: int, since: datetime, until: datetime,
    basis: str = "units", cuts: AbcCuts = AbcCuts(), scope: Scope = None,
) -> list[dict[str, Any]]:
    """Rank the owner's items at a facility by what was picked and shipped from it in
    ``[since, until)`` and store their ABC class (replacing the previous one).

    The sum is one grouped query over movement lines; items that did not move are C.
    """
    fc.check_owner(scope, owner_id)
    if basis not in ("units", "value"):
        raise InvalidInput("basis must be 'units' or 'value'", code="invalid_basis")
    if since >= until:
        raise InvalidInput("the window must end after it starts", code="invalid_window")
    ml, m, loc = movement_lines, movements, locations
    weight = ml.c.qty if basis == "units" else ml.c.qty * items.c.unit_cost_cents
    moved = (
        sa.select(ml.c.item_id, sa.func.sum(weight).label("moved"))
        .join(m, m.c.id == ml.c.movement_id)
        .join(loc, loc.c.id == ml.c.from_location_id)
        .join(items, items.c.id == ml.c.item_id)
        .where(ml.c.owner_id == owner_id, loc.c.facility_id == facility_id,
               m.c.type.in_([MovementType.SHIP.value, MovementType.PICK.value]),
               m.c.created_at >= since, m.c.created_at < until)
        .group_by(ml.c.item_id)
        .subquery()
    )
    stmt = (sa.select(items.c.id, items.c.sku, sa.func.coalesce(moved.c.moved, 0).label("moved"))
            .outerjoin(moved, moved.c.item_id == items.c.id)
            .where(items.c.owner_id == owner_id).order_by(items.c.id))
    now = ctx.now()
    with ctx.write() as conn:
        catalog_facility(conn, facility_id)
        rows = cs.rows(conn, stmt)
        classes = classify_abc([int(r["moved"]) for r in rows], cuts)
        conn.execute(sa.delete(item_classes).where(item_classes.c.owner_id == owner_id,
                                                   item_classes.c.facility_id == facility_id))
        out = [{"owner_id": owner_id, "item_id": r["id"], "facility_id": facility_id,
                "abc_class": c, "basis": basis, "moved": int(r["moved"]),
                "window_start": since, "window_end": until, "computed_at": now}
               for r, c in zip(rows, classes, strict=True)]
        if out:
            conn.execute(sa.insert(item_classes), out)
    return [{**o, "sku": r["sku"]} for o, r in zip(out, rows, strict=True)]


def catalog_facility(conn: Connection, facility_id: int) -> None:
    if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id)).first() \
            is None:
        raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")


# ------------------------------------------------------------------ schedule


def _location_classes(conn: Connection, owner_id: int, facility_id: int) -> dict[int, str]:
    """Each storage/pick-face location holding the owner's stock, with the class of its
    most important item (unclassified items count as C)."""
    b = balances
    rows = conn.execute(
        sa.select(b.c.location_id, sa.func.coalesce(item_classes.c.abc_class, "C"))
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(item_classes, sa.and_(item_classes.c.owner_id == b.c.owner_id,
                                         item_classes.c.item_id == b.c.item_id,
                                         item_classes.c.facility_id == b.c.facility_id))
        .where(b.c.owner_id == owner_id, b.c.facility_id == facility_id, b.c.qty > 0,
               locations.c.kind.in_([k.value for k in COUNTED_KINDS]))
    ).all()
    found: dict[int, list[str]] = defaultdict(list)
    for loc_id, cls in rows:
        found[loc_id].append(cls)
    return {loc_id: rules.location_class(cs_) for loc_id, cs_ in found.items()}


def count_plan(
    ctx: Context, *, owner_id: int, facility_id: int, start: date, days: int,
    frequencies: Mapping[str, int] | None = None, scope: Scope = None,
) -> list[dict[str, Any]]:
    """The daily count plan: per day, the locations due (read-only)."""
    fc.check_owner(scope, owner_id)
    if not 1 <= days <= 366:
        raise InvalidInput("plan 1..366 days", code="invalid_days")
    freq = rules.frequencies(frequencies)
    with ctx.read() as conn:
        classes = _location_classes(conn, owner_id, facility_id)
    plan = rules.count_schedule(sorted(classes.items()), freq, start, days)
    return [{"date": d.isoformat(), "location_ids": sorted(ids), "count": len(ids)}
            for d, ids in sorted(plan.items())]


def create_scheduled_tasks(
    ctx: Context, *, owner_id: int, facility_id: int, day: date,
    frequencies: Mapping[str, int] | None = None, tolerance: Tolerance = Tolerance(),
    anchor: date | None = None, scope: Scope = None,
) -> list[dict[str, Any]]:
    """Create the count tasks due on ``day`` by the schedule anchored at ``anchor``
    (default: 1 January of that year, so the plan is the same whenever it is asked)."""
    fc.check_owner(scope, owner_id)
    anchor = anchor or date(day.year, 1, 1)
    if day < anchor:
        raise InvalidInput("day is before the schedule's anchor", code="invalid_days")
    freq = rules.frequencies(frequencies)
    with ctx.read() as conn:
        classes = _location_classes(conn, owner_id, facility_id)
    span = (day - anchor).days + 1
    due = rules.count_schedule(sorted(classes.items()), freq, anchor, span)[day]
    if not due:
        return []
    return create_count_tasks(ctx, owner_id=owner_id, location_ids=due, tolerance=tolerance,
                              due_date=day, scope=scope)


# ------------------------------------------------------------------ tasks


def create_count_tasks(
    ctx: Context, *, owner_id: int, location_ids: Sequence[int],
    tolerance: Tolerance = Tolerance(), due_date: date | None = None, scope: Scope = None,
) -> list[dict[str, Any]]:
    """One count task per location for the owner. A location that already has an
    open task for the owner gets that task back instead of a second one."""
    fc.check_owner(scope, owner_id)
    if not location_ids or len(location_ids) > 1000:
        raise InvalidInput("name 1..1000 locations", code="invalid_locations")
    now = ctx.now()
    ids: list[int] = []
    with ctx.write() as conn:
        for loc_id in dict.fromkeys(location_ids):
            loc = fc.location(conn, ctx, loc_id)
            if loc.kind not in PHYSICAL_KINDS:
                raise InvalidInput(f"location {loc_id} is virtual; count physical locations",
                                   code="wrong_location_kind")
            ids.append(count_scheduling.open_task(conn, owner_id, loc.facility_id, loc_id,
                                                 tolerance, due_date, now))
    return [get_count_task(ctx, i, scope) for i in ids]


_BLIND_COLUMNS = (
    count_tasks.c.id, count_tasks.c.owner_id, count_tasks.c.facility_id,
    count_tasks.c.location_id, locations.c.code.label("location_code"),
    locations.c.barcode.label("location_barcode"), count_tasks.c.kind, count_tasks.c.parent_id,
    count_tasks.c.state, count_tasks.c.due_date, count_tasks.c.created_at,
    count_tasks.c.counted_at, count_tasks.c.counted_by,
)


def get_count_task(ctx: Context, task_id: int, scope: Scope) -> dict[str, Any]:
    """The counter's view of a task: where to count, never what the books expect."""
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(*_BLIND_COLUMNS)
                     .join(locations, locations.c.id == count_tasks.c.location_id)
                     .where(count_tasks.c.id == task_id))
    if row is None or not fc.in_scope(scope, row["owner_id"]):
        raise NotFound(f"count task {task_id} does not exist", code="count_task_not_found")
    return row


def list_count_tasks(ctx: Context, scope: Scope, *, facility_id: int | None = None,
                     state: str | None = None, limit: int = 50,
                     offset: int = 0) -> list[dict[str, Any]]:
    stmt = (sa.select(*_BLIND_COLUMNS)
            .join(locations, locations.c.id == count_tasks.c.location_id)
            .order_by(count_tasks.c.due_date, locations.c.path_order, count_tasks.c.id)
            .limit(limit).offset(offset))
    if scope is not None:
        stmt = stmt.where(count_tasks.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(count_tasks.c.facility_id == facility_id)
    if state is not None:
        stmt = stmt.where(count_tasks.c.state == state)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def _task(conn: Connection, task_id: int, scope: Scope) -> dict[str, Any]:
    row = cs.one(conn, sa.select(count_tasks).where(count_tasks.c.id == task_id))
    if row is None or not fc.in_scope(scope, row["owner_id"]):
        raise NotFound(f"count task {task_id} does not exist", code="count_task_not_found")
    return row


# ------------------------------------------------------------------ counting


@dataclass(frozen=True)
class CountedLine:
    """What the counter reports: a scan of the product and how many they found."""

    scan: str
    qty: int
    lot: str | None = None


def submit_count(
    ctx: Context, task_id: int, *, location_scan: str, lines: Sequence[CountedLine],
    user: str = "", device: str = "", scope: Scope = None,
) -> dict[str, Any]:
    """Record a blind count. Returns only the task's new state (and the recount task when
    the first count was beyond tolerance), never the expected quantity."""
    with ctx.read() as conn:
        task = _task(conn, task_id, scope)
    rules.check_transition(task["state"], CountState.CLOSED, task_id)
    if len(lines) > 1000:
        raise InvalidInput("at most 1000 lines per count", code="too_many_lines")
    for n, ln in enumerate(lines):
        if isinstance(ln.qty, bool) or not isinstance(ln.qty, int) or not \
                0 <= ln.qty <= 1_000_000_000:
            raise InvalidInput(f"lines[{n}].qty must be a whole number >= 0",
                               code="invalid_quantity")
    owner_id = task["owner_id"]
    where = dict(task_type="count", task_id=task_id, owner_id=owner_id, user=user,
                 device=device)
    fc.check_location_scan(ctx, location_scan, task["location_id"], **where)
    counted: dict[tuple[int, str], int] = defaultdict(int)
    lot_tracked: dict[int, bool] = {}
    for ln in lines:
        item_id, scan = fc.scan_item(ctx, ln.scan, facility_id=task["facility_id"], **where)
        with ctx.read() as conn:
            lot_tracked.setdefault(item_id, cs.item_facts(conn, [item_id], ctx.cache)[item_id]
                                   .lot_tracked)
        lot = (ln.lot or scan.lot or "") if lot_tracked[item_id] else ""
        if lot_tracked[item_id] and not lot:
            raise fc.refuse(ctx, WrongLot("this item is lot-tracked: scan the GS1 label with "
                                          "its lot"), expected="lot", scanned=ln.scan,
                            facility_id=task["facility_id"], task_type="count",
                            task_id=task_id, owner_id=owner_id, user=user, device=device)
        counted[(item_id, lot)] += ln.qty
    tol = Tolerance(task["tolerance_units"], task["tolerance_bp"])
    now = ctx.now()

    def work(conn: Connection, _posted: list) -> dict[str, Any]:
        expected = {
            (r.item_id, r.lot): int(r.qty)
            for r in conn.execute(sa.select(balances.c.item_id, balances.c.lot, balances.c.qty)
                                  .where(balances.c.owner_id == owner_id,
                                         balances.c.location_id == task["location_id"],
                                         balances.c.qty != 0))
        }
        result = rules.compare(expected, counted)
        state = rules.outcome(result, tol, task["kind"] == "recount")
        if not advance(conn, count_tasks, task_id, [CountState.OPEN.value], state.value,
                       counted_at=now, counted_by=user[:64], device=device[:64]):
            raise fc.changed_meanwhile("count task", task_id, "invalid_count_state")
        if result:
            conn.execute(sa.insert(count_results), [{
                "task_id": task_id, "owner_id": owner_id, "item_id": r.item_id, "lot": r.lot,
                "expected_qty": r.expected, "counted_qty": r.counted,
                "within_tolerance": tol.allows(r.expected, r.counted), "created_at": now,
            } for r in result])
        out: dict[str, Any] = {"task_id": task_id, "state": state.value}
        if state == CountState.CLOSED:
            count_scheduling.answer_requests(conn, owner_id, task["location_id"])
        if state == CountState.RECOUNT_REQUESTED:
            out["recount_task_id"] = count_scheduling.insert_task(
                conn, owner_id, task["facility_id"], task["location_id"], "recount", task_id,
                tol, task["due_date"], now)
        ls.insert_events(conn, [{"topic": "count.submitted", "owner_id": owner_id,
                                 "created_at": now, "payload": json.dumps(out)}])
        return out

    return fc.run(ctx, work)


# ------------------------------------------------------------------ supervisor


def review_count(ctx: Context, task_id: int, scope: Scope) -> dict[str, Any]:
    """The supervisor's view: results with expected, counted and variance."""
    task = get_count_task(ctx, task_id, scope)
    with ctx.read() as conn:
        rows = cs.rows(conn, sa.select(
            count_results.c.item_id, items.c.sku, count_results.c.lot,
            count_results.c.expected_qty, count_results.c.counted_qty,
            count_results.c.within_tolerance,
        ).join(items, items.c.id == count_results.c.item_id)
         .where(count_results.c.task_id == task_id).order_by(count_results.c.id))
        extra = cs.one(conn, sa.select(count_tasks.c.tolerance_units, count_tasks.c.tolerance_bp,
                                       count_tasks.c.decided_by, count_tasks.c.decided_at,
                                       count_tasks.c.movement_id)
                       .where(count_tasks.c.id == task_id))
    for r in rows:
        r["variance"] = r["counted_qty"] - r["expected_qty"]
    return {**task, **(extra or {}), "results": rows}


def approve_count(ctx: Context, task_id: int, *, user: str = "",
                  scope: Scope = None) -> dict[str, Any]:
    """Post the counted variance as a COUNT movement (reason ``count_variance``).

    In the same transaction, and before the movement: pending holds on the counted bin
    (and then facility-wide holds) that would exceed the stock left are voided, newest
    first, so a shortage found by a count releases promises instead of failing.
    """
    now = ctx.now()

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        task = _task(conn, task_id, scope)
        rules.check_transition(task["state"], CountState.APPROVED, task_id)
        if not advance(conn, count_tasks, task_id, [CountState.AWAITING_APPROVAL.value],
                       CountState.APPROVED.value, decided_at=now, decided_by=user[:64]):
            raise fc.changed_meanwhile("count task", task_id, "invalid_count_state")
        owner_id, loc_id = task["owner_id"], task["location_id"]
        loc = fc.location(conn, ctx, loc_id)
        adjustment = fc.virtual(conn, loc.facility_id, LocationKind.ADJUSTMENT)
        results = [r for r in cs.rows(conn, sa.select(count_results)
                                      .where(count_results.c.task_id == task_id)
                                      .order_by(count_results.c.id))
                   if r["counted_qty"] != r["expected_qty"]]
        voided: list[int] = []
        lines = []
        for r in results:
            variance = r["counted_qty"] - r["expected_qty"]
            if variance < 0:
                voided += _make_room(ctx, conn, owner_id, r["item_id"], loc, r["lot"], -variance)
                lines.append(LineCommand(r["item_id"], loc_id, adjustment, -variance, r["lot"]))
            else:
                if r["lot"]:
                    catalog.ensure_lot(ctx, conn, owner_id, r["item_id"], r["lot"], None)
                lines.append(LineCommand(r["item_id"], adjustment, loc_id, variance, r["lot"]))
        movement_id = None
        if lines:
            movement_id = fc.post(ctx, conn, posted, MovementCommand(
                owner_id=owner_id, type=MovementType.COUNT, lines=tuple(lines),
                reason=rules.COUNT_REASON, document_type="count", document_id=str(task_id),
                user=user, idempotency_key=f"count-approve:{task_id}"))
            conn.execute(sa.update(count_tasks).where(count_tasks.c.id == task_id)
                         .values(movement_id=movement_id))
        moved_tasks = reallocate_lost_holds(ctx, conn, voided, now)
        count_scheduling.answer_requests(conn, owner_id, loc_id)
        out = {"task_id": task_id, "state": CountState.APPROVED.value,
               "movement_id": movement_id, "voided_holds": voided,
               "reallocated_tasks": moved_tasks}
        ls.insert_events(conn, [{"topic": "count.approved", "owner_id": owner_id,
                                 "created_at": now, "payload": json.dumps(out)}])
        return out

    return fc.run(ctx, work)


def _make_room(ctx: Context, conn: Connection, owner_id: int, item_id: int, loc,
               lot: str, short: int) -> list[int]:
    """Void the pending holds that would not fit once ``short`` units leave the bin."""
    row = conn.execute(sa.select(balances.c.qty, balances.c.allocated).where(
        balances.c.owner_id == owner_id, balances.c.item_id == item_id,
        balances.c.location_id == loc.id, balances.c.lot == lot)).first()
    have = int(row.qty) if row else 0
    if have < short:
        raise InsufficientStock([Shortfall(owner_id, item_id, loc.id, lot, short, have,
                                           loc.facility_id)])
    voided = []
    pending = holds.c.state == "pending"
    bin_holds = conn.execute(sa.select(holds.c.id, holds.c.qty).where(
        pending, holds.c.owner_id == owner_id, holds.c.item_id == item_id,
        holds.c.location_id == loc.id, holds.c.lot == lot).order_by(holds.c.id.desc())).all()
    for hold_id in rules.holds_to_void([(h.id, h.qty) for h in bin_holds],
                                       int(row.allocated), have - short):
        hold_cmds.void_hold_in(ctx, conn, hold_id, None)
        voided.append(hold_id)
    if loc.kind in SELLABLE_KINDS:
        lvl = conn.execute(sa.select(stock_levels.c.sellable, stock_levels.c.allocated).where(
            stock_levels.c.owner_id == owner_id, stock_levels.c.item_id == item_id,
            stock_levels.c.facility_id == loc.facility_id)).first()
        if lvl is not None:
            fac_holds = conn.execute(sa.select(holds.c.id, holds.c.qty).where(
                pending, holds.c.owner_id == owner_id, holds.c.item_id == item_id,
                holds.c.facility_id == loc.facility_id, holds.c.location_id.is_(None))
                .order_by(holds.c.id.desc())).all()
            for hold_id in rules.holds_to_void([(h.id, h.qty) for h in fac_holds],
                                               int(lvl.allocated), int(lvl.sellable) - short):
                hold_cmds.void_hold_in(ctx, conn, hold_id, None)
                voided.append(hold_id)
    return voided


def cancel_count(ctx: Context, task_id: int, *, user: str = "",
                 scope: Scope = None) -> dict[str, Any]:
    """Withdraw an open or unapproved count; nothing is posted."""
    now = ctx.now()

    def work(conn: Connection, _posted: list) -> dict[str, Any]:
        task = _task(conn, task_id, scope)
        rules.check_transition(task["state"], CountState.CANCELLED, task_id)
        if not advance(conn, count_tasks, task_id, [task["state"]], CountState.CANCELLED.value,
                       decided_at=now, decided_by=user[:64]):
            raise fc.changed_meanwhile("count task", task_id, "invalid_count_state")
        return {"task_id": task_id, "state": CountState.CANCELLED.value}

    return fc.run(ctx, work)


# ------------------------------------------------------------------ accuracy


def record_accuracy(
    ctx: Context, scope: Scope, *, owner_id: int | None = None,
    facility_id: int | None = None, since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Inventory record accuracy over the final counts (a first count that was
    recounted is replaced by its recount): by count lines and weighted by units."""
    r, t = count_results, count_tasks
    weight = sa.case((r.c.expected_qty >= r.c.counted_qty, r.c.expected_qty),
                     else_=r.c.counted_qty)
    ok = r.c.within_tolerance == sa.true()
    stmt = (sa.select(
        sa.func.count().label("counts"),
        sa.func.coalesce(sa.func.sum(sa.case((ok, 1), else_=0)), 0).label("within"),
        sa.func.coalesce(sa.func.sum(weight), 0).label("units"),
        sa.func.coalesce(sa.func.sum(sa.case((ok, weight), else_=0)), 0).label("units_within"),
    ).join(t, t.c.id == r.c.task_id)
        .where(t.c.state.in_([s.value for s in rules.FINAL_STATES])))
    if scope is not None:
        stmt = stmt.where(r.c.owner_id.in_(list(scope)))
    if owner_id is not None:
        stmt = stmt.where(r.c.owner_id == owner_id)
    if facility_id is not None:
        stmt = stmt.where(t.c.facility_id == facility_id)
    if since is not None:
        stmt = stmt.where(r.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(r.c.created_at < until)
    with ctx.read() as conn:
        row = conn.execute(stmt).one()
    acc = rules.Accuracy(int(row.counts), int(row.within), int(row.units),
                         int(row.units_within))
    return {"counts": acc.counts, "counts_within": acc.counts_within, "units": acc.units,
            "units_within": acc.units_within, "ira_by_counts": acc.by_counts,
            "ira_by_units": acc.by_units}



def list_item_classes(ctx: Context, scope: Scope, *, owner_id: int | None = None,
                      facility_id: int | None = None, limit: int = 100,
                      offset: int = 0) -> list[dict[str, Any]]:
    c = item_classes
    stmt = (sa.select(c, items.c.sku).join(items, items.c.id == c.c.item_id)
            .order_by(c.c.facility_id, c.c.abc_class, c.c.moved.desc(), c.c.item_id)
            .limit(limit).offset(offset))
    if scope is not None:
        stmt = stmt.where(c.c.owner_id.in_(list(scope)))
    if owner_id is not None:
        stmt = stmt.where(c.c.owner_id == owner_id)
    if facility_id is not None:
        stmt = stmt.where(c.c.facility_id == facility_id)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)
