"""Trends drawn as server-side SVG: orders per day and the share of counts within
tolerance per week. A page of its own (``/trends``, with the numbers in tables) and a
fragment the dashboard loads under its figures (``/partials/trends``).

Both read through :mod:`shelfwise.services.trends` with the caller's scope, so a client
user of the portal sees its own owners' orders and counts only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from shelfwise.services import trends
from shelfwise.web import charts
from shelfwise.web.names import Names
from shelfwise.web.templating import ctx_of, render, scope_of

router = APIRouter(tags=["web"], include_in_schema=False)
ORDERS_TITLE = "Orders per day"
ACCURACY_TITLE = "Counts within tolerance (% per week)"
ACCURACY_WIDTH = 440  # drawn in the narrow column beside orders per day
DASHBOARD_WEEKS = 8


def _int(raw: str | None, default: int, lo: int, hi: int) -> int:
    raw = (raw or "").strip()
    return min(max(int(raw), lo), hi) if raw.isdigit() else default


def trend_charts(request: Request, *, days: int = 30, weeks: int = 12,
                 facility_id: int | None = None) -> dict[str, Any]:
    """The two charts as SVG, and the numbers they draw."""
    ctx, scope = ctx_of(request), scope_of(request)
    per_day = trends.orders_per_day(ctx, scope, days=days, facility_id=facility_id)
    per_week = trends.count_accuracy_by_week(ctx, scope, weeks=weeks, facility_id=facility_id)
    return {
        "orders_chart": charts.bar_chart(
            ORDERS_TITLE, [(d.strftime("%m-%d"), n) for d, n in per_day]),
        "accuracy_chart": charts.share_chart(
            ACCURACY_TITLE, [(w["week"].strftime("%m-%d"),
                              None if w["share"] is None else round(100 * w["share"], 1),
                              f"{w['within']} of {w['counts']} count lines")
                             for w in per_week], width=ACCURACY_WIDTH),
        "per_day": per_day, "per_week": per_week,
        "orders_total": sum(n for _, n in per_day),
        "counts_total": sum(w["counts"] for w in per_week),
        "within_total": sum(w["within"] for w in per_week),
    }


@router.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request, days: str = "", weeks: str = "",
                facility_id: str = "") -> HTMLResponse:
    names = Names(ctx_of(request), scope_of(request))
    facilities = names.facilities()
    fid = int(facility_id) if facility_id.isdigit() and int(facility_id) in facilities else None
    d, w = _int(days, 30, 7, 366), _int(weeks, 12, 4, 104)
    return render(request, "supervisor/trends.html", days=d, weeks=w, facility_id=fid,
                  facilities=facilities,
                  **trend_charts(request, days=d, weeks=w, facility_id=fid))


@router.get("/partials/trends", response_class=HTMLResponse)
def trends_partial(request: Request) -> HTMLResponse:
    """The dashboard's two charts (loaded after the figures, so they never slow them)."""
    return render(request, "supervisor/trends_charts.html",
                  **trend_charts(request, weeks=DASHBOARD_WEEKS))
