"""Planning over HTTP: plan runs, suggestions with their why, approvals that create real
purchase and transfer orders, supply terms, channel ring-fences and policy simulation.

Register with ``app.include_router(router, prefix="/api")``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.services import planning
from shelfwise.services.context import Context

router = APIRouter(tags=["planning"])
Scope = frozenset[int] | None
Number = StrictInt | StrictFloat


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelPolicyIn(Body):
    kind: Literal["fixed_share", "priority", "forecast_proportional"] = "forecast_proportional"
    shares: dict[str, Number] = Field(default_factory=dict)
    order: list[str] = Field(default_factory=list, max_length=3)


class PlanRunIn(Body):
    owner_id: StrictInt | None = None
    facility_id: StrictInt | None = None
    horizon: StrictInt = 28
    service_level: Number = 0.95
    review_period: StrictInt = 7
    history_days: StrictInt = 365
    channel_policy: ChannelPolicyIn | None = None


class ApproveIn(Body):
    qty: StrictInt | None = Field(None, description="an adjusted quantity; omit to approve")


class ApproveGroupIn(Body):
    group_ref: str = Field(min_length=1, max_length=64)


class SupplyTermsIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    facility_id: StrictInt
    supplier_code: str | None = Field(None, min_length=1, max_length=64)
    supplier_name: str | None = Field(None, max_length=200)
    lead_time_days: Number | None = None
    lead_time_sd_days: Number | None = None
    moq: StrictInt | None = None
    order_multiple: StrictInt | None = None
    case_pack: StrictInt | None = None
    unit_cost_cents: StrictInt | None = None
    ordering_cost_cents: StrictInt | None = None
    holding_rate: Number | None = Field(None, description="annual fraction, e.g. 0.25")


class SimulateIn(Body):
    owner_id: StrictInt | None = None
    facility_id: StrictInt | None = None
    service_levels: list[Number] = Field(default_factory=lambda: [0.9, 0.95, 0.98],
                                         min_length=1, max_length=10)
    review_period: StrictInt = 7
    holdout_days: StrictInt = 56
    history_days: StrictInt = 365
    horizon: StrictInt = 28


@router.post("/plan/runs", status_code=201)
def create_run(body: PlanRunIn, ctx: Context = Depends(get_ctx),
               scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)
               ) -> dict[str, Any]:
    return planning.run_plan(
        ctx, owner_id=body.owner_id, facility_id=body.facility_id, horizon=body.horizon,
        service_level=body.service_level, review_period=body.review_period,
        history_days=body.history_days,
        channel_policy=body.channel_policy.model_dump() if body.channel_policy else None,
        scope=scope, user=actor)


@router.get("/plan/runs/{run_id}")
def get_run(run_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return planning.get_run(ctx, run_id, scope)


@router.get("/suggestions")
def list_suggestions(
    run_id: int | None = None, kind: str | None = None, state: str | None = None,
    owner_id: int | None = None, item_id: int | None = None, facility_id: int | None = None,
    group_ref: str | None = Query(None, max_length=64), p: dict = Depends(page),
    ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
):
    return planning.list_suggestions(
        ctx, scope, run_id=run_id, kind=kind, state=state, owner_id=owner_id, item_id=item_id,
        facility_id=facility_id, group_ref=group_ref, limit=p["limit"], offset=p["offset"])


@router.get("/suggestions/{suggestion_id}")
def get_suggestion(suggestion_id: int, ctx: Context = Depends(get_ctx),
                   scope: Scope = Depends(get_scope)):
    return planning.get_suggestion(ctx, suggestion_id, scope)


@router.post("/suggestions/{suggestion_id}/approve")
def approve(suggestion_id: int, body: ApproveIn | None = None, ctx: Context = Depends(get_ctx),
            scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return planning.approve(ctx, suggestion_id, body.qty if body else None, scope=scope,
                            user=actor)


@router.post("/suggestions/approve-group")
def approve_group(body: ApproveGroupIn, ctx: Context = Depends(get_ctx),
                  scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return planning.approve_group(ctx, body.group_ref, scope=scope, user=actor)


@router.post("/suggestions/{suggestion_id}/reject")
def reject(suggestion_id: int, ctx: Context = Depends(get_ctx),
           scope: Scope = Depends(get_scope), actor: str = Depends(get_actor)):
    return planning.reject(ctx, suggestion_id, scope=scope, user=actor)


@router.get("/supply-terms")
def list_supply_terms(owner_id: int | None = None, item_id: int | None = None,
                      facility_id: int | None = None, p: dict = Depends(page),
                      ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)):
    return planning.list_supply_terms(ctx, scope, owner_id=owner_id, item_id=item_id,
                                      facility_id=facility_id, limit=p["limit"],
                                      offset=p["offset"])


@router.put("/supply-terms")
def put_supply_terms(body: SupplyTermsIn, ctx: Context = Depends(get_ctx),
                     scope: Scope = Depends(get_scope)):
    terms = body.model_dump(exclude={"owner_id", "item_id", "facility_id"}, exclude_none=True)
    return planning.put_supply_terms(ctx, owner_id=body.owner_id, item_id=body.item_id,
                                     facility_id=body.facility_id, terms=terms, scope=scope)


@router.get("/channel-allocations")
def list_channel_allocations(owner_id: int | None = None, item_id: int | None = None,
                             facility_id: int | None = None, active: bool | None = True,
                             p: dict = Depends(page), ctx: Context = Depends(get_ctx),
                             scope: Scope = Depends(get_scope)):
    return planning.channel_allocations(ctx, scope, owner_id=owner_id, item_id=item_id,
                                        facility_id=facility_id, active=active,
                                        limit=p["limit"], offset=p["offset"])


@router.post("/plan/simulate")
def simulate(body: SimulateIn, ctx: Context = Depends(get_ctx),
             scope: Scope = Depends(get_scope)):
    return planning.simulate(ctx, owner_id=body.owner_id, facility_id=body.facility_id,
                             service_levels=body.service_levels,
                             review_period=body.review_period, holdout_days=body.holdout_days,
                             history_days=body.history_days, horizon=body.horizon,
                             scope=scope)
