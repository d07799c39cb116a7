"""The client portal: orders (lines, state, cartons, tracking), receipts (expected against
received, discrepancies) and invoices (lines, totals, PDF and CSV download).

A client user sees its own owners' documents only: every query takes the caller's scope,
and another owner's document answers 404 exactly like one that does not exist, so its
existence is not revealed. Warehouse staff (no scope) see every owner, with an owner
filter; a client with several owners gets the same filter over its own.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import HTMLResponse, Response

from shelfwise.domain.billing import MINIMUM_TOPUP
from shelfwise.domain.errors import NotFound
from shelfwise.domain.orders import OrderState
from shelfwise.domain.receiving import ReceiptState
from shelfwise.services import catalog, portal_queries
from shelfwise.services.invoice_documents import label, money
from shelfwise.services.portal_queries import Page
from shelfwise.web.names import Names
from shelfwise.web.templating import ctx_of, render, scope_of

router = APIRouter(tags=["web"], include_in_schema=False)

ORDER_STATES = tuple(s.value for s in OrderState)
RECEIPT_STATES = tuple(s.value for s in ReceiptState)
INVOICE_STATES = ("draft", "issued")
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Offset = Annotated[int, Query(ge=0, le=portal_queries.MAX_OFFSET)]
Search = Annotated[str, Query(max_length=64)]
OwnerFilter = Annotated[str, Query(max_length=20)]
State = Annotated[str, Query(max_length=32)]


def _owner_filter(raw: str) -> int | None:
    """The ``owner`` filter from a form: blank (or not an id) means every visible owner."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _list_context(request: Request, path: str, page: Page, filters: dict[str, Any],
                  states: tuple[str, ...]) -> dict[str, Any]:
    """What every list page shows around its rows: filters, owners, pager links."""
    ctx, scope = ctx_of(request), scope_of(request)
    owners = catalog.list_owners(ctx, scope)
    kept = {k: v for k, v in filters.items() if v not in (None, "")}

    def link(offset: int | None) -> str | None:
        if offset is None:
            return None
        return f"{path}?{urlencode({**kept, 'offset': offset})}"

    return {"page": page, "filters": filters, "owners": owners, "states": states,
            "previous_url": link(page.previous), "next_url": link(page.next), "path": path}


def _not_found(request: Request, err: NotFound) -> HTMLResponse:
    return render(request, "error.html", status=404, error=err)


# -- orders -----------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request, owner: OwnerFilter = "", state: State = "",
                number: Search = "", offset: Offset = 0) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    filters = {"owner": _owner_filter(owner), "state": _choice(state, ORDER_STATES),
               "number": number.strip()}
    page = portal_queries.order_page(ctx, scope, owner_id=filters["owner"],
                                     state=filters["state"], number=filters["number"] or None,
                                     offset=offset)
    return render(request, "portal/orders.html",
                  **_list_context(request, "/orders", page, filters, ORDER_STATES))


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: Id) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    try:
        order = portal_queries.order_detail(ctx, order_id, scope)
    except NotFound as e:
        return _not_found(request, e)
    order["facility"] = Names(ctx, scope).facility(order["facility_id"])
    return render(request, "portal/order.html", order=order)


# -- receipts ---------------------------------------------------------------------------


@router.get("/receipts", response_class=HTMLResponse)
def receipts_page(request: Request, owner: OwnerFilter = "", state: State = "",
                  reference: Search = "", offset: Offset = 0) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    filters = {"owner": _owner_filter(owner), "state": _choice(state, RECEIPT_STATES),
               "reference": reference.strip()}
    page = portal_queries.receipt_page(ctx, scope, owner_id=filters["owner"],
                                       state=filters["state"],
                                       reference=filters["reference"] or None, offset=offset)
    return render(request, "portal/receipts.html",
                  **_list_context(request, "/receipts", page, filters, RECEIPT_STATES))


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse)
def receipt_page(request: Request, receipt_id: Id) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    try:
        receipt = portal_queries.receipt_detail(ctx, receipt_id, scope)
    except NotFound as e:
        return _not_found(request, e)
    receipt["facility"] = Names(ctx, scope).facility(receipt["facility_id"])
    return render(request, "portal/receipt.html", receipt=receipt)


# -- invoices ---------------------------------------------------------------------------


def _period(raw: str) -> str | None:
    raw = raw.strip()
    return raw if re.fullmatch(r"\d{4}-\d{2}", raw) else None


@router.get("/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, owner: OwnerFilter = "", state: State = "",
                  period: Annotated[str, Query(max_length=7)] = "", offset: Offset = 0
                  ) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    filters = {"owner": _owner_filter(owner), "state": _choice(state, INVOICE_STATES),
               "period": _period(period)}
    page = portal_queries.invoice_page(ctx, scope, owner_id=filters["owner"],
                                       state=filters["state"], period=filters["period"],
                                       offset=offset)
    for row in page.rows:
        row["total"] = money(row["total_cents"], row["currency"])
    return render(request, "portal/invoices.html",
                  **_list_context(request, "/invoices", page, filters, INVOICE_STATES))


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: Id) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    try:
        inv = portal_queries.invoice_detail(ctx, invoice_id, scope)
    except NotFound as e:
        return _not_found(request, e)
    cur = inv["currency"]
    # The minimum top-up is a line of the invoice; the page shows it with the totals.
    inv["lines"] = [ln for ln in inv["lines"] if ln["activity"] != MINIMUM_TOPUP]
    for ln in inv["lines"]:
        ln["label"] = label(ln["activity"])
        ln["amount"] = money(ln["amount_cents"], cur)
    inv["money"] = {k: money(inv[f"{k}_cents"], cur)
                    for k in ("subtotal", "minimum_topup", "total")}
    return render(request, "portal/invoice.html", invoice=inv)


@router.get("/invoices/{invoice_id}/download", response_model=None)
def invoice_download(request: Request, invoice_id: Id,
                     format: Literal["pdf", "csv"] = "pdf") -> Response:
    ctx, scope = ctx_of(request), scope_of(request)
    try:
        body, media, name = portal_queries.invoice_document(ctx, invoice_id, format, scope)
    except NotFound as e:
        return _not_found(request, e)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})
