"""``shelfwise bench plan``: forecast and plan replenishment for a whole panel, and score it.

The timed part is what a nightly planning run does: history -> forecasts (every series,
method chosen per series) -> policies (safety stock, reorder point, order-up-to level)
-> suggestions (order quantities rounded up to case packs). Around it the bench scores
the forecasts on a held-out final window, per demand kind, against the all-zero and
flat-mean baselines and, when asked, against statsforecast models fitted to a seeded
subsample of the same series; and it replays a base-stock policy over the holdout to
see which forecasts reach a fill-rate target with the least stock.

Run ``python -m shelfwise.bench.plan --series 10000 --json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from statistics import NormalDist
from typing import Any

import numpy as np

from shelfwise.bench.plan_synthetic import CLASSES, synthetic_panel
from shelfwise.domain.planning import accuracy
from shelfwise.domain.planning.forecast import ForecastResult, forecast_panel

HOLDOUT_DAYS = 28
LEAD_DAYS = 3
FILL_TARGET = 0.95
POLICY_SERVICE = 0.95
CASE_PACKS = np.array([1, 6, 12, 24])
DAILY_PEERS = ["AutoETS", "CrostonOptimized"]
DATASET_PEERS = ["CrostonOptimized", "ADIDA", "IMAPA", "TSB"]
DATASET_HOLDOUT = 6
DATASET_LEAD = 1
DATASET_SEASON = 1  # "none": 45 months is under four seasons of mostly-zero sales


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def plan_suggestions(
    result: ForecastResult, history: np.ndarray, lead: int, seed: int
) -> dict[str, Any]:
    """Safety stock, reorder point, order-up-to and order quantity for every series.

    Simple inline formulas (to be replaced by the shared policy library): SS = z sigma_L,
    ROP = forecast demand over the lead time + SS, S = forecast over lead time plus one
    review day + SS, order = S - inventory position rounded up to a case pack when the
    position is at or below ROP. Inventory positions and case packs are seeded stand-ins.
    """
    rng = np.random.default_rng(seed + 1)
    z = NormalDist().inv_cdf(POLICY_SERVICE)
    safety = z * result.lead_time_sd(lead)
    reorder_point = result.forecast[:, :lead].sum(axis=1) + safety
    order_up_to = result.forecast[:, : lead + 1].sum(axis=1) + safety
    recent = history[:, -14:].mean(axis=1)
    position = np.floor(recent * rng.uniform(0, 2 * lead, size=recent.shape))
    pack = CASE_PACKS[rng.integers(0, len(CASE_PACKS), size=recent.shape)]
    shortfall = np.maximum(np.ceil(order_up_to) - position, 0)
    quantity = np.where(position <= reorder_point, np.ceil(shortfall / pack) * pack, 0)
    return {"orders": int(np.count_nonzero(quantity)), "units": int(quantity.sum())}


_Z_GRID = np.linspace(-4.0, 6.0, 2001)
_LOSS_GRID = np.array([NormalDist().pdf(z) - z * (1 - NormalDist().cdf(z)) for z in _Z_GRID])


def fill_rate_z(sigma: np.ndarray, mean_per_period: np.ndarray, target: float) -> np.ndarray:
    """z with sigma G(z) = (1 - target) * demand per review period (Silver-Pyke), floored at 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        wanted = np.where(sigma > 0, (1 - target) * mean_per_period / sigma, np.inf)
    z = np.interp(wanted, _LOSS_GRID[::-1], _Z_GRID[::-1])
    return np.clip(z, 0.0, 4.0)


def simulate_base_stock(
    forecast: np.ndarray,
    protection_sd: np.ndarray,
    demand: np.ndarray,
    lead: int,
    safety: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replay daily base-stock over the holdout: filled units and average units on hand.

    Each morning the order-up-to level is the forecast for the protection period (today
    and the ``lead`` days until the next order can arrive) plus z sigma, with z set for
    the fill-rate target; an order placed today arrives ``lead`` days later; unmet demand
    is backordered. ``forecast`` must reach ``lead`` periods past the holdout. ``safety``
    given (e.g. from the empirical errors) replaces the normal z sigma.
    """
    series, days = demand.shape
    if safety is None:
        mean = np.maximum(forecast[:, :days].mean(axis=1), 0)
        safety = fill_rate_z(protection_sd, mean, FILL_TARGET) * protection_sd
    windows = np.stack([forecast[:, t : t + lead + 1].sum(axis=1) for t in range(days)], 1)
    levels = np.ceil(windows + safety[:, None])
    net = levels[:, 0].copy()
    pipeline = np.zeros((lead, series))
    filled = np.zeros(series)
    held = np.zeros(series)
    for t in range(days):
        net += pipeline[t % lead]
        pipeline[t % lead] = 0
        position = net + pipeline.sum(axis=0)
        pipeline[t % lead] = np.maximum(levels[:, t] - position, 0)
        filled += np.clip(np.minimum(demand[:, t], net), 0, None)
        net -= demand[:, t]
        held += np.maximum(net, 0)
    return filled, held / days


def service_by_class(
    filled: np.ndarray, held: np.ndarray, demand: np.ndarray, kinds: np.ndarray
) -> dict[str, dict[str, float]]:
    """Fill rate (units filled / units demanded) and mean units held, per kind."""
    table = {}
    for kind in CLASSES:
        rows = kinds == kind
        if rows.any():
            total = demand[rows].sum()
            table[kind] = {
                "fill_rate": round(float(filled[rows].sum() / total), 4) if total else None,
                "avg_units": round(float(held[rows].mean()), 2),
            }
    return table


def accuracy_table(
    actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, kinds: np.ndarray, season: int
) -> dict[str, dict[str, float]]:
    """WAPE, MASE, RMSSE and bias overall and per kind."""

    def rounded(values: dict[str, float]) -> dict[str, float]:
        return {key: round(value, 4) for key, value in values.items()}

    table = {"overall": rounded(accuracy.summary(actual, forecast, history, season))}
    for kind in CLASSES:
        rows = kinds == kind
        if rows.any():
            table[kind] = rounded(
                accuracy.summary(actual[rows], forecast[rows], history[rows], season)
            )
    return table


def baselines(history: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """The all-zero forecast and the flat mean of the whole history."""
    mean = history.mean(axis=1, dtype=np.float64)
    return {
        "zero": np.zeros((history.shape[0], horizon), dtype=np.float32),
        "flat_mean": np.repeat(mean[:, None], horizon, axis=1).astype(np.float32),
    }


def run_plan_bench(
    series: int,
    days: int = 730,
    peer: str | None = None,
    peer_series: int = 2000,
    dataset: str | None = None,
    seed: int = 0,
    workers: int | None = None,
    peer_cache: str | None = None,
) -> dict[str, Any]:
    """Run the planning benchmark and return a JSON-able report (see module docstring).

    ``peer_cache`` reuses peer fits stored on disk (for accuracy iteration only: the peer
    seconds it reports are those of the fit that filled the cache).
    """
    workers = workers or os.cpu_count() or 1
    if dataset is not None:
        return _run_dataset(dataset, workers, peer_cache)
    began = time.perf_counter()
    panel, kinds = synthetic_panel(series, days, seed)
    generated = time.perf_counter() - began

    began = time.perf_counter()
    cpu_began = time.process_time()
    history, actual = panel[:, :-HOLDOUT_DAYS], panel[:, -HOLDOUT_DAYS:]
    result = forecast_panel(history, HOLDOUT_DAYS + LEAD_DAYS, 7, workers=workers)
    forecasted = time.perf_counter() - began
    suggestions = plan_suggestions(result, history, LEAD_DAYS, seed)
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began

    ours = result.forecast[:, :HOLDOUT_DAYS]
    report: dict[str, Any] = {
        "series": series,
        "days": days,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),  # all threads; / cores ~ wall time when idle
        "load_average": round(os.getloadavg()[0], 2),  # >= cpus: other work shared them
        "forecast_seconds": round(forecasted, 2),
        "generate_seconds": round(generated, 2),
        "workers": workers,
        "holdout_days": HOLDOUT_DAYS,
        "lead_days": LEAD_DAYS,
        "suggestions": suggestions,
        "methods_chosen": _counts(result.chosen_methods()),
        "accuracy": accuracy_table(actual, ours, history, kinds, 7),
        "baselines": {
            name: accuracy_table(actual, values, history, kinds, 7)
            for name, values in baselines(history, HOLDOUT_DAYS).items()
        },
    }
    protection = result.lead_time_sd(LEAD_DAYS + 1)
    safety = result.fill_rate_safety(LEAD_DAYS + 1, FILL_TARGET)
    filled, held = simulate_base_stock(result.forecast, protection, actual, LEAD_DAYS, safety)
    report["service"] = {"ours": service_by_class(filled, held, actual, kinds)}
    report["peak_rss_mb"] = peak_rss_mb()
    if peer is not None:
        if peer != "statsforecast":
            raise ValueError(f"unknown peer {peer!r}; only 'statsforecast' is supported")
        report.update(_compare_with_peers(panel, kinds, peer_series, seed, workers, peer_cache))
        report["peak_rss_mb_with_peer"] = peak_rss_mb()
    return report


def _counts(labels: np.ndarray) -> dict[str, int]:
    names, counts = np.unique(labels, return_counts=True)
    return {str(name): int(count) for name, count in zip(names, counts, strict=True)}


def _compare_with_peers(
    panel: np.ndarray,
    kinds: np.ndarray,
    size: int,
    seed: int,
    workers: int,
    cache: str | None = None,
) -> dict[str, Any]:
    from shelfwise.bench.plan_peers import fit_peers, peer_models

    rng = np.random.default_rng(seed + 2)
    rows = np.sort(rng.choice(panel.shape[0], size=min(size, panel.shape[0]), replace=False))
    sample, sample_kinds = panel[rows], kinds[rows]
    history, actual = sample[:, :-HOLDOUT_DAYS], sample[:, -HOLDOUT_DAYS:]
    horizon = HOLDOUT_DAYS + LEAD_DAYS

    began = time.perf_counter()
    result = forecast_panel(history, horizon, 7, workers=workers)
    ours_seconds = time.perf_counter() - began
    peers = fit_peers(history, horizon, peer_models(DAILY_PEERS, 7), "D", workers, cache)

    forecasts = {"ours": result.forecast} | {name: fit.forecast for name, fit in peers.items()}
    table = {
        name: accuracy_table(actual, values[:, :HOLDOUT_DAYS], history, sample_kinds, 7)
        for name, values in forecasts.items()
    }
    for name, values in baselines(history, HOLDOUT_DAYS).items():
        table[name] = accuracy_table(actual, values, history, sample_kinds, 7)

    spreads = {"ours": result.lead_time_sd(LEAD_DAYS + 1)} | {
        name: fit.one_step_rmse * np.sqrt(LEAD_DAYS + 1) for name, fit in peers.items()
    }
    service = {}
    safety = {"ours": result.fill_rate_safety(LEAD_DAYS + 1, FILL_TARGET)}
    for name, values in forecasts.items():
        filled, held = simulate_base_stock(
            values, spreads[name], actual, LEAD_DAYS, safety.get(name)
        )
        service[name] = service_by_class(filled, held, actual, sample_kinds)

    def ratio(metric: str, kind: str) -> float:
        best = min(table[name][kind][metric] for name in DAILY_PEERS)
        return round(table["ours"][kind][metric] / best, 4)

    return {
        "peer": {
            "name": "statsforecast",
            "series": int(rows.size),
            "n_jobs": workers,
            "seconds": {"ours": round(ours_seconds, 2)}
            | {name: round(fit.seconds, 2) for name, fit in peers.items()},
            "accuracy": table,
        },
        "speed_ratio": round(peers["AutoETS"].seconds / ours_seconds, 1),
        "wape_ratio": {kind: ratio("wape", kind) for kind in CLASSES[:3]},
        "rmsse_ratio": {kind: ratio("rmsse", kind) for kind in CLASSES},
        "service": service,
    }


def _run_dataset(path: str, workers: int, cache: str | None = None) -> dict[str, Any]:
    from shelfwise.bench.plan_peers import fit_peers, load_long_panel, peer_models

    panel, _, months, dropped = load_long_panel(path)
    history, actual = panel[:, :-DATASET_HOLDOUT], panel[:, -DATASET_HOLDOUT:]
    horizon = DATASET_HOLDOUT + DATASET_LEAD
    began = time.perf_counter()
    result = forecast_panel(history, horizon, DATASET_SEASON, workers=workers)
    seconds = time.perf_counter() - began
    peers = fit_peers(history, horizon, peer_models(DATASET_PEERS, 1), "MS", workers, cache)
    forecasts = {"ours": result.forecast} | {name: fit.forecast for name, fit in peers.items()}
    spreads = {"ours": result.lead_time_sd(DATASET_LEAD + 1)} | {
        name: fit.one_step_rmse * np.sqrt(DATASET_LEAD + 1) for name, fit in peers.items()
    }
    rmsse, mase, service = {}, {}, {}
    safety = {"ours": result.fill_rate_safety(DATASET_LEAD + 1, FILL_TARGET)}
    everything = np.full(panel.shape[0], CLASSES[-1])
    for name, values in forecasts.items():
        ahead = values[:, :DATASET_HOLDOUT]
        rmsse[name] = round(accuracy.rmsse(actual, ahead, history), 4)
        mase[name] = round(accuracy.mase(actual, ahead, history), 4)
        filled, held = simulate_base_stock(
            values, spreads[name], actual, DATASET_LEAD, safety.get(name)
        )
        service[name] = service_by_class(filled, held, actual, everything)[CLASSES[-1]]
    best = min(rmsse[name] for name in DATASET_PEERS)
    return {
        "dataset": str(path),
        "series": int(panel.shape[0]),
        "series_dropped_incomplete": dropped,
        "months": len(months),
        "holdout_months": DATASET_HOLDOUT,
        "lead_months": DATASET_LEAD,
        "season": DATASET_SEASON,
        "seconds": {"ours": round(seconds, 3)}
        | {name: round(fit.seconds, 2) for name, fit in peers.items()},
        "methods_chosen": _counts(result.chosen_methods()),
        "rmsse": rmsse,
        "mase": mase,
        "service": service,
        "rmsse_ratio": round(rmsse["ours"] / best, 4),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shelfwise bench plan", description=__doc__)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--peer", choices=["statsforecast"])
    parser.add_argument("--peer-series", type=int, default=2000)
    parser.add_argument("--dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--peer-cache", help="directory reusing peer fits between runs (accuracy iteration only)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run_plan_bench(
        args.series,
        args.days,
        args.peer,
        args.peer_series,
        args.dataset,
        args.seed,
        args.workers,
        args.peer_cache,
    )
    json.dump(report, sys.stdout, indent=None if args.json else 2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
