"""What a supervisor needs to plan waves: allocated orders still waiting for one, and
the open waves with their progress. Read-only and set-based (one query per list, not
one per order); releasing a wave is :func:`shelfwise.services.picking.create_waves`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shelfwise.domain.orders import OrderState
from shelfwise.domain.picking import TaskState, WaveState
from shelfwise.services.context import Context
from shelfwise.storage.outbound_tables import order_lines, orders, pick_tasks, waves
from shelfwise.storage.tables import zones

Scope = frozenset[int] | None
OPEN_WAVE_STATES = (WaveState.RELEASED, WaveState.PICKING, WaveState.PICKED)


@dataclass(frozen=True)
class WaitingFilter:
    """Which waiting orders a planner looks at: one facility, and optionally one carrier,
    cut-offs up to a time, orders with work in a zone, a minimum priority, a channel."""

    facility_id: int
    carrier: str | None = None
    cutoff_until: datetime | None = None
    zone_id: int | None = None
    min_priority: int | None = None
    channel: str | None = None
    include_partial: bool = False


def waiting_orders(ctx: Context, scope: Scope, f: WaitingFilter, limit: int = 500
                   ) -> list[dict[str, Any]]:
    """Allocated orders of a facility not yet in a wave, most urgent first (earliest
    cut-off, highest priority, oldest), each with its line and unit counts, open pick
    tasks and the zones they are in."""
    o, t = orders, pick_tasks
    states = [OrderState.ALLOCATED.value] + (
        [OrderState.PARTIALLY_ALLOCATED.value] if f.include_partial else [])
    lines = (sa.select(order_lines.c.order_id, sa.func.count().label("lines"),
                       sa.func.sum(order_lines.c.ordered).label("units"),
                       sa.func.sum(order_lines.c.allocated).label("allocated"))
             .group_by(order_lines.c.order_id).subquery())
    tasks = (sa.select(t.c.order_id, sa.func.count().label("tasks"))
             .where(t.c.state == TaskState.OPEN.value).group_by(t.c.order_id).subquery())
    stmt = (sa.select(o.c.id, o.c.number, o.c.owner_id, o.c.channel, o.c.priority,
                      o.c.carrier, o.c.service, o.c.cutoff_at, o.c.created_at, o.c.state,
                      sa.func.coalesce(lines.c.lines, 0).label("lines"),
                      sa.func.coalesce(lines.c.units, 0).label("units"),
                      sa.func.coalesce(lines.c.allocated, 0).label("allocated"),
                      sa.func.coalesce(tasks.c.tasks, 0).label("tasks"))
            .outerjoin(lines, lines.c.order_id == o.c.id)
            .outerjoin(tasks, tasks.c.order_id == o.c.id)
            .where(o.c.facility_id == f.facility_id, o.c.wave_id.is_(None),
                   o.c.state.in_(states))
            .order_by(sa.case((o.c.cutoff_at.is_(None), 1), else_=0), o.c.cutoff_at,
                      o.c.priority.desc(), o.c.created_at, o.c.id)
            .limit(limit))
    if scope is not None:
        stmt = stmt.where(o.c.owner_id.in_(sorted(scope)))
    if f.carrier:
        stmt = stmt.where(o.c.carrier == f.carrier)
    if f.cutoff_until is not None:
        stmt = stmt.where(o.c.cutoff_at <= f.cutoff_until)
    if f.min_priority is not None:
        stmt = stmt.where(o.c.priority >= f.min_priority)
    if f.channel:
        stmt = stmt.where(o.c.channel == f.channel)
    if f.zone_id is not None:
        stmt = stmt.where(sa.exists().where(t.c.order_id == o.c.id, t.c.zone_id == f.zone_id,
                                            t.c.state == TaskState.OPEN.value))
    with ctx.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        in_zones: dict[int, list[str]] = {r["id"]: [] for r in rows}
        if rows:
            for oid, code in conn.execute(
                    sa.select(t.c.order_id, zones.c.code).join(zones, zones.c.id == t.c.zone_id)
                    .where(t.c.order_id.in_(list(in_zones)), t.c.state == TaskState.OPEN.value)
                    .distinct().order_by(t.c.order_id, zones.c.code)):
                in_zones[oid].append(code)
    for r in rows:
        r["zones"] = in_zones[r["id"]]
        for k in ("lines", "units", "allocated", "tasks"):
            r[k] = int(r[k])
    return rows


def waiting_carriers(ctx: Context, scope: Scope, facility_id: int) -> list[str]:
    """The carriers of the orders waiting for a wave (the carrier filter's choices)."""
    o = orders
    stmt = (sa.select(o.c.carrier).distinct()
            .where(o.c.facility_id == facility_id, o.c.wave_id.is_(None),
                   o.c.state.in_([OrderState.ALLOCATED.value,
                                  OrderState.PARTIALLY_ALLOCATED.value]))
            .order_by(o.c.carrier))
    if scope is not None:
        stmt = stmt.where(o.c.owner_id.in_(sorted(scope)))
    with ctx.read() as conn:
        return list(conn.execute(stmt).scalars())


def open_waves(ctx: Context, scope: Scope, facility_id: int | None = None, limit: int = 50
               ) -> list[dict[str, Any]]:
    """Waves not yet shipped or cancelled, newest first, with their progress: tasks done
    of total, short picks, units picked of units to pick and the number of orders.

    A caller limited to some owners sees only waves holding their orders, and counts
    only their orders' tasks.
    """
    t, o, w = pick_tasks, orders, waves
    done = sa.case((t.c.state != TaskState.OPEN.value, 1), else_=0)
    short = sa.case((t.c.state == TaskState.SHORT.value, 1), else_=0)
    progress = sa.select(t.c.wave_id, sa.func.count().label("tasks"),
                         sa.func.sum(done).label("done"), sa.func.sum(short).label("short"),
                         sa.func.sum(t.c.qty).label("units"),
                         sa.func.sum(t.c.picked_qty).label("picked_units")
                         ).where(t.c.wave_id.is_not(None)).group_by(t.c.wave_id)
    members = (sa.select(o.c.wave_id, sa.func.count().label("orders"))
               .where(o.c.wave_id.is_not(None)).group_by(o.c.wave_id))
    if scope is not None:
        progress = progress.where(t.c.owner_id.in_(sorted(scope)))
        members = members.where(o.c.owner_id.in_(sorted(scope)))
    p, m = progress.subquery(), members.subquery()
    # limited to some owners: only waves holding their orders (an inner join)
    joined = w.join(m, m.c.wave_id == w.c.id, isouter=scope is None).outerjoin(
        p, p.c.wave_id == w.c.id)
    stmt = (sa.select(w, sa.func.coalesce(m.c.orders, 0).label("orders"),
                      *(sa.func.coalesce(getattr(p.c, k), 0).label(k)
                        for k in ("tasks", "done", "short", "units", "picked_units")))
            .select_from(joined)
            .where(w.c.state.in_([s.value for s in OPEN_WAVE_STATES]))
            .order_by(w.c.id.desc()).limit(limit))
    if facility_id is not None:
        stmt = stmt.where(w.c.facility_id == facility_id)
    with ctx.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for r in rows:
        for k in ("orders", "tasks", "done", "short", "units", "picked_units"):
            r[k] = int(r[k])
    return rows
