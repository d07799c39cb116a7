"""The diagnosis page: is a problem one of control (execution) or management (planning),
where is it, what does it cost, and what should someone do about it.

Everything shown comes from :mod:`shelfwise.services.diagnostics` — the per item x
facility calls with their evidence, the rollups and the ranked "where to look" list from
``diagnose``, and the zone-level control KPIs from ``kpis`` — filtered by facility, owner
and period and limited to the caller's owners. The charts are server-side SVG
(:mod:`shelfwise.web.charts`), so a test reads their numbers straight from the markup.

Tagged ``diagnostics`` only (not ``web``): warehouse staff may read it, clients may not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.diagnostics import Call
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.services import catalog, diagnostics
from shelfwise.web import charts
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome
from shelfwise.web.templating import ctx_of, render, scope_of

router = APIRouter(prefix="/diagnosis", tags=["diagnostics"], include_in_schema=False)

CALLS = tuple(c.value for c in Call)
PROBLEMS = "problems"  # the default item filter: every call but healthy
ITEM_PAGE = 100
COSTS = (("lost_sales", "lost sales"), ("excess_carrying", "excess carrying"),
         ("adjustments", "adjustments"))


def _id(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if not den else round(scale * num / den, 4)


def headline(dx: dict[str, Any], kpis: dict[str, Any]) -> dict[str, Any]:
    """The page's top figures: calls, the cost of problems, and control and management
    KPIs summed over the zones and items the filters cover."""
    items = dx["items"]
    control, management = kpis["control"], kpis["management"]
    acc = control["count_accuracy"]
    scans = control["scans"]
    shorts = control["short_picks"]
    ordered = sum(m["ordered"] for m in management)
    return {
        "keys": len(items),
        "calls": {c: sum(1 for i in items if i["call"] == c) for c in CALLS},
        "cost_cents": sum(i["cost_cents"] for i in items if i["call"] != Call.HEALTHY.value),
        "counts": sum(r["counts"] or 0 for r in acc),
        "record_accuracy": _ratio(sum((r["counts"] or 0) - (r["counts_off"] or 0) for r in acc),
                                  sum(r["counts"] or 0 for r in acc)),
        "refused_per_1000": _ratio(sum(r["scan_exceptions"] or 0 for r in scans),
                                   sum((r["scans"] or 0) + (r["scan_exceptions"] or 0)
                                       for r in scans), 1000),
        "short_per_1000": _ratio(sum(r["short_picks"] or 0 for r in shorts),
                                 sum(r["pick_lines"] or 0 for r in shorts), 1000),
        "fill_rate": _ratio(ordered - sum(m["backordered"] for m in management), ordered),
        "stockout_days": sum(m["stockout_days"] for m in management),
        "excess_value_cents": sum(m["excess_value_cents"] for m in management),
    }


def _zone_label(r: dict[str, Any], names: Names) -> str:
    return f"{names.facility(r['facility_id'])}/{r['zone']}"


def diagnosis_charts(dx: dict[str, Any], kpis: dict[str, Any], names: Names
                     ) -> dict[str, str]:
    """Count accuracy and refused scans by zone (control), problems by call, and what
    the problems cost by kind (lost sales, carrying excess, adjustments)."""
    control = kpis["control"]
    zones = [r for r in control["count_accuracy"] if r.get("zone") not in (None, "-")]
    accuracy = [(_zone_label(r, names), round(100 * r["ira_counts"], 1)) for r in zones
                if r["ira_counts"] is not None]
    refused = [(_zone_label(r, names), r["per_1000"] or 0.0) for r in control["scans"]
               if r.get("zone") not in (None, "-") and r["per_1000"] is not None]
    problems = [i for i in dx["items"] if i["call"] != Call.HEALTHY.value]
    cost = [(label, round(sum(i["cost"].get(key, 0) for i in problems) / 100, 2))
            for key, label in COSTS]
    calls = [(c, sum(1 for i in dx["items"] if i["call"] == c)) for c in CALLS]
    return {
        "accuracy": charts.bar_chart("Count accuracy by zone (%)", accuracy, max_value=100,
                                     unit="%", width=420),
        "refused": charts.bar_chart("Refused scans per 1,000 by zone", refused, width=420),
        "calls": charts.bar_chart("Item x facility calls", calls, width=420),
        "cost": charts.bar_chart("Cost of problems by kind", cost, width=420),
    }


def _months(today: date, n: int = 12) -> list[str]:
    """The last ``n`` calendar months as ``YYYY-MM`` (period suggestions for the form)."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def _item_rows(items: list[dict[str, Any]], call: str, offset: int
               ) -> tuple[list[dict[str, Any]], int]:
    """One page of item x facility calls matching ``call``, costliest first."""
    wanted = [i for i in items if (i["call"] != Call.HEALTHY.value if call == PROBLEMS
                                   else not call or i["call"] == call)]
    wanted.sort(key=lambda i: (-i["cost_cents"], i["facility"], i["sku"]))
    return wanted[offset:offset + ITEM_PAGE], len(wanted)


@router.get("", response_class=HTMLResponse)
def diagnosis_page(request: Request, facility_id: str = "", owner_id: str = "",
                   period: str = Query("", max_length=32), call: str = PROBLEMS,
                   offset: int = Query(0, ge=0, le=1_000_000)) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    filters = {"facility_id": _id(facility_id), "owner_id": _id(owner_id),
               "period": period.strip(),
               "call": call if call in CALLS or call in ("", PROBLEMS) else PROBLEMS}
    common = {"filters": filters, "facilities": names.facilities(),
              "owners": catalog.list_owners(ctx, scope), "calls": CALLS,
              "months": _months(ctx.now().date()), "offset": offset, "page_size": ITEM_PAGE}
    try:
        args = (ctx, scope, filters["facility_id"], filters["owner_id"],
                filters["period"] or None)
        dx, kpis = diagnostics.diagnosis_with_kpis(*args, by="zone")
    except ShelfwiseError as e:
        return render(request, "diagnosis/page.html", status=422, dx=None,
                      result=Outcome(False, "Cannot diagnose", e.detail, e.code), **common)
    rows, matching = _item_rows(dx["items"], filters["call"], offset)
    owner_codes = {o["id"]: o["code"] for o in common["owners"]}
    return render(request, "diagnosis/page.html", dx=dx, head=headline(dx, kpis),
                  charts=diagnosis_charts(dx, kpis, names), rows=rows, matching=matching,
                  owner_codes=owner_codes, **common)
