"""Cycle counting over HTTP: item classes, count plans and tasks, blind counts,
supervisor review and approval, record accuracy.

The counter's endpoints (task, list, submit) never return expected quantities; only
``/review`` (a supervisor's) does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field, StrictInt

from shelfwise.api.deps import get_actor, get_ctx, get_scope, page
from shelfwise.api.schemas import Body
from shelfwise.domain.classification import AbcCuts
from shelfwise.domain.counting import Tolerance
from shelfwise.services import counting
from shelfwise.services.context import Context
from shelfwise.services.counting import CountedLine

router = APIRouter(tags=["counting"])
Scope = frozenset[int] | None


class ClassifyIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    since: datetime
    until: datetime
    basis: str = Field("units", pattern="^(units|value)$")
    a_share: float = Field(0.80, gt=0, le=1)
    b_share: float = Field(0.95, gt=0, le=1)


class PlanIn(Body):
    owner_id: StrictInt
    facility_id: StrictInt
    start: date
    days: StrictInt = 30
    frequencies: dict[str, StrictInt] | None = None


class ToleranceIn(Body):
    tolerance_units: StrictInt = Field(0, ge=0)
    tolerance_basis_points: StrictInt = Field(0, ge=0, le=1_000_000)


class TasksIn(ToleranceIn):
    owner_id: StrictInt
    location_ids: list[StrictInt] = Field(min_length=1, max_length=1000)
    due_date: date | None = None


class ScheduledIn(ToleranceIn):
    owner_id: StrictInt
    facility_id: StrictInt
    day: date
    anchor: date | None = None
    frequencies: dict[str, StrictInt] | None = None


class CountedLineIn(Body):
    scan: str = Field(min_length=1, max_length=200)
    qty: StrictInt
    lot: str | None = Field(None, max_length=20)


class SubmitIn(Body):
    location_scan: str = Field(min_length=1, max_length=200)
    lines: list[CountedLineIn] = Field(default_factory=list, max_length=1000)
    device: str = Field("", max_length=64)


def _tol(b: ToleranceIn) -> Tolerance:
    return Tolerance(b.tolerance_units, b.tolerance_basis_points)


@router.post("/item-classes/compute")
def compute_classes(
    body: ClassifyIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> list[dict[str, Any]]:
    return counting.classify_items(
        ctx,
        owner_id=body.owner_id,
        facility_id=body.facility_id,
        since=body.since,
        until=body.until,
        basis=body.basis,
        cuts=AbcCuts(body.a_share, body.b_share),
        scope=scope,
    )


@router.get("/item-classes")
def list_classes(
    owner_id: int | None = None,
    facility_id: int | None = None,
    pg: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return counting.list_item_classes(ctx, scope, owner_id=owner_id, facility_id=facility_id, **pg)


@router.post("/count-plan")
def count_plan(
    body: PlanIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> list[dict[str, Any]]:
    return counting.count_plan(
        ctx,
        owner_id=body.owner_id,
        facility_id=body.facility_id,
        start=body.start,
        days=body.days,
        frequencies=body.frequencies,
        scope=scope,
    )


@router.post("/count-tasks", status_code=201)
def create_tasks(
    body: TasksIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> list[dict[str, Any]]:
    return counting.create_count_tasks(
        ctx,
        owner_id=body.owner_id,
        location_ids=body.location_ids,
        tolerance=_tol(body),
        due_date=body.due_date,
        scope=scope,
    )


@router.post("/count-tasks/scheduled", status_code=201)
def create_scheduled(
    body: ScheduledIn, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> list[dict[str, Any]]:
    return counting.create_scheduled_tasks(
        ctx,
        owner_id=body.owner_id,
        facility_id=body.facility_id,
        day=body.day,
        frequencies=body.frequencies,
        tolerance=_tol(body),
        anchor=body.anchor,
        scope=scope,
    )


@router.get("/count-tasks")
def list_tasks(
    facility_id: int | None = None,
    state: str | None = None,
    pg: dict = Depends(page),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> list[dict[str, Any]]:
    return counting.list_count_tasks(ctx, scope, facility_id=facility_id, state=state, **pg)


@router.get("/count-tasks/{task_id}")
def get_task(
    task_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return counting.get_count_task(ctx, task_id, scope)


@router.post("/count-tasks/{task_id}/submit")
def submit(
    task_id: int,
    body: SubmitIn,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return counting.submit_count(
        ctx,
        task_id,
        location_scan=body.location_scan,
        lines=[CountedLine(ln.scan, ln.qty, ln.lot) for ln in body.lines],
        user=actor,
        device=body.device,
        scope=scope,
    )


@router.get("/count-tasks/{task_id}/review")
def review(
    task_id: int, ctx: Context = Depends(get_ctx), scope: Scope = Depends(get_scope)
) -> dict[str, Any]:
    return counting.review_count(ctx, task_id, scope)


@router.post("/count-tasks/{task_id}/approve")
def approve(
    task_id: int,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return counting.approve_count(ctx, task_id, user=actor, scope=scope)


@router.post("/count-tasks/{task_id}/cancel")
def cancel(
    task_id: int,
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
    actor: str = Depends(get_actor),
) -> dict[str, Any]:
    return counting.cancel_count(ctx, task_id, user=actor, scope=scope)


@router.get("/counts/accuracy")
def accuracy(
    owner_id: int | None = None,
    facility_id: int | None = None,
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    ctx: Context = Depends(get_ctx),
    scope: Scope = Depends(get_scope),
) -> dict[str, Any]:
    return counting.record_accuracy(
        ctx, scope, owner_id=owner_id, facility_id=facility_id, since=since, until=until
    )
