"""Trends for the dashboard and the trends page: orders per day and the share of counts
within tolerance per week. Each is one grouped query (the database buckets the rows by
day or week); the days or weeks with nothing in them are filled in here.

Days and weeks are UTC calendar days and ISO weeks (starting Monday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain import counting as rules
from shelfwise.services.context import Context
from shelfwise.storage.counting_tables import count_results, count_tasks
from shelfwise.storage.outbound_tables import orders

Scope = frozenset[int] | None
MAX_DAYS = 366
MAX_WEEKS = 104


def _day(conn: Connection, col: Any) -> Any:
    if conn.dialect.name == "sqlite":
        return sa.func.date(col)
    return sa.cast(sa.func.timezone("UTC", col), sa.Date)


def _week(conn: Connection, col: Any) -> Any:
    """The Monday of the timestamp's ISO week."""
    if conn.dialect.name == "sqlite":
        # 'weekday 0' moves forward to Sunday (or stays on one); six days back is Monday
        return sa.func.date(col, "weekday 0", "-6 days")
    return sa.cast(sa.func.date_trunc("week", sa.func.timezone("UTC", col)), sa.Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def orders_per_day(ctx: Context, scope: Scope, *, days: int = 30,
                   facility_id: int | None = None) -> list[tuple[date, int]]:
    """Orders created on each of the last ``days`` days (today included), oldest first."""
    days = max(1, min(days, MAX_DAYS))
    today = ctx.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    o = orders
    with ctx.read() as conn:
        day = _day(conn, o.c.created_at)
        stmt = (sa.select(day.label("day"), sa.func.count().label("n"))
                .where(o.c.created_at >= _midnight(first),
                       o.c.created_at < _midnight(today + timedelta(days=1)))
                .group_by(day))
        if scope is not None:
            stmt = stmt.where(o.c.owner_id.in_(sorted(scope)))
        if facility_id is not None:
            stmt = stmt.where(o.c.facility_id == facility_id)
        found = {_as_date(r.day): int(r.n) for r in conn.execute(stmt)}
    return [(first + timedelta(days=i), found.get(first + timedelta(days=i), 0))
            for i in range(days)]


def count_accuracy_by_week(ctx: Context, scope: Scope, *, weeks: int = 12,
                           facility_id: int | None = None) -> list[dict[str, Any]]:
    """Per ISO week of the last ``weeks`` (this one included), oldest first: the final
    count lines (a recounted first count is replaced by its recount) and how many were
    within their count's tolerance. ``share`` is None for a week without counts."""
    weeks = max(1, min(weeks, MAX_WEEKS))
    this_week = monday_of(ctx.now().astimezone(UTC).date())
    first = this_week - timedelta(weeks=weeks - 1)
    r, t = count_results, count_tasks
    ok = sa.case((r.c.within_tolerance == sa.true(), 1), else_=0)
    with ctx.read() as conn:
        week = _week(conn, r.c.created_at)
        stmt = (sa.select(week.label("week"), sa.func.count().label("counts"),
                          sa.func.sum(ok).label("within"))
                .join(t, t.c.id == r.c.task_id)
                .where(t.c.state.in_([s.value for s in rules.FINAL_STATES]),
                       r.c.created_at >= _midnight(first),
                       r.c.created_at < _midnight(this_week + timedelta(weeks=1)))
                .group_by(week))
        if scope is not None:
            stmt = stmt.where(r.c.owner_id.in_(sorted(scope)))
        if facility_id is not None:
            stmt = stmt.where(t.c.facility_id == facility_id)
        found = {_as_date(x.week): (int(x.counts), int(x.within or 0))
                 for x in conn.execute(stmt)}
    out = []
    for i in range(weeks):
        monday = first + timedelta(weeks=i)
        counts, within = found.get(monday, (0, 0))
        out.append({"week": monday, "counts": counts, "within": within,
                    "share": within / counts if counts else None})
    return out
