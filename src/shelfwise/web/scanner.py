"""Scanner screens for a phone or handheld: the menu, "what is this?" lookup, and moving
stock between bins by scanning from-bin, product, quantity and to-bin.

The floor workflows (receive, put away, pick, pack, count) are in
:mod:`shelfwise.web.floor_screens`, included here under the same ``/scan`` prefix.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.barcodes import Scan, ScanError, WrongItem, parse_scan
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import catalog, ledger, lookup, stock
from shelfwise.web import floor_screens
from shelfwise.web.names import Names
from shelfwise.web.scanning import (
    Outcome,
    attempt,
    location_for_scan,
    panel,
    parse_qty,
    record_refusal,
)
from shelfwise.web.templating import actor_of, ctx_of, device_of, render, scope_of

#: Tagged "floor" too: the access policy lets only floor staff post scans.
router = APIRouter(prefix="/scan", tags=["floor"], include_in_schema=False)
router.include_router(floor_screens.router)
Field = Annotated[str, Form()]


@router.get("", response_class=HTMLResponse)
def menu(request: Request) -> HTMLResponse:
    return render(request, "scan/menu.html")


# -- lookup ----------------------------------------------------------------------------


def describe(request: Request, raw: str) -> dict[str, Any]:
    """What a scan is: items (with stock by bin), a location (with its contents), an
    order, a carton or a lot. Raises a ScanError or NotFound if it is nothing known."""
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    scan = parse_scan(raw)
    if scan.kind == "sscc" and scan.sscc:
        carton = lookup.carton_by_sscc(ctx, scan.sscc, scope)
        if carton is None:
            raise NotFound(f"no carton has SSCC {scan.sscc}", code="unknown_sscc")
        return {"kind": "carton", "scan": scan, "carton": carton}
    if scan.gtin14:
        found = catalog.find_items_by_gtin(ctx, scan.gtin14, scope)
        if not found:
            raise NotFound(f"GTIN {scan.gtin14} is not a known item", code="unknown_gtin")
        for it in found:
            it["owner"] = names.owner(it["owner_id"])
            it["balances"] = stock.bin_balances(ctx, scope, item_id=it["id"], limit=50)
        return {"kind": "item", "scan": scan, "items": found}
    code = scan.code or raw.strip()
    try:
        loc = catalog.find_location_by_barcode(ctx, code)
    except NotFound:
        loc = None
    if loc is not None:
        return {"kind": "location", "scan": scan, "location": loc,
                "facility": names.facility(loc["facility_id"]),
                "balances": stock.bin_balances(ctx, scope, location_id=loc["id"], limit=50)}
    found_orders = lookup.orders_by_number(ctx, code, scope)
    if found_orders:
        return {"kind": "order", "scan": scan, "orders": found_orders}
    found_lots = lookup.lots_by_code(ctx, code, scope)
    if found_lots:
        return {"kind": "lot", "scan": scan, "lots": found_lots}
    raise NotFound(f"nothing is known by {code!r}", code="unknown_barcode")


@router.get("/lookup", response_class=HTMLResponse)
def lookup_screen(request: Request) -> HTMLResponse:
    return render(request, "scan/_lookup_panel.html", result=None, found=None, page=True)


@router.post("/lookup", response_class=HTMLResponse)
def lookup_scan(request: Request, code: Field = "") -> HTMLResponse:
    found, bad = attempt(lambda: describe(request, code))
    result = bad or Outcome(True, f"{found['kind'].capitalize()}", code)
    return panel(request, "scan/_lookup_panel.html", result, found=found)


# -- move -------------------------------------------------------------------------------


def _item_at(request: Request, scan: Scan, src: dict[str, Any]) -> dict[str, Any]:
    """The scanned product; if several owners share the GTIN, the one stocked in the bin."""
    ctx, scope = ctx_of(request), scope_of(request)
    if scan.gtin14 is None:
        raise WrongItem(f"scan {scan.raw!r} carries no GTIN; scan the product barcode")
    found = catalog.find_items_by_gtin(ctx, scan.gtin14, scope)
    if not found:
        raise InvalidInput(f"GTIN {scan.gtin14} is not a known item", code="unknown_gtin")
    if len(found) == 1:
        return found[0]
    stocked = {b["item_id"] for b in stock.bin_balances(ctx, scope, location_id=src["id"])}
    here = [it for it in found if it["id"] in stocked]
    if len(here) != 1:
        raise InvalidInput(f"GTIN {scan.gtin14} belongs to several owners' items",
                           code="ambiguous_gtin")
    return here[0]


def _lot_at(request: Request, item: dict[str, Any], scan: Scan, src: dict[str, Any]) -> str:
    """The lot moved: the scanned one, or the only lot of the item in the bin."""
    if not item["lot_tracked"]:
        return ""
    if scan.lot:
        return scan.lot
    lots = {b["lot"] for b in stock.bin_balances(ctx_of(request), scope_of(request),
                                                 item_id=item["id"], location_id=src["id"])}
    if len(lots) == 1:
        return lots.pop()
    raise InvalidInput(f"{item['sku']} is lot-tracked and {src['code']} holds "
                       f"{len(lots)} lots: scan the GS1 label with the lot", code="lot_required")


def do_move(request: Request, from_scan: str, item_scan: str, qty_raw: str, to_scan: str,
            key: str) -> dict[str, Any]:
    """Post one MOVE from the scanned bin to the scanned bin, with the scans recorded.

    A refused scan is written to the scan exceptions before it is raised; nothing moves.
    """
    ctx = ctx_of(request)
    user, device = actor_of(request), device_of(request)
    current = from_scan
    src: dict[str, Any] | None = None
    try:
        src = location_for_scan(ctx, from_scan)
        current = item_scan
        scan = parse_scan(item_scan)
        item = _item_at(request, scan, src)
        lot = _lot_at(request, item, scan, src)
        qty = parse_qty(qty_raw, default=scan.count or None)
        current = to_scan
        dst = location_for_scan(ctx, to_scan)
        if dst["facility_id"] != src["facility_id"]:
            raise InvalidInput(f"{dst['code']} is in another facility; use a transfer",
                               code="wrong_facility")
        if dst["id"] == src["id"]:
            raise InvalidInput("from and to are the same location", code="same_location")
    except (ScanError, InvalidInput) as e:
        if getattr(e, "code", "") != "invalid_quantity":
            record_refusal(ctx, e, task_type="move", task_id="-", scanned=current,
                           facility_id=src["facility_id"] if src else None, user=user,
                           device=device)
        raise
    cmd = MovementCommand(
        owner_id=item["owner_id"], type=MovementType.MOVE,
        lines=(LineCommand(item["id"], src["id"], dst["id"], qty, lot),),
        document_type="move", user=user, device=device,
        scans=(from_scan, item_scan, to_scan), idempotency_key=f"web-move:{key}" if key else None)
    posted = ledger.post_movement(ctx, cmd)
    return {"movement_id": posted["movement_id"], "replayed": posted.get("replayed", False),
            "sku": item["sku"], "lot": lot, "qty": qty, "from": src["code"], "to": dst["code"]}


@router.get("/move", response_class=HTMLResponse)
def move_screen(request: Request) -> HTMLResponse:
    return render(request, "scan/_move_panel.html", result=None, key=uuid.uuid4().hex,
                  page=True)


@router.post("/move", response_class=HTMLResponse)
def move_scan(request: Request, from_scan: Field = "", item_scan: Field = "", qty: Field = "",
              to_scan: Field = "", key: Field = "") -> HTMLResponse:
    moved, bad = attempt(lambda: do_move(request, from_scan, item_scan, qty, to_scan, key))
    result = bad or Outcome(
        True, "Moved", f"{moved['qty']} × {moved['sku']}"
        + (f" lot {moved['lot']}" if moved["lot"] else "")
        + f" {moved['from']} → {moved['to']}",
        details=[("movement", moved["movement_id"])])
    return panel(request, "scan/_move_panel.html", result,
                 key=uuid.uuid4().hex if result.ok else key)

