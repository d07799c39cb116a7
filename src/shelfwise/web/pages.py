"""HTML pages: the dashboard (live), item and location pages with ledger history.

Every page reads through the services with the caller's ``scope``, so a client user of
the portal sees only its own owner's stock. Scanner and supervisor screens live in
their own modules and are included in this router.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.errors import NotFound
from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, scans, stock
from shelfwise.web import charts, scanner, supervisor
from shelfwise.web.names import Names
from shelfwise.web.templating import ctx_of, render, scope_of

router = APIRouter(tags=["web"], include_in_schema=False)
router.include_router(scanner.router)
router.include_router(supervisor.router)

FIGURES = ("on_hand", "available", "allocated", "in_process", "held", "in_transit")
PAGE = 50
CHART_LINES = 500


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {f: sum(int(r[f] or 0) for r in rows) for f in FIGURES}


def dashboard_figures(request: Request) -> dict[str, Any]:
    """Figures per facility and owner, and per owner across facilities."""
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    totals = stock.facility_totals(ctx, scope)
    per_facility: dict[int, list[dict[str, Any]]] = defaultdict(list)
    per_owner: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in totals:
        per_facility[r["facility_id"]].append(
            {**r, "owner": names.owner(r["owner_id"])})
        per_owner[r["owner_id"]].append(r)
    facilities = [
        {"id": fid, "code": names.facility(fid), "rows": rows, "total": _sum_rows(rows)}
        for fid, rows in sorted(per_facility.items())
    ]
    across = [{"owner_id": oid, "owner": names.owner(oid), **_sum_rows(rows)}
              for oid, rows in sorted(per_owner.items())]
    recent = _history_view(names, stock.history(ctx, scope, limit=12))
    exceptions = scans.list_exceptions(ctx, scope, limit=1000)
    return {"facilities": facilities, "across": across, "grand": _sum_rows(totals),
            "figures": FIGURES, "recent": recent, "exception_count": len(exceptions),
            "exceptions_capped": len(exceptions) >= 1000}


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    return render(request, "dashboard.html", **dashboard_figures(request))


@router.get("/partials/dashboard", response_class=HTMLResponse)
def dashboard_partial(request: Request) -> HTMLResponse:
    """Just the figures, re-fetched when the event stream says stock moved."""
    return render(request, "_dashboard_figures.html", **dashboard_figures(request))


# -- history ---------------------------------------------------------------------------


def _history_view(names: Names, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "sku": names.item(r["item_id"]),
             "from_code": names.location(r["from_location_id"]),
             "to_code": names.location(r["to_location_id"])} for r in rows]


def _filtered_history(request: Request, *, item_id: int | None, location_id: int | None,
                      type_: str, user: str, before_id: int | None
                      ) -> tuple[list[dict[str, Any]], int | None]:
    """One page of history matching the filters, and the cursor of the next page.

    The ledger query filters by item, location and keyset cursor; type and user are
    checked here, reading further pages until this one is full (bounded).
    """
    ctx, scope = ctx_of(request), scope_of(request)
    out: list[dict[str, Any]] = []
    cursor = before_id
    for _ in range(20):
        rows = stock.history(ctx, scope, item_id=item_id, location_id=location_id,
                             before_id=cursor, limit=PAGE)
        for r in rows:
            if (not type_ or r["type"] == type_) and (not user or r["user_name"] == user):
                out.append(r)
                if len(out) == PAGE:
                    return out, r["line_id"]
        if len(rows) < PAGE:
            return out, None
        cursor = rows[-1]["line_id"]
    return out, cursor


def _history_context(request: Request, names: Names, *, item_id: int | None,
                     location_id: int | None, type_: str, user: str,
                     before_id: int | None) -> dict[str, Any]:
    rows, next_id = _filtered_history(request, item_id=item_id, location_id=location_id,
                                      type_=type_, user=user, before_id=before_id)
    return {"history": _history_view(names, rows), "next_before_id": next_id,
            "types": [t.value for t in MovementType],
            "filters": {"type": type_, "user": user, "before_id": before_id}}


def _id_or_none(raw: str) -> int | None:
    """An optional id filter from a form: blank (or not a number) means no filter."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def stock_chart(request: Request, names: Names, item_id: int, balances: list[dict]) -> str:
    """On hand over time for the item across its physical locations."""
    ctx, scope = ctx_of(request), scope_of(request)
    lines = stock.history(ctx, scope, item_id=item_id, limit=CHART_LINES)
    deltas = []
    for r in lines:
        d = ((r["qty"] if names.is_physical(r["to_location_id"]) else 0)
             - (r["qty"] if names.is_physical(r["from_location_id"]) else 0))
        if d:
            deltas.append((r["created_at"], d))
    current = sum(int(b["qty"]) for b in balances)
    return charts.step_chart("On hand over time", charts.stock_series(current, deltas))


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: int, type: str = "", user: str = "",
              location_id: str = "",
              before_id: int | None = Query(None, ge=1)) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    try:
        item = catalog.get_item(ctx, item_id, scope)
    except NotFound as e:
        return render(request, "error.html", status=404, error=e)
    balances = stock.bin_balances(ctx, scope, item_id=item_id, limit=500)
    levels = [{**lv, "facility": names.facility(lv["facility_id"])}
              for lv in stock.levels(ctx, scope, item_id=item_id)]
    at = _id_or_none(location_id)
    hist = _history_context(request, names, item_id=item_id, location_id=at,
                            type_=type, user=user, before_id=before_id)
    hist["filters"]["location_id"] = at
    template = "_history.html" if request.headers.get("hx-request") else "item.html"
    return render(request, template, item=item, owner=names.owner(item["owner_id"]),
                  balances=balances, levels=levels, figures=FIGURES,
                  chart=stock_chart(request, names, item_id, balances),
                  base_url=f"/items/{item_id}", **hist)


@router.get("/locations/{location_id}", response_class=HTMLResponse)
def location_page(request: Request, location_id: int, type: str = "", user: str = "",
                  item_id: str = "",
                  before_id: int | None = Query(None, ge=1)) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    try:
        loc = catalog.get_location(ctx, location_id)
    except NotFound as e:
        return render(request, "error.html", status=404, error=e)
    balances = stock.bin_balances(ctx, scope, location_id=location_id, include_virtual=True,
                                  limit=500)
    of = _id_or_none(item_id)
    hist = _history_context(request, names, item_id=of, location_id=location_id,
                            type_=type, user=user, before_id=before_id)
    hist["filters"]["item_id"] = of
    template = "_history.html" if request.headers.get("hx-request") else "location.html"
    return render(request, template, location=loc, facility=names.facility(loc["facility_id"]),
                  balances=balances, base_url=f"/locations/{location_id}", **hist)


@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request, sku: str = "") -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    rows = catalog.list_items(ctx, scope, limit=200, sku=sku or None)
    return render(request, "items.html", items=[{**r, "owner": names.owner(r["owner_id"])}
                                                for r in rows], sku=sku)
