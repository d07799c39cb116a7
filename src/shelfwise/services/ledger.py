"""Ledger commands: post movements (holds are in :mod:`shelfwise.services.holds`).

Each command is one database transaction. Idempotency keys are claimed inside that
transaction, right after the first row is written and before any balance is touched,
so a concurrent twin of the same request waits on the key and then replays the
first result instead of competing for stock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from shelfwise.domain.errors import Conflict, InsufficientStock, InvalidInput, NotFound, Shortfall
from shelfwise.domain.ledger import (
    MovementCommand,
    compute_deltas,
    validate_movement,
)
from shelfwise.domain.locations import SELLABLE_KINDS
from shelfwise.services import metering
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.tables import balances, lots, stock_levels

MAX_ATTEMPTS = 4
T = TypeVar("T")


def request_hash(payload: Any) -> str:
    """A stable fingerprint of a request body, to tell a replay from a reused key."""
    blob = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def movement_fingerprint(cmd: MovementCommand) -> str:
    """The same fingerprint for the same movement, cheaply: ``repr`` of a tuple of ints
    and strings is exact and stable (this runs once per posted movement)."""
    blob = repr((
        cmd.owner_id, str(cmd.type),
        tuple((ln.item_id, ln.from_location_id, ln.to_location_id, ln.qty, ln.lot)
              for ln in cmd.lines),
        cmd.reason, cmd.document_type, cmd.document_id, cmd.user, cmd.device,
        tuple(cmd.scans), cmd.note,
    ))
    return hashlib.sha256(blob.encode()).hexdigest()


def is_key_clash(err: IntegrityError) -> bool:
    msg = str(err.orig).lower()
    return "idempotency" in msg


def is_retryable(err: DBAPIError) -> bool:
    """Serialization failures and deadlocks (PostgreSQL) are retried, never shown."""
    code = getattr(err.orig, "sqlstate", None)
    return code in {"40001", "40P01"}


def write(ctx: Context, work: Callable[[Connection, list[MovementCommand]], T]) -> T:
    """Run ``work(conn, posted)`` as one write transaction: every ledger command goes
    through here.

    A concurrent twin that committed the same idempotency key first, a serialization
    failure or a deadlock re-runs the whole unit from a fresh read (the retry then
    replays the twin's result); if a stock CHECK refuses the write, the error says which
    keys were short, all at once (``work`` appends each movement it posts to ``posted``).
    """
    posted: list[MovementCommand] = []
    for attempt in range(MAX_ATTEMPTS):
        posted = []
        again = attempt < MAX_ATTEMPTS - 1
        try:
            with ctx.write() as conn:
                return work(conn, posted)
        except IntegrityError as e:
            if is_key_clash(e) and again:
                continue
            if not posted:
                raise
            raise explain_shortfall(ctx, posted, e) from None
        except ls.MissingStock:
            raise explain_shortfall(ctx, posted, None) from None
        except DBAPIError as e:
            if is_retryable(e) and again:
                continue
            raise
    raise AssertionError("unreachable")


def post_movements(ctx: Context, cmds: Sequence[MovementCommand]) -> list[dict[str, Any]]:
    """Post movements in one transaction: all are written, or none is.

    Returns, per command, ``{"movement_id": id, "replayed": bool}``.
    """
    if not cmds:
        return []

    def work(conn: Connection, posted: list[MovementCommand]) -> list[dict[str, Any]]:
        posted.extend(cmds)
        return post_in(ctx, conn, cmds)

    return write(ctx, work)


def post_movement(ctx: Context, cmd: MovementCommand) -> dict[str, Any]:
    return post_movements(ctx, [cmd])[0]


def post_in(
    ctx: Context, conn: Connection, cmds: Sequence[MovementCommand]
) -> list[dict[str, Any]]:
    """Post inside a transaction the caller owns (workflow services compose with this)."""
    now = ctx.now()
    keyed = [c.idempotency_key for c in cmds if c.idempotency_key]
    if len(set(keyed)) != len(keyed):
        raise InvalidInput("the same idempotency key appears twice", code="duplicate_key_in_batch")
    seen = ls.existing_keys(conn, [f"mv:{k}" for k in keyed]) if keyed else {}
    results: list[dict[str, Any] | None] = [None] * len(cmds)
    todo: list[int] = []
    hashes: dict[int, str] = {}
    for n, c in enumerate(cmds):
        if c.idempotency_key:
            hashes[n] = movement_fingerprint(c)
            prior = seen.get(f"mv:{c.idempotency_key}")
            if prior is not None:
                if prior[0] != hashes[n]:
                    raise Conflict(
                        f"idempotency key {c.idempotency_key!r} was used for a different request",
                        code="idempotency_key_reused",
                    )
                results[n] = {**prior[1], "replayed": True}
                continue
        todo.append(n)
    if not todo:
        return results  # type: ignore[return-value]
    work = [cmds[n] for n in todo]
    locs = cs.location_facts(
        conn,
        {i for c in work for ln in c.lines for i in (ln.from_location_id, ln.to_location_id)},
        ctx.cache,
    )
    its = cs.item_facts(conn, {ln.item_id for c in work for ln in c.lines}, ctx.cache)
    for c in work:
        validate_movement(c, its, locs)
    _check_lots_exist(conn, work, its)
    ids = ls.insert_movements(conn, work, now)
    ls.claim_keys(
        conn,
        [
            {
                "key": f"mv:{cmds[n].idempotency_key}",
                "request_hash": hashes[n],
                "response": f'{{"movement_id": {int(mid)}}}',
                "created_at": now,
            }
            for n, mid in zip(todo, ids, strict=True)
            if cmds[n].idempotency_key
        ],
    )
    ls.insert_lines(conn, work, ids)
    ls.apply_deltas(conn, compute_deltas(work, locs), locs)
    ls.insert_events(
        conn,
        (
            {
                "topic": "movement.posted",
                "owner_id": c.owner_id,
                "payload": json.dumps(_event(c, mid, locs, now)),
                "created_at": now,
            }
            for c, mid in zip(work, ids, strict=True)
        ),
    )
    metering.record_in(conn, metering.movement_events(work, ids, locs, now))
    for n, mid in zip(todo, ids, strict=True):
        results[n] = {"movement_id": mid, "replayed": False}
    return results  # type: ignore[return-value]


def _event(c: MovementCommand, mid: int, locs, now: datetime) -> dict[str, Any]:
    return {
        "movement_id": mid,
        "type": str(c.type),
        "owner_id": c.owner_id,
        "document": [c.document_type, c.document_id],
        "at": now.isoformat(),
        "lines": [
            [
                ln.item_id,
                ln.lot,
                ln.from_location_id,
                ln.to_location_id,
                ln.qty,
                locs[ln.from_location_id].facility_id,
                locs[ln.to_location_id].facility_id,
            ]
            for ln in c.lines
        ],
    }


def _check_lots_exist(conn: Connection, cmds: Sequence[MovementCommand], its) -> None:
    pairs = {(ln.item_id, ln.lot) for c in cmds for ln in c.lines if its[ln.item_id].lot_tracked}
    if not pairs:
        return
    item_ids = {p[0] for p in pairs}
    known = {
        (r.item_id, r.code)
        for r in conn.execute(
            sa.select(lots.c.item_id, lots.c.code).where(lots.c.item_id.in_(item_ids))
        )
    }
    missing = sorted(pairs - known)
    if missing:
        raise NotFound(
            f"lot {missing[0][1]!r} of item {missing[0][0]} does not exist", code="lot_not_found"
        )


def explain_shortfall(
    ctx: Context, cmds: Sequence[MovementCommand], err: IntegrityError | None
) -> Exception:
    """After a CHECK refused the write, say which keys were short, all at once."""
    msg = str(err.orig).lower() if err is not None else "not_negative"
    if "never_oversold" in msg:
        kind = "stock_allocated"
    elif "guarded_not_negative" in msg or "not_negative" in msg or "alloc" in msg:
        kind = "insufficient_stock"
    else:
        return err
    with ctx.read() as conn:
        locs = cs.location_facts(
            conn,
            {i for c in cmds for ln in c.lines for i in (ln.from_location_id, ln.to_location_id)},
            ctx.cache,
        )
        deltas = compute_deltas(cmds, locs)
        shortfalls = []
        for key in sorted(deltas.outflows):
            if deltas.balances[key] >= 0 or key[2] not in locs:
                continue
            row = conn.execute(
                sa.select(balances.c.qty, balances.c.allocated).where(
                    balances.c.owner_id == key[0],
                    balances.c.item_id == key[1],
                    balances.c.location_id == key[2],
                    balances.c.lot == key[3],
                )
            ).first()
            have = row.qty if row else 0
            if kind == "stock_allocated" and locs[key[2]].kind in SELLABLE_KINDS:
                lvl = conn.execute(
                    sa.select(stock_levels.c.sellable, stock_levels.c.allocated).where(
                        stock_levels.c.owner_id == key[0],
                        stock_levels.c.item_id == key[1],
                        stock_levels.c.facility_id == locs[key[2]].facility_id,
                    )
                ).first()
                have = (lvl.sellable - lvl.allocated) if lvl else 0
            if have + deltas.balances[key] < 0 or kind == "stock_allocated":
                shortfalls.append(
                    Shortfall(
                        key[0],
                        key[1],
                        key[2],
                        key[3],
                        -deltas.balances[key],
                        have,
                        locs[key[2]].facility_id,
                    )
                )
    return InsufficientStock(shortfalls, code=kind)
