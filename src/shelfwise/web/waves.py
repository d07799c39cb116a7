"""Supervisor wave planning: allocated orders waiting for a wave, grouped by carrier
cut-off and filterable by zone, priority and channel; releasing the chosen orders (or
everything shown, cut by the wave rules); and the open waves with their progress.

Releasing is :func:`shelfwise.services.picking.create_waves`, one transaction: the
orders become ``waved`` and their pick tasks join the new wave(s). The release path
ends in ``/release``, so the access policy asks for the approve permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.orders import Channel
from shelfwise.domain.picking import WaveOrder, WaveRules, plan_waves
from shelfwise.services import catalog, orders, picking, wave_board
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, panel
from shelfwise.web.templating import actor_of, ctx_of, render, scope_of

#: Staff only: reads need read.ops ("waves"), writes floor, and */release approve.
router = APIRouter(prefix="/supervisor", tags=["waves", "floor"], include_in_schema=False)
Field = Annotated[str, Form()]
Fields = Annotated[list[str] | None, Form()]
FILTERS = ("facility_id", "carrier", "cutoff", "zone_id", "priority", "channel", "partial")


def _int(raw: str | None, lo: int = 1, hi: int = 2**62) -> int | None:
    raw = (raw or "").strip()
    if raw.lstrip("-").isdigit() and lo <= int(raw) <= hi:
        return int(raw)
    return None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _filters(request: Request, raw: Mapping[str, str]) -> dict[str, Any]:
    """The board's filters from query or form values; anything unreadable is dropped,
    and the facility defaults to the first one."""
    ctx = ctx_of(request)
    facilities = catalog.list_facilities(ctx)
    fid = _int(raw.get("facility_id"))
    if fid not in {f["id"] for f in facilities}:
        fid = facilities[0]["id"] if facilities else None
    channel = raw.get("channel") or ""
    return {"facility_id": fid, "carrier": (raw.get("carrier") or "").strip()[:32],
            "cutoff": _date(raw.get("cutoff")), "zone_id": _int(raw.get("zone_id")),
            "priority": _int(raw.get("priority"), -9, 9),
            "channel": channel if channel in {c.value for c in Channel} else "",
            "partial": raw.get("partial") in ("1", "on", "true")}


def _waiting(request: Request, f: dict[str, Any]) -> list[dict[str, Any]]:
    if f["facility_id"] is None:
        return []
    until = (datetime.combine(f["cutoff"], time.max, tzinfo=UTC) if f["cutoff"] else None)
    return wave_board.waiting_orders(ctx_of(request), scope_of(request), wave_board.WaitingFilter(
        f["facility_id"], carrier=f["carrier"] or None, cutoff_until=until,
        zone_id=f["zone_id"], min_priority=f["priority"], channel=f["channel"] or None,
        include_partial=f["partial"]))


def _groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders by (cut-off, carrier): each group leaves on one truck departure."""
    out: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        key = (r["cutoff_at"], r["carrier"])
        g = out.setdefault(key, {"cutoff_at": r["cutoff_at"], "carrier": r["carrier"],
                                 "key": _group_key(r), "orders": []})
        g["orders"].append(r)
    return list(out.values())


def _group_key(r: Mapping[str, Any]) -> str:
    cut = r["cutoff_at"].strftime("%Y-%m-%dT%H:%M:%S") if r["cutoff_at"] else "-"
    return f"{r['carrier']}|{cut}"


def _rules(max_orders: str, max_lines: str) -> WaveRules:
    default = WaveRules()
    return WaveRules(_int(max_orders, 1, 100_000) or default.max_orders,
                     _int(max_lines, 1, 1_000_000) or default.max_lines)


def _plan(rows: list[dict[str, Any]], rules: WaveRules) -> list[dict[str, Any]]:
    """What releasing everything shown would make, by the wave rules (a preview)."""
    by_id = {r["id"]: r for r in rows}
    groups = plan_waves([WaveOrder(r["id"], r["carrier"], r["cutoff_at"], r["priority"],
                                   r["tasks"], r["created_at"]) for r in rows], rules)
    return [{"orders": [by_id[i]["number"] for i in g], "carrier": by_id[g[0]]["carrier"],
             "cutoff_at": by_id[g[0]]["cutoff_at"], "tasks": sum(by_id[i]["tasks"] for i in g),
             "units": sum(by_id[i]["allocated"] for i in g)} for g in groups]


def _board(request: Request, result: Outcome | None, raw: Mapping[str, str],
           rules: WaveRules | None = None, **extra: Any) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    f = _filters(request, raw)
    rows = _waiting(request, f)
    for r in rows:
        r["owner"] = names.owner(r["owner_id"])
    rules = rules or WaveRules()
    fid = f["facility_id"]
    waves = wave_board.open_waves(ctx, scope, facility_id=fid) if fid else []
    return panel(
        request, "supervisor/waves.html", result, filters=f, groups=_groups(rows),
        plan=_plan(rows, rules), rules=rules, waves=waves, facilities=names.facilities(),
        zones=catalog.list_zones(ctx, fid) if fid else [],
        carriers=wave_board.waiting_carriers(ctx, scope, fid) if fid else [],
        channels=[c.value for c in Channel], **extra)


@router.get("/waves", response_class=HTMLResponse)
def board(request: Request) -> HTMLResponse:
    # the filter form swaps just the panel; a plain visit gets the whole page
    return _board(request, None, request.query_params,
                  page=not request.headers.get("hx-request"))


@router.post("/waves/release", response_class=HTMLResponse)
def release(request: Request, facility_id: Field = "", carrier: Field = "", cutoff: Field = "",
            zone_id: Field = "", priority: Field = "", channel: Field = "",
            partial: Field = "", order_id: Fields = None, mode: Field = "selected",
            max_orders: Field = "", max_lines: Field = "") -> HTMLResponse:
    """Release the ticked orders (``mode=selected``), one cut-off group as shown now
    (``group:<carrier>|<cut-off>``) or everything the filters show (``all``); the orders
    are cut into waves by carrier, cut-off and the size rules either way."""
    raw = {"facility_id": facility_id, "carrier": carrier, "cutoff": cutoff,
           "zone_id": zone_id, "priority": priority, "channel": channel, "partial": partial}
    rules = _rules(max_orders, max_lines)

    def run() -> list[dict[str, Any]]:
        f = _filters(request, raw)
        if f["facility_id"] is None or _int(facility_id) != f["facility_id"]:
            raise InvalidInput("choose the facility to release from", code="invalid_request")
        if mode == "selected":
            ids = sorted({i for i in (_int(x) for x in order_id or []) if i is not None})
        else:
            shown = _waiting(request, f)
            ids = [r["id"] for r in shown
                   if mode == "all" or f"group:{_group_key(r)}" == mode]
        if not ids:
            raise InvalidInput("tick the orders to release (none is waiting in this view)",
                               code="no_orders_selected")
        return picking.create_waves(
            ctx_of(request), f["facility_id"], order_ids=ids, allow_partial=f["partial"],
            rules=rules, scope=scope_of(request), user=actor_of(request))

    released, bad = attempt(run)
    result = bad or Outcome(
        True, "Wave released" if len(released) == 1 else f"{len(released)} waves released",
        ", ".join(f"wave {w['id']}: {len(w['order_ids'])} order(s), "
                  f"{sum(v['tasks'] for v in w['tasks'].values())} pick task(s)"
                  for w in released))
    return _board(request, result, raw, rules, released=released or [])


@router.get("/waves/{wave_id}", response_class=HTMLResponse)
def wave_page(request: Request, wave_id: int) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    try:
        wave = picking.get_wave(ctx, wave_id, scope)
    except NotFound as e:
        return render(request, "error.html", status=404, error=e)
    tasks = picking.list_pick_tasks(ctx, wave_id, scope, state=None)
    numbers = {o["id"]: o["number"] for o in orders.list_orders(
        ctx, scope, wave_id=wave_id, limit=1000)}
    for t in tasks:
        t["order_number"] = numbers.get(t["order_id"], f"#{t['order_id']}")
        t["owner"] = names.owner(t["owner_id"])
    progress = {"tasks": len(tasks), "done": sum(t["state"] != "open" for t in tasks),
                "short": sum(t["state"] == "short" for t in tasks),
                "units": sum(t["qty"] for t in tasks),
                "picked_units": sum(t["picked_qty"] for t in tasks)}
    return render(request, "supervisor/waves_detail.html", wave=wave, tasks=tasks,
                  progress=progress, facility=names.facility(wave["facility_id"]),
                  staging=names.location(wave["staging_location_id"]),
                  orders=sorted(numbers.values()))
