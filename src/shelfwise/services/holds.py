"""Hold commands: place, post, void and expire holds — stock promised to an order,
transfer or ring-fence before it moves.

A hold reserves available stock atomically (the guarded balance and stock-level rows
refuse to promise more than is there); posting a hold turns it into the movement it
promised, in the same transaction; voiding or expiry gives the promise back. Like the
movement commands in :mod:`shelfwise.services.ledger`, each command is one transaction
and an idempotency key is claimed inside it, so a retried twin replays the first
result instead of competing for stock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.errors import Conflict, InsufficientStock, InvalidInput, NotFound, Shortfall
from shelfwise.domain.holds import HoldState, check_transition
from shelfwise.domain.ledger import (
    LineCommand,
    MovementCommand,
    MovementType,
    validate_quantity,
)
from shelfwise.domain.locations import SELLABLE_KINDS
from shelfwise.services.context import Context
from shelfwise.services.ledger import (
    movement_fingerprint,
    post_in,
    request_hash,
    write,
)
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.tables import balances, facilities, holds, stock_levels


def place_hold(
    ctx: Context,
    *,
    owner_id: int,
    item_id: int,
    facility_id: int,
    qty: int,
    location_id: int | None = None,
    lot: str = "",
    document_type: str = "",
    document_id: str = "",
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Reserve ``qty`` of an item at a facility (optionally at one bin and lot).

    The availability check and the reservation are one conditional UPDATE, so however
    many clients race for the last units, the sum of their holds never exceeds what
    was available.
    """
    validate_quantity(qty)
    body = {
        "owner_id": owner_id,
        "item_id": item_id,
        "facility_id": facility_id,
        "qty": qty,
        "location_id": location_id,
        "lot": lot,
        "document_type": document_type,
        "document_id": document_id,
    }
    return write(ctx, lambda conn, _posted: place_hold_in(ctx, conn, body, expires_at,
                                                          idempotency_key))


def place_holds(ctx: Context, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Place several holds in one transaction: all or none (an order's lines, a wave).

    Each body has the keyword arguments of :func:`place_hold`.
    """
    for b in bodies:
        validate_quantity(b.get("qty"))
    return write(ctx, lambda conn, _posted: place_holds_in(ctx, conn, bodies))


def place_holds_in(
    ctx: Context, conn: Connection, bodies: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Place holds inside the caller's transaction; raises on the first that cannot fit.

    Bodies without an idempotency key take the set-based path: one insert for all
    holds, then one conditional reservation per hold (in key order).
    """
    norm = []
    for b in bodies:
        b = dict(b)
        expires_at = b.pop("expires_at", None)
        key = b.pop("idempotency_key", None)
        body = {"location_id": None, "lot": "", "document_type": "", "document_id": "", **b}
        validate_quantity(body["qty"])
        norm.append((body, expires_at, key))
    if any(k for _, _, k in norm) or len(norm) == 1:
        return [place_hold_in(ctx, conn, b, e, k) for b, e, k in norm]
    now = ctx.now()
    its = cs.item_facts(conn, {b["item_id"] for b, _, _ in norm}, ctx.cache)
    locs = cs.location_facts(
        conn, {b["location_id"] for b, _, _ in norm if b["location_id"]}, ctx.cache
    )
    for b, _, _ in norm:
        _check_hold_target(b, its, locs)
    _check_facilities(ctx, conn, {b["facility_id"] for b, _, _ in norm})
    ids = ls.insert_ids(
        conn, holds,
        [{**b, "state": "pending", "created_at": now, "expires_at": _utc(e)} for b, e, _ in norm],
    )
    _reserve_many(conn, [b for b, _, _ in norm])
    ls.insert_events(
        conn,
        [
            {
                "topic": "hold.placed",
                "owner_id": b["owner_id"],
                "created_at": now,
                "payload": json.dumps({"hold_id": hid, **b}),
            }
            for (b, _, _), hid in zip(norm, ids, strict=True)
        ],
    )
    return [{"hold_id": hid, "replayed": False} for hid in ids]


def place_hold_in(
    ctx: Context,
    conn: Connection,
    body: dict[str, Any],
    expires_at: datetime | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    now = ctx.now()
    h = request_hash(body)
    if idempotency_key:
        prior = ls.existing_keys(conn, [f"hold:{idempotency_key}"]).get(f"hold:{idempotency_key}")
        if prior is not None:
            if prior[0] != h:
                raise Conflict(
                    f"idempotency key {idempotency_key!r} was used for a different request",
                    code="idempotency_key_reused",
                )
            return {**prior[1], "replayed": True}
    owner_id = body["owner_id"]
    its = cs.item_facts(conn, [body["item_id"]], ctx.cache)
    locs = cs.location_facts(conn, [body["location_id"]] if body["location_id"] else [], ctx.cache)
    _check_hold_target(body, its, locs)
    _check_facilities(ctx, conn, {body["facility_id"]})
    hold_id = conn.execute(
        sa.insert(holds).returning(holds.c.id),
        {
            **body,
            "lot": body["lot"] or "",
            "state": "pending",
            "created_at": now,
            "expires_at": _utc(expires_at),
        },
    ).scalar_one()
    if idempotency_key:
        ls.claim_keys(
            conn,
            [
                {
                    "key": f"hold:{idempotency_key}",
                    "request_hash": h,
                    "response": json.dumps({"hold_id": hold_id}),
                    "created_at": now,
                }
            ],
        )
    _reserve(conn, body)
    ls.insert_events(
        conn,
        [
            {
                "topic": "hold.placed",
                "owner_id": owner_id,
                "created_at": now,
                "payload": json.dumps({"hold_id": hold_id, **body}),
            }
        ],
    )
    return {"hold_id": hold_id, "replayed": False}


def _check_hold_target(body: dict[str, Any], its, locs) -> None:
    item = its.get(body["item_id"])
    if item is None or item.owner_id != body["owner_id"]:
        raise NotFound(f"item {body['item_id']} does not exist", code="item_not_found")
    location_id = body["location_id"]
    if location_id is not None:
        loc = locs.get(location_id)
        if loc is None:
            raise NotFound(f"location {location_id} does not exist", code="location_not_found")
        if loc.facility_id != body["facility_id"] or loc.kind not in SELLABLE_KINDS:
            raise InvalidInput(
                f"location {location_id} is not sellable stock of facility {body['facility_id']}",
                code="location_not_sellable",
            )
    elif body["lot"]:
        raise InvalidInput("a hold on a lot must name its location", code="lot_needs_location")


def _reserve(conn: Connection, body: dict[str, Any]) -> None:
    """The atomic check-and-reserve: conditional UPDATEs, refused as a named shortfall."""
    owner_id, item_id, facility_id = body["owner_id"], body["item_id"], body["facility_id"]
    location_id, lot, qty = body["location_id"], body["lot"] or "", body["qty"]
    if not ls.reserve_level(conn, owner_id, item_id, facility_id, qty):
        avail = _available(conn, owner_id, item_id, facility_id)
        raise InsufficientStock(
            [Shortfall(owner_id, item_id, None, lot, qty, avail, facility_id)],
            code="insufficient_available",
        )
    if location_id is not None and not ls.reserve_balance(
        conn, owner_id, item_id, location_id, lot, qty
    ):
        row = conn.execute(
            sa.select(balances.c.qty - balances.c.allocated).where(
                balances.c.owner_id == owner_id,
                balances.c.item_id == item_id,
                balances.c.location_id == location_id,
                balances.c.lot == lot,
            )
        ).scalar()
        raise InsufficientStock(
            [Shortfall(owner_id, item_id, location_id, lot, qty, row or 0, facility_id)],
            code="insufficient_available",
        )


def _reserve_many(conn: Connection, bodies: Sequence[dict[str, Any]]) -> None:
    """Reserve a batch set-based: the quantities are summed per facility figure and per
    bin/lot, and each sum is one conditional UPDATE (run as one executemany, in key
    order). All fit, or the batch is refused with every short key named."""
    levels: dict[tuple[int, int, int], int] = {}
    bins: dict[tuple[int, int, int, str], tuple[int, int]] = {}
    for b in bodies:
        k = (b["owner_id"], b["item_id"], b["facility_id"])
        levels[k] = levels.get(k, 0) + b["qty"]
        if b["location_id"] is not None:
            bk = (b["owner_id"], b["item_id"], b["location_id"], b["lot"] or "")
            bins[bk] = (bins.get(bk, (0, 0))[0] + b["qty"], b["facility_id"])
    lrows = [{"o": k[0], "i": k[1], "f": k[2], "qty": q} for k, q in sorted(levels.items())]
    if ls.reserve_levels(conn, lrows) == len(lrows):
        brows = [{"o": k[0], "i": k[1], "l": k[2], "lot": k[3], "qty": q}
                 for k, (q, _) in sorted(bins.items())]
        if not brows or ls.reserve_balances(conn, brows) == len(brows):
            return
        short = [Shortfall(k[0], k[1], k[2], k[3], q,
                           ls.unreserved_at(conn, k[0], k[1], k[2], k[3]), f)
                 for k, (q, f) in sorted(bins.items())]
    else:
        short = [Shortfall(k[0], k[1], None, "", q, _available(conn, *k), k[2])
                 for k, q in sorted(levels.items())]
    raise InsufficientStock([s for s in short if s.present < s.needed] or short,
                            code="insufficient_available")


def _check_facilities(ctx: Context, conn: Connection, facility_ids: set[int]) -> None:
    """An unknown facility is a named 404, not a foreign-key failure (facilities are never
    deleted, so known ids are cached)."""
    known = ctx.cache.setdefault("facilities", set())
    wanted = facility_ids - known
    if wanted:
        found = set(conn.execute(
            sa.select(facilities.c.id).where(facilities.c.id.in_(wanted))).scalars())
        if wanted - found:
            raise NotFound(f"facility {min(wanted - found)} does not exist",
                           code="facility_not_found")
        known |= found


def _utc(at: datetime | None) -> datetime | None:
    """Expiry times are stored in UTC: SQLite keeps the wall time and drops the offset, so
    11:00+02:00 would otherwise be compared as 11:00 UTC. A naive time is taken as UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _available(conn: Connection, owner_id: int, item_id: int, facility_id: int) -> int:
    row = conn.execute(
        sa.select(stock_levels.c.sellable - stock_levels.c.allocated).where(
            stock_levels.c.owner_id == owner_id,
            stock_levels.c.item_id == item_id,
            stock_levels.c.facility_id == facility_id,
        )
    ).scalar()
    return int(row or 0)


def get_hold(ctx: Context, hold_id: int, scope: frozenset[int] | None) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(holds).where(holds.c.id == hold_id))
    if row is None or (scope is not None and row["owner_id"] not in scope):
        raise NotFound(f"hold {hold_id} does not exist", code="hold_not_found")
    return row


def _load_pending(conn: Connection, hold_id: int, scope, target: HoldState) -> dict[str, Any]:
    row = cs.one(conn, sa.select(holds).where(holds.c.id == hold_id))
    if row is None or (scope is not None and row["owner_id"] not in scope):
        raise NotFound(f"hold {hold_id} does not exist", code="hold_not_found")
    check_transition(HoldState(row["state"]), target, hold_id)
    return row


def post_hold(
    ctx: Context,
    hold_id: int,
    *,
    qty: int,
    to_location_id: int,
    from_location_id: int | None = None,
    lot: str | None = None,
    scope: frozenset[int] | None = None,
    user: str = "",
    device: str = "",
    scans: tuple[str, ...] = (),
    movement_type: MovementType = MovementType.PICK,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Post a hold: move ``qty`` (≤ the hold) out of stock, release the whole hold.

    Posting less than held is a partial post: the rest goes back to available.
    """
    return post_holds(
        ctx,
        [
            HoldPost(
                hold_id,
                qty,
                to_location_id,
                from_location_id,
                lot,
                user,
                device,
                scans,
                movement_type,
                idempotency_key,
            )
        ],
        scope,
    )[0]


@dataclass(frozen=True)
class HoldPost:
    hold_id: int
    qty: int
    to_location_id: int
    from_location_id: int | None = None
    lot: str | None = None
    user: str = ""
    device: str = ""
    scans: tuple[str, ...] = ()
    movement_type: MovementType = MovementType.PICK
    idempotency_key: str | None = None


def post_holds(
    ctx: Context, posts: Sequence[HoldPost], scope: frozenset[int] | None = None
) -> list[dict[str, Any]]:
    """Post several holds in one transaction (a picker's batch, a wave): all or none."""
    for p in posts:
        validate_quantity(p.qty)
    return write(ctx, lambda conn, posted: post_holds_in(ctx, conn, posts, scope, posted))


def post_hold_in(
    ctx: Context,
    conn: Connection,
    p: HoldPost,
    scope: frozenset[int] | None,
    cmds: list[MovementCommand] | None = None,
) -> dict[str, Any]:
    """Post one hold inside the caller's transaction."""
    return post_holds_in(ctx, conn, [p], scope, cmds)[0]


_SELECT_HOLDS = sa.text(
    "SELECT id, owner_id, item_id, facility_id, location_id, lot, qty, state, document_type,"
    " document_id, movement_id FROM holds WHERE id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
_CLOSE_HOLD = (
    "UPDATE holds SET state = :state, closed_at = :now, posted_qty = :posted_qty"
    " WHERE id = :id AND state = 'pending'"
)
_SET_HOLD_MOVEMENT = "UPDATE holds SET movement_id = :movement_id WHERE id = :id"


def _hold_movement(h: dict[str, Any], p: HoldPost) -> MovementCommand:
    """The movement that posting ``p`` against hold ``h`` makes (a replay must match it)."""
    src = h["location_id"] if h["location_id"] is not None else p.from_location_id
    the_lot = h["lot"] if h["location_id"] is not None else (p.lot or "")
    return MovementCommand(
        owner_id=h["owner_id"],
        type=p.movement_type,
        lines=(LineCommand(h["item_id"], src, p.to_location_id, p.qty, the_lot),),
        document_type=h["document_type"],
        document_id=h["document_id"],
        user=p.user,
        device=p.device,
        scans=p.scans,
        idempotency_key=p.idempotency_key,
    )


def _replayed_post(
    p: HoldPost, prior: tuple[str, Any], h: dict[str, Any] | None, scope: frozenset[int] | None
) -> dict[str, Any]:
    """A retried post replays only the very post it repeats: same hold, same body."""
    if h is None or (scope is not None and h["owner_id"] not in scope):
        raise NotFound(f"hold {p.hold_id} does not exist", code="hold_not_found")
    if (
        h["movement_id"] != prior[1]["movement_id"]
        or movement_fingerprint(_hold_movement(h, p)) != prior[0]
    ):
        raise Conflict(
            f"idempotency key {p.idempotency_key!r} was used for a different request",
            code="idempotency_key_reused",
        )
    return {**prior[1], "hold_id": p.hold_id, "replayed": True}


def _load_holds(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in ls.as_dicts(conn.execute(_SELECT_HOLDS, {"ids": list(ids)}))}


def post_holds_in(
    ctx: Context,
    conn: Connection,
    posts: Sequence[HoldPost],
    scope: frozenset[int] | None,
    cmds: list[MovementCommand] | None = None,
) -> list[dict[str, Any]]:
    """Post holds set-based inside the caller's transaction.

    Each hold closes first, with a conditional UPDATE (``... AND state = 'pending'``) that
    takes the hold's row lock before any stock row, as void and expire do. A hold raced
    by a concurrent post or void is therefore refused (or, for a keyed retry, replayed),
    never released twice, and the two never deadlock.
    """
    now = ctx.now()
    ids = [p.hold_id for p in posts]
    if len(set(ids)) != len(ids):
        raise InvalidInput("the same hold appears twice", code="duplicate_hold_in_batch")
    keyed = [f"mv:{p.idempotency_key}" for p in posts if p.idempotency_key]
    prior = ls.existing_keys(conn, keyed) if keyed else {}
    found = _load_holds(conn, ids)
    out: list[dict[str, Any] | None] = [None] * len(posts)
    todo = []
    for n, p in enumerate(posts):
        seen = prior.get(f"mv:{p.idempotency_key}") if p.idempotency_key else None
        if seen is not None:
            out[n] = _replayed_post(p, seen, found.get(p.hold_id), scope)
        else:
            todo.append(n)
    # A keyed twin may commit between our key lookup and our read of the holds (read
    # committed): a hold already closed under a key we did not see is asked about again.
    late = [n for n in todo if posts[n].idempotency_key
            and found.get(posts[n].hold_id, {}).get("state", "pending") != "pending"]
    if late:
        again = ls.existing_keys(conn, [f"mv:{posts[n].idempotency_key}" for n in late])
        for n in late:
            seen = again.get(f"mv:{posts[n].idempotency_key}")
            if seen is not None:
                out[n] = _replayed_post(posts[n], seen, found.get(posts[n].hold_id), scope)
                todo.remove(n)
    if not todo:
        return out  # type: ignore[return-value]
    work: list[MovementCommand] = []
    releases = []
    sources = cs.location_facts(
        conn,
        {
            found[p.hold_id]["location_id"] or p.from_location_id
            for p in (posts[n] for n in todo)
            if p.hold_id in found
        },
        ctx.cache,
    )
    for n in todo:
        p = posts[n]
        h = found.get(p.hold_id)
        if h is None or (scope is not None and h["owner_id"] not in scope):
            raise NotFound(f"hold {p.hold_id} does not exist", code="hold_not_found")
        check_transition(HoldState(h["state"]), HoldState.POSTED, p.hold_id)
        if p.qty > h["qty"]:
            raise InvalidInput(
                f"hold {p.hold_id} reserves {h['qty']}; cannot post {p.qty}", code="over_post"
            )
        if h["location_id"] is None and p.from_location_id is None:
            raise InvalidInput(
                "name the location the stock is taken from", code="location_required"
            )
        if h["location_id"] is not None and p.from_location_id not in (None, h["location_id"]):
            raise InvalidInput("the hold is on another location", code="wrong_location")
        cmd = _hold_movement(h, p)
        src = cmd.lines[0].from_location_id
        loc = sources.get(src)
        if loc is not None and loc.facility_id != h["facility_id"]:
            raise InvalidInput("the hold is for another facility", code="wrong_facility")
        work.append(cmd)
        releases.append(h)
    if cmds is not None:
        cmds.extend(work)
    at = ls.db_time(conn, now)
    closed = ls.executemany(
        conn,
        _CLOSE_HOLD,
        [
            {"state": "posted", "now": at, "posted_qty": posts[n].qty, "id": posts[n].hold_id}
            for n in sorted(todo, key=lambda n: posts[n].hold_id)
        ],
    )
    if closed != len(todo):
        twins = _replays_of_a_winning_twin(conn, posts, todo, scope) if closed == 0 else None
        if twins is None:
            raise Conflict("a hold in the batch is no longer pending", code="invalid_hold_state")
        for n, r in zip(todo, twins, strict=True):
            out[n] = r
        return out  # type: ignore[return-value]
    # Release the reservations before posting so the movement may take the units they held.
    ls.release_many(conn, releases)
    results = post_in(ctx, conn, work)
    ls.executemany(
        conn,
        _SET_HOLD_MOVEMENT,
        [
            {"movement_id": r["movement_id"], "id": posts[n].hold_id}
            for n, r in zip(todo, results, strict=True)
        ],
    )
    ls.insert_events(
        conn,
        [
            {
                "topic": "hold.posted",
                "owner_id": h["owner_id"],
                "created_at": now,
                "payload": json.dumps({"hold_id": h["id"], "qty": posts[n].qty}),
            }
            for n, h in zip(todo, releases, strict=True)
        ],
    )
    for n, r in zip(todo, results, strict=True):
        out[n] = {**r, "hold_id": posts[n].hold_id}
    return out  # type: ignore[return-value]


def _replays_of_a_winning_twin(
    conn: Connection, posts: Sequence[HoldPost], todo: list[int], scope: frozenset[int] | None
) -> list[dict[str, Any]] | None:
    """Every hold was closed under us. If each post is keyed and its key is now committed
    (PostgreSQL's next statement sees it), a concurrent twin of this very request won:
    replay its result. Otherwise the holds were closed by someone else: None."""
    if not all(posts[n].idempotency_key for n in todo):
        return None
    prior = ls.existing_keys(conn, [f"mv:{posts[n].idempotency_key}" for n in todo])
    if len(prior) != len(todo):
        return None
    found = _load_holds(conn, [posts[n].hold_id for n in todo])
    return [
        _replayed_post(posts[n], prior[f"mv:{posts[n].idempotency_key}"],
                       found.get(posts[n].hold_id), scope)
        for n in todo
    ]


def void_hold(ctx: Context, hold_id: int, scope: frozenset[int] | None = None) -> dict[str, Any]:
    with ctx.write() as conn:
        return void_hold_in(ctx, conn, hold_id, scope)


def void_hold_in(ctx: Context, conn: Connection, hold_id: int, scope) -> dict[str, Any]:
    h = _load_pending(conn, hold_id, scope, HoldState.VOIDED)
    if not ls.close_hold(conn, hold_id, "voided", ctx.now()):
        raise Conflict(f"hold {hold_id} is no longer pending", code="invalid_hold_state")
    ls.release(
        conn, h["owner_id"], h["item_id"], h["facility_id"], h["location_id"], h["lot"], h["qty"]
    )
    ls.insert_events(
        conn,
        [
            {
                "topic": "hold.voided",
                "owner_id": h["owner_id"],
                "created_at": ctx.now(),
                "payload": json.dumps({"hold_id": hold_id}),
            }
        ],
    )
    return {"hold_id": hold_id, "state": "voided"}


def expire_holds(ctx: Context) -> int:
    """Expire every pending hold past its time; returns how many."""
    with ctx.write() as conn:
        expired = ls.expire_due_holds(conn, ctx.now())
        ls.insert_events(
            conn,
            [
                {
                    "topic": "hold.expired",
                    "owner_id": h["owner_id"],
                    "created_at": ctx.now(),
                    "payload": json.dumps({"hold_id": h["id"]}),
                }
                for h in expired
            ],
        )
    return len(expired)
