"""Planner screens: the latest plan run, its suggestions with the numbers behind each,
and the decisions that turn them into real documents.

A planner filters suggestions by kind, facility, owner and state, reads each one's "why"
(forecast, lead time, service level, safety stock, reorder point, inventory position),
and approves it as proposed, approves it with an adjusted quantity, or rejects it.
Approval goes through :mod:`shelfwise.services.planning`, exactly as the API's does: a
purchase becomes a purchase-order receipt the dock receives against, a transfer a
transfer order, a channel split the active ring-fences. Purchase lines of one supplier
and facility can also be approved together as one purchase order.

Access: the router is tagged ``planning`` only (not ``web``), so the access policy asks
reads for ``read.ops`` (warehouse staff, not clients) and writes for ``plan`` (planners
and admins). The decision paths end in ``/accept`` and ``/reject``, not ``/approve``:
the policy's ``*/approve`` rule means the ``approve`` permission (supervisors' count and
hold approvals), which planners do not hold. Each write also checks ``plan`` itself, so
a later change of tags cannot open it to other roles.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, Response

from shelfwise.auth.policy import principal_of
from shelfwise.auth.roles import Perm
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.planning.suggestions import SuggestionKind, SuggestionState
from shelfwise.services import catalog, planning
from shelfwise.web.names import Names
from shelfwise.web.scanning import Outcome, attempt, optional_qty, panel
from shelfwise.web.templating import actor_of, ctx_of, render, scope_of

router = APIRouter(prefix="/planning", tags=["planning"], include_in_schema=False)
Field = Annotated[str, Form()]

KINDS = tuple(k.value for k in SuggestionKind)
STATES = tuple(s.value for s in SuggestionState)
#: Purchases and transfers are few and are shown whole; channel splits (one per stocked
#: item x facility when several channels sell) are paged.
LIMIT = 500
SPLIT_PAGE = 50
SERVICE_LEVELS = (0.9, 0.95, 0.98, 0.99)
#: What the run panel's template needs besides the run.
RUN_PANEL = {"kinds": KINDS, "states": STATES, "service_levels": SERVICE_LEVELS}


def can_plan(request: Request) -> bool:
    return principal_of(request).can(Perm.PLAN)


def _forbidden(request: Request, template: str, **values: Any) -> HTMLResponse:
    result = Outcome(False, "Not allowed", "approving and rejecting suggestions needs the "
                     "plan permission (planners and admins)", "forbidden")
    return render(request, template, status=403, result=result, can_plan=False, **values)


def _id(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


# -- reading ---------------------------------------------------------------------------


def latest_run(request: Request, run_id: int | None) -> dict[str, Any] | None:
    """The run asked for, else the newest run that wrote a suggestion the caller may see."""
    ctx, scope = ctx_of(request), scope_of(request)
    if run_id is None:
        newest = planning.list_suggestions(ctx, scope, limit=1)
        if not newest:
            return None
        run_id = newest[0]["run_id"]
    try:
        run = planning.get_run(ctx, run_id, scope)
    except NotFound:
        return None
    run["states"] = defaultdict(dict)
    for r in run.pop("suggestion_states"):
        run["states"][r["kind"]][r["state"]] = r["count"]
    return run


def view(s: dict[str, Any], names: Names) -> dict[str, Any]:
    """A suggestion with the codes a person reads instead of ids."""
    return {**s, "sku": s.get("sku") or names.item(s["item_id"]),
            "facility": s.get("facility_code") or names.facility(s["facility_id"]),
            "owner": names.owner(s["owner_id"]),
            "source": names.facility(s["source_facility_id"]),
            "adjustable": s["kind"] != SuggestionKind.CHANNEL_SPLIT.value}


def purchase_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Purchase lines by supplier x facility (the plan's ``group_ref``): one PO each."""
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(r["group_ref"], {
            "ref": r["group_ref"], "supplier": r["supplier_name"] or r["supplier_code"],
            "supplier_code": r["supplier_code"], "facility": r["facility"],
            "owner": r["owner"], "lines": [], "value_cents": 0, "proposed": 0})
        g["lines"].append(r)
        g["value_cents"] += (r["why"].get("unit_cost_cents") or 0) * r["qty"]
        g["proposed"] += r["state"] == SuggestionState.PROPOSED.value
    return sorted(groups.values(), key=lambda g: (-g["proposed"], g["ref"]))


def _listing(request: Request, names: Names, filters: dict[str, Any], split_offset: int
             ) -> dict[str, Any]:
    ctx, scope = ctx_of(request), scope_of(request)
    common = {k: filters[k] for k in ("run_id", "state", "owner_id", "facility_id")}
    out: dict[str, Any] = {"groups": [], "transfers": [], "splits": [], "more_splits": False}
    for kind in KINDS:
        if filters["kind"] not in (None, kind):
            continue
        split = kind == SuggestionKind.CHANNEL_SPLIT.value
        rows = planning.list_suggestions(
            ctx, scope, kind=kind, **common, limit=SPLIT_PAGE + 1 if split else LIMIT,
            offset=split_offset if split else 0)
        if split:
            out["more_splits"] = len(rows) > SPLIT_PAGE
            rows = rows[:SPLIT_PAGE]
        views = [view(r, names) for r in rows]
        if kind == SuggestionKind.PURCHASE.value:
            out["groups"] = purchase_groups(views)
        else:
            out["transfers" if kind == SuggestionKind.TRANSFER.value else "splits"] = views
    return out


@router.get("", response_class=HTMLResponse)
def planner_page(request: Request, kind: str = "", state: str = "proposed",
                 facility_id: str = "", owner_id: str = "", run_id: str = "",
                 split_offset: int = Query(0, ge=0, le=1_000_000)) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    run = latest_run(request, _id(run_id))
    filters = {"kind": kind if kind in KINDS else None,
               "state": state if state in STATES else None,
               "facility_id": _id(facility_id), "owner_id": _id(owner_id),
               "run_id": run["id"] if run else None}
    listing = (_listing(request, names, filters, split_offset) if run
               else {"groups": [], "transfers": [], "splits": [], "more_splits": False})
    return render(request, "planner/page.html", run=run, filters=filters,
                  facilities=names.facilities(), owners=catalog.list_owners(ctx, scope),
                  can_plan=can_plan(request), split_offset=split_offset,
                  split_page=SPLIT_PAGE, **RUN_PANEL, **listing)


# -- deciding --------------------------------------------------------------------------


def _suggestion_panel(request: Request, suggestion_id: int, result: Outcome | None
                      ) -> HTMLResponse:
    """The decided (or refused) suggestion's rows, swapped in place of the old ones."""
    ctx, scope = ctx_of(request), scope_of(request)
    try:
        s = view(planning.get_suggestion(ctx, suggestion_id, scope), Names(ctx, scope))
    except NotFound:
        s = None
    return panel(request, "planner/_suggestion.html", result, s=s, gone_id=suggestion_id,
                 can_plan=can_plan(request))


@router.post("/suggestions/{suggestion_id}/accept", response_class=HTMLResponse)
def accept(request: Request, suggestion_id: int, qty: Field = "") -> HTMLResponse:
    """Approve as proposed (``qty`` blank or unchanged) or with the planner's quantity."""
    if not can_plan(request):
        return _forbidden(request, "planner/_suggestion.html", s=None, gone_id=suggestion_id)
    done, bad = attempt(lambda: planning.approve(
        ctx_of(request), suggestion_id, optional_qty(qty), scope=scope_of(request),
        user=actor_of(request)))
    result = bad or Outcome(True, "Adjusted and approved" if done["state"] == "adjusted"
                            else "Approved", f"{done['qty']} unit(s)",
                            details=[(done["document_type"].replace("_", " "),
                                      done["document_id"])])
    return _suggestion_panel(request, suggestion_id, result)


@router.post("/suggestions/{suggestion_id}/reject", response_class=HTMLResponse)
def reject(request: Request, suggestion_id: int) -> HTMLResponse:
    if not can_plan(request):
        return _forbidden(request, "planner/_suggestion.html", s=None, gone_id=suggestion_id)
    _, bad = attempt(lambda: planning.reject(ctx_of(request), suggestion_id,
                                             scope=scope_of(request), user=actor_of(request)))
    return _suggestion_panel(request, suggestion_id,
                             bad or Outcome(True, "Rejected", "nothing was ordered"))


def _group_panel(request: Request, group_ref: str, result: Outcome | None) -> HTMLResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    names = Names(ctx, scope)
    rows = planning.list_suggestions(ctx, scope, kind=SuggestionKind.PURCHASE.value,
                                     group_ref=group_ref, limit=LIMIT) if group_ref else []
    groups = purchase_groups([view(r, names) for r in rows])
    return panel(request, "planner/_group.html", result, g=groups[0] if groups else None,
                 can_plan=can_plan(request))


@router.post("/groups/accept", response_class=HTMLResponse)
def accept_group(request: Request, group_ref: Field = "") -> HTMLResponse:
    """Every proposed line of one supplier x facility group, as ONE purchase order."""
    group_ref = group_ref.strip()[:64]
    if not can_plan(request):
        return _forbidden(request, "planner/_group.html", g=None)
    def run() -> dict[str, Any]:
        if not group_ref:
            raise InvalidInput("choose a purchase group", code="invalid_request")
        return planning.approve_group(ctx_of(request), group_ref, scope=scope_of(request),
                                      user=actor_of(request))

    done, bad = attempt(run)
    result = bad or Outcome(True, "Purchase order created", done["reference"],
                            details=[("receipt", done["receipt_id"]),
                                     ("lines", len(done["suggestion_ids"]))])
    return _group_panel(request, group_ref, result)


@router.post("/runs", response_class=HTMLResponse)
def run_plan(request: Request, service_level: Field = "", horizon: Field = "") -> Response:
    """Plan every item x facility the caller may see, then show the new run.

    Both fields are required: a bare POST is not a request to plan (a run writes
    forecasts and suggestions for every series in scope)."""
    if not can_plan(request):
        return _forbidden(request, "planner/_run.html", run=None, **RUN_PANEL)

    def run() -> dict[str, Any]:
        try:
            level, days = float(service_level), int(horizon)
        except ValueError:
            raise InvalidInput("choose a service level and a horizon in days",
                               code="invalid_request") from None
        return planning.run_plan(ctx_of(request), service_level=level, horizon=days,
                                 scope=scope_of(request), user=actor_of(request))

    done, bad = attempt(run)
    if bad:
        return panel(request, "planner/_run.html", bad, run=latest_run(request, None),
                     can_plan=True, **RUN_PANEL)
    target = f"/planning?run_id={done['run_id']}"
    if request.headers.get("hx-request"):  # htmx loads the new run as a full page
        return Response(status_code=200, headers={"HX-Redirect": target})
    return Response(status_code=303, headers={"Location": target})
