"""Floor movements over HTTP: quarantine holds and releases, transfers between
facilities, customer returns (RMA) and pick-face replenishment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header
from pydantic import Field, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.api.schemas import Body
from shelfwise.services import quarantine, replenishment, returns, transfers
from shelfwise.services.context import Context
from shelfwise.services.returns import RmaLine
from shelfwise.services.transfers import ShipPick, TransferLine

router = APIRouter(tags=["floor"])
Scope = frozenset[int] | None
IdemKey = Header(None, alias="Idempotency-Key", max_length=128)
Lot = Field("", max_length=20)


# ------------------------------------------------------------------ quarantine


class HoldStockIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    from_location_id: StrictInt
    qty: StrictInt
    reason: str = Field(min_length=1, max_length=64)
    lot: str = Lot
    to_location_id: StrictInt | None = None
    device: str = Field("", max_length=64)
    note: str = Field("", max_length=500)


class ReleaseStockIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    from_location_id: StrictInt
    to_location_id: StrictInt
    qty: StrictInt
    lot: str = Lot
    reason: str = Field("released", min_length=1, max_length=64)
    device: str = Field("", max_length=64)


@router.post("/quarantine/hold", status_code=201)
def hold_stock(
    body: HoldStockIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return quarantine.hold_stock(
        ctx, **body.model_dump(), user=actor, idempotency_key=idempotency_key, scope=scope
    )


@router.post("/quarantine/release", status_code=201)
def release_stock(
    body: ReleaseStockIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return quarantine.release_stock(
        ctx, **body.model_dump(), user=actor, idempotency_key=idempotency_key, scope=scope
    )


# ------------------------------------------------------------------ transfers


class TransferLineIn(Body):
    item_id: StrictInt
    qty: StrictInt
    lot: str = Lot


class TransferIn(Body):
    owner_id: StrictInt
    source_facility_id: StrictInt
    dest_facility_id: StrictInt
    reference: str = Field("", max_length=64)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=1000)


class ShipPickIn(Body):
    line_id: StrictInt
    from_location_id: StrictInt
    lot: str | None = Field(None, max_length=20)
    item_scan: str | None = Field(None, max_length=200)


class ShipIn(Body):
    picks: list[ShipPickIn] = Field(min_length=1, max_length=1000)
    device: str = Field("", max_length=64)


class LineLocationIn(Body):
    line_id: StrictInt
    to_location_id: StrictInt


class TransferReceiveIn(Body):
    to_location_id: StrictInt
    lines: list[LineLocationIn] = Field(default_factory=list, max_length=1000)
    device: str = Field("", max_length=64)


@router.post("/transfers", status_code=201)
def create_transfer(
    body: TransferIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
    idempotency_key: str | None = IdemKey,
) -> dict[str, Any]:
    return transfers.create_transfer(
        ctx,
        owner_id=body.owner_id,
        source_facility_id=body.source_facility_id,
        dest_facility_id=body.dest_facility_id,
        reference=body.reference,
        lines=[TransferLine(ln.item_id, ln.qty, ln.lot) for ln in body.lines],
        scope=scope,
        idempotency_key=idempotency_key,
    )


@router.get("/transfers")
def list_transfers(
    facility_id: int | None = None,
    state: str | None = None,
    pg: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return transfers.list_transfers(ctx, scope, facility_id=facility_id, state=state, **pg)


@router.get("/transfers/{transfer_id}")
def get_transfer(
    transfer_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return transfers.get_transfer(ctx, transfer_id, scope)


@router.post("/transfers/{transfer_id}/ship")
def ship_transfer(
    transfer_id: int,
    body: ShipIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    picks = [ShipPick(p.line_id, p.from_location_id, p.lot, p.item_scan) for p in body.picks]
    return transfers.ship_transfer(
        ctx, transfer_id, picks=picks, user=actor, device=body.device, scope=scope
    )


@router.post("/transfers/{transfer_id}/receive")
def receive_transfer(
    transfer_id: int,
    body: TransferReceiveIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return transfers.receive_transfer(
        ctx,
        transfer_id,
        to_location_id=body.to_location_id,
        line_locations={ln.line_id: ln.to_location_id for ln in body.lines},
        user=actor,
        device=body.device,
        scope=scope,
    )


@router.post("/transfers/{transfer_id}/cancel")
def cancel_transfer(
    transfer_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return transfers.cancel_transfer(ctx, transfer_id, scope=scope)


@router.get("/facilities/{facility_id}/in-transit")
def in_transit(
    facility_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return transfers.in_transit(ctx, scope, facility_id)


# ------------------------------------------------------------------ returns


class RmaIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    order_reference: str = Field(min_length=1, max_length=64)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=1000)


class ReceivedLineIn(Body):
    line_id: StrictInt
    qty: StrictInt


class RmaReceiveIn(Body):
    to_location_id: StrictInt
    lines: list[ReceivedLineIn] = Field(default_factory=list, max_length=1000)
    device: str = Field("", max_length=64)


class InspectIn(Body):
    disposition: str = Field(min_length=1, max_length=10)
    to_location_id: StrictInt | None = None
    reason: str = Field("", max_length=64)
    device: str = Field("", max_length=64)


@router.post("/rmas", status_code=201)
def create_rma(
    body: RmaIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
    idempotency_key: str | None = IdemKey,
) -> dict[str, Any]:
    return returns.create_rma(
        ctx,
        owner_id=body.owner_id,
        facility_id=body.facility_id,
        order_reference=body.order_reference,
        lines=[RmaLine(ln.item_id, ln.qty, ln.lot) for ln in body.lines],
        scope=scope,
        idempotency_key=idempotency_key,
    )


@router.get("/rmas")
def list_rmas(
    facility_id: int | None = None,
    state: str | None = None,
    order_reference: str | None = None,
    pg: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return returns.list_rmas(
        ctx, scope, facility_id=facility_id, state=state, order_reference=order_reference, **pg
    )


@router.get("/rmas/{rma_id}")
def get_rma(
    rma_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return returns.get_rma(ctx, rma_id, scope)


@router.post("/rmas/{rma_id}/receive")
def receive_rma(
    rma_id: int,
    body: RmaReceiveIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return returns.receive_rma(
        ctx,
        rma_id,
        to_location_id=body.to_location_id,
        received={ln.line_id: ln.qty for ln in body.lines} or None,
        user=actor,
        device=body.device,
        scope=scope,
    )


@router.post("/rmas/{rma_id}/lines/{line_id}/inspect")
def inspect_line(
    rma_id: int,
    line_id: int,
    body: InspectIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return returns.inspect_line(
        ctx,
        rma_id,
        line_id,
        disposition=body.disposition,
        to_location_id=body.to_location_id,
        reason=body.reason,
        user=actor,
        device=body.device,
        scope=scope,
    )


@router.post("/rmas/{rma_id}/cancel")
def cancel_rma(
    rma_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return returns.cancel_rma(ctx, rma_id, scope=scope)


# ------------------------------------------------------------------ replenishment


class PickFaceIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    location_id: StrictInt
    min_qty: StrictInt
    max_qty: StrictInt


class ReplenishCheckIn(Body):
    facility_id: StrictInt


class ConfirmIn(Body):
    qty: StrictInt | None = None
    from_scan: str | None = Field(None, max_length=200)
    to_scan: str | None = Field(None, max_length=200)
    device: str = Field("", max_length=64)


@router.put("/pick-faces")
def set_pick_face(
    body: PickFaceIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return replenishment.set_pick_face(ctx, **body.model_dump(), scope=scope)


@router.get("/pick-faces")
def list_pick_faces(
    facility_id: int | None = None,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return replenishment.list_pick_faces(ctx, scope, facility_id=facility_id)


@router.post("/replenishment/check", status_code=201)
def check_pick_faces(
    body: ReplenishCheckIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> list[dict[str, Any]]:
    return replenishment.create_replenishment_tasks(ctx, facility_id=body.facility_id, scope=scope)


@router.get("/replenishment-tasks")
def list_replenishment_tasks(
    facility_id: int | None = None,
    state: str | None = None,
    pg: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return replenishment.list_tasks(ctx, scope, facility_id=facility_id, state=state, **pg)


@router.post("/replenishment-tasks/{task_id}/confirm")
def confirm_replenishment(
    task_id: int,
    body: ConfirmIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return replenishment.confirm_task(
        ctx,
        task_id,
        qty=body.qty,
        from_scan=body.from_scan,
        to_scan=body.to_scan,
        user=actor,
        device=body.device,
        scope=scope,
    )


@router.post("/replenishment-tasks/{task_id}/cancel")
def cancel_replenishment(
    task_id: int,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return replenishment.cancel_task(ctx, task_id, user=actor, scope=scope)
