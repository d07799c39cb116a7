"""Posting movements and holds, reading stock and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.api.schemas import HoldIn, HoldPostIn, MovementIn
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import holds, ledger, stock
from shelfwise.services.context import Context

router = APIRouter(tags=["ledger"])
Scope = frozenset[int] | None
IdemKey = Header(None, alias="Idempotency-Key", max_length=128)


def _check_owner(scope: Scope, owner_id: int) -> None:
    if scope is not None and owner_id not in scope:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")


def _movement_type(value: str) -> MovementType:
    try:
        return MovementType(value)
    except ValueError:
        raise InvalidInput(
            f"unknown movement type {value!r}", code="invalid_movement_type"
        ) from None


@router.post("/movements", status_code=201)
def post_movement(
    body: MovementIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    _check_owner(scope, body.owner_id)
    cmd = MovementCommand(
        owner_id=body.owner_id,
        type=_movement_type(body.type),
        lines=tuple(LineCommand(**ln.model_dump()) for ln in body.lines),
        reason=body.reason,
        document_type=body.document_type,
        document_id=body.document_id,
        user=actor,
        device=body.device,
        scans=tuple(body.scans),
        note=body.note,
        idempotency_key=idempotency_key,
    )
    res = ledger.post_movement(ctx, cmd)
    return {**stock.get_movement(ctx, res["movement_id"], scope), "replayed": res["replayed"]}


@router.get("/movements/{movement_id}")
def get_movement(
    movement_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return stock.get_movement(ctx, movement_id, scope)


@router.post("/holds", status_code=201)
def place_hold(
    body: HoldIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    _check_owner(scope, body.owner_id)
    res = holds.place_hold(ctx, **body.model_dump(), idempotency_key=idempotency_key)
    return {**holds.get_hold(ctx, res["hold_id"], scope), "replayed": res["replayed"]}


@router.get("/holds/{hold_id}")
def get_hold(hold_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return holds.get_hold(ctx, hold_id, scope)


@router.post("/holds/{hold_id}/post")
def post_hold(
    hold_id: int,
    body: HoldPostIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
):
    res = holds.post_hold(
        ctx,
        hold_id,
        qty=body.qty,
        to_location_id=body.to_location_id,
        from_location_id=body.from_location_id,
        lot=body.lot,
        scope=scope,
        user=actor,
        device=body.device,
        scans=tuple(body.scans),
        idempotency_key=idempotency_key,
    )
    return {
        **holds.get_hold(ctx, hold_id, scope),
        "movement_id": res["movement_id"],
        "replayed": res["replayed"],
    }


@router.post("/holds/{hold_id}/void")
def void_hold(hold_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    holds.void_hold(ctx, hold_id, scope)
    return holds.get_hold(ctx, hold_id, scope)


@router.post("/holds/expire")
def expire_holds(ctx: Context = Depends(get_ctx)):
    return {"expired": holds.expire_holds(ctx)}


@router.get("/stock")
def stock_levels(
    owner_id: int | None = None,
    item_id: int | None = None,
    facility_id: int | None = None,
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    """On hand, available, allocated, in process, held, in transit per item × facility."""
    return stock.levels(
        ctx,
        scope,
        owner_id=owner_id,
        item_id=item_id,
        facility_id=facility_id,
        limit=p["limit"],
        offset=p["offset"],
    )


@router.get("/stock/facilities")
def stock_by_facility(
    facility_id: int | None = None,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return stock.facility_totals(ctx, scope, facility_id)


@router.get("/stock/balances")
def bin_balances(
    item_id: int | None = None,
    location_id: int | None = None,
    facility_id: int | None = None,
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    """Balances by location and lot (with lot expiry)."""
    return stock.bin_balances(
        ctx,
        scope,
        item_id=item_id,
        location_id=location_id,
        facility_id=facility_id,
        limit=p["limit"],
        offset=p["offset"],
    )


@router.get("/history")
def history(
    item_id: int | None = None,
    location_id: int | None = None,
    before_id: int | None = Query(None, ge=1),
    limit: int = Query(50, ge=1, le=500),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    """Ledger lines for an item or location, newest first; page with ``before_id``."""
    rows = stock.history(
        ctx, scope, item_id=item_id, location_id=location_id, before_id=before_id, limit=limit
    )
    nxt = rows[-1]["line_id"] if len(rows) == limit else None
    return {"lines": rows, "next_before_id": nxt}
