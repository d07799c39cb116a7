"""Putaway commands: make tasks for received stock, confirm them by scanning, cancel;
and the fixed pick-face assignment that the putaway rules (and replenishment) read.

A task is created per (item, lot, dock) of good units a receipt brought in and no task
covers yet, with a suggestion from the rule chain in :mod:`shelfwise.domain.putaway`.
Confirming moves units dock -> destination and updates the task in one transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.barcodes import match_item_scan, parse_scan
from shelfwise.domain import putaway as pd
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import SELLABLE_KINDS, LocationKind
from shelfwise.services import ledger, receiving
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.counting_tables import pick_face_settings as item_pick_faces
from shelfwise.storage.receiving_tables import putaway_tasks
from shelfwise.storage.tables import balances, item_gtins, items, locations, lots, movement_lines
from shelfwise.storage.tables import movements as movements_t

Scope = frozenset[int] | None
Rules = Sequence[tuple[str, pd.Rule]]


# ---------------------------------------------------------------- pick faces


def assign_pick_face(
    ctx: Context, *, owner_id: int, item_id: int, facility_id: int, location_id: int,
    min_qty: int, max_qty: int, scope: Scope = None,
) -> dict[str, Any]:
    """Give an item its fixed pick face in a facility (replacing an earlier one)."""
    if isinstance(min_qty, bool) or not isinstance(min_qty, int) or min_qty < 0:
        raise InvalidInput("min_qty must be a whole number ≥ 0", code="invalid_quantity")
    validate_quantity(max_qty, "max_qty")
    if min_qty > max_qty:
        raise InvalidInput("min_qty cannot exceed max_qty", code="invalid_quantity")
    if scope is not None and owner_id not in scope:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    try:
        with ctx.write() as conn:
            it = conn.execute(sa.select(items.c.id).where(
                items.c.id == item_id, items.c.owner_id == owner_id)).first()
            if it is None:
                raise NotFound(f"item {item_id} does not exist", code="item_not_found")
            loc = cs.one(conn, sa.select(locations).where(locations.c.id == location_id))
            if loc is None or loc["facility_id"] != facility_id:
                raise NotFound(f"location {location_id} does not exist", code="location_not_found")
            if loc["kind"] != LocationKind.PICK_FACE.value:
                raise InvalidInput(f"location {loc['code']} is not a pick face",
                                   code="not_a_pick_face")
            taken = conn.execute(sa.select(item_pick_faces.c.item_id).where(
                item_pick_faces.c.location_id == location_id,
                item_pick_faces.c.item_id != item_id)).first()
            if taken is not None:
                raise Conflict("that pick face is assigned to another item",
                               code="pick_face_taken")
            conn.execute(sa.delete(item_pick_faces).where(
                item_pick_faces.c.item_id == item_id, item_pick_faces.c.facility_id == facility_id))
            row = {"owner_id": owner_id, "item_id": item_id, "facility_id": facility_id,
                   "location_id": location_id, "min_qty": min_qty, "max_qty": max_qty}
            conn.execute(sa.insert(item_pick_faces).values(**row))
            return row
    except IntegrityError:
        raise Conflict("that pick face is assigned to another item",
                       code="pick_face_taken") from None


def list_pick_faces(ctx: Context, scope: Scope, *, facility_id: int | None = None,
                    item_id: int | None = None) -> list[dict[str, Any]]:
    stmt = sa.select(item_pick_faces).order_by(item_pick_faces.c.facility_id,
                                               item_pick_faces.c.location_id)
    if scope is not None:
        stmt = stmt.where(item_pick_faces.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(item_pick_faces.c.facility_id == facility_id)
    if item_id is not None:
        stmt = stmt.where(item_pick_faces.c.item_id == item_id)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


# ---------------------------------------------------------------- creating tasks


def create_putaway_tasks(ctx: Context, receipt_id: int, scope: Scope = None,
                         rules: Rules = pd.DEFAULT_RULES) -> list[dict[str, Any]]:
    """Create tasks for good units of a receipt at the dock that no task covers yet
    (while receiving goes on, so the dock does not fill up). Safe to call again."""
    with ctx.write() as conn:
        head = receiving._load(conn, receipt_id, scope, lock=True)
        return create_tasks_in(ctx, conn, head, rules)


def create_tasks_in(ctx: Context, conn: Connection, head: dict[str, Any],
                    rules: Rules = pd.DEFAULT_RULES) -> list[dict[str, Any]]:
    """Inside the caller's transaction (closing a receipt uses this)."""
    need = _untasked(conn, head["id"])
    if not need:
        return []
    fid, oid = head["facility_id"], head["owner_id"]
    keys = sorted(need)
    reqs = [_request(conn, fid, oid, item_id, lot, need[(item_id, lot, dock)])
            for item_id, lot, dock in keys]
    plans = pd.plan(reqs, _candidates(conn, fid), rules)
    now = ctx.now()
    rows = [{
        "owner_id": oid, "facility_id": fid, "receipt_id": head["id"], "item_id": item_id,
        "lot": lot, "qty": need[(item_id, lot, dock)], "from_location_id": dock,
        "suggested_location_id": s.location_id if s else None, "rule": s.rule if s else "",
        "state": pd.PutawayState.OPEN.value, "created_at": now,
    } for (item_id, lot, dock), s in zip(keys, plans, strict=True)]
    ids = [r[0] for r in conn.execute(
        sa.insert(putaway_tasks).returning(putaway_tasks.c.id, sort_by_parameter_order=True),
        rows)]
    ls.insert_events(conn, [{"topic": "putaway.created", "owner_id": oid, "created_at": now,
                             "payload": json.dumps({"receipt_id": head["id"], "task_ids": ids})}])
    return cs.rows(conn, sa.select(putaway_tasks).where(putaway_tasks.c.id.in_(ids))
                   .order_by(putaway_tasks.c.id))


def _untasked(conn: Connection, receipt_id: int) -> dict[tuple[int, str, int], int]:
    """Units the receipt brought to a dock, per (item, lot, dock), minus those tasks cover.

    Derived from the ledger (the receipt's movements), so it is what really arrived.
    """
    got: dict[tuple[int, str, int], int] = defaultdict(int)
    for r in conn.execute(
        sa.select(movement_lines.c.item_id, movement_lines.c.lot,
                  movement_lines.c.to_location_id, sa.func.sum(movement_lines.c.qty))
        .join(movements_t, movements_t.c.id == movement_lines.c.movement_id)
        .join(locations, locations.c.id == movement_lines.c.to_location_id)
        .where(movements_t.c.document_type == "receipt",
               movements_t.c.document_id == str(receipt_id),
               movements_t.c.type == MovementType.RECEIPT.value,
               locations.c.kind == LocationKind.RECEIVING.value)
        .group_by(movement_lines.c.item_id, movement_lines.c.lot,
                  movement_lines.c.to_location_id)
    ):
        got[(r[0], r[1], r[2])] += int(r[3])
    covered = sa.case((putaway_tasks.c.state == pd.PutawayState.CANCELLED.value,
                       putaway_tasks.c.qty_done), else_=putaway_tasks.c.qty)
    for r in conn.execute(
        sa.select(putaway_tasks.c.item_id, putaway_tasks.c.lot, putaway_tasks.c.from_location_id,
                  sa.func.sum(covered))
        .where(putaway_tasks.c.receipt_id == receipt_id)
        .group_by(putaway_tasks.c.item_id, putaway_tasks.c.lot, putaway_tasks.c.from_location_id)
    ):
        got[(r[0], r[1], r[2])] -= int(r[3])
    return {k: v for k, v in got.items() if v > 0}


def _request(conn: Connection, facility_id: int, owner_id: int, item_id: int, lot: str,
             qty: int) -> pd.PutawayRequest:
    pf = conn.execute(sa.select(item_pick_faces).where(
        item_pick_faces.c.item_id == item_id, item_pick_faces.c.facility_id == facility_id)).first()
    pf_qty = 0
    zones: set[int] = set()
    if pf is not None:
        pf_qty = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(balances.c.qty), 0))
                                  .where(balances.c.item_id == item_id,
                                         balances.c.location_id == pf.location_id)).scalar())
        zone = conn.execute(sa.select(locations.c.zone_id).where(
            locations.c.id == pf.location_id)).scalar()
        if zone is not None:
            zones.add(zone)
    # The item's home zones: its pick face's, and wherever it is already stored.
    zones |= {z for z in conn.execute(
        sa.select(locations.c.zone_id).distinct()
        .join(balances, balances.c.location_id == locations.c.id)
        .where(balances.c.owner_id == owner_id, balances.c.item_id == item_id,
               balances.c.qty > 0, locations.c.facility_id == facility_id,
               locations.c.kind.in_([k.value for k in SELLABLE_KINDS]))).scalars()
        if z is not None}
    return pd.PutawayRequest(
        item_id, lot, qty, frozenset(zones), pf.location_id if pf else None,
        int(pf.max_qty) if pf else None, pf_qty)


def _candidates(conn: Connection, facility_id: int) -> list[pd.Candidate]:
    """Storage and pick-face locations with what is in them and what is coming."""
    sellable = [k.value for k in SELLABLE_KINDS]
    locs = conn.execute(sa.select(locations).where(
        locations.c.facility_id == facility_id, locations.c.kind.in_(sellable),
        locations.c.active.is_(True))).all()
    occupied: dict[int, int] = defaultdict(int)
    holds: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for r in conn.execute(sa.select(balances.c.location_id, balances.c.item_id, balances.c.lot,
                                    balances.c.qty)
                          .join(locations, locations.c.id == balances.c.location_id)
                          .where(locations.c.facility_id == facility_id,
                                 locations.c.kind.in_(sellable), balances.c.qty > 0)):
        occupied[r.location_id] += int(r.qty)
        holds[r.location_id].add((r.item_id, r.lot))
    for r in conn.execute(sa.select(putaway_tasks.c.suggested_location_id, putaway_tasks.c.item_id,
                                    putaway_tasks.c.lot,
                                    putaway_tasks.c.qty - putaway_tasks.c.qty_done)
                          .where(putaway_tasks.c.facility_id == facility_id,
                                 putaway_tasks.c.state == pd.PutawayState.OPEN.value,
                                 putaway_tasks.c.suggested_location_id.is_not(None))):
        occupied[r[0]] += int(r[3])
        holds[r[0]].add((r[1], r[2]))
    faces = dict(conn.execute(sa.select(item_pick_faces.c.location_id, item_pick_faces.c.item_id)
                              .where(item_pick_faces.c.facility_id == facility_id)).all())
    return [pd.Candidate(r.id, LocationKind(r.kind), r.zone_id, r.capacity_units, r.path_order,
                         occupied[r.id], frozenset(holds[r.id]), faces.get(r.id))
            for r in locs]


# ---------------------------------------------------------------- reading


def get_putaway_task(ctx: Context, task_id: int, scope: Scope = None) -> dict[str, Any]:
    with ctx.read() as conn:
        return _task_view(_load_task(conn, task_id, scope))


def list_putaway_tasks(ctx: Context, scope: Scope, *, receipt_id: int | None = None,
                       facility_id: int | None = None, state: str | None = None,
                       limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    stmt = sa.select(putaway_tasks).order_by(putaway_tasks.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(putaway_tasks.c.owner_id.in_(list(scope)))
    for col, val in ((putaway_tasks.c.receipt_id, receipt_id),
                     (putaway_tasks.c.facility_id, facility_id), (putaway_tasks.c.state, state)):
        if val is not None:
            stmt = stmt.where(col == val)
    with ctx.read() as conn:
        return [_task_view(r) for r in cs.rows(conn, stmt)]


def _task_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "remaining": row["qty"] - row["qty_done"]}


def _load_task(conn: Connection, task_id: int, scope: Scope, lock: bool = False):
    stmt = sa.select(putaway_tasks).where(putaway_tasks.c.id == task_id)
    if lock:
        stmt = stmt.with_for_update()
    row = cs.one(conn, stmt)
    if row is None or (scope is not None and row["owner_id"] not in scope):
        raise NotFound(f"putaway task {task_id} does not exist", code="putaway_task_not_found")
    return row


# ---------------------------------------------------------------- confirming


def confirm_putaway(
    ctx: Context,
    task_id: int,
    *,
    location_scan: str,
    item_scan: str,
    qty: int | None = None,
    reason: str = "",
    scope: Scope = None,
    user: str = "",
    device: str = "",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Put ``qty`` (default: all that is left) of the task's stock where it was scanned.

    The location scan must be the suggestion, or, with a ``reason``, another storage or
    pick-face location of the facility (an override, recorded on the task). The item
    scan must be the task's item (and lot). Less than what is left is a partial
    putaway: the task stays open with the rest.
    """
    if qty is not None:
        validate_quantity(qty)
    if len(reason) > 200:
        raise InvalidInput("reason must be at most 200 characters", code="invalid_reason")
    body = {"task_id": task_id, "location_scan": location_scan, "item_scan": item_scan,
            "qty": qty, "reason": reason}
    key = f"put:{idempotency_key}" if idempotency_key else None
    refusal = receiving.Refusal("putaway", task_id, user, device)
    return receiving.run_scan_command(ctx, refusal, lambda conn, posted: _confirm_in(
        ctx, conn, body, key, scope, user, device, refusal, posted))


def _confirm_in(ctx: Context, conn: Connection, body: dict[str, Any], key: str | None,
                scope: Scope, user: str, device: str, refusal: receiving.Refusal,
                cmds: list[MovementCommand]) -> dict[str, Any]:
    tid = body["task_id"]
    task = _load_task(conn, tid, scope, lock=True)
    prior = receiving.replay(conn, key, body)
    if prior is not None:
        return prior
    refusal.owner_id, refusal.facility_id = task["owner_id"], task["facility_id"]
    remaining = task["qty"] - task["qty_done"]
    qty = body["qty"] if body["qty"] is not None else remaining
    if qty > remaining:
        pd.next_state(task["state"], pd.PutawayEvent.PUT_PART, tid)
        raise InvalidInput(f"task {tid} has {remaining} left; cannot put away {qty}",
                           code="over_putaway", remaining=remaining)
    target = pd.next_state(task["state"], pd.PutawayEvent.PUT_ALL if qty == remaining
                           else pd.PutawayEvent.PUT_PART, tid)

    suggested = task["suggested_location_id"]
    expected = (conn.execute(sa.select(locations.c.barcode).where(locations.c.id == suggested))
                .scalar() if suggested else "") or "a storage location (with a reason)"
    refusal.scan(expected, body["location_scan"])
    dest, dest_facility = _scanned_location(conn, body["location_scan"])
    override = pd.check_destination(
        suggested_id=suggested, scanned=dest,
        scanned_facility_ok=dest_facility == task["facility_id"], reason=body["reason"])
    refusal.scan(f"item {task['item_id']}" + (f" lot {task['lot']}" if task["lot"] else ""),
                 body["item_scan"])
    gtins = set(conn.execute(sa.select(item_gtins.c.gtin).where(
        item_gtins.c.item_id == task["item_id"])).scalars())
    expiry = conn.execute(sa.select(lots.c.expiry).where(
        lots.c.item_id == task["item_id"], lots.c.code == task["lot"])).scalar() if task["lot"] \
        else None
    match_item_scan(parse_scan(body["item_scan"]), gtins, task["lot"] or None, expiry,
                    ctx.now().date())
    refusal.done()

    assert dest is not None  # check_destination refused otherwise
    cmd = MovementCommand(
        owner_id=task["owner_id"], type=MovementType.PUTAWAY,
        lines=(LineCommand(task["item_id"], task["from_location_id"], dest.location_id, qty,
                           task["lot"]),),
        reason="override" if override else "", document_type="putaway_task",
        document_id=str(tid), user=user, device=device,
        scans=(body["location_scan"], body["item_scan"]),
        note=f"receipt {task['receipt_id']}"
        + (f"; override: {body['reason']}" if override else ""),
    )
    cmds.append(cmd)
    mv = ledger.post_in(ctx, conn, [cmd])[0]
    now = ctx.now()
    conn.execute(sa.update(putaway_tasks).where(putaway_tasks.c.id == tid).values(
        qty_done=putaway_tasks.c.qty_done + qty, state=target.value,
        confirmed_location_id=dest.location_id,
        override_reason=body["reason"] if override else task["override_reason"],
        closed_at=now if target != pd.PutawayState.OPEN else None))
    result = {**_task_view(_load_task(conn, tid, scope)), "movement_id": mv["movement_id"],
              "put_qty": qty, "override": override, "replayed": False}
    ls.insert_events(conn, [{"topic": "putaway.confirmed", "owner_id": task["owner_id"],
                             "created_at": now, "payload": json.dumps(result, default=str)}])
    receiving.claim(ctx, conn, key, body, result)
    return result


def _scanned_location(conn: Connection, raw: str) -> tuple[pd.Candidate | None, int | None]:
    """The active location with the scanned barcode, and its facility."""
    scan = parse_scan(raw)
    if scan.kind != "code":
        return None, None
    r = conn.execute(sa.select(locations).where(locations.c.barcode == scan.code,
                                                locations.c.active.is_(True))).first()
    if r is None:
        return None, None
    return (pd.Candidate(r.id, LocationKind(r.kind), r.zone_id, r.capacity_units, r.path_order),
            r.facility_id)


def cancel_putaway(ctx: Context, task_id: int, scope: Scope = None) -> dict[str, Any]:
    """Abandon a task; what is left stays at the dock (a later task can pick it up)."""
    with ctx.write() as conn:
        task = _load_task(conn, task_id, scope, lock=True)
        target = pd.next_state(task["state"], pd.PutawayEvent.CANCEL, task_id)
        conn.execute(sa.update(putaway_tasks).where(putaway_tasks.c.id == task_id).values(
            state=target.value, closed_at=ctx.now()))
        return _task_view(_load_task(conn, task_id, scope))
