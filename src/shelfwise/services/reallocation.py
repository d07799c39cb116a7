"""Promises that lost their stock: when a count finds less than a bin promised, the holds
it can no longer back are voided, and the pick tasks that stood on those holds must not
send a picker to an empty bin.

Inside the count's transaction (after its adjustment is posted, so the allocator sees
the bin as it really is): each open task on a voided hold is cancelled, its line is
tried again in other bins of the same facility (the task's wave, if any, keeps the new
tasks), and what no bin can give is backordered. Orders and waves then follow their
tasks, as after a short pick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.orders import (
    LineQuantities,
    OrderState,
    allocation_state,
    check_transition,
)
from shelfwise.domain.picking import TaskState
from shelfwise.services.context import Context
from shelfwise.services.orders import Allocator, LineNeed
from shelfwise.services.picking import follow_waves, settle_picked_orders
from shelfwise.storage.outbound_tables import order_lines, orders, pick_tasks

#: Orders whose allocation is still being decided (not yet released to the floor).
_UNWAVED = {OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED, OrderState.BACKORDERED}


def reallocate_lost_holds(ctx: Context, conn: Connection, hold_ids: Sequence[int],
                          now: datetime) -> list[dict[str, Any]]:
    """Cancel the open pick tasks standing on ``hold_ids`` (already voided) and try
    their lines elsewhere; returns one entry per cancelled task with what was found."""
    if not hold_ids:
        return []
    t = pick_tasks
    rows = conn.execute(
        sa.select(t.c.id, t.c.order_id, t.c.order_line_id, t.c.owner_id, t.c.item_id,
                  t.c.wave_id, t.c.location_id, t.c.qty, t.c.picked_qty,
                  orders.c.number, orders.c.facility_id)
        .join(orders, orders.c.id == t.c.order_id)
        .where(t.c.hold_id.in_(list(hold_ids)), t.c.state == TaskState.OPEN.value)
        .order_by(t.c.id)).all()
    if not rows:
        return []
    conn.execute(sa.update(t).where(t.c.id.in_([r.id for r in rows]))
                 .values(state=TaskState.CANCELLED.value))
    needs = [LineNeed(order_id=r.order_id, order_number=r.number, line_id=r.order_line_id,
                      owner_id=r.owner_id, item_id=r.item_id, facility_id=r.facility_id,
                      need=r.qty - r.picked_qty, wave_id=r.wave_id,
                      exclude=frozenset({r.location_id})) for r in rows]
    allocator = Allocator(ctx, conn)
    allocator.run(needs)
    conn.execute(sa.update(order_lines).where(order_lines.c.id == sa.bindparam("b_id")).values(
        allocated=order_lines.c.allocated + sa.bindparam("b_a"),
        backordered=order_lines.c.backordered + sa.bindparam("b_b")),
        [{"b_id": n.line_id, "b_a": n.got - n.need, "b_b": n.need - n.got} for n in needs])
    _follow(conn, {r.order_id for r in rows}, {r.wave_id for r in rows if r.wave_id}, now)
    return [{"task_id": r.id, "order_id": r.order_id, "order_line_id": r.order_line_id,
             "lost": n.need, "reallocated": n.got, "backordered": n.need - n.got}
            for r, n in zip(rows, needs, strict=True)]


def _follow(conn: Connection, order_ids: set[int], wave_ids: set[int], now: datetime) -> None:
    """Unwaved orders take the allocation state of their lines; a waved order with no
    open task left is done picking (picked as far as it went, or backordered when
    nothing was); waves follow their tasks."""
    lines: dict[int, list[LineQuantities]] = defaultdict(list)
    for ln in conn.execute(sa.select(order_lines).where(order_lines.c.order_id.in_(order_ids))):
        lines[ln.order_id].append(LineQuantities(ln.ordered, ln.allocated, ln.picked,
                                                 ln.packed, ln.shipped, ln.backordered))
    for oid, st in conn.execute(sa.select(orders.c.id, orders.c.state)
                                .where(orders.c.id.in_(order_ids))).all():
        current = OrderState(st)
        if current not in _UNWAVED:
            continue
        target = allocation_state(lines[oid])
        if target != current:
            check_transition(current, target, oid)
            conn.execute(sa.update(orders).where(orders.c.id == oid)
                         .values(state=target.value, updated_at=now))
    settle_picked_orders(conn, order_ids, now)
    follow_waves(conn, wave_ids, now)
