"""Plan runs: demand history -> forecasts -> policy levels -> projection -> suggestions.

``run_plan`` reads the ledger-derived demand history and today's stock for every owner
x item x facility in scope, forecasts them all as one panel (in process, or partitioned
over a Dask cluster with identical results), sets safety stocks, reorder points and
order-up-to levels from the forecasts' own backtest errors and the supply terms, projects
stock day by day, and writes suggestions (purchases grouped by supplier and facility,
transfers between facilities, channel ring-fences), each with the numbers behind it.
Nothing real changes until a planner approves a suggestion
(:mod:`shelfwise.services.planning_decisions`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import numpy as np
import sqlalchemy as sa

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.planning import policy as pol
from shelfwise.domain.planning.channels import ChannelPolicy
from shelfwise.domain.planning.classify import DEMAND_CLASSES
from shelfwise.domain.planning.positioning import TransferTerms
from shelfwise.domain.planning.simulation import simulate_policy
from shelfwise.services import planning_suggest as suggest
from shelfwise.services.context import Context
from shelfwise.services.planning_decisions import (  # noqa: F401  (the planning API in one place)
    approve,
    approve_group,
    channel_allocations,
    get_suggestion,
    list_suggestions,
    list_supply_terms,
    put_supply_terms,
    reject,
)
from shelfwise.services.planning_inputs import load_inputs, stocked_keys
from shelfwise.storage import catalog_store as cs
from shelfwise.storage.demand_history import history_window, load_demand
from shelfwise.storage.planning_tables import forecasts, planning_runs, suggestions
from shelfwise.storage.tables import facilities, owners

Scope = frozenset[int] | None
SEASON = 7
ENGINES = ("local", "dask")
CHUNK_SIZE = 2048


def _check(horizon: int, service_level: float, review_period: int, history_days: int,
           engine: str) -> None:
    def bad(msg: str, code: str) -> InvalidInput:
        return InvalidInput(msg, code=code)

    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 7 <= horizon <= 182:
        raise bad("horizon must be an integer from 7 to 182 days", "invalid_horizon")
    if isinstance(service_level, bool) or not isinstance(service_level, int | float) \
            or not 0.5 <= service_level <= 0.999:
        raise bad("service_level must be between 0.5 and 0.999", "invalid_service_level")
    if isinstance(review_period, bool) or not isinstance(review_period, int) \
            or not 1 <= review_period <= 90:
        raise bad("review_period must be an integer from 1 to 90 days", "invalid_review_period")
    if isinstance(history_days, bool) or not isinstance(history_days, int) \
            or not horizon + 2 * SEASON <= history_days <= 1100:
        raise bad(f"history_days must be an integer from {horizon + 2 * SEASON} (horizon + "
                  "two weeks of fitting) to 1100", "invalid_history_days")
    if engine not in ENGINES:
        raise bad(f"engine must be one of {', '.join(ENGINES)}", "invalid_engine")


def _owner_filter(conn: Any, scope: Scope, owner_id: int | None,
                  facility_id: int | None) -> list[int] | None:
    unknown_owner = owner_id is not None and (
        (scope is not None and owner_id not in scope)
        or conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None)
    if unknown_owner:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    if facility_id is not None and conn.execute(
            sa.select(facilities.c.id).where(facilities.c.id == facility_id)).first() is None:
        raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
    if owner_id is not None:
        return [owner_id]
    return sorted(scope) if scope is not None else None


def _trim(demand: np.ndarray, horizon: int) -> np.ndarray:
    """Drop the leading days before anything sold (but keep enough to backtest)."""
    minimum = horizon + 2 * SEASON
    active = np.flatnonzero(demand.any(axis=0)) if demand.size else np.zeros(0, dtype=int)
    first = int(active[0]) if len(active) else demand.shape[1]
    keep = max(demand.shape[1] - first, minimum)
    return demand[:, -keep:]


def compute(history: np.ndarray, supply: pol.Supply, *, horizon: int, service_level: float,
            review_period: int, engine: str = "local", scheduler: Any = None,
            chunk_size: int = CHUNK_SIZE) -> dict[str, np.ndarray]:
    """Forecast and policy levels for every series, in chunks (locally or on Dask).

    Each chunk's figures depend only on its own series, so the partition (and the
    engine) never changes a result.
    """
    n = history.shape[0]
    cuts = [slice(i, min(n, i + chunk_size)) for i in range(0, n, chunk_size)]
    parts = [(history[c], pol.Supply(*(np.asarray(getattr(supply, f))[c] for f in
                                       ("lead_time", "lead_time_sd", "unit_cost",
                                        "ordering_cost", "holding_rate")))) for c in cuts]
    kw = {"horizon": horizon, "season": SEASON, "service_level": float(service_level),
          "review_period": float(review_period)}
    if engine == "local":
        return pol.merge_chunks([pol.plan_chunk(h, s, **kw) for h, s in parts])
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(pol.plan_chunk, [h for h, _ in parts], [s for _, s in parts],
                             pure=False, **kw)
        return pol.merge_chunks(client.gather(futures))
    finally:
        if client is not scheduler:
            client.close()


def run_plan(
    ctx: Context, *, owner_id: int | None = None, facility_id: int | None = None,
    horizon: int = 28, service_level: float = 0.95, engine: str = "local",
    scheduler: Any = None, review_period: int = 7, history_days: int = 365,
    channel_policy: ChannelPolicy | Mapping[str, Any] | None = None,
    transfer_terms: TransferTerms | None = None, chunk_size: int = CHUNK_SIZE,
    scope: Scope = None, user: str = "",
) -> dict[str, Any]:
    """Plan every owner x item x facility in scope; write the run, forecasts, suggestions."""
    clock = time.perf_counter()
    _check(horizon, service_level, review_period, history_days, engine)
    policy = (channel_policy if isinstance(channel_policy, ChannelPolicy)
              else ChannelPolicy.from_dict(channel_policy))
    terms = transfer_terms or TransferTerms()
    today = ctx.now().date()
    with ctx.read() as conn:
        owner_ids = _owner_filter(conn, scope, owner_id, facility_id)
        start, end = history_window(today, history_days)
        extra = stocked_keys(conn, owner_ids, facility_id)
        hist = load_demand(conn, start=start, end=end, owner_ids=owner_ids,
                           facility_id=facility_id, extra_keys=extra)
        inputs = load_inputs(conn, hist.keys, owner_ids, facility_id, _midnight(start))
    timings = {"read": time.perf_counter() - clock}
    history = _trim(hist.demand, horizon)
    out: dict[str, np.ndarray] = {}
    if len(hist.keys):
        out = compute(history, inputs.supply, horizon=horizon, service_level=service_level,
                      review_period=review_period, engine=engine, scheduler=scheduler,
                      chunk_size=chunk_size)
    timings["forecast_and_policy"] = time.perf_counter() - clock - timings["read"]
    plan = suggest.Plan(hist, inputs, out, today, float(service_level), review_period, terms,
                        policy) if out else None
    rows = plan.suggestions() if plan else []
    timings["suggestions"] = time.perf_counter() - clock - sum(timings.values())
    single_owner = owner_ids[0] if owner_ids is not None and len(owner_ids) == 1 else None
    summary = {
        "series": int(len(hist.keys)), "history_days": int(history.shape[1]),
        "horizon": horizon, "service_level": float(service_level), "engine": engine,
        "review_period": review_period, "channel_policy": policy.to_dict(),
        "suggestions": {k: sum(1 for r in rows if r["kind"] == k)
                        for k in ("purchase", "transfer", "channel_split")},
        "purchase_orders": len({r["group_ref"] for r in rows if r["kind"] == "purchase"}),
        "projected_stockouts": int((plan.stockout_day >= 0).sum()) if plan else 0,
        "stockout_days_in_history": int(hist.stockout.sum()),
    }
    with ctx.write() as conn:
        run_id = conn.execute(sa.insert(planning_runs).returning(planning_runs.c.id), {
            "owner_id": single_owner, "facility_id": facility_id, "horizon": horizon,
            "service_level": float(service_level), "review_period": review_period,
            "engine": engine, "series": len(hist.keys), "history_days": int(history.shape[1]),
            "seconds": 0.0, "summary": "{}", "created_by": user[:64], "created_at": ctx.now(),
        }).scalar_one()
        if plan:
            conn.execute(sa.insert(forecasts), plan.forecast_rows(run_id))
            suggest.write(conn, run_id, rows, ctx.now())
        timings["write"] = time.perf_counter() - clock - sum(timings.values())
        seconds = time.perf_counter() - clock
        summary.update(run_id=run_id, seconds=round(seconds, 3),
                       timings={k: round(v, 3) for k, v in timings.items()})
        conn.execute(sa.update(planning_runs).where(planning_runs.c.id == run_id).values(
            seconds=seconds, summary=json.dumps(summary)))
    return summary


def get_run(ctx: Context, run_id: int, scope: Scope = None) -> dict[str, Any]:
    """A run's parameters and summary, with suggestion counts by kind and state."""
    with ctx.read() as conn:
        run = cs.one(conn, sa.select(planning_runs).where(planning_runs.c.id == run_id))
        if run is None or (scope is not None and run["owner_id"] not in scope):
            raise NotFound(f"plan run {run_id} does not exist", code="run_not_found")
        run["summary"] = json.loads(run["summary"])
        run["suggestion_states"] = [dict(r._mapping) for r in conn.execute(
            sa.select(suggestions.c.kind, suggestions.c.state,
                      sa.func.count().label("count"))
            .where(suggestions.c.run_id == run_id)
            .group_by(suggestions.c.kind, suggestions.c.state)
            .order_by(suggestions.c.kind, suggestions.c.state))]
    return run


def simulate(
    ctx: Context, *, owner_id: int | None = None, facility_id: int | None = None,
    service_levels: Sequence[float] = (0.9, 0.95, 0.98), review_period: int = 7,
    holdout_days: int = 56, history_days: int = 365, horizon: int = 28, scope: Scope = None,
) -> dict[str, Any]:
    """Replay the plan's (s, S) policy at each service level over the last ``holdout_days``.

    Levels are set from the history before the holdout (as the plan would have set them
    then); the replay uses the demand that really happened and the supply terms' lead
    times, and reports fill rate, stockout days, average stock value and orders placed.
    """
    _check(horizon, 0.95, review_period, history_days, "local")
    if isinstance(holdout_days, bool) or not isinstance(holdout_days, int) \
            or not 7 <= holdout_days <= history_days - horizon - 2 * SEASON:
        raise InvalidInput("holdout_days must leave horizon + two weeks of history to fit on",
                           code="invalid_holdout_days")
    if not service_levels or len(service_levels) > 10:
        raise InvalidInput("give 1 to 10 service levels", code="invalid_service_level")
    for level in service_levels:
        _check(horizon, level, review_period, history_days, "local")
    today = ctx.now().date()
    with ctx.read() as conn:
        owner_ids = _owner_filter(conn, scope, owner_id, facility_id)
        start, end = history_window(today, history_days)
        hist = load_demand(conn, start=start, end=end, owner_ids=owner_ids,
                           facility_id=facility_id)
        inputs = load_inputs(conn, hist.keys, owner_ids, facility_id, _midnight(start))
    history = _trim(hist.demand, horizon + holdout_days)
    fit, actual = history[:, :-holdout_days], history[:, -holdout_days:]
    lead = np.ceil(inputs.supply.lead_time).astype(np.int64)
    multiple = np.lcm(inputs.case_pack, inputs.order_multiple)
    results = []
    for level in service_levels:
        if not len(hist.keys):
            results.append({"service_level": level, "series": 0})
            continue
        levels = compute(fit, inputs.supply, horizon=horizon, service_level=level,
                         review_period=review_period)
        sim = simulate_policy(actual, levels["reorder_point"], levels["order_up_to"], lead,
                              unit_cost=inputs.supply.unit_cost / 100.0,
                              review_period=review_period, order_multiple=multiple)
        by_class = {}
        for code, name in enumerate(DEMAND_CLASSES):
            rows = levels["demand_class"] == code
            if rows.any():
                demand = sim.demand[rows].sum()
                by_class[name] = {"series": int(rows.sum()), "fill_rate": round(
                    float(sim.filled[rows].sum() / demand) if demand else 1.0, 4)}
        results.append({"service_level": level, **{k: (round(v, 4) if isinstance(v, float)
                                                       else v)
                                                   for k, v in sim.totals().items()},
                        "by_class": by_class})
    return {"holdout_days": holdout_days, "review_period": review_period,
            "start": (end - timedelta(days=holdout_days)).isoformat(),
            "end": (end - timedelta(days=1)).isoformat(), "value_unit": "currency",
            "policies": results}


def _midnight(day: date) -> datetime:
    """Start of ``day`` (UTC): lead times are learned from POs of the history window."""
    return datetime.combine(day, dtime(), UTC)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
