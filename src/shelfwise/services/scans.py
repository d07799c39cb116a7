"""Scan exceptions: a refused scan is recorded (in its own transaction, since the
refused command itself writes nothing) so supervisors see wrong-item, wrong-location
and wrong-lot scans, and diagnostics can count them per 1,000 scans."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.storage.tables import scan_exceptions


def record_exception(
    ctx: Context,
    *,
    code: str,
    message: str,
    task_type: str,
    task_id: str | int,
    expected: str = "",
    scanned: str = "",
    owner_id: int | None = None,
    facility_id: int | None = None,
    user: str = "",
    device: str = "",
) -> None:
    with ctx.write() as conn:
        conn.execute(
            sa.insert(scan_exceptions).values(
                owner_id=owner_id,
                facility_id=facility_id,
                task_type=task_type,
                task_id=str(task_id)[:64],
                expected=expected[:200],
                scanned=scanned[:200],
                code=code[:64],
                message=message[:500],
                user_name=user[:64],
                device=device[:64],
                created_at=ctx.now(),
            )
        )


def list_exceptions(
    ctx: Context, scope: frozenset[int] | None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    stmt = (
        sa.select(scan_exceptions).order_by(scan_exceptions.c.id.desc()).limit(limit).offset(offset)
    )
    if scope is not None:
        stmt = stmt.where(scan_exceptions.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
