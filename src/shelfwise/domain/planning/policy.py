"""Replenishment policy for a whole panel at once: forecast -> levels -> projection -> orders.

The scalar textbook functions in :mod:`safety_stock` and :mod:`eoq` define the policy;
this module applies the same definitions to arrays indexed by series (item x facility),
so planning a million series is numpy work, not a Python loop:

* lead-time demand mu_L = the forecast summed over the lead time L (beyond the forecast
  horizon, the mean of the horizon's last week carries on);
* its spread sigma_L = sqrt(e_L^2 + d^2 sd_L^2): e_L is the root mean square of the
  *backtest* errors summed over L days (how wrong the forecasts really were over a lead
  time), d^2 sd_L^2 adds the supplier's lead-time variability;
* safety stock z sigma_L with z = Phi^-1(cycle service level); reorder point
  s = mu_L + z sigma_L; order quantity Q = max(EOQ, d R); order-up-to S = s + Q, an
  (s, S) policy reviewed every R days.

``plan_chunk`` is the unit of distributed work: it takes only arrays and returns only
arrays, so a Dask worker can run it on any slice of series and the result is the same
as in process (every figure of a series depends on that series alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shelfwise.domain.planning.accuracy import in_sample_scale
from shelfwise.domain.planning.backtest import actual_windows, backtest_origins
from shelfwise.domain.planning.forecast import ForecastResult, forecast_panel

FOLDS = 8
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Supply:
    """Supply terms per series (arrays of equal length): days, cents, annual fractions."""

    lead_time: np.ndarray
    lead_time_sd: np.ndarray
    unit_cost: np.ndarray
    ordering_cost: np.ndarray
    holding_rate: np.ndarray


def demand_over(forecast: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Forecast demand summed over the next ``days`` (per series, may be fractional).

    Past the horizon the mean of the horizon's last seven days continues, so a lead time
    longer than the horizon still gets a demand estimate.
    """
    n, horizon = forecast.shape
    f = np.asarray(forecast, dtype=np.float64)
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(f, axis=1)], axis=1)
    tail = f[:, -min(7, horizon):].mean(axis=1) if horizon else np.zeros(n)
    days = np.maximum(np.asarray(days, dtype=np.float64), 0.0)
    whole = np.minimum(np.floor(days), horizon).astype(np.int64)
    rows = np.arange(n)
    inside = cumulative[rows, whole]
    frac_day = np.where(whole < horizon, f[rows, np.minimum(whole, horizon - 1)], tail)
    within = np.minimum(days, horizon) - whole
    beyond = np.maximum(days - horizon, 0.0)
    return inside + within * frac_day + beyond * tail


def error_over(result: ForecastResult, days: np.ndarray) -> np.ndarray:
    """Backtest error spread of demand summed over ``days`` per series.

    Distinct whole lead times are few (suppliers quote days), so the summed-error RMS is
    computed once per distinct length; past the horizon it grows with sqrt(days).
    """
    horizon = result.forecast.shape[1]
    days = np.maximum(np.asarray(days, dtype=np.float64), 1.0)
    periods = np.ceil(np.minimum(days, horizon)).astype(np.int64)
    out = np.zeros(len(days))
    for length in np.unique(periods):
        rows = periods == length
        out[rows] = result.lead_time_sd(int(length))[rows]
    return out * np.sqrt(np.maximum(days / horizon, 1.0))


def forecast_accuracy(history: np.ndarray, result: ForecastResult, season: int
                      ) -> dict[str, np.ndarray]:
    """WAPE, MASE and bias per series over the backtest windows the model was chosen on."""
    errors = result.backtest_errors.astype(np.float64)  # actual - forecast
    horizon = errors.shape[2]
    origins = backtest_origins(history.shape[1], horizon, FOLDS, 2 * max(season, 7))
    origins = origins[-errors.shape[0]:]
    actual = actual_windows(np.ascontiguousarray(history.T), origins, horizon).astype(np.float64)
    volume = actual.sum(axis=(0, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        wape = np.where(volume > 0, np.abs(errors).sum(axis=(0, 2)) / volume, np.nan)
        bias = np.where(volume > 0, -errors.sum(axis=(0, 2)) / volume, np.nan)
        mase = np.abs(errors).mean(axis=(0, 2)) / in_sample_scale(history, 1)
    return {"wape": wape, "mase": mase, "bias": bias}


def z_value(service_level: float) -> float:
    if not 0.5 <= service_level < 1.0:
        raise ValueError(f"service level must be in [0.5, 1), got {service_level}")
    return NormalDist().inv_cdf(service_level)


def policy_levels(result: ForecastResult, supply: Supply, service_level: float,
                  review_period: float) -> dict[str, np.ndarray]:
    """Safety stock, reorder point, order quantity and order-up-to level per series."""
    z = z_value(service_level)
    forecast = result.forecast.astype(np.float64)
    daily = forecast.mean(axis=1)
    lt = np.asarray(supply.lead_time, dtype=np.float64)
    lt_sd = np.asarray(supply.lead_time_sd, dtype=np.float64)
    mu_l = demand_over(forecast, lt)
    sigma_l = np.sqrt(error_over(result, lt) ** 2 + daily**2 * lt_sd**2)
    safety = z * sigma_l
    reorder = mu_l + safety
    holding = supply.holding_rate * supply.unit_cost
    annual = daily * DAYS_PER_YEAR
    with np.errstate(divide="ignore", invalid="ignore"):
        eoq = np.where(holding > 0, np.sqrt(2 * supply.ordering_cost * annual / holding), 0.0)
    quantity = np.where(daily > 0, np.maximum(eoq, daily * review_period), 0.0)
    return {
        "daily_mean": daily, "lead_time_demand": mu_l, "lead_time_demand_sd": sigma_l,
        "safety_stock": safety, "reorder_point": reorder, "eoq": eoq,
        "order_quantity": quantity, "order_up_to": reorder + quantity, "z": np.full_like(daily, z),
    }


def plan_chunk(history: np.ndarray, supply: Supply, *, horizon: int, season: int,
               service_level: float, review_period: float) -> dict[str, np.ndarray]:
    """Forecast a slice of series and set its policy levels: arrays in, arrays out."""
    result = forecast_panel(np.asarray(history, dtype=np.float32), horizon, season)
    out = policy_levels(result, supply, service_level, review_period)
    out.update(forecast_accuracy(history, result, season))
    out["forecast"] = result.forecast.astype(np.float64)
    out["error_sd"] = result.error_sd.astype(np.float64).mean(axis=1)
    out["method"] = result.chosen_methods()
    out["demand_class"] = result.demand_class.astype(np.int64)
    out["rmsse"] = result.backtest_rmsse
    return out


def merge_chunks(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate ``plan_chunk`` outputs in series order."""
    return {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}


def project(start: np.ndarray, arrivals: np.ndarray, forecast: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Projected on hand at the end of each day and the first day it goes below zero.

    ``start`` is usable stock now, ``arrivals[:, t]`` what is expected to arrive on day
    t (open purchase orders, transfers in transit). Stockout day is -1 when none.
    """
    path = start[:, None] + np.cumsum(arrivals, axis=1) - np.cumsum(forecast, axis=1)
    short = path < 0
    day = np.where(short.any(axis=1), short.argmax(axis=1), -1)
    return path, day


def order_points(position: np.ndarray, forecast: np.ndarray, levels: dict[str, np.ndarray],
                 review_period: int) -> tuple[np.ndarray, np.ndarray]:
    """When (day offset) and how much to order, per series; day -1 when no order is due.

    The inventory position drifts down by the forecast; the first day within the review
    period on which it is at or below the reorder point is the order's due day, and the
    order brings it back up to the order-up-to level.
    """
    n, horizon = forecast.shape
    days = max(1, min(int(review_period), horizon))
    drift = np.concatenate([np.zeros((n, 1)), np.cumsum(forecast[:, :days - 1], axis=1)], axis=1)
    path = position[:, None] - drift
    due = (path <= levels["reorder_point"][:, None]) & (levels["order_quantity"][:, None] > 0)
    day = np.where(due.any(axis=1), due.argmax(axis=1), -1)
    at_order = path[np.arange(n), np.maximum(day, 0)]
    qty = np.where(day >= 0, np.maximum(levels["order_up_to"] - at_order, 0.0), 0.0)
    return day, qty
