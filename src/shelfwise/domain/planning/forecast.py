"""Demand forecasts for every series of a panel at once, each with its own method.

``forecast_panel(history, horizon)`` takes daily (or monthly) demand ``[series, periods]``
and returns a ``ForecastResult``: point forecasts ``[series, horizon]``, the method and
parameters chosen for each series by a rolling-origin backtest, its Syntetos-Boylan
demand class, and the backtest errors from which error spreads and quantiles follow,
so safety stock rests on how wrong the forecasts actually were rather than on a model's
assumptions.

Work is done in blocks of series (optionally on several threads: numpy releases the
GIL inside array operations); within a block every operation covers all its series, and
the only Python loops are over time steps, methods and origins, never over series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shelfwise.domain.planning import averages, intermittent, regression, smoothing
from shelfwise.domain.planning.accuracy import in_sample_scale
from shelfwise.domain.planning.backtest import Selection, actual_windows, backtest_origins
from shelfwise.domain.planning.classify import classify_demand
from shelfwise.domain.planning.smoothing import F32

Runner = Callable[[np.ndarray, list[int], int, int], tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class Family:
    """Methods computed in one pass (Croston and SBA share their states), with their grids."""

    names: tuple[str, ...]
    grids: tuple[tuple[str, ...], ...]
    run: Runner
    seasonal: bool = False


def _labels(**columns: Sequence[float]) -> tuple[str, ...]:
    keys = list(columns)
    rows = zip(*(columns[key] for key in keys), strict=True)
    return tuple(",".join(f"{k}={v:g}" for k, v in zip(keys, row, strict=True)) for row in rows)


MA_WINDOWS = (7, 14, 28, 56, 112, 364)
SEASONAL_COUNTS = (1, 2, 4, 8, 13)
SES_ALPHA = (0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)
HOLT_ALPHA = (0.03, 0.05, 0.1, 0.1, 0.2, 0.3, 0.03, 0.05, 0.1, 0.2)
HOLT_BETA = (0.001, 0.005, 0.002, 0.01, 0.01, 0.03, 0.001, 0.003, 0.005, 0.01)
HOLT_PHI = (0.98,) * 6 + (1.0,) * 4
HW_PHI = 0.98
HW_ALPHA = (0.03, 0.1, 0.25, 0.03, 0.1, 0.25, 0.05, 0.1, 0.05, 0.15)
HW_BETA = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.002, 0.005, 0.002, 0.005)
HW_GAMMA = (0.02, 0.02, 0.02, 0.08, 0.08, 0.08, 0.02, 0.02, 0.08, 0.08)
HWM_ALPHA = (0.03, 0.1, 0.25, 0.03, 0.1, 0.25, 0.05, 0.1, 0.05, 0.1)
HWM_GAMMA = (0.02, 0.02, 0.02, 0.08, 0.08, 0.08, 0.02, 0.02, 0.08, 0.08)
HWM_BETA = (0.0,) * 6 + (0.002, 0.005, 0.002, 0.005)
TREND_WINDOWS = (56, 91, 182, 364)
CROSTON_ALPHA = (0.05, 0.1, 0.2, 0.3)
TSB_SIZE = (0.05, 0.1, 0.2, 0.1, 0.3, 0.05)
TSB_PROBABILITY = (0.02, 0.05, 0.1, 0.02, 0.05, 0.1)

FAMILIES: tuple[Family, ...] = (
    Family(
        ("moving_average",),
        (_labels(window=MA_WINDOWS),),
        lambda y, origins, h, m: (averages.moving_average(y, origins, MA_WINDOWS),),
    ),
    Family(
        ("seasonal_naive", "seasonal_average"),
        (_labels(seasons=SEASONAL_COUNTS[:1]), _labels(seasons=SEASONAL_COUNTS[1:])),
        lambda y, origins, h, m: _split(
            averages.seasonal_average(y, origins, h, m, SEASONAL_COUNTS), 1
        ),
        seasonal=True,
    ),
    Family(
        ("ses",),
        (_labels(alpha=SES_ALPHA),),
        lambda y, origins, h, m: (smoothing.exponential_smoothing(y, origins, h, SES_ALPHA),),
    ),
    Family(
        ("holt",),
        (_labels(alpha=HOLT_ALPHA, beta=HOLT_BETA, phi=HOLT_PHI),),
        lambda y, origins, h, m: (
            smoothing.exponential_smoothing(
                y, origins, h, HOLT_ALPHA, beta=HOLT_BETA, phi=HOLT_PHI
            ),
        ),
    ),
    Family(
        ("holt_winters",),
        (_labels(alpha=HW_ALPHA, beta=HW_BETA, gamma=HW_GAMMA),),
        lambda y, origins, h, m: (
            smoothing.exponential_smoothing(
                y, origins, h, HW_ALPHA, beta=HW_BETA, gamma=HW_GAMMA, phi=HW_PHI, season=m
            ),
        ),
        seasonal=True,
    ),
    Family(
        ("seasonal_factors",),
        (_labels(alpha=HWM_ALPHA, beta=HWM_BETA, gamma=HWM_GAMMA),),
        lambda y, origins, h, m: (
            smoothing.multiplicative_season(
                y, origins, h, HWM_ALPHA, HWM_GAMMA, m, beta=HWM_BETA, phi=1.0
            ),
        ),
        seasonal=True,
    ),
    Family(
        ("linear_trend",),
        (tuple(f"window={w},{shape}" for w in TREND_WINDOWS for shape in ("flat", "seasonal")),),
        lambda y, origins, h, m: (regression.linear_trend(y, origins, h, TREND_WINDOWS, m),),
    ),
    Family(
        ("croston", "sba"),
        (_labels(alpha=CROSTON_ALPHA),) * 2,
        lambda y, origins, h, m: intermittent.croston(y, origins, CROSTON_ALPHA),
    ),
    Family(
        ("tsb",),
        (_labels(alpha_size=TSB_SIZE, alpha_probability=TSB_PROBABILITY),),
        lambda y, origins, h, m: (intermittent.tsb(y, origins, TSB_SIZE, TSB_PROBABILITY),),
    ),
)


def _split(forecasts: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    return forecasts[:, :first], forecasts[:, first:]


def method_names(families: Sequence[Family] = FAMILIES) -> tuple[str, ...]:
    """All method names, in the order their codes in ``ForecastResult.method`` refer to."""
    return tuple(name for family in families for name in family.names)


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts of a panel and the evidence behind them, all indexed by series.

    ``backtest_errors`` are actual minus forecast of the chosen candidate at each backtest
    origin ``[folds, series, horizon]``; ``error_sd`` is their root mean square per series
    and horizon (pooled over neighbouring horizons, since a few folds alone are noisy).
    When several methods are averaged, ``method``/``parameter`` name the best-ranked one
    and the errors are those of the average.
    """

    forecast: np.ndarray
    method: np.ndarray
    parameter: np.ndarray
    demand_class: np.ndarray
    backtest_errors: np.ndarray
    backtest_mse: np.ndarray
    backtest_rmsse: np.ndarray
    error_sd: np.ndarray
    method_names: tuple[str, ...]
    parameter_grids: tuple[tuple[str, ...], ...]

    def chosen_methods(self) -> np.ndarray:
        """Method name of each series."""
        return np.asarray(self.method_names)[self.method]

    def chosen_parameters(self, series: int) -> str:
        """Parameter label of one series' chosen method, e.g. ``alpha=0.1``."""
        return self.parameter_grids[self.method[series]][self.parameter[series]]

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Forecast quantiles ``[series, horizon, len(levels)]`` (normal on the empirical sd)."""
        z = np.asarray([NormalDist().inv_cdf(level) for level in levels], dtype=F32)
        values = self.forecast[:, :, None] + self.error_sd[:, :, None] * z
        return np.maximum(values, 0)

    def lead_time_sd(self, periods: int) -> np.ndarray:
        """Spread of the error of demand summed over ``periods`` consecutive periods.

        Root mean square, over every fold and every window of that length inside the
        horizon, of the summed backtest errors: it keeps the correlation between the
        errors of neighbouring days that a sqrt(L) * sd rule ignores.
        """
        horizon = self.backtest_errors.shape[2]
        length = max(1, min(periods, horizon))
        summed = _window_sums(self.backtest_errors, length)
        return np.sqrt(np.square(summed, dtype=np.float64).mean(axis=(0, 2))).astype(F32)


def _window_sums(values: np.ndarray, length: int) -> np.ndarray:
    cumulative = np.cumsum(values, axis=-1, dtype=np.float64)
    cumulative = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative], axis=-1)
    return cumulative[..., length:] - cumulative[..., :-length]


def forecast_panel(
    history: np.ndarray,
    horizon: int,
    season: int = 7,
    *,
    folds: int = 8,
    families: Sequence[Family] = FAMILIES,
    combine: int = 3,
    block_size: int = 4096,
    workers: int = 1,
) -> ForecastResult:
    """Forecast every series of ``history`` ``[series, periods]`` ``horizon`` periods ahead.

    ``season`` is the seasonal period (7 for weekly pattern in daily data, 12 for monthly
    data, 1 for none); ``folds`` backtest origins spaced ``horizon`` apart rank the
    methods of each series, and the forecast is the mean of its ``combine`` best (1 =
    the single best). ``workers`` threads share the blocks of ``block_size`` series.
    History must be complete (no NaN) and non-negative.
    """
    series, periods = history.shape
    names = method_names(families)
    folds_used = len(backtest_origins(periods, horizon, folds, _min_train(season)))
    out = {
        "forecast": np.zeros((series, horizon), dtype=F32),
        "method": np.zeros(series, dtype=np.int16),
        "parameter": np.zeros(series, dtype=np.int16),
        "demand_class": np.zeros(series, dtype=np.int8),
        "backtest_errors": np.zeros((folds_used, series, horizon), dtype=F32),
        "backtest_mse": np.zeros(series, dtype=np.float64),
        "backtest_rmsse": np.zeros(series, dtype=np.float64),
        "error_sd": np.zeros((series, horizon), dtype=F32),
    }

    if workers > 1:  # give every worker a share even of a small panel
        block_size = max(1, min(block_size, -(-series // workers)))

    def work(start: int) -> None:
        stop = min(series, start + block_size)
        _forecast_block(history[start:stop], horizon, season, folds, families, combine, out, start)

    starts = range(0, series, block_size)
    if workers > 1 and series > block_size:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, starts))
    else:
        for start in starts:
            work(start)
    return ForecastResult(
        **out,
        method_names=names,
        parameter_grids=tuple(grid for family in families for grid in family.grids),
    )


def _min_train(season: int) -> int:
    return 2 * max(season, 7)


def _forecast_block(
    block: np.ndarray,
    horizon: int,
    season: int,
    folds: int,
    families: Sequence[Family],
    combine: int,
    out: dict[str, np.ndarray],
    start: int,
) -> None:
    stop = start + block.shape[0]
    y = np.ascontiguousarray(block.T, dtype=F32)
    periods = y.shape[0]
    origins = backtest_origins(periods, horizon, folds, _min_train(season))
    selection = Selection(actual_windows(y, origins, horizon), horizon)
    code = 0
    for family in families:
        usable = not family.seasonal or (season > 1 and origins[0] >= 2 * season)
        if usable:
            forecasts = family.run(y, [*origins, periods], horizon, season)
            for offset, values in enumerate(forecasts):
                selection.offer(code + offset, values)
        code += len(family.names)
    chosen = selection.choose(combine)
    out["forecast"][start:stop] = chosen["forecast"]
    out["method"][start:stop] = chosen["method"]
    out["parameter"][start:stop] = chosen["parameter"]
    out["demand_class"][start:stop] = classify_demand(block)
    out["backtest_errors"][:, start:stop] = chosen["errors"]
    out["backtest_mse"][start:stop] = chosen["score"]
    scale = in_sample_scale(block, 1, power=2)
    out["backtest_rmsse"][start:stop] = np.sqrt(chosen["score"] / scale)
    out["error_sd"][start:stop] = _error_sd(chosen["errors"])


def _error_sd(errors: np.ndarray, reach: int = 3) -> np.ndarray:
    """RMS error per series and horizon, pooled over folds and horizons within ``reach``."""
    squares = np.square(errors, dtype=np.float64).mean(axis=0)
    horizon = squares.shape[1]
    cumulative = np.concatenate(
        [np.zeros((squares.shape[0], 1)), np.cumsum(squares, axis=1)], axis=1
    )
    steps = np.arange(horizon)
    low = np.maximum(steps - reach, 0)
    high = np.minimum(steps + reach + 1, horizon)
    pooled = (cumulative[:, high] - cumulative[:, low]) / (high - low)
    return np.sqrt(pooled).astype(F32)
