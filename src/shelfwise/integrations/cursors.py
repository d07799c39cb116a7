"""Named positions integrations keep between runs: how far an outbox reader got, when a
debounced push last ran, the next EDI control number for a partner.

Every function works inside the caller's transaction, so advancing a cursor commits
together with the work it stands for (or not at all).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.storage.integration_tables import integration_cursors as cur


def read(conn: Connection, name: str, *, lock: bool = False) -> tuple[int, datetime | None]:
    """``(position, last_run_at)``; a cursor never used is at 0. ``lock`` serializes
    concurrent readers of the same cursor on PostgreSQL (SQLite writers already queue)."""
    _ensure(conn, name)
    stmt = sa.select(cur.c.position, cur.c.last_run_at).where(cur.c.name == name)
    if lock and conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one()
    return int(row.position), row.last_run_at


def advance(conn: Connection, name: str, position: int, now: datetime,
            last_run_at: datetime | None = None) -> None:
    values = {"position": position, "updated_at": now}
    if last_run_at is not None:
        values["last_run_at"] = last_run_at
    _ensure(conn, name)
    conn.execute(sa.update(cur).where(cur.c.name == name).values(**values))


def next_number(conn: Connection, name: str, now: datetime) -> int:
    """Atomically take the next number of a counter (1, 2, 3...)."""
    _ensure(conn, name)
    conn.execute(sa.update(cur).where(cur.c.name == name)
                 .values(position=cur.c.position + 1, updated_at=now))
    return int(conn.execute(sa.select(cur.c.position).where(cur.c.name == name)).scalar_one())


def _ensure(conn: Connection, name: str) -> None:
    if conn.execute(sa.select(cur.c.name).where(cur.c.name == name)).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(cur).values(name=name, position=0,
                                               updated_at=datetime(1970, 1, 1, tzinfo=UTC)))
    except IntegrityError:
        pass  # a concurrent twin created it
