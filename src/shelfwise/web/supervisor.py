"""Supervisor screens: refused scans to follow up, held stock to release, and count
variances to approve (the one place a count changes the books).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.barcodes import ScanError, parse_scan
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.locations import HELD_KINDS, LocationKind
from shelfwise.services import catalog, counting, lookup, quarantine, scans, stock
from shelfwise.services.context import Context
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, location_for_scan, panel, parse_qty
from shelfwise.web.templating import Scope, actor_of, ctx_of, device_of, render, scope_of

#: Releases and approvals need the approve permission (paths */release, */approve);
#: other writes here are floor work.
router = APIRouter(prefix="/supervisor", tags=["floor"], include_in_schema=False)
Field = Annotated[str, Form()]


def _own_label(ctx: Context, scope: frozenset[int], raw: str) -> bool:
    """Whether a scanned label is a location or a product or carton of these owners."""
    try:
        scan = parse_scan(raw)
    except ScanError:
        return False
    if scan.gtin14:
        return bool(catalog.find_items_by_gtin(ctx, scan.gtin14, scope))
    if scan.sscc:
        return lookup.carton_by_sscc(ctx, scan.sscc, scope) is not None
    try:
        return bool(scan.code) and bool(catalog.find_location_by_barcode(ctx, scan.code))
    except NotFound:
        return False


def _hide_other_owners_labels(ctx: Context, scope: Scope, rows: list[dict[str, Any]]) -> None:
    """A refused scan on an owner's task can be another owner's label (the picker took the
    wrong product): a caller limited to some owners sees the scan only when it is a
    location or one of its own labels, never another owner's barcode."""
    if scope is None:
        return
    own: dict[str, bool] = {}
    for r in rows:
        raw = r["scanned"] or ""
        if raw and raw not in own:
            own[raw] = _own_label(ctx, scope, raw)
        if raw and not own[raw]:
            r["scanned"] = "(not one of your labels)"
            r["message"] = re.sub(r"\d{8,}", "…", r["message"].replace(raw, "…"))


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions(request: Request, offset: int = 0) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    rows = scans.list_exceptions(ctx, scope, limit=100, offset=max(0, offset))
    _hide_other_owners_labels(ctx, scope, rows)
    for r in rows:
        r["owner"] = names.owner(r["owner_id"])
        r["facility"] = names.facility(r["facility_id"])
    return render(request, "supervisor/exceptions.html", rows=rows, offset=max(0, offset))


# -- holds -----------------------------------------------------------------------------


def held_stock(request: Request) -> list[dict[str, Any]]:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    held = {k.value for k in HELD_KINDS}
    rows = [b for b in stock.bin_balances(ctx, scope, limit=1000) if b["kind"] in held]
    for r in rows:
        r["owner"] = names.owner(r["owner_id"])
        r["facility"] = names.facility(r["facility_id"])
    return rows


def _holds_panel(request: Request, result: Outcome | None, **extra: Any) -> HTMLResponse:
    return panel(request, "supervisor/_holds_panel.html", result, rows=held_stock(request),
                 **extra)


@router.get("/holds", response_class=HTMLResponse)
def holds(request: Request) -> HTMLResponse:
    return _holds_panel(request, None, page=True)


@router.post("/holds/release", response_class=HTMLResponse)
def release(request: Request, owner_id: Field = "", item_id: Field = "",
            location_id: Field = "", lot: Field = "", qty: Field = "",
            to_scan: Field = "", reason: Field = "") -> HTMLResponse:
    def run() -> dict[str, Any]:
        if not (owner_id.isdigit() and item_id.isdigit() and location_id.isdigit()):
            raise InvalidInput("choose held stock to release", code="invalid_request")
        dst = location_for_scan(ctx_of(request), to_scan)
        if LocationKind(dst["kind"]) in HELD_KINDS:
            raise InvalidInput(f"{dst['code']} is a held location", code="wrong_location")
        return quarantine.release_stock(
            ctx_of(request), owner_id=int(owner_id), item_id=int(item_id),
            from_location_id=int(location_id), to_location_id=dst["id"],
            qty=parse_qty(qty), lot=lot, reason=reason.strip() or "released",
            user=actor_of(request), device=device_of(request), scope=scope_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, "Released", f"{done['qty']} unit(s)",
                            details=[("movement", done["movement_id"])])
    return _holds_panel(request, result)


# -- count approvals -------------------------------------------------------------------


def _counts_panel(request: Request, result: Outcome | None, **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    waiting = counting.list_count_tasks(ctx, scope, state="awaiting_approval", limit=100)
    reviews = [counting.review_count(ctx, t["id"], scope) for t in waiting]
    return panel(request, "supervisor/_counts_panel.html", result, reviews=reviews, **extra)


@router.get("/counts", response_class=HTMLResponse)
def counts(request: Request) -> HTMLResponse:
    return _counts_panel(request, None, page=True)


@router.post("/counts/{task_id}/approve", response_class=HTMLResponse)
def approve(request: Request, task_id: int) -> HTMLResponse:
    done, bad = attempt(lambda: counting.approve_count(
        ctx_of(request), task_id, user=actor_of(request), scope=scope_of(request)))
    result = bad or Outcome(True, "Variance approved", f"count {task_id}",
                            details=[("movement", done["movement_id"])])
    return _counts_panel(request, result)


@router.post("/counts/{task_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, task_id: int) -> HTMLResponse:
    _, bad = attempt(lambda: counting.cancel_count(
        ctx_of(request), task_id, user=actor_of(request), scope=scope_of(request)))
    return _counts_panel(request, bad or Outcome(True, "Count cancelled", f"count {task_id}"))

