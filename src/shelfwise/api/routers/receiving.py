"""Inbound over HTTP: receipts (PO / ASN), receive scans, closing with a discrepancy
report, putaway tasks confirmed by scanning, and fixed pick faces.

Scan endpoints take the raw strings the handheld sent and an ``Idempotency-Key``
header, so a scan retried on bad Wi-Fi is counted once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.services import putaway, receiving
from shelfwise.services.context import Context

router = APIRouter(tags=["receiving"])
Scope = frozenset[int] | None
IdemKey = Header(None, alias="Idempotency-Key", max_length=128)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptLineIn(Body):
    item_id: StrictInt
    expected_qty: StrictInt
    lot: str | None = Field(None, max_length=20)
    expiry: date | None = None


class ReceiptIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    type: str = Field(description="purchase_order or asn")
    reference: str = Field(min_length=1, max_length=64)
    supplier: str = Field("", max_length=200)
    expected_date: date | None = None
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=1000)


class ReceiveScanIn(Body):
    location_scan: str = Field(max_length=200, description="the dock's barcode as scanned")
    item_scan: str = Field(max_length=200, description="the product barcode as scanned")
    qty: StrictInt
    damaged: StrictBool = False
    lot: str | None = Field(None, max_length=20)
    expiry: date | None = None
    device: str = Field("", max_length=64)


class PutawayConfirmIn(Body):
    location_scan: str = Field(max_length=200)
    item_scan: str = Field(max_length=200)
    qty: StrictInt | None = None
    reason: str = Field("", max_length=200, description="why not the suggested location")
    device: str = Field("", max_length=64)


class PickFaceIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    facility_id: StrictInt
    location_id: StrictInt
    min_qty: StrictInt
    max_qty: StrictInt


@router.post("/receipts", status_code=201)
def create_receipt(
    body: ReceiptIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return receiving.create_receipt(
        ctx,
        owner_id=body.owner_id,
        facility_id=body.facility_id,
        type=body.type,
        reference=body.reference,
        supplier=body.supplier,
        expected_date=body.expected_date,
        lines=[ln.model_dump() for ln in body.lines],
        scope=scope,
        user=actor,
    )


@router.get("/receipts")
def list_receipts(
    owner_id: int | None = None,
    facility_id: int | None = None,
    state: str | None = None,
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return receiving.list_receipts(
        ctx,
        scope,
        owner_id=owner_id,
        facility_id=facility_id,
        state=state,
        limit=p["limit"],
        offset=p["offset"],
    )


@router.get("/receipts/{receipt_id}")
def get_receipt(
    receipt_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return receiving.get_receipt(ctx, receipt_id, scope)


@router.post("/receipts/{receipt_id}/scans", status_code=201)
def receive_scan(
    receipt_id: int,
    body: ReceiveScanIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
):
    return receiving.receive_scan(
        ctx,
        receipt_id,
        location_scan=body.location_scan,
        item_scan=body.item_scan,
        qty=body.qty,
        damaged=body.damaged,
        lot=body.lot,
        expiry=body.expiry,
        scope=scope,
        user=actor,
        device=body.device,
        idempotency_key=idempotency_key,
    )


@router.post("/receipts/{receipt_id}/close")
def close_receipt(
    receipt_id: int,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
):
    return receiving.close_receipt(ctx, receipt_id, scope, user=actor)


@router.post("/receipts/{receipt_id}/cancel")
def cancel_receipt(
    receipt_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return receiving.cancel_receipt(ctx, receipt_id, scope)


@router.get("/receipts/{receipt_id}/discrepancies")
def discrepancies(
    receipt_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return receiving.discrepancies(ctx, receipt_id, scope)


@router.post("/receipts/{receipt_id}/putaway-tasks", status_code=201)
def create_putaway_tasks(
    receipt_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    """Tasks for units already at the dock, before the receipt is closed."""
    return putaway.create_putaway_tasks(ctx, receipt_id, scope)


@router.get("/putaway-tasks")
def list_putaway_tasks(
    receipt_id: int | None = None,
    facility_id: int | None = None,
    state: str | None = None,
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return putaway.list_putaway_tasks(
        ctx,
        scope,
        receipt_id=receipt_id,
        facility_id=facility_id,
        state=state,
        limit=p["limit"],
        offset=p["offset"],
    )


@router.get("/putaway-tasks/{task_id}")
def get_putaway_task(
    task_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return putaway.get_putaway_task(ctx, task_id, scope)


@router.post("/putaway-tasks/{task_id}/confirm")
def confirm_putaway(
    task_id: int,
    body: PutawayConfirmIn,
    idempotency_key: str | None = IdemKey,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
):
    return putaway.confirm_putaway(
        ctx,
        task_id,
        location_scan=body.location_scan,
        item_scan=body.item_scan,
        qty=body.qty,
        reason=body.reason,
        scope=scope,
        user=actor,
        device=body.device,
        idempotency_key=idempotency_key,
    )


@router.post("/putaway-tasks/{task_id}/cancel")
def cancel_putaway(
    task_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return putaway.cancel_putaway(ctx, task_id, scope)


@router.post("/putaway/pick-faces", status_code=201)
def assign_pick_face(
    body: PickFaceIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return putaway.assign_pick_face(ctx, **body.model_dump(), scope=scope)


@router.get("/putaway/pick-faces")
def list_pick_faces(
    facility_id: int | None = None,
    item_id: int | None = None,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return putaway.list_pick_faces(ctx, scope, facility_id=facility_id, item_id=item_id)
