"""Scheduling a count at a bin: the one place that opens count tasks, so a short pick,
a supervisor's request and the cycle-count schedule never put two open counts on the
same bin for the same owner, and so a count request is closed by the count that
answered it.

Works inside the caller's transaction (a short pick opens the count in the same
transaction that records it).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.counting import CountState, Tolerance
from shelfwise.storage.counting_tables import count_tasks
from shelfwise.storage.outbound_tables import count_requests

#: A count request is ``open`` until the bin's count is final (closed or approved), then
#: ``done``.


def open_task(conn: Connection, owner_id: int, facility_id: int, location_id: int,
              tolerance: Tolerance, due: date | None, now: datetime) -> int:
    """The owner's open count task at the bin, created if there is none."""
    existing = conn.execute(
        sa.select(count_tasks.c.id).where(
            count_tasks.c.owner_id == owner_id, count_tasks.c.location_id == location_id,
            count_tasks.c.state == CountState.OPEN.value)
        .order_by(count_tasks.c.id).limit(1)
    ).scalar()
    if existing is not None:
        return int(existing)
    return insert_task(conn, owner_id, facility_id, location_id, "count", None, tolerance,
                       due, now)


def insert_task(conn: Connection, owner_id: int, facility_id: int, location_id: int,
                kind: str, parent_id: int | None, tol: Tolerance, due: date | None,
                now: datetime) -> int:
    return conn.execute(sa.insert(count_tasks).returning(count_tasks.c.id), {
        "owner_id": owner_id, "facility_id": facility_id, "location_id": location_id,
        "kind": kind, "parent_id": parent_id, "state": CountState.OPEN.value,
        "due_date": due, "tolerance_units": tol.units, "tolerance_bp": tol.basis_points,
        "created_at": now,
    }).scalar_one()


def answer_requests(conn: Connection, owner_id: int, location_id: int) -> None:
    """The bin's count is final: the requests that asked for it are done."""
    conn.execute(sa.update(count_requests)
                 .where(count_requests.c.owner_id == owner_id,
                        count_requests.c.location_id == location_id,
                        count_requests.c.state == "open")
                 .values(state="done"))
