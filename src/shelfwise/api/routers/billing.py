"""Billing over HTTP: rate cards (admins), billing runs, storage snapshots, value-added
tasks, and invoices a client reads for its own owners (JSON, CSV or PDF).

Register with ``app.include_router(router, prefix="/api")``. Access: reads on the
``billing`` tag are owner data (a client reads its own invoices; another owner's is a
404 through the scope); writes have no rule of their own, so only admins may make them.
Rate cards are the 3PL's price lists: reading them needs an admin too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.auth.errors import Forbidden
from shelfwise.auth.policy import principal_of
from shelfwise.services import billing, metering
from shelfwise.services.context import Context

router = APIRouter(tags=["billing"])
Scope = frozenset[int] | None
Rate = StrictInt | Annotated[str, Field(min_length=1, max_length=24)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateCardIn(Body):
    effective_from: date
    currency: str = Field("USD", min_length=3, max_length=3)
    minimum_monthly_cents: StrictInt = 0
    rates: dict[Annotated[str, Field(max_length=48)], Rate] = Field(
        default_factory=dict, max_length=64,
        description="cents per unit of each activity; decimal text for fractions ('0.35')")


class BillingRunIn(Body):
    period: str = Field(min_length=7, max_length=7, examples=["2026-10"])
    owner_id: StrictInt | None = None
    issue: StrictBool = False


class StorageMeterIn(Body):
    day: date


class VasIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    task: str = Field(min_length=1, max_length=40, examples=["kitting"])
    qty: StrictInt
    reference: str | None = Field(None, min_length=1, max_length=120)


def require_admin(request: Request) -> None:
    """Rate cards are read by admins only (clients see their rates on their invoices)."""
    if not principal_of(request).is_admin:
        raise Forbidden("rate cards are for admins", code="forbidden")


@router.get("/billing/rate-cards", dependencies=[Depends(require_admin)])
def list_rate_cards(owner_id: int | None = None, ctx: Context = Depends(get_ctx),
                    scope: Scope = Depends(get_scope)) -> list[dict[str, Any]]:
    return billing.list_rate_cards(ctx, scope, owner_id)


@router.get("/billing/rate-cards/{owner_id}", dependencies=[Depends(require_admin)])
def owner_rate_cards(owner_id: int, ctx: Context = Depends(get_ctx),
                     scope: Scope = Depends(get_scope)) -> list[dict[str, Any]]:
    return billing.list_rate_cards(ctx, scope, owner_id)


@router.put("/billing/rate-cards/{owner_id}", dependencies=[Depends(require_admin)])
def put_rate_card(owner_id: int, body: RateCardIn, ctx: Context = Depends(get_ctx),
                  scope: Scope = Depends(get_scope),
                  actor: str = Depends(get_actor)) -> dict[str, Any]:
    return billing.put_rate_card(
        ctx, owner_id, effective_from=body.effective_from, currency=body.currency,
        minimum_monthly_cents=body.minimum_monthly_cents, rates=body.rates, actor=actor,
        scope=scope)


@router.post("/billing/runs", status_code=201)
def run_billing(body: BillingRunIn, ctx: Context = Depends(get_ctx),
                scope: Scope = Depends(get_scope)) -> dict[str, Any]:
    return billing.run_billing(ctx, body.period, body.owner_id, issue=body.issue, scope=scope)


@router.post("/billing/storage-snapshots", status_code=201)
def meter_storage(body: StorageMeterIn, ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return metering.meter_storage(ctx, body.day)


@router.post("/billing/vas", status_code=201)
def record_vas(body: VasIn, ctx: Context = Depends(get_ctx),
               scope: Scope = Depends(get_scope)) -> dict[str, Any]:
    return metering.record_vas(ctx, body.owner_id, body.facility_id, body.task, body.qty,
                               reference=body.reference, scope=scope)


@router.get("/invoices")
def list_invoices(period: str | None = Query(None, max_length=7), owner_id: int | None = None,
                  state: Literal["draft", "issued"] | None = None,
                  ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
                  pg: dict = Depends(page)) -> list[dict[str, Any]]:
    return billing.list_invoices(ctx, scope, period=period, owner_id=owner_id, state=state,
                                 **pg)


@router.get("/invoices/{invoice_id}", response_model=None)
def get_invoice(invoice_id: int, format: Literal["json", "csv", "pdf"] = "json",
                ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
                ) -> dict[str, Any] | Response:
    if format == "json":
        return billing.get_invoice(ctx, invoice_id, scope)
    body, media = billing.render_invoice(ctx, invoice_id, format, scope)
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="invoice-{invoice_id}.{format}"'})


@router.get("/invoices/{invoice_id}/events")
def invoice_events(invoice_id: int, activity: str | None = Query(None, max_length=48),
                   ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
                   pg: dict = Depends(page)) -> list[dict[str, Any]]:
    return billing.invoice_events(ctx, invoice_id, scope, activity=activity, **pg)


@router.post("/invoices/{invoice_id}/issue")
def issue_invoice(invoice_id: int, ctx: Context = Depends(get_ctx),
                  scope: Scope = Depends(get_scope)) -> dict[str, Any]:
    return billing.issue_invoice(ctx, invoice_id, scope)
