"""Pick-face replenishment: min/max per pick face, tasks from reserve, confirm.

Finding faces below min is one grouped query over balances; the domain decides which
reserve bins to take from (FEFO, then fullest); confirming a task posts REPLENISH from
the reserve bin to the face in the same transaction that closes the task.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain import replenishment as rules
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.replenishment import ReplenishmentState, ReserveBin
from shelfwise.services import floor_commands as fc
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.counting_tables import advance, pick_face_settings, replenishment_tasks
from shelfwise.storage.tables import balances, items, locations, lots

Scope = frozenset[int] | None


def set_pick_face(
    ctx: Context, *, owner_id: int, item_id: int, location_id: int, min_qty: int,
    max_qty: int, scope: Scope = None,
) -> dict[str, Any]:
    """Set (or change) an item's min/max at a pick-face location."""
    fc.check_owner(scope, owner_id)
    rules.check_levels(min_qty, max_qty)
    with ctx.write() as conn:
        fc.item_row(conn, item_id, owner_id)
        loc = fc.location(conn, ctx, location_id)
        fc.require_kind(loc, [LocationKind.PICK_FACE], loc.facility_id, "pick face")
        if conn.execute(sa.select(pick_face_settings.c.item_id).where(
                pick_face_settings.c.location_id == location_id,
                pick_face_settings.c.item_id != item_id)).first() is not None:
            raise Conflict("that pick face is assigned to another item", code="pick_face_taken")
        key = (pick_face_settings.c.owner_id == owner_id,
               pick_face_settings.c.item_id == item_id,
               pick_face_settings.c.location_id == location_id)
        values = {"min_qty": min_qty, "max_qty": max_qty, "facility_id": loc.facility_id}
        if conn.execute(sa.update(pick_face_settings).where(*key).values(**values)).rowcount == 0:
            conn.execute(sa.insert(pick_face_settings).values(
                owner_id=owner_id, item_id=item_id, location_id=location_id, **values))
    return {"owner_id": owner_id, "item_id": item_id, "location_id": location_id,
            "facility_id": loc.facility_id, "min_qty": min_qty, "max_qty": max_qty}


def list_pick_faces(ctx: Context, scope: Scope, *, facility_id: int | None = None
                    ) -> list[dict[str, Any]]:
    """Settings with the face's current quantity (all lots)."""
    p, b = pick_face_settings, balances
    on_face = (sa.select(sa.func.coalesce(sa.func.sum(b.c.qty), 0))
               .where(b.c.owner_id == p.c.owner_id, b.c.item_id == p.c.item_id,
                      b.c.location_id == p.c.location_id).scalar_subquery())
    stmt = sa.select(p, on_face.label("on_face")).order_by(p.c.facility_id, p.c.location_id)
    if scope is not None:
        stmt = stmt.where(p.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(p.c.facility_id == facility_id)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def _faces_below_min(conn: Connection, facility_id: int, scope: Scope) -> list[dict[str, Any]]:
    """Faces whose stock (all lots) is below min and that have no open task yet."""
    p, b, t = pick_face_settings, balances, replenishment_tasks
    on_face = (sa.select(b.c.owner_id, b.c.item_id, b.c.location_id,
                         sa.func.sum(b.c.qty).label("qty"))
               .where(b.c.facility_id == facility_id)
               .group_by(b.c.owner_id, b.c.item_id, b.c.location_id).subquery())
    open_task = sa.exists().where(t.c.owner_id == p.c.owner_id, t.c.item_id == p.c.item_id,
                                  t.c.to_location_id == p.c.location_id,
                                  t.c.state == ReplenishmentState.OPEN.value)
    qty = sa.func.coalesce(on_face.c.qty, 0)
    stmt = (sa.select(p.c.owner_id, p.c.item_id, p.c.location_id, p.c.min_qty, p.c.max_qty,
                      qty.label("on_face"))
            .outerjoin(on_face, sa.and_(on_face.c.owner_id == p.c.owner_id,
                                        on_face.c.item_id == p.c.item_id,
                                        on_face.c.location_id == p.c.location_id))
            .where(p.c.facility_id == facility_id, qty < p.c.min_qty, ~open_task)
            .order_by(p.c.owner_id, p.c.item_id, p.c.location_id))
    if scope is not None:
        stmt = stmt.where(p.c.owner_id.in_(list(scope)))
    return cs.rows(conn, stmt)


def _reserve(conn: Connection, owner_id: int, item_id: int, facility_id: int
             ) -> list[ReserveBin]:
    b = balances
    rows = conn.execute(
        sa.select(b.c.location_id, b.c.lot, (b.c.qty - b.c.allocated).label("free"),
                  lots.c.expiry)
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(lots, sa.and_(lots.c.item_id == b.c.item_id, lots.c.code == b.c.lot))
        .where(b.c.owner_id == owner_id, b.c.item_id == item_id, b.c.facility_id == facility_id,
               locations.c.kind == LocationKind.STORAGE.value, b.c.qty - b.c.allocated > 0)
    ).all()
    return [ReserveBin(r.location_id, r.lot, int(r.free), r.expiry) for r in rows]


def create_replenishment_tasks(ctx: Context, *, facility_id: int,
                               scope: Scope = None) -> list[dict[str, Any]]:
    """Open tasks for every pick face below min at the facility (idempotent: a face
    with an open task is skipped). Returns the new tasks."""
    now = ctx.now()
    with ctx.write() as conn:
        new_ids = []
        for face in _faces_below_min(conn, facility_id, scope):
            moves = rules.plan_moves(int(face["on_face"]), int(face["min_qty"]),
                                     int(face["max_qty"]),
                                     _reserve(conn, face["owner_id"], face["item_id"],
                                              facility_id))
            for mv in moves:
                new_ids.append(conn.execute(
                    sa.insert(replenishment_tasks).returning(replenishment_tasks.c.id), {
                        "owner_id": face["owner_id"], "item_id": face["item_id"],
                        "facility_id": facility_id, "from_location_id": mv.location_id,
                        "to_location_id": face["location_id"], "lot": mv.lot, "qty": mv.qty,
                        "state": ReplenishmentState.OPEN.value, "created_at": now,
                    }).scalar_one())
    return list_tasks(ctx, scope, ids=new_ids) if new_ids else []


def list_tasks(ctx: Context, scope: Scope, *, facility_id: int | None = None,
               state: str | None = None, ids: list[int] | None = None,
               limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    t = replenishment_tasks
    src, dst = locations.alias("src"), locations.alias("dst")
    stmt = (sa.select(t, items.c.sku, src.c.code.label("from_code"),
                      dst.c.code.label("to_code"))
            .join(items, items.c.id == t.c.item_id)
            .join(src, src.c.id == t.c.from_location_id)
            .join(dst, dst.c.id == t.c.to_location_id)
            .order_by(src.c.path_order, t.c.id).limit(limit).offset(offset))
    if scope is not None:
        stmt = stmt.where(t.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(t.c.facility_id == facility_id)
    if state is not None:
        stmt = stmt.where(t.c.state == state)
    if ids is not None:
        stmt = stmt.where(t.c.id.in_(ids))
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def _task(conn: Connection, task_id: int, scope: Scope) -> dict[str, Any]:
    row = cs.one(conn, sa.select(replenishment_tasks).where(replenishment_tasks.c.id == task_id))
    if row is None or not fc.in_scope(scope, row["owner_id"]):
        raise NotFound(f"replenishment task {task_id} does not exist",
                       code="replenishment_task_not_found")
    return row


def confirm_task(
    ctx: Context, task_id: int, *, qty: int | None = None, from_scan: str | None = None,
    to_scan: str | None = None, user: str = "", device: str = "", scope: Scope = None,
) -> dict[str, Any]:
    """Move the stock: REPLENISH from the reserve bin to the face, closing the task.

    ``qty`` may be less than planned (the bin held less than the books said); scans of
    the two locations, when given, must match.
    """
    with ctx.read() as conn:
        task = _task(conn, task_id, scope)
    rules.check_transition(task["state"], ReplenishmentState.DONE, task_id)
    moved = task["qty"] if qty is None else validate_quantity(qty)
    if moved > task["qty"]:
        raise InvalidInput(f"task {task_id} moves at most {task['qty']}", code="over_move")
    where = dict(task_type="replenishment", task_id=task_id, owner_id=task["owner_id"],
                 user=user, device=device)
    if from_scan is not None:
        fc.check_location_scan(ctx, from_scan, task["from_location_id"], **where)
    if to_scan is not None:
        fc.check_location_scan(ctx, to_scan, task["to_location_id"], **where)
    now = ctx.now()

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        if not advance(conn, replenishment_tasks, task_id, [ReplenishmentState.OPEN.value],
                       ReplenishmentState.DONE.value, closed_at=now, closed_by=user[:64]):
            raise fc.changed_meanwhile("replenishment task", task_id,
                                       "invalid_replenishment_state")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=task["owner_id"], type=MovementType.REPLENISH,
            lines=(LineCommand(task["item_id"], task["from_location_id"],
                               task["to_location_id"], moved, task["lot"]),),
            document_type="replenishment", document_id=str(task_id), user=user,
            device=device, scans=tuple(s for s in (from_scan, to_scan) if s)))
        conn.execute(sa.update(replenishment_tasks).where(replenishment_tasks.c.id == task_id)
                     .values(movement_id=mid, qty=moved))
        ls.insert_events(conn, [{"topic": "replenishment.done", "owner_id": task["owner_id"],
                                 "created_at": now, "payload": json.dumps(
                                     {"task_id": task_id, "movement_id": mid, "qty": moved})}])
        return {"task_id": task_id, "state": ReplenishmentState.DONE.value,
                "movement_id": mid, "qty": moved}

    return fc.run(ctx, work)


def cancel_task(ctx: Context, task_id: int, *, user: str = "",
                scope: Scope = None) -> dict[str, Any]:
    with ctx.write() as conn:
        task = _task(conn, task_id, scope)
        rules.check_transition(task["state"], ReplenishmentState.CANCELLED, task_id)
        if not advance(conn, replenishment_tasks, task_id, [ReplenishmentState.OPEN.value],
                       ReplenishmentState.CANCELLED.value, closed_at=ctx.now(),
                       closed_by=user[:64]):
            raise fc.changed_meanwhile("replenishment task", task_id,
                                       "invalid_replenishment_state")
    return {"task_id": task_id, "state": ReplenishmentState.CANCELLED.value}
