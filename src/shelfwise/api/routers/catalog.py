"""Catalog endpoints: owners, facilities, zones, locations, items, lots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from shelfwise.api.deps import get_ctx, get_scope, page
from shelfwise.api.schemas import FacilityIn, ItemIn, ItemPatch, LocationIn, LotIn, OwnerIn, ZoneIn
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.errors import NotFound
from shelfwise.services import catalog
from shelfwise.services.context import Context

router = APIRouter(tags=["catalog"])
Scope = frozenset[int] | None


@router.post("/owners", status_code=201)
def create_owner(body: OwnerIn, ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return catalog.create_owner(ctx, body.code, body.name)


@router.get("/owners")
def list_owners(ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return catalog.list_owners(ctx, scope)


@router.get("/owners/{owner_id}")
def get_owner(owner_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return catalog.get_owner(ctx, owner_id, scope)


@router.post("/facilities", status_code=201)
def create_facility(body: FacilityIn, ctx: Context = Depends(get_ctx)):
    return catalog.create_facility(ctx, body.code, body.name)


@router.get("/facilities")
def list_facilities(ctx: Context = Depends(get_ctx)):
    return catalog.list_facilities(ctx)


@router.get("/facilities/{facility_id}")
def get_facility(facility_id: int, ctx: Context = Depends(get_ctx)):
    return catalog.get_facility(ctx, facility_id)


@router.post("/zones", status_code=201)
def create_zone(body: ZoneIn, ctx: Context = Depends(get_ctx)):
    return catalog.create_zone(ctx, body.facility_id, body.code, body.name)


@router.get("/zones")
def list_zones(facility_id: int | None = None, ctx: Context = Depends(get_ctx)):
    return catalog.list_zones(ctx, facility_id)


@router.post("/locations", status_code=201)
def create_location(body: LocationIn, ctx: Context = Depends(get_ctx)):
    lid = catalog.create_locations(ctx, [body.model_dump()])[0]
    return catalog.get_location(ctx, lid)


@router.get("/locations")
def list_locations(
    facility_id: int | None = None,
    kind: str | None = None,
    barcode: str | None = Query(None, max_length=64),
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
):
    if barcode is not None:
        try:
            return [catalog.find_location_by_barcode(ctx, barcode)]
        except NotFound:
            return []
    return catalog.list_locations(ctx, facility_id, kind, p["limit"], p["offset"])


@router.get("/locations/{location_id}")
def get_location(location_id: int, ctx: Context = Depends(get_ctx)):
    return catalog.get_location(ctx, location_id)


@router.post("/items", status_code=201)
def create_item(body: ItemIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    data = body.model_dump()
    data["gtins"] = tuple(data["gtins"])
    return catalog.create_item(ctx, ItemSpec(**data), scope)


@router.get("/items")
def list_items(
    owner_id: int | None = None,
    sku: str | None = Query(None, max_length=64),
    p: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return catalog.list_items(ctx, scope, owner_id, p["limit"], p["offset"], sku)


@router.get("/items/{item_id}")
def get_item(item_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return catalog.get_item(ctx, item_id, scope)


@router.patch("/items/{item_id}")
def patch_item(
    item_id: int,
    body: ItemPatch,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
):
    return catalog.update_item(ctx, item_id, scope, body.model_dump(exclude_none=True))


@router.post("/items/{item_id}/lots", status_code=201)
def create_lot(
    item_id: int, body: LotIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
):
    return catalog.create_lot(ctx, item_id, body.code, body.expiry, scope)


@router.get("/items/{item_id}/lots")
def list_lots(item_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return catalog.list_lots(ctx, item_id, scope)
