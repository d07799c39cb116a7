"""Scanner screens for the floor workflows: receive, put away, pick, pack and ship,
and blind counting. Each calls one service command with what was scanned; the service
validates the scans, records refusals and posts to the ledger.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.services import counting, orders, picking, putaway, receiving, shipping
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, optional_qty, panel, parse_qty
from shelfwise.web.templating import actor_of, ctx_of, device_of, render, scope_of

router = APIRouter(tags=["floor"], include_in_schema=False)
Field = Annotated[str, Form()]


def _who(request: Request) -> dict[str, Any]:
    return {"scope": scope_of(request), "user": actor_of(request), "device": device_of(request)}


def _not_found(request: Request, err: NotFound) -> HTMLResponse:
    return render(request, "error.html", status=404, error=err)


# -- receive ---------------------------------------------------------------------------


@router.get("/receive", response_class=HTMLResponse)
def receive_list(request: Request) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    rows = [r for state in ("receiving", "open")
            for r in receiving.list_receipts(ctx, scope, state=state, limit=50)]
    return render(request, "scan/list.html", title="Receive", rows=[
        {"href": f"/scan/receive/{r['id']}", "label": f"{r['type'].upper()} {r['reference']}",
         "note": f"{r['supplier']} · {r['state']}"} for r in rows],
        empty="No open receipts.")


def _receipt_panel(request: Request, receipt_id: int, result: Outcome | None, **extra: Any):
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    receipt = receiving.get_receipt(ctx, receipt_id, scope)
    for ln in receipt["lines"]:
        ln["sku"] = names.item(ln["item_id"])
    return panel(request, "scan/_receive_panel.html", result, receipt=receipt,
                 key=uuid.uuid4().hex, **extra)


@router.get("/receive/{receipt_id}", response_class=HTMLResponse)
def receive_screen(request: Request, receipt_id: int) -> HTMLResponse:
    try:
        return _receipt_panel(request, receipt_id, None, page=True)
    except NotFound as e:
        return _not_found(request, e)


@router.post("/receive/{receipt_id}", response_class=HTMLResponse)
def receive_scan(request: Request, receipt_id: int, dock_scan: Field = "",
                 item_scan: Field = "", qty: Field = "", key: Field = "") -> HTMLResponse:
    got, bad = attempt(lambda: receiving.receive_scan(
        ctx_of(request), receipt_id, location_scan=dock_scan, item_scan=item_scan,
        qty=parse_qty(qty, default=1), idempotency_key=key or None, **_who(request)))
    result = bad or Outcome(True, "Received", f"{got['qty']} unit(s)"
                            + (f" lot {got['lot']}" if got["lot"] else ""),
                            details=[("movement", got["movement_id"])])
    return _receipt_panel(request, receipt_id, result)


@router.post("/receive/{receipt_id}/close", response_class=HTMLResponse)
def receive_close(request: Request, receipt_id: int) -> HTMLResponse:
    scope = scope_of(request)
    closed, bad = attempt(lambda: receiving.close_receipt(
        ctx_of(request), receipt_id, scope, user=actor_of(request)))
    result = bad or Outcome(True, "Receipt closed",
                            f"{len(closed['putaway_task_ids'])} putaway task(s) created")
    return _receipt_panel(request, receipt_id, result,
                          task_ids=closed["putaway_task_ids"] if closed else [])


# -- put away --------------------------------------------------------------------------


def _open_putaways(request: Request) -> list[dict[str, Any]]:
    return putaway.list_putaway_tasks(ctx_of(request), scope_of(request), state="open",
                                      limit=100)


@router.get("/putaway", response_class=HTMLResponse)
def putaway_list(request: Request) -> HTMLResponse:
    names = Names(ctx_of(request), scope_of(request))
    return render(request, "scan/list.html", title="Put away", rows=[
        {"href": f"/scan/putaway/{t['id']}",
         "label": f"{t['remaining']} × {names.item(t['item_id'])}",
         "note": f"from {names.location(t['from_location_id'])} → "
                 f"{names.location(t['suggested_location_id']) or 'any storage'}"}
        for t in _open_putaways(request)], empty="Nothing to put away.")


def _putaway_panel(request: Request, task_id: int | None, result: Outcome | None,
                   **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    task = putaway.get_putaway_task(ctx, task_id, scope) if task_id else None
    if task:
        task = {**task, "sku": names.item(task["item_id"]),
                "from_code": names.location(task["from_location_id"]),
                "suggested_code": names.location(task["suggested_location_id"])}
    return panel(request, "scan/_putaway_panel.html", result, task=task,
                 key=uuid.uuid4().hex, **extra)


@router.get("/putaway/{task_id}", response_class=HTMLResponse)
def putaway_screen(request: Request, task_id: int) -> HTMLResponse:
    try:
        return _putaway_panel(request, task_id, None, page=True)
    except NotFound as e:
        return _not_found(request, e)


@router.post("/putaway/{task_id}", response_class=HTMLResponse)
def putaway_scan(request: Request, task_id: int, location_scan: Field = "",
                 item_scan: Field = "", qty: Field = "", reason: Field = "",
                 key: Field = "") -> HTMLResponse:
    done, bad = attempt(lambda: putaway.confirm_putaway(
        ctx_of(request), task_id, location_scan=location_scan, item_scan=item_scan,
        qty=optional_qty(qty), reason=reason.strip(), idempotency_key=key or None,
        **_who(request)))
    if bad:
        return _putaway_panel(request, task_id, bad)
    result = Outcome(True, "Put away", f"{done['put_qty']} unit(s)",
                     details=[("movement", done["movement_id"])])
    if done["state"] == "open":
        return _putaway_panel(request, task_id, result)
    following = [t for t in _open_putaways(request) if t["id"] != task_id]
    return _putaway_panel(request, following[0]["id"] if following else None, result)


# -- pick ------------------------------------------------------------------------------


@router.get("/pick", response_class=HTMLResponse)
def pick_list(request: Request) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    waves: dict[int, int] = {}
    for o in orders.list_orders(ctx, scope, state="waved", limit=500):
        if o["wave_id"] is not None:
            waves[o["wave_id"]] = waves.get(o["wave_id"], 0) + 1
    return render(request, "scan/list.html", title="Pick", rows=[
        {"href": f"/scan/pick/{w}", "label": f"Wave {w}", "note": f"{n} order(s)"}
        for w, n in sorted(waves.items())], empty="No waves to pick.")


def _pick_panel(request: Request, wave_id: int, result: Outcome | None,
                **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    wave = picking.get_wave(ctx, wave_id, scope)
    tasks = picking.list_pick_tasks(ctx, wave_id, scope)
    return panel(request, "scan/_pick_panel.html", result, wave=wave,
                 task=tasks[0] if tasks else None, left=len(tasks), **extra)


@router.get("/pick/{wave_id}", response_class=HTMLResponse)
def pick_screen(request: Request, wave_id: int) -> HTMLResponse:
    try:
        return _pick_panel(request, wave_id, None, page=True)
    except NotFound as e:
        return _not_found(request, e)


@router.post("/pick/{wave_id}", response_class=HTMLResponse)
def pick_scan(request: Request, wave_id: int, task_id: Field = "", location_scan: Field = "",
              item_scan: Field = "", qty: Field = "") -> HTMLResponse:
    def run() -> dict[str, Any]:
        if not task_id.isdigit():
            raise NotFound("no pick task was shown", code="task_not_found")
        who = _who(request)
        return picking.confirm_pick(ctx_of(request), int(task_id), location_scan, item_scan,
                                    optional_qty(qty), **who)

    done, bad = attempt(run)
    result = bad or Outcome(True, "Picked" if not done.get("short") else "Short pick",
                            f"{done.get('picked_qty')} unit(s)")
    return _pick_panel(request, wave_id, result)


# -- pack and ship ---------------------------------------------------------------------


@router.get("/pack", response_class=HTMLResponse)
def pack_list(request: Request) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    rows = [o for state in ("picked", "packed")
            for o in orders.list_orders(ctx, scope, state=state, limit=200)]
    return render(request, "scan/list.html", title="Pack and ship", rows=[
        {"href": f"/scan/pack/{o['id']}", "label": f"Order {o['number']}",
         "note": f"{o['state']} · {o['carrier']}"} for o in rows],
        empty="No orders waiting to be packed or shipped.")


def _pack_panel(request: Request, order_id: int, result: Outcome | None,
                **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    order = orders.get_order(ctx, order_id, scope)
    for ln in order["lines"]:
        ln["sku"] = names.item(ln["item_id"])
    cartons = shipping.list_cartons(ctx, order_id, scope)
    return panel(request, "scan/_pack_panel.html", result, order=order, cartons=cartons,
                 **extra)


@router.get("/pack/{order_id}", response_class=HTMLResponse)
def pack_screen(request: Request, order_id: int) -> HTMLResponse:
    try:
        return _pack_panel(request, order_id, None, page=True)
    except NotFound as e:
        return _not_found(request, e)


@router.post("/pack/{order_id}", response_class=HTMLResponse)
def pack_scan(request: Request, order_id: int, scans: Field = "",
              weight_g: Field = "") -> HTMLResponse:
    raws = [s.strip() for s in scans.splitlines() if s.strip()]
    packed, bad = attempt(lambda: shipping.pack_carton(
        ctx_of(request), order_id, raws, weight_g=optional_qty(weight_g), **_who(request)))
    result = bad or Outcome(True, "Carton packed", f"SSCC {packed['sscc']}",
                            details=[("order", packed["order_state"])])
    return _pack_panel(request, order_id, result)


@router.post("/pack/{order_id}/ship", response_class=HTMLResponse)
def ship(request: Request, order_id: int) -> HTMLResponse:
    shipped, bad = attempt(lambda: shipping.ship_order(ctx_of(request), order_id,
                                                       **_who(request)))
    result = bad or Outcome(True, "Shipped", f"tracking {shipped.get('tracking_number', '')}",
                            details=[("movement", shipped.get("movement_id"))])
    return _pack_panel(request, order_id, result)


# -- count (blind) ---------------------------------------------------------------------


def _open_counts(request: Request) -> list[dict[str, Any]]:
    return counting.list_count_tasks(ctx_of(request), scope_of(request), state="open",
                                     limit=100)


@router.get("/count", response_class=HTMLResponse)
def count_list(request: Request) -> HTMLResponse:
    return render(request, "scan/list.html", title="Count", rows=[
        {"href": f"/scan/count/{t['id']}", "label": t["location_code"],
         "note": f"{t['kind']} · due {t['due_date']}"} for t in _open_counts(request)],
        empty="No counts due.")


def _count_panel(request: Request, task_id: int | None, result: Outcome | None,
                 **extra: Any) -> HTMLResponse:
    task = (counting.get_count_task(ctx_of(request), task_id, scope_of(request))
            if task_id else None)
    return panel(request, "scan/_count_panel.html", result, task=task, **extra)


@router.get("/count/{task_id}", response_class=HTMLResponse)
def count_screen(request: Request, task_id: int) -> HTMLResponse:
    try:
        return _count_panel(request, task_id, None, page=True)
    except NotFound as e:
        return _not_found(request, e)


@router.post("/count/{task_id}", response_class=HTMLResponse)
def count_scan(request: Request, task_id: int, location_scan: Field = "",
               item_scan: Field = "", qty: Field = "") -> HTMLResponse:
    def run() -> dict[str, Any]:
        if item_scan.strip() and not qty.strip().isdigit():
            raise InvalidInput("type how many you counted (0 or more)", code="invalid_quantity")
        lines = ([counting.CountedLine(item_scan.strip(), int(qty))]
                 if item_scan.strip() else [])
        who = _who(request)
        return counting.submit_count(ctx_of(request), task_id, location_scan=location_scan,
                                     lines=lines, user=who["user"], device=who["device"],
                                     scope=who["scope"])

    done, bad = attempt(run)
    if bad:
        return _count_panel(request, task_id, bad)
    result = Outcome(True, "Count recorded", "thank you — next location")
    following = [t for t in _open_counts(request) if t["id"] != task_id]
    return _count_panel(request, following[0]["id"] if following else None, result)
