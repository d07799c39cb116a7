"""Forecast accuracy measures, per series and aggregated over a panel.

All functions take ``actual`` and ``forecast`` of shape ``[series, horizon]``; the scaled
measures also take the in-sample ``history`` ``[series, periods]`` that sets each series'
scale, so that series of different volumes can be averaged:

* WAPE  = sum |f - y| / sum y (aggregated over everything given, so volume-weighted);
* bias  = sum (f - y) / sum y (positive: over-forecast);
* MASE  = mean |f - y| / mean in-sample |y_t - y_{t-m}| (Hyndman & Koehler 2006);
* RMSSE = sqrt(mean (f - y)^2 / mean in-sample (y_t - y_{t-1})^2) (M5 competition).

As in M5, the in-sample scale starts at each series' first non-zero demand, so leading
zeros before an item was launched do not shrink it. A series whose scale is zero (never
sold, or perfectly constant) has no scaled error: its entries are NaN and the panel
averages skip them.
"""

from __future__ import annotations

import numpy as np


def in_sample_scale(history: np.ndarray, season: int = 1, power: int = 1) -> np.ndarray:
    """Mean of |y_t - y_{t-season}|**power from the first sale on, per series (NaN if zero)."""
    rows, periods = history.shape
    if periods <= season:
        return np.full(rows, np.nan)
    # blocks of rows keep float64 temporaries small on very large panels
    block = max(1, 4_000_000 // periods)
    return (
        np.concatenate(
            [_scale_block(history[i : i + block], season, power) for i in range(0, rows, block)]
        )
        if rows
        else np.empty(0)
    )


def _scale_block(history: np.ndarray, season: int, power: int) -> np.ndarray:
    values = np.asarray(history, dtype=np.float64)
    started = np.cumsum(values != 0, axis=1) > 0
    diffs = np.abs(values[:, season:] - values[:, :-season]) ** power
    # a difference counts once both of its ends are at or after the first sale
    mask = started[:, :-season]
    count = mask.sum(axis=1)
    total = np.where(mask, diffs, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = total / count
    return np.where((count > 0) & (scale > 0), scale, np.nan)


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error over all series and periods given."""
    actual = np.asarray(actual, dtype=np.float64)
    denominator = np.abs(actual).sum()
    if denominator == 0:
        return float("nan")
    return float(np.abs(np.asarray(forecast, dtype=np.float64) - actual).sum() / denominator)


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Signed total error relative to total demand (+0.1 = forecasts 10% too high)."""
    actual = np.asarray(actual, dtype=np.float64)
    denominator = np.abs(actual).sum()
    if denominator == 0:
        return float("nan")
    return float((np.asarray(forecast, dtype=np.float64) - actual).sum() / denominator)


def wape_per_series(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """WAPE of each series (NaN where the series had no demand)."""
    actual = np.asarray(actual, dtype=np.float64)
    total = np.abs(actual).sum(axis=1)
    error = np.abs(np.asarray(forecast, dtype=np.float64) - actual).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, error / total, np.nan)


def mase_per_series(
    actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 1
) -> np.ndarray:
    """MASE of each series against the in-sample (seasonal) naive scale."""
    error = np.abs(np.asarray(forecast, dtype=np.float64) - actual).mean(axis=1)
    return error / in_sample_scale(history, season, power=1)


def rmsse_per_series(
    actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 1
) -> np.ndarray:
    """RMSSE of each series against the in-sample (seasonal) naive squared scale."""
    error = np.square(np.asarray(forecast, dtype=np.float64) - actual).mean(axis=1)
    return np.sqrt(error / in_sample_scale(history, season, power=2))


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 1) -> float:
    """Mean MASE over the series that have a scale."""
    return _mean(mase_per_series(actual, forecast, history, season))


def rmsse(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 1) -> float:
    """Mean RMSSE over the series that have a scale (M5 without the dollar weights)."""
    return _mean(rmsse_per_series(actual, forecast, history, season))


def summary(
    actual: np.ndarray,
    forecast: np.ndarray,
    history: np.ndarray,
    mase_season: int = 1,
) -> dict[str, float]:
    """WAPE, MASE, RMSSE (naive scale) and bias of a panel, as plain floats."""
    return {
        "wape": wape(actual, forecast),
        "mase": mase(actual, forecast, history, mase_season),
        "rmsse": rmsse(actual, forecast, history, 1),
        "bias": bias(actual, forecast),
    }


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")
