"""Stock queries: the figures a user sees, balances per bin and lot, ledger history."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from shelfwise.domain.errors import NotFound
from shelfwise.services.context import Context
from shelfwise.storage import seals
from shelfwise.storage import stock_queries as q
from shelfwise.storage import verify as verifier
from shelfwise.storage.tables import movement_lines, movements

Scope = frozenset[int] | None


def levels(ctx: Context, scope: Scope, **filters: Any) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        return q.levels(conn, scope, **filters)


def level(ctx: Context, owner_id: int, item_id: int, facility_id: int) -> dict[str, int]:
    with ctx.read() as conn:
        return q.level(conn, owner_id, item_id, facility_id)


def facility_totals(ctx: Context, scope: Scope, facility_id: int | None = None):
    with ctx.read() as conn:
        return q.facility_totals(conn, scope, facility_id)


def bin_balances(ctx: Context, scope: Scope, **filters: Any) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        return q.bin_balances(conn, scope, **filters)


def history(ctx: Context, scope: Scope, **filters: Any) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        rows = q.history(conn, scope, **filters)
    for r in rows:
        r["scans"] = json.loads(r["scans"] or "[]")
    return rows


def get_movement(ctx: Context, movement_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        m = conn.execute(sa.select(movements).where(movements.c.id == movement_id)).first()
        if m is None or (scope is not None and m.owner_id not in scope):
            raise NotFound(f"movement {movement_id} does not exist", code="movement_not_found")
        lines = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(
                    movement_lines.c.item_id,
                    movement_lines.c.lot,
                    movement_lines.c.from_location_id,
                    movement_lines.c.to_location_id,
                    movement_lines.c.qty,
                )
                .where(movement_lines.c.movement_id == movement_id)
                .order_by(movement_lines.c.id)
            )
        ]
    out = dict(m._mapping)
    out["scans"] = json.loads(out["scans"] or "[]")
    out["lines"] = lines
    return out


def verify(ctx: Context, *, full: bool = False) -> dict[str, Any]:
    """Balances vs ledger, conservation, non-negativity, allocations, and the seal chain.

    By default the ledger's sums start from the newest intact checkpoint (what that
    guarantees: :mod:`shelfwise.storage.verify`); ``full`` re-adds every ledger line."""
    with ctx.read() as conn:
        report = verifier.verify(conn, full=full)
        report.update(seals.check_seals(conn))
    report["ok"] = report["ok"] and report["broken_seals"] == 0
    return report


def seal(ctx: Context) -> dict[str, Any] | None:
    """Seal the ledger up to now (``shelfwise ledger seal``, and at period close).

    The hashing runs in a read transaction, so postings never wait for it; only the
    seal row and the checkpoint are written, in a short write transaction after it."""
    for _ in range(3):  # another sealer may get in between: plan again from its seal
        with ctx.read() as conn:
            plan = seals.prepare_seal(conn, ctx.now())
        if plan is None:
            return None
        with ctx.write() as conn:
            row = seals.write_seal(conn, plan)
        if row is not None:
            return row
    return None
