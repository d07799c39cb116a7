"""Reading the outbox: the one feed of "something changed", for live pages and senders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.storage.tables import outbox

Scope = frozenset[int] | None


def latest_id(ctx: Context) -> int:
    with ctx.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(outbox.c.id))).scalar() or 0)


def rows_after(ctx: Context, cursor: int, scope: Scope, limit: int = 200
               ) -> tuple[int, list[dict[str, Any]]]:
    """Outbox rows after ``cursor`` the caller may see, and the new cursor (which moves
    past rows of other owners too, so they are not read again)."""
    stmt = (sa.select(outbox.c.id, outbox.c.topic, outbox.c.owner_id)
            .where(outbox.c.id > cursor).order_by(outbox.c.id).limit(limit))
    with ctx.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    if not rows:
        return cursor, []
    visible = [r for r in rows
               if scope is None or r["owner_id"] is None or r["owner_id"] in scope]
    return int(rows[-1]["id"]), visible
