"""The audit log: who did what, when, from which token, session and device, and how it
ended. Security events (logins, tokens, users, roles) are written in the same transaction
as the change they record; every mutating API request gets a row after its response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.auth.roles import Principal
from shelfwise.services.context import Context
from shelfwise.storage.access_tables import audit_log


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as far as it can be told."""

    device: str = ""
    ip: str = ""


def row(ctx: Context, *, action: str, target: str, outcome: str,
        principal: Principal | None = None, actor: str | None = None,
        origin: Origin | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    origin = origin or Origin()
    return {
        "at": ctx.now(),
        "actor": (actor if actor is not None else principal.username if principal else "")[:64],
        "user_id": principal.user_id if principal else None,
        "token_id": principal.token_id if principal else None,
        "session_id": principal.session_id if principal else None,
        "device": origin.device[:64],
        "ip": origin.ip[:64],
        "action": action[:40],
        "target": target[:300],
        "outcome": outcome[:40],
        "detail": json.dumps(detail, sort_keys=True, default=str) if detail else "",
    }


def record_in(conn: Connection, ctx: Context, **kw: Any) -> None:
    """Write one audit row inside the caller's transaction."""
    conn.execute(audit_log.insert(), [row(ctx, **kw)])


def record(ctx: Context, **kw: Any) -> None:
    """Write one audit row in its own transaction (for events whose change is elsewhere)."""
    with ctx.write() as conn:
        record_in(conn, ctx, **kw)


def entries(ctx: Context, *, action: str | None = None, actor: str | None = None,
            before_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id``."""
    q = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action:
        q = q.where(audit_log.c.action == action)
    if actor:
        q = q.where(audit_log.c.actor == actor)
    if before_id:
        q = q.where(audit_log.c.id < before_id)
    with ctx.read() as conn:
        return [{**r._asdict(), "at": r.at.isoformat()} for r in conn.execute(q)]
