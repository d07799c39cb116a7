"""Outbound over HTTP: orders, allocation, waves, picking by scan, packing, shipping."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.domain.picking import SEQUENTIAL, SERPENTINE, WaveRules
from shelfwise.services import orders, picking, shipping
from shelfwise.services.context import Context

router = APIRouter(tags=["outbound"])
Scope = frozenset[int] | None
IdemKey = Header(None, alias="Idempotency-Key", max_length=128)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Body):
    name: str = Field(min_length=1, max_length=100)
    lines: list[str] = Field(default_factory=list, max_length=4)
    city: str = Field(min_length=1, max_length=60)
    postcode: str = Field(min_length=1, max_length=20)
    country: str = Field(min_length=2, max_length=2)


class OrderLineIn(Body):
    item_id: StrictInt
    qty: StrictInt


class OrderIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    number: str = Field(min_length=1, max_length=64)
    channel: str = "b2c"
    priority: StrictInt = 0
    carrier: str = Field("manual", min_length=1, max_length=32)
    service: str = Field("standard", min_length=1, max_length=32)
    cutoff_at: datetime | None = None
    ship_to: AddressIn
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)


class AllocateIn(Body):
    order_ids: list[StrictInt] = Field(min_length=1, max_length=1000)


class WaveIn(Body):
    facility_id: StrictInt
    order_ids: list[StrictInt] | None = Field(None, max_length=5000)
    carrier: str | None = None
    cutoff_before: datetime | None = None
    allow_partial: StrictBool = False
    max_orders: StrictInt = Field(200, ge=1, le=5000)
    max_lines: StrictInt = Field(2000, ge=1, le=50000)
    staging_location_id: StrictInt | None = None


class PickIn(Body):
    location_scan: str = Field(min_length=1, max_length=200)
    item_scan: str = Field("", max_length=200)
    qty: StrictInt | None = Field(None, ge=0)
    device: str = Field("", max_length=64)


class BatchPickLine(Body):
    task_id: StrictInt
    location_scan: str = Field(min_length=1, max_length=200)
    item_scan: str = Field("", max_length=200)
    qty: StrictInt | None = Field(None, ge=0)


class BatchPickIn(Body):
    picks: list[BatchPickLine] = Field(min_length=1, max_length=500)
    device: str = Field("", max_length=64)


class CartonIn(Body):
    scans: list[str] = Field(min_length=1, max_length=2000)
    weight_g: StrictInt | None = None
    device: str = Field("", max_length=64)


class ShipIn(Body):
    device: str = Field("", max_length=64)


@router.post("/orders", status_code=201)
def create_order(body: OrderIn, ctx: Context = Depends(get_ctx),
                 scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    spec = orders.OrderSpec(
        body.owner_id, body.facility_id, body.number,
        tuple((ln.item_id, ln.qty) for ln in body.lines), body.ship_to.model_dump(),
        body.channel, body.priority, body.carrier, body.service, body.cutoff_at)
    return orders.create_order(ctx, spec, scope, actor)


@router.get("/orders")
def list_orders(facility_id: int | None = None, state: str | None = None,
                wave_id: int | None = None, p: dict = Depends(page),
                ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return orders.list_orders(ctx, scope, facility_id=facility_id, state=state, wave_id=wave_id,
                              **p)


@router.get("/orders/{order_id}")
def get_order(order_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return orders.get_order(ctx, order_id, scope)


@router.post("/orders/allocate")
def allocate_orders(body: AllocateIn, ctx: Context = Depends(get_ctx),
                    scope: Scope = Depends(get_scope)) -> list[dict[str, Any]]:
    return orders.allocate_orders(ctx, body.order_ids, scope)


@router.post("/orders/{order_id}/allocate")
def allocate_order(order_id: int, ctx: Context = Depends(get_ctx),
                   scope: Scope = Depends(get_scope)):
    return orders.allocate_order(ctx, order_id, scope)


@router.post("/orders/{order_id}/cancel")
def cancel_order(order_id: int, ctx: Context = Depends(get_ctx),
                 scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return orders.cancel_order(ctx, order_id, scope, actor)


@router.post("/waves", status_code=201)
def create_waves(body: WaveIn, ctx: Context = Depends(get_ctx),
                 scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return picking.create_waves(
        ctx, body.facility_id, order_ids=body.order_ids, carrier=body.carrier,
        cutoff_before=body.cutoff_before, allow_partial=body.allow_partial,
        rules=WaveRules(body.max_orders, body.max_lines),
        staging_location_id=body.staging_location_id, scope=scope, user=actor)


@router.get("/waves/{wave_id}")
def get_wave(wave_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return picking.get_wave(ctx, wave_id, scope)


@router.get("/waves/{wave_id}/tasks")
def list_tasks(wave_id: int, zone_id: int | None = None,
               state: Literal["open", "picked", "short", "cancelled", "all"] = "open",
               path: Literal["sequential", "serpentine"] = "sequential",
               ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return picking.list_pick_tasks(ctx, wave_id, scope, zone_id=zone_id,
                                   state=None if state == "all" else state,
                                   path=SERPENTINE if path == "serpentine" else SEQUENTIAL)


@router.post("/pick-tasks/{task_id}/confirm")
def confirm_pick(task_id: int, body: PickIn, idempotency_key: str | None = IdemKey,
                 ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
                 actor: str = Depends(get_actor)):
    return picking.confirm_pick(ctx, task_id, body.location_scan, body.item_scan, body.qty,
                                scope=scope, user=actor, device=body.device,
                                idempotency_key=idempotency_key)


@router.post("/picks")
def confirm_picks(body: BatchPickIn, ctx: Context = Depends(get_ctx),
                  scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return picking.confirm_picks(
        ctx, [picking.PickConfirm(p.task_id, p.location_scan, p.item_scan, p.qty)
              for p in body.picks], scope=scope, user=actor, device=body.device)


@router.get("/count-requests")
def count_requests(facility_id: int | None = None, state: str | None = "open",
                   p: dict = Depends(page), ctx: Context = Depends(get_ctx),
                   scope: Scope = Depends(get_scope)):
    return picking.list_count_requests(ctx, scope, facility_id, state, **p)


@router.post("/orders/{order_id}/cartons", status_code=201)
def pack_carton(order_id: int, body: CartonIn, ctx: Context = Depends(get_ctx),
                scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return shipping.pack_carton(ctx, order_id, body.scans, weight_g=body.weight_g, scope=scope,
                                user=actor, device=body.device)


@router.get("/orders/{order_id}/cartons")
def list_cartons(order_id: int, ctx: Context = Depends(get_ctx),
                 scope: Scope = Depends(get_scope)):
    return shipping.list_cartons(ctx, order_id, scope)


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: int, body: ShipIn | None = None, ctx: Context = Depends(get_ctx),
               scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return shipping.ship_order(ctx, order_id, scope=scope, user=actor,
                               device=body.device if body else "")


@router.post("/waves/{wave_id}/ship")
def ship_wave(wave_id: int, body: ShipIn | None = None, ctx: Context = Depends(get_ctx),
              scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return shipping.ship_wave(ctx, wave_id, scope=scope, user=actor,
                              device=body.device if body else "")


@router.get("/shipments/{shipment_id}")
def get_shipment(shipment_id: int, ctx: Context = Depends(get_ctx),
                 scope: Scope = Depends(get_scope)):
    return shipping.get_shipment(ctx, shipment_id, scope)


@router.get("/shipments/{shipment_id}/label")
def get_label(shipment_id: int, ctx: Context = Depends(get_ctx),
              scope: Scope = Depends(get_scope)) -> Response:
    body, fmt = shipping.get_label(ctx, shipment_id, scope)
    media = "application/pdf" if fmt == "pdf" else "text/plain; charset=utf-8"
    return Response(body, media_type=media)


__all__ = ["router", "Query"]
