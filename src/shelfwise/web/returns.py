"""Customer returns at the desk: authorise an RMA against a shipped order, receive the
goods onto a dock, and inspect each line: restock, damaged area or scrap.

Each step is one command of :mod:`shelfwise.services.returns` (receiving posts a RETURN
from the customer location; each inspection posts its own movement). This screen adds
what only the order knows: an RMA is for a shipped order and never returns more of an
item than was shipped, counting the order's earlier RMAs.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.orders import OrderState
from shelfwise.domain.returns import Disposition, RmaState
from shelfwise.services import catalog, lookup, orders, picking, returns, stock
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, panel, parse_qty
from shelfwise.web.templating import actor_of, ctx_of, device_of, scope_of

#: Staff only: reads need read.ops ("floor"), writes the floor permission.
router = APIRouter(prefix="/supervisor", tags=["floor"], include_in_schema=False)
Field = Annotated[str, Form()]
Fields = Annotated[list[str] | None, Form()]
CARDS = 20
DESTINATION_KINDS = (LocationKind.STORAGE.value, LocationKind.PICK_FACE.value,
                     LocationKind.DAMAGED.value)


def _id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**62 else None


def _returned_before(request: Request, order: dict[str, Any]) -> dict[int, int]:
    """Units per item already authorised for return against this order (live RMAs)."""
    ctx, scope = ctx_of(request), scope_of(request)
    out: dict[int, int] = defaultdict(int)
    for r in returns.list_rmas(ctx, scope, order_reference=order["number"], limit=200):
        if r["owner_id"] != order["owner_id"] or r["state"] == RmaState.CANCELLED.value:
            continue
        for ln in returns.get_rma(ctx, r["id"], scope)["lines"]:
            out[ln["item_id"]] += int(ln["qty"])
    return out


def _returnable(request: Request, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's lines with what was shipped, what may still come back, and the lots
    the pickers took (to prefill the lot of a lot-tracked item)."""
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    lots: dict[int, set[str]] = defaultdict(set)
    if order.get("wave_id"):
        for t in picking.list_pick_tasks(ctx, order["wave_id"], scope, state=None):
            if t["order_id"] == order["id"] and t["picked_qty"] and t["lot"]:
                lots[t["order_line_id"]].add(t["lot"])
    left = dict(_returned_before(request, order))
    shipped_of: dict[int, int] = defaultdict(int)
    for ln in order["lines"]:
        shipped_of[ln["item_id"]] += int(ln["shipped"])
    out = []
    for ln in order["lines"]:
        item = names.item_row(ln["item_id"]) or {}
        out.append({**ln, "sku": names.item(ln["item_id"]),
                    "lot_tracked": bool(item.get("lot_tracked")),
                    "lots": sorted(lots[ln["id"]]),
                    "returnable": max(0, shipped_of[ln["item_id"]] - left.get(ln["item_id"], 0))})
    return out


def _chosen_order(request: Request, oid: int | None = None
                  ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], Outcome | None]:
    """The shipped order picked by ``?order_id=`` or typed by ``?order=<number>`` (or
    the one a refused RMA form was for)."""
    ctx, scope = ctx_of(request), scope_of(request)
    q = request.query_params
    oid = oid or _id(q.get("order_id"))
    number = (q.get("order") or "").strip()[:64]
    if oid is None and number:
        found = lookup.orders_by_number(ctx, number, scope)
        if len(found) == 1:
            oid = found[0]["id"]
        elif found:
            return None, found, None
        else:
            return None, [], Outcome(False, "Not found", f"no order is numbered {number!r}",
                                     "order_not_found")
    if oid is None:
        return None, [], None
    try:
        order = orders.get_order(ctx, oid, scope)
    except NotFound as e:
        return None, [], Outcome(False, "Not found", e.detail, e.code)
    if order["state"] != OrderState.SHIPPED.value:
        return None, [], Outcome(False, "Not shipped", f"order {order['number']} is "
                                 f"{order['state']}; only shipped orders come back",
                                 "order_not_shipped")
    order["returnable_lines"] = _returnable(request, order)
    return order, [], None


def _locations(request: Request, facility_id: int) -> dict[str, list[dict[str, Any]]]:
    locs = catalog.list_locations(ctx_of(request), facility_id=facility_id, limit=1000)
    return {"receiving": [loc for loc in locs if loc["kind"] == LocationKind.RECEIVING.value
                          and loc["active"]],
            "destinations": [loc for loc in locs if loc["kind"] in DESTINATION_KINDS
                             and loc["active"]]}


def _cards(request: Request, state: RmaState, names: Names) -> list[dict[str, Any]]:
    ctx, scope = ctx_of(request), scope_of(request)
    cards = []
    places: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for r in returns.list_rmas(ctx, scope, state=state.value, limit=CARDS):
        rma = returns.get_rma(ctx, r["id"], scope)
        rma.update(owner=names.owner(rma["owner_id"]), facility=names.facility(rma["facility_id"]),
                   **places.setdefault(rma["facility_id"], _locations(request, rma["facility_id"])))
        for ln in rma["lines"]:
            ln["stock"] = stock.level(ctx, rma["owner_id"], ln["item_id"], rma["facility_id"])
            ln["received_at_code"] = names.location(ln["received_location_id"])
            ln["disposition_code"] = names.location(ln["disposition_location_id"])
        cards.append(rma)
    return cards


def _panel(request: Request, result: Outcome | None, key: str | None = None,
           order_id: int | None = None, **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    order, choices, problem = _chosen_order(request, order_id)
    if order is not None:
        order["owner"] = names.owner(order["owner_id"])
    recent = returns.list_rmas(ctx, scope, limit=50)
    for r in recent:
        r["owner"] = names.owner(r["owner_id"])
        r["facility"] = names.facility(r["facility_id"])
    return panel(request, "supervisor/returns.html", result or problem, order=order,
                 choices=choices, authorised=_cards(request, RmaState.AUTHORISED, names),
                 received=_cards(request, RmaState.RECEIVED, names), recent=recent,
                 dispositions=[d.value for d in Disposition], key=key or uuid.uuid4().hex,
                 order_query=request.query_params.get("order", ""), **extra)


@router.get("/returns", response_class=HTMLResponse)
def returns_page(request: Request) -> HTMLResponse:
    return _panel(request, None, page=not request.headers.get("hx-request"))


def _rma_lines(request: Request, order: dict[str, Any], line_id: list[str], qty: list[str],
               lot: list[str]) -> list[returns.RmaLine]:
    lines = {ln["id"]: ln for ln in _returnable(request, order)}
    asked: dict[int, int] = defaultdict(int)
    out = []
    for n, raw in enumerate(line_id):
        ln = lines.get(_id(raw) or 0)
        q = (qty[n] if n < len(qty) else "").strip()
        if ln is None:
            raise InvalidInput(f"line {raw!r} is not on order {order['number']}",
                               code="unknown_line")
        if q in ("", "0"):
            continue
        units = parse_qty(q)
        asked[ln["item_id"]] += units
        if asked[ln["item_id"]] > ln["returnable"]:
            raise InvalidInput(f"{ln['sku']}: {ln['returnable']} may come back (shipped less "
                               "earlier returns); asked for more", code="more_than_shipped")
        code = (lot[n] if n < len(lot) else "").strip()
        if ln["lot_tracked"] and not code:
            raise InvalidInput(f"{ln['sku']} is lot-tracked: say which lot comes back",
                               code="lot_required")
        out.append(returns.RmaLine(ln["item_id"], units, code))
    if not out:
        raise InvalidInput("enter how many of a line come back", code="invalid_lines")
    return out


@router.post("/returns", response_class=HTMLResponse)
def create(request: Request, order_id: Field = "", line_id: Fields = None,
           qty: Fields = None, lot: Fields = None, key: Field = "") -> HTMLResponse:
    """Authorise a return of some of a shipped order's units."""
    def run() -> dict[str, Any]:
        oid = _id(order_id)
        if oid is None:
            raise InvalidInput("choose the shipped order", code="order_required")
        order = orders.get_order(ctx_of(request), oid, scope_of(request))
        if order["state"] != OrderState.SHIPPED.value:
            raise InvalidInput(f"order {order['number']} is {order['state']}; only shipped "
                               "orders come back", code="order_not_shipped")
        lines = _rma_lines(request, order, line_id or [], qty or [], lot or [])
        return returns.create_rma(
            ctx_of(request), owner_id=order["owner_id"], facility_id=order["facility_id"],
            order_reference=order["number"], lines=lines, scope=scope_of(request),
            idempotency_key=key or None)

    rma, bad = attempt(run)
    result = bad or Outcome(True, "Return authorised", f"RMA {rma['id']} for order "
                            f"{rma['order_reference']}: {len(rma['lines'])} line(s)")
    # a refused form stays on screen, with its key, to correct and send again
    return _panel(request, result, key=key if bad else None,
                  order_id=_id(order_id) if bad else None)


@router.post("/returns/{rma_id}/receive", response_class=HTMLResponse)
def receive(request: Request, rma_id: int, to_location_id: Field = "",
            line_id: Fields = None, received: Fields = None) -> HTMLResponse:
    """Receive the goods onto a dock; a line's quantity is what actually arrived."""
    def run() -> dict[str, Any]:
        to = _id(to_location_id)
        if to is None:
            raise InvalidInput("choose the receiving dock", code="location_required")
        counts = {}
        for n, raw in enumerate(line_id or []):
            got = (received[n] if received and n < len(received) else "").strip()
            lid = _id(raw)
            if lid is None:
                raise InvalidInput(f"line {raw!r} is not on this RMA", code="unknown_line")
            if got:
                if not got.isdigit():
                    raise InvalidInput(f"received quantity {got!r} must be a whole number",
                                       code="invalid_quantity")
                counts[lid] = int(got)
        return returns.receive_rma(ctx_of(request), rma_id, to_location_id=to,
                                   received=counts, user=actor_of(request),
                                   device=device_of(request), scope=scope_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, "Return received", f"RMA {rma_id}: inspect each line",
                            details=[("movement", done["movement_id"])])
    return _panel(request, result)


@router.post("/returns/{rma_id}/lines/{line_id}/inspect", response_class=HTMLResponse)
def inspect(request: Request, rma_id: int, line_id: int, disposition: Field = "",
            to_location_id: Field = "", reason: Field = "") -> HTMLResponse:
    """Restock to a bin, set aside as damaged, or scrap (with a reason)."""
    def run() -> dict[str, Any]:
        to = _id(to_location_id)
        if disposition == Disposition.SCRAP.value:
            to = None
        elif disposition == Disposition.DAMAGED.value and to is not None:
            loc = catalog.get_location(ctx_of(request), to)
            to = to if loc["kind"] == LocationKind.DAMAGED.value else None  # first damaged area
        return returns.inspect_line(ctx_of(request), rma_id, line_id,
                                    disposition=disposition, to_location_id=to,
                                    reason=reason.strip(), user=actor_of(request),
                                    device=device_of(request), scope=scope_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, f"Line {done['disposition']}",
                            f"RMA {rma_id} line {line_id}"
                            + (" · RMA closed" if done["state"] == RmaState.CLOSED.value else ""),
                            details=[("movement", done["movement_id"])])
    return _panel(request, result)


@router.post("/returns/{rma_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, rma_id: int) -> HTMLResponse:
    _, bad = attempt(lambda: returns.cancel_rma(ctx_of(request), rma_id,
                                                scope=scope_of(request)))
    return _panel(request, bad or Outcome(True, "Return cancelled", f"RMA {rma_id}"))
