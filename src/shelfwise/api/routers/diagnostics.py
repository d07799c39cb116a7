"""Diagnostics over HTTP: control and management KPIs, and the diagnosis (control,
management, both or healthy per item x facility, rollups, where to look).

Register with ``app.include_router(router, prefix="/api")``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from shelfwise.api.deps import get_ctx, get_scope
from shelfwise.services import diagnostics
from shelfwise.services.context import Context

router = APIRouter(tags=["diagnostics"])
Scope = frozenset[int] | None
PERIOD = Query(None, max_length=32, description="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD "
               "(end exclusive); default the last 90 days")


@router.get("/kpis")
def get_kpis(
    facility_id: int | None = Query(None, ge=1), owner_id: int | None = Query(None, ge=1),
    period: str | None = PERIOD,
    by: Literal["item", "zone", "owner", "facility"] = "facility",
    ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
) -> dict[str, Any]:
    """Control KPIs (record accuracy, variances, refused scans, short picks, flow times,
    adjustments by reason) and management KPIs (forecast accuracy and bias, fill rate,
    stockout days, days of supply, excess, turns, positioning and channel misses)."""
    return diagnostics.kpis(ctx, scope, facility_id, owner_id, period, by)


@router.get("/diagnosis")
def get_diagnosis(
    facility_id: int | None = Query(None, ge=1), owner_id: int | None = Query(None, ge=1),
    period: str | None = PERIOD,
    ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope),
) -> dict[str, Any]:
    """Per owner x item x facility: control, management, both or healthy, with the
    evidence; rollups per owner, facility and zone; the costliest problems first."""
    return diagnostics.diagnose(ctx, scope, facility_id, owner_id, period)
