"""Waves and picking: release allocated orders to the floor, list pick tasks along the
walking path, confirm picks by scanning the bin and the product.

A confirmed pick posts the task's hold (``holds.post_hold_in``): the units move from
the bin to the wave's staging location in the same transaction that closes the task
and updates the order line. A refused scan is recorded as a scan exception and
nothing moves. A short pick posts what was found (the rest of the hold is released),
raises a count request for the bin and tries to re-allocate the missing units from
other bins, in the same wave.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.barcodes import ScanError, match_item_scan, parse_scan
from shelfwise.domain.counting import Tolerance
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.orders import OrderState, check_transition, picking_done_state
from shelfwise.domain.picking import (
    SEQUENTIAL,
    SequentialPath,
    SerpentinePath,
    TaskState,
    TaskStop,
    WaveOrder,
    WaveRules,
    WaveState,
    check_location_scan,
    check_task_transition,
    check_wave_transition,
    plan_waves,
    short_pick,
    walk,
    wave_state_after,
)
from shelfwise.services import count_scheduling, holds, scans
from shelfwise.services.context import Context
from shelfwise.services.orders import Allocator, LineNeed, Scope, _in_scope, transact
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.outbound_tables import (
    count_requests,
    order_lines,
    orders,
    pick_tasks,
    waves,
)
from shelfwise.storage.tables import item_gtins, items, locations, lots

# -- waves -----------------------------------------------------------------------------


def create_waves(
    ctx: Context,
    facility_id: int,
    *,
    order_ids: Sequence[int] | None = None,
    carrier: str | None = None,
    cutoff_before: datetime | None = None,
    allow_partial: bool = False,
    rules: WaveRules = WaveRules(),
    staging_location_id: int | None = None,
    scope: Scope = None,
    user: str = "",
) -> list[dict[str, Any]]:
    """Release allocated orders in waves (one transaction). Orders are grouped by
    carrier and cut-off and capped by ``rules``; their pick tasks join the wave."""
    now = ctx.now()
    eligible = [OrderState.ALLOCATED.value] + (
        [OrderState.PARTIALLY_ALLOCATED.value] if allow_partial else [])

    def run(conn: Connection) -> list[int]:
        staging = _staging(conn, facility_id, staging_location_id)
        stmt = (sa.select(orders.c.id, orders.c.owner_id, orders.c.carrier, orders.c.cutoff_at,
                          orders.c.priority, orders.c.created_at, orders.c.state)
                .where(orders.c.facility_id == facility_id, orders.c.wave_id.is_(None),
                       orders.c.state.in_(eligible)))
        if order_ids is not None:
            stmt = stmt.where(orders.c.id.in_(list(order_ids)))
        if scope is not None:
            stmt = stmt.where(orders.c.owner_id.in_(list(scope)))
        if carrier is not None:
            stmt = stmt.where(orders.c.carrier == carrier)
        if cutoff_before is not None:
            stmt = stmt.where(orders.c.cutoff_at <= cutoff_before)
        if conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        found = conn.execute(stmt.order_by(orders.c.id)).all()
        if order_ids is not None and len(found) != len(set(order_ids)):
            missing = sorted(set(order_ids) - {r.id for r in found})
            raise Conflict(f"order {missing[0]} cannot be waved (unknown, already waved or "
                           "not allocated)", code="order_not_wavable", order_ids=missing)
        counts = dict(conn.execute(
            sa.select(pick_tasks.c.order_id, sa.func.count())
            .where(pick_tasks.c.order_id.in_([r.id for r in found]),
                   pick_tasks.c.state == TaskState.OPEN.value)
            .group_by(pick_tasks.c.order_id)).all()) if found else {}
        meta = {r.id: r for r in found}
        plan = plan_waves([WaveOrder(r.id, r.carrier, r.cutoff_at, r.priority,
                                     counts.get(r.id, 0), r.created_at) for r in found], rules)
        wave_ids = []
        for group in plan:
            first = meta[group[0]]
            wid = conn.execute(sa.insert(waves).returning(waves.c.id), {
                "facility_id": facility_id, "state": WaveState.RELEASED.value,
                "carrier": first.carrier, "cutoff_at": first.cutoff_at,
                "staging_location_id": staging, "created_by": user, "created_at": now,
                "updated_at": now,
            }).scalar_one()
            for oid in group:
                check_transition(OrderState(meta[oid].state), OrderState.WAVED, oid)
            n = conn.execute(sa.update(orders).where(orders.c.id.in_(group),
                                                      orders.c.wave_id.is_(None),
                                                      orders.c.state.in_(eligible))
                             .values(wave_id=wid, state=OrderState.WAVED.value,
                                     updated_at=now)).rowcount
            if n != len(group):
                raise Conflict("an order changed while waving; try again",
                               code="order_changed")
            conn.execute(sa.update(pick_tasks).where(pick_tasks.c.order_id.in_(group),
                                                     pick_tasks.c.state == TaskState.OPEN.value)
                         .values(wave_id=wid))
            wave_ids.append(wid)
        ls.insert_events(conn, [{"topic": "wave.released", "owner_id": None, "created_at": now,
                                 "payload": json.dumps({"wave_id": w})} for w in wave_ids])
        return wave_ids

    ids = transact(ctx, run)
    return [get_wave(ctx, w, scope) for w in ids]


def _staging(conn: Connection, facility_id: int, location_id: int | None) -> int:
    stmt = sa.select(locations.c.id, locations.c.facility_id).where(
        locations.c.kind == LocationKind.STAGING.value, locations.c.active == sa.true())
    if location_id is not None:
        row = conn.execute(stmt.where(locations.c.id == location_id)).first()
        if row is None or row.facility_id != facility_id:
            raise InvalidInput(f"location {location_id} is not a staging location of facility "
                               f"{facility_id}", code="not_staging")
        return row.id
    row = conn.execute(stmt.where(locations.c.facility_id == facility_id)
                       .order_by(locations.c.path_order, locations.c.id).limit(1)).first()
    if row is None:
        raise InvalidInput(f"facility {facility_id} has no staging location",
                           code="no_staging_location")
    return row.id


def get_wave(ctx: Context, wave_id: int, scope: Scope = None) -> dict[str, Any]:
    with ctx.read() as conn:
        w = conn.execute(sa.select(waves).where(waves.c.id == wave_id)).first()
        if w is None:
            raise NotFound(f"wave {wave_id} does not exist", code="wave_not_found")
        stmt = sa.select(pick_tasks.c.state, sa.func.count(), sa.func.sum(pick_tasks.c.qty)
                         ).where(pick_tasks.c.wave_id == wave_id).group_by(pick_tasks.c.state)
        ostmt = sa.select(orders.c.id).where(orders.c.wave_id == wave_id).order_by(orders.c.id)
        if scope is not None:
            stmt = stmt.where(pick_tasks.c.owner_id.in_(list(scope)))
            ostmt = ostmt.where(orders.c.owner_id.in_(list(scope)))
        tasks = {r[0]: {"tasks": r[1], "units": int(r[2] or 0)} for r in conn.execute(stmt)}
        order_ids = list(conn.execute(ostmt).scalars())
    if scope is not None and not order_ids:
        raise NotFound(f"wave {wave_id} does not exist", code="wave_not_found")
    return {**dict(w._mapping), "tasks": tasks, "order_ids": order_ids}


# -- pick lists ------------------------------------------------------------------------


def list_pick_tasks(
    ctx: Context, wave_id: int, scope: Scope = None, *, zone_id: int | None = None,
    state: str | None = TaskState.OPEN.value,
    path: SequentialPath | SerpentinePath = SEQUENTIAL,
) -> list[dict[str, Any]]:
    """A wave's pick tasks in walking order, with what the picker must scan."""
    t = pick_tasks
    stmt = (sa.select(t, locations.c.code.label("location_code"),
                      locations.c.barcode.label("location_barcode"), items.c.sku,
                      items.c.description, lots.c.expiry)
            .join(locations, locations.c.id == t.c.location_id)
            .join(items, items.c.id == t.c.item_id)
            .outerjoin(lots, sa.and_(lots.c.item_id == t.c.item_id, lots.c.code == t.c.lot))
            .where(t.c.wave_id == wave_id))
    if scope is not None:
        stmt = stmt.where(t.c.owner_id.in_(list(scope)))
    if zone_id is not None:
        stmt = stmt.where(t.c.zone_id == zone_id)
    if state is not None:
        stmt = stmt.where(t.c.state == state)
    with ctx.read() as conn:
        rows = {r["id"]: r for r in ls.as_dicts(conn.execute(stmt))}
        gt: dict[int, list[str]] = defaultdict(list)
        if rows:
            for item_id, gtin in conn.execute(
                    _GTINS, {"ids": sorted({x["item_id"] for x in rows.values()})}):
                gt[item_id].append(gtin)
    order = walk((TaskStop(r["id"], r["path_order"], r["lot"]) for r in rows.values()), path)
    out = []
    for i, tid in enumerate(order, 1):
        r = rows[tid]
        r["sequence"] = i
        r["gtins"] = gt[r["item_id"]]
        out.append(r)
    return out


# -- confirming picks ------------------------------------------------------------------


@dataclass(frozen=True)
class PickConfirm:
    """One confirmed pick: the bin scanned, the product scanned and how many were found
    (``None`` = the task's full quantity). With ``qty=0`` (empty bin) no product scan
    is needed."""

    task_id: int
    location_scan: str
    item_scan: str = ""
    qty: int | None = None
    idempotency_key: str | None = None


_TASKS = (
    sa.select(pick_tasks, locations.c.barcode.label("location_barcode"),
              locations.c.facility_id, lots.c.expiry,
              waves.c.staging_location_id, orders.c.number.label("order_number"))
    .join(locations, locations.c.id == pick_tasks.c.location_id)
    .join(orders, orders.c.id == pick_tasks.c.order_id)
    .outerjoin(waves, waves.c.id == pick_tasks.c.wave_id)
    .outerjoin(lots, sa.and_(lots.c.item_id == pick_tasks.c.item_id,
                             lots.c.code == pick_tasks.c.lot))
    .where(pick_tasks.c.id.in_(sa.bindparam("ids", expanding=True)))
)
_GTINS = sa.select(item_gtins.c.item_id, item_gtins.c.gtin).where(
    item_gtins.c.item_id.in_(sa.bindparam("ids", expanding=True)))


def _load_tasks(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = {r["id"]: r for r in ls.as_dicts(conn.execute(_TASKS, {"ids": list(ids)}))}
    gt: dict[int, set[str]] = defaultdict(set)
    if rows:
        for item_id, gtin in conn.execute(
                _GTINS, {"ids": sorted({x["item_id"] for x in rows.values()})}):
            gt[item_id].add(gtin)
    for r in rows.values():
        r["gtins"] = gt[r["item_id"]]
    return rows


def _refuse(ctx: Context, task: dict[str, Any], err: ScanError, scanned: str, expected: str,
            user: str, device: str) -> None:
    scans.record_exception(
        ctx, code=err.code, message=err.message, task_type="pick", task_id=task["id"],
        expected=expected, scanned=scanned, owner_id=task["owner_id"],
        facility_id=task["facility_id"], user=user, device=device)


def _check_scans(ctx: Context, task: dict[str, Any], c: PickConfirm, user: str,
                 device: str, today: date) -> int:
    """Validate one confirmation's scans; record and raise the first refusal."""
    found = task["qty"] if c.qty is None else c.qty
    short_pick(task["qty"], found)
    try:
        check_location_scan(parse_scan(c.location_scan), task["location_barcode"])
    except ScanError as e:
        _refuse(ctx, task, e, c.location_scan, task["location_barcode"], user, device)
        raise
    if found == 0 and not c.item_scan:
        return 0
    try:
        match_item_scan(parse_scan(c.item_scan), task["gtins"], task["lot"] or None,
                        task["expiry"], today)
    except ScanError as e:
        expected = f"{sorted(task['gtins'])} lot {task['lot'] or '-'}"
        _refuse(ctx, task, e, c.item_scan, expected, user, device)
        raise
    return found


def confirm_picks(
    ctx: Context, confirms: Sequence[PickConfirm], *, scope: Scope = None, user: str = "",
    device: str = "",
) -> list[dict[str, Any]]:
    """Confirm a picker's batch in one transaction: all move, or (on any refused scan)
    none does. A task confirmed again with the same quantity is a replay."""
    if not confirms:
        return []
    ids = [c.task_id for c in confirms]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a task appears twice in the batch", code="duplicate_task")
    with ctx.read() as conn:
        tasks = _load_tasks(conn, ids)
    found: dict[int, int] = {}
    replays: dict[int, dict[str, Any]] = {}
    today = ctx.now().date()
    for c in confirms:
        task = tasks.get(c.task_id)
        if task is None or not _in_scope(scope, task["owner_id"]):
            raise NotFound(f"pick task {c.task_id} does not exist", code="task_not_found")
        if task["wave_id"] is None:
            raise Conflict(f"pick task {c.task_id} is not released in a wave",
                           code="task_not_released")
        if task["state"] != TaskState.OPEN.value:
            replays[c.task_id] = _replay(task, c)
            continue
        found[c.task_id] = _check_scans(ctx, task, c, user, device, today)
    todo = sorted((c for c in confirms if c.task_id in found),
                  key=lambda c: (tasks[c.task_id]["owner_id"], tasks[c.task_id]["item_id"],
                                 tasks[c.task_id]["location_id"], tasks[c.task_id]["lot"]))
    results: dict[int, dict[str, Any]] = dict(replays)
    if todo:
        results.update(transact(ctx, lambda conn: _post_picks(ctx, conn, todo, tasks, found,
                                                              user, device)))
    for c in todo:
        r = results[c.task_id]
        if r["short"]:
            t = tasks[c.task_id]
            scans.record_exception(
                ctx, code="short_pick", message=f"found {r['picked_qty']} of {t['qty']}",
                task_type="pick", task_id=t["id"], expected=str(t["qty"]),
                scanned=str(r["picked_qty"]), owner_id=t["owner_id"],
                facility_id=t["facility_id"], user=user, device=device)
    return [results[c.task_id] for c in confirms]


def confirm_pick(ctx: Context, task_id: int, location_scan: str, item_scan: str = "",
                 qty: int | None = None, *, scope: Scope = None, user: str = "",
                 device: str = "", idempotency_key: str | None = None) -> dict[str, Any]:
    return confirm_picks(ctx, [PickConfirm(task_id, location_scan, item_scan, qty,
                                           idempotency_key)],
                         scope=scope, user=user, device=device)[0]


def _replay(task: dict[str, Any], c: PickConfirm) -> dict[str, Any]:
    want = task["qty"] if c.qty is None else c.qty
    if task["state"] in (TaskState.PICKED.value, TaskState.SHORT.value) \
            and task["picked_qty"] == want:
        return {"task_id": task["id"], "state": task["state"], "picked_qty": want,
                "movement_id": task["movement_id"], "short": False, "reallocated": [],
                "replayed": True}
    check_task_transition(TaskState(task["state"]), TaskState.PICKED, task["id"])
    raise AssertionError("unreachable")


_CLAIM_TASKS = (
    sa.update(pick_tasks)
    .where(pick_tasks.c.id.in_(sa.bindparam("ids", expanding=True)),
           pick_tasks.c.state == TaskState.OPEN.value)
    .values(state=sa.bindparam("new_state"))
)
_TASK_PICKED = ("UPDATE pick_tasks SET picked_qty = :qty, movement_id = :mv, picked_by = :by,"
                " picked_at = :at WHERE id = :id")
_LINE_PICKED = ("UPDATE order_lines SET allocated = allocated + :a, picked = picked + :p,"
                " backordered = backordered + :b WHERE id = :id")


def _post_picks(ctx: Context, conn: Connection, todo: Sequence[PickConfirm],
                tasks: dict[int, dict[str, Any]], found: dict[int, int], user: str,
                device: str) -> dict[int, dict[str, Any]]:
    now = ctx.now()
    out: dict[int, dict[str, Any]] = {}
    line_deltas: list[dict[str, int]] = []
    shorts: list[tuple[dict[str, Any], int, LineNeed]] = []
    task_updates = []
    at = ls.db_time(conn, now)
    by_state: dict[TaskState, list[int]] = defaultdict(list)
    for c in todo:
        t = tasks[c.task_id]
        by_state[TaskState.PICKED if found[t["id"]] == t["qty"] else TaskState.SHORT].append(
            t["id"])
    for state, tids in by_state.items():
        # conditional: a task confirmed concurrently by another picker is not taken twice
        if conn.execute(_CLAIM_TASKS, {"ids": tids, "new_state": state.value}
                        ).rowcount != len(tids):
            raise Conflict("a pick task in the batch was confirmed by someone else",
                           code="invalid_task_state")
    posting = [c for c in todo if found[c.task_id]]
    posted = holds.post_holds_in(ctx, conn, [holds.HoldPost(
        tasks[c.task_id]["hold_id"], found[c.task_id], tasks[c.task_id]["staging_location_id"],
        user=user, device=device, scans=(c.location_scan, c.item_scan),
        movement_type=MovementType.PICK, idempotency_key=c.idempotency_key)
        for c in posting], None) if posting else []
    movement_of = {c.task_id: r["movement_id"] for c, r in zip(posting, posted, strict=True)}
    for c in todo:
        t, got = tasks[c.task_id], found[c.task_id]
        if not got:
            holds.void_hold_in(ctx, conn, t["hold_id"], None)
        movement_id = movement_of.get(t["id"])
        state = TaskState.PICKED if got == t["qty"] else TaskState.SHORT
        task_updates.append({"id": t["id"], "qty": got, "mv": movement_id, "by": user,
                             "at": at})
        out[t["id"]] = {"task_id": t["id"], "state": state.value, "picked_qty": got,
                        "movement_id": movement_id, "short": got < t["qty"],
                        "reallocated": [], "replayed": False}
        if got < t["qty"]:
            need = LineNeed(t["order_id"], t["order_number"], t["order_line_id"], t["owner_id"],
                            t["item_id"], t["facility_id"], t["qty"] - got, t["wave_id"],
                            frozenset({t["location_id"]}))
            shorts.append((t, got, need))
        else:
            line_deltas.append({"id": t["order_line_id"], "a": -t["qty"], "p": got, "b": 0})
    ls.executemany(conn, _TASK_PICKED, task_updates)
    if shorts:
        line_deltas += _handle_shorts(ctx, conn, shorts, out, now)
    ls.executemany(conn, _LINE_PICKED, line_deltas)
    _advance(conn, {tasks[c.task_id]["order_id"] for c in todo},
             {tasks[c.task_id]["wave_id"] for c in todo}, now)
    return out


def _handle_shorts(ctx: Context, conn: Connection,
                   shorts: list[tuple[dict[str, Any], int, LineNeed]],
                   out: dict[int, dict[str, Any]], now: datetime) -> list[dict[str, int]]:
    """Count the bin that came up short (a count task due today, one per bin and owner,
    answering the recorded count request), and try other bins for the missing units."""
    conn.execute(sa.insert(count_requests), [
        {"owner_id": t["owner_id"], "facility_id": t["facility_id"],
         "location_id": t["location_id"], "item_id": t["item_id"], "lot": t["lot"],
         "reason": "short_pick", "source": f"pick_task:{t['id']}", "state": "open",
         "created_at": now}
        for t, _, _ in shorts])
    for t, _, _ in shorts:
        out[t["id"]]["count_task_id"] = count_scheduling.open_task(
            conn, t["owner_id"], t["facility_id"], t["location_id"], Tolerance(), now.date(),
            now)
    allocator = Allocator(ctx, conn)
    allocator.run([n for _, _, n in shorts])
    by_line: dict[int, list[int]] = defaultdict(list)
    for task in allocator.tasks:
        by_line[task["order_line_id"]].append(task["qty"])
    deltas = []
    for t, got, n in shorts:
        out[t["id"]]["reallocated"] = [
            {"location_id": x["location_id"], "lot": x["lot"], "qty": x["qty"]}
            for x in allocator.tasks if x["order_line_id"] == t["order_line_id"]]
        missing = t["qty"] - got
        deltas.append({"id": t["order_line_id"], "a": -t["qty"] + n.got, "p": got,
                       "b": missing - n.got})
    return deltas


_OPEN_TASK_OF_ORDER = (
    sa.select(pick_tasks.c.id)
    .where(pick_tasks.c.order_id == orders.c.id, pick_tasks.c.state == TaskState.OPEN.value)
    .exists()
)
_UNITS_PICKED = (
    sa.select(sa.func.coalesce(sa.func.sum(order_lines.c.picked), 0))
    .where(order_lines.c.order_id == orders.c.id).scalar_subquery()
)
_ORDERS_ALL_PICKED = sa.select(orders.c.id, orders.c.state, _UNITS_PICKED).where(
    orders.c.id.in_(sa.bindparam("ids", expanding=True)),
    orders.c.state == OrderState.WAVED.value, ~_OPEN_TASK_OF_ORDER)
_ORDERS_TO = (
    sa.update(orders).where(orders.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(state=sa.bindparam("state"), updated_at=sa.bindparam("now"))
)
_ORDERS_OUT_OF_WAVE = (
    sa.update(orders).where(orders.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(state=OrderState.BACKORDERED.value, wave_id=None, updated_at=sa.bindparam("now"))
)
_WAVE_TASK_STATES = (
    sa.select(waves.c.id, waves.c.state, pick_tasks.c.state)
    .join(pick_tasks, pick_tasks.c.wave_id == waves.c.id)
    .where(waves.c.id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(waves.c.id, waves.c.state, pick_tasks.c.state)
)


def _advance(conn: Connection, order_ids: set[int], wave_ids: set[int], now: datetime) -> None:
    """Waved orders with no open task left are done picking; waves follow their tasks."""
    settle_picked_orders(conn, order_ids, now)
    follow_waves(conn, wave_ids, now)


def settle_picked_orders(conn: Connection, order_ids: set[int], now: datetime) -> None:
    """Each waved order with no open pick task takes :func:`picking_done_state`: picked
    when any unit was picked, else backordered and out of its wave (allocation may try
    it again when stock arrives)."""
    if not order_ids:
        return
    done = sorted(conn.execute(_ORDERS_ALL_PICKED, {"ids": sorted(order_ids)}).all())
    to: dict[OrderState, list[int]] = defaultdict(list)
    for oid, st, units in done:
        target = picking_done_state(int(units))
        check_transition(OrderState(st), target, oid)
        to[target].append(oid)
    if to[OrderState.PICKED]:
        conn.execute(_ORDERS_TO, {"ids": to[OrderState.PICKED], "now": now,
                                  "state": OrderState.PICKED.value})
    if to[OrderState.BACKORDERED]:
        conn.execute(_ORDERS_OUT_OF_WAVE, {"ids": to[OrderState.BACKORDERED], "now": now})


def follow_waves(conn: Connection, wave_ids: set[int], now: datetime) -> None:
    """Each wave takes the state its tasks' states imply (after picks or re-allocation)."""
    current: dict[int, WaveState] = {}
    states: dict[int, list[TaskState]] = defaultdict(list)
    for wid, wave_state, task_state in conn.execute(_WAVE_TASK_STATES,
                                                     {"ids": sorted(wave_ids)}):
        current[wid] = WaveState(wave_state)
        states[wid].append(TaskState(task_state))
    for wid in sorted(current):
        target = wave_state_after(states[wid])
        if target != current[wid]:
            check_wave_transition(current[wid], target, wid)
            conn.execute(sa.update(waves).where(waves.c.id == wid)
                         .values(state=target.value, updated_at=now))


def list_count_requests(ctx: Context, scope: Scope = None, facility_id: int | None = None,
                        state: str | None = "open", limit: int = 100, offset: int = 0
                        ) -> list[dict[str, Any]]:
    stmt = sa.select(count_requests).order_by(count_requests.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(count_requests.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(count_requests.c.facility_id == facility_id)
    if state is not None:
        stmt = stmt.where(count_requests.c.state == state)
    with ctx.read() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
