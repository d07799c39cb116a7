"""Transfer orders between facilities, at the desk: draft one, ship it from bins at the
source, receive it into a location at the destination; and what is on the road.

Shipping posts TRANSFER_OUT into the destination's in-transit location and receiving
posts TRANSFER_IN out of it (:mod:`shelfwise.services.transfers`), so both facilities'
figures show the stock on the way. Every write is one service command.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.errors import InvalidInput
from shelfwise.domain.transfers import TransferState
from shelfwise.services import catalog, stock, transfers
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, panel, parse_qty
from shelfwise.web.templating import actor_of, ctx_of, device_of, scope_of

#: Staff only: reads need read.ops ("floor"), writes the floor permission.
router = APIRouter(prefix="/supervisor", tags=["floor", "transfers"], include_in_schema=False)
Field = Annotated[str, Form()]
Fields = Annotated[list[str] | None, Form()]
CARDS = 20
SHIP_FROM = frozenset(k.value for k in transfers.SHIP_FROM)
RECEIVE_INTO = frozenset(k.value for k in transfers.RECEIVE_INTO)
FORM_LINES = 3


def _id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**62 else None


def _sources(request: Request, d: dict[str, Any]) -> None:
    """For each line of a draft, the source bins that hold its item (and lot)."""
    ctx, scope = ctx_of(request), scope_of(request)
    for ln in d["lines"]:
        rows = stock.bin_balances(ctx, scope, item_id=ln["item_id"],
                                  facility_id=d["source_facility_id"], limit=200)
        ln["sources"] = sorted(
            ({"value": f"{b['location_id']}:{b['lot']}", "code": b["location_code"],
              "lot": b["lot"], "free": int(b["qty"]) - int(b["allocated"])}
             for b in rows if b["kind"] in SHIP_FROM and b["owner_id"] == d["owner_id"]
             and (not ln["lot"] or b["lot"] == ln["lot"])
             and int(b["qty"]) - int(b["allocated"]) > 0),
            key=lambda s: (s["free"] < ln["qty"], s["code"], s["lot"]))


def _destinations(request: Request, facility_id: int) -> list[dict[str, Any]]:
    return [loc for loc in catalog.list_locations(ctx_of(request), facility_id=facility_id,
                                                  limit=1000)
            if loc["kind"] in RECEIVE_INTO and loc["active"]]


def _in_transit(request: Request, names: Names) -> list[dict[str, Any]]:
    """Per facility, what left it and what is coming to it (shipped, not received)."""
    ctx, scope = ctx_of(request), scope_of(request)
    out = []
    for fid, code in names.facilities().items():
        road = transfers.in_transit(ctx, scope, fid)
        rows = ([{**r, "direction": "outbound", "other": names.facility(r["dest_facility_id"])}
                 for r in road["outbound"]]
                + [{**r, "direction": "inbound", "other": names.facility(r["source_facility_id"])}
                   for r in road["inbound"]])
        for r in rows:
            r["owner"] = names.owner(r["owner_id"])
        if rows:
            out.append({"code": code, "rows": rows})
    return out


def _panel(request: Request, result: Outcome | None, key: str | None = None,
           **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    state = request.query_params.get("state") or None
    if state not in {s.value for s in TransferState}:
        state = None
    recent = transfers.list_transfers(ctx, scope, state=state, limit=50)
    drafts = [transfers.get_transfer(ctx, t["id"], scope) for t in
              transfers.list_transfers(ctx, scope, state=TransferState.DRAFT.value,
                                       limit=CARDS)]
    shipped = [transfers.get_transfer(ctx, t["id"], scope) for t in
               transfers.list_transfers(ctx, scope, state=TransferState.SHIPPED.value,
                                        limit=CARDS)]
    for d in drafts:
        _sources(request, d)
    dest_cache: dict[int, list[dict[str, Any]]] = {}
    for d in shipped:
        fid = d["dest_facility_id"]
        d["destinations"] = dest_cache.setdefault(fid, _destinations(request, fid))
    for t in recent + drafts + shipped:
        t["owner"] = names.owner(t["owner_id"])
        t["source"] = names.facility(t["source_facility_id"])
        t["dest"] = names.facility(t["dest_facility_id"])
    items = [{**i, "owner": names.owner(i["owner_id"])}
             for i in catalog.list_items(ctx, scope, limit=500)]
    return panel(request, "supervisor/transfers.html", result, recent=recent, drafts=drafts,
                 shipped=shipped, in_transit=_in_transit(request, names), items=items,
                 facilities=names.facilities(), states=[s.value for s in TransferState],
                 state=state or "", key=key or uuid.uuid4().hex, form_lines=FORM_LINES,
                 **extra)


@router.get("/transfers", response_class=HTMLResponse)
def transfers_page(request: Request) -> HTMLResponse:
    return _panel(request, None, page=not request.headers.get("hx-request"))


def _lines(request: Request, item_id: list[str], qty: list[str], lot: list[str]
           ) -> tuple[int, list[transfers.TransferLine]]:
    """The form's filled-in lines, and the one owner whose items they are."""
    lines, owners = [], set()
    for n, raw in enumerate(item_id):
        iid = _id(raw)
        q = qty[n] if n < len(qty) else ""
        if iid is None and not q.strip():
            continue
        if iid is None:
            raise InvalidInput(f"line {n + 1}: choose the item", code="item_required")
        item = catalog.get_item(ctx_of(request), iid, scope_of(request))
        owners.add(item["owner_id"])
        lines.append(transfers.TransferLine(iid, parse_qty(q),
                                            (lot[n] if n < len(lot) else "").strip()))
    if not lines:
        raise InvalidInput("add at least one line: an item and a quantity",
                           code="invalid_lines")
    if len(owners) > 1:
        raise InvalidInput("a transfer moves one owner's items; make one per owner",
                           code="mixed_owners")
    return owners.pop(), lines


@router.post("/transfers", response_class=HTMLResponse)
def create(request: Request, source_facility_id: Field = "", dest_facility_id: Field = "",
           reference: Field = "", item_id: Fields = None, qty: Fields = None,
           lot: Fields = None, key: Field = "") -> HTMLResponse:
    def run() -> dict[str, Any]:
        src, dst = _id(source_facility_id), _id(dest_facility_id)
        if src is None or dst is None:
            raise InvalidInput("choose the source and the destination facility",
                               code="facility_required")
        owner, lines = _lines(request, item_id or [], qty or [], lot or [])
        return transfers.create_transfer(
            ctx_of(request), owner_id=owner, source_facility_id=src, dest_facility_id=dst,
            lines=lines, reference=reference.strip(), scope=scope_of(request),
            idempotency_key=key or None)

    made, bad = attempt(run)
    result = bad or Outcome(True, "Transfer drafted", f"transfer {made['id']}: "
                            f"{len(made['lines'])} line(s); ship it from the source below")
    return _panel(request, result, key=key if bad else None)


@router.post("/transfers/{transfer_id}/ship", response_class=HTMLResponse)
def ship(request: Request, transfer_id: int, line_id: Fields = None,
         source: Fields = None) -> HTMLResponse:
    """Ship every line from the bin (and lot) chosen for it at the source."""
    def run() -> dict[str, Any]:
        picks = []
        for n, raw in enumerate(line_id or []):
            lid = _id(raw)
            loc, _, lot = (source[n] if source and n < len(source) else "").partition(":")
            if lid is None or _id(loc) is None:
                raise InvalidInput("choose a source bin for every line",
                                   code="source_required")
            picks.append(transfers.ShipPick(lid, int(loc), lot))
        return transfers.ship_transfer(ctx_of(request), transfer_id, picks=picks,
                                       user=actor_of(request), device=device_of(request),
                                       scope=scope_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, "Transfer shipped", f"transfer {transfer_id} is in transit",
                            details=[("movement", done["movement_id"])])
    return _panel(request, result)


@router.post("/transfers/{transfer_id}/receive", response_class=HTMLResponse)
def receive(request: Request, transfer_id: int, to_location_id: Field = "") -> HTMLResponse:
    def run() -> dict[str, Any]:
        to = _id(to_location_id)
        if to is None:
            raise InvalidInput("choose where to receive the transfer", code="location_required")
        return transfers.receive_transfer(ctx_of(request), transfer_id, to_location_id=to,
                                          user=actor_of(request), device=device_of(request),
                                          scope=scope_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, "Transfer received", f"transfer {transfer_id} arrived",
                            details=[("movement", done["movement_id"])])
    return _panel(request, result)


@router.post("/transfers/{transfer_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, transfer_id: int) -> HTMLResponse:
    _, bad = attempt(lambda: transfers.cancel_transfer(ctx_of(request), transfer_id,
                                                       scope=scope_of(request)))
    return _panel(request, bad or Outcome(True, "Transfer cancelled", f"transfer {transfer_id}"))

