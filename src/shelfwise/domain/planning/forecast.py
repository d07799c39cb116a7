"""Demand forecasts for every series of a panel at once, each with its own method.

``forecast_panel(history, horizon)`` takes daily (or monthly) demand ``[series, periods]``
and returns a ``ForecastResult``: point forecasts ``[series, horizon]``, the method and
parameters chosen for each series by a rolling-origin backtest, its Syntetos-Boylan
demand class, and the backtest errors from which error spreads and quantiles follow,
so safety stock rests on how wrong the forecasts actually were rather than on a model's
assumptions (``fill_rate_safety`` turns them into stock for a fill-rate target).

Which methods may compete depends on the series: intermittent and lumpy ones get the
level and Croston-type methods plus ADIDA/IMAPA (temporal aggregation) and a long trend
line whose slope is shrunk by its own t-statistic, never a weekly shape (unless their
zeros keep to some weekdays: ``classify.selling_pattern``); for the others a weekly
shape (trend) is kept only where Akaike's criterion on the in-sample fit of a seasonal
(Holt) family beats SES. Besides ETS-style smoothing (SES, damped Holt, additive and
multiplicative Holt-Winters), dense series get a long-run weekly profile with smoothing
of the adjusted level, with and without drift (``decomposed``), and trend lines.

A smoothing family competes with the grid point its in-sample one-step fit prefers at
each origin (as ETS estimation would choose), not the one the backtest prefers: a grid
point picked by a few folds of out-of-sample error is picked as much for its luck on
them (the grid-chosen forecasts stay in ``method_names`` but are never chosen). Methods
without an in-sample fit (moving averages, trend lines, Croston-type) are ranked at
their best grid point.

Two ways of choosing are averaged, because each alone is noisy in its own way: the
mean of the ``combine`` methods the backtest ranks best (a few folds of out-of-sample
error), and the in-sample choice, which rests on the whole history: the ETS-style model
with the least AIC for dense series (``ets``), the shrunk trend line (which keeps or
drops its slope on the evidence) for sparse ones.

Work is done in blocks of series (optionally on several threads: numpy releases the
GIL inside array operations); within a block every operation covers all its series, and
the only Python loops are over time steps, methods and origins, never over series.
No method sees data after the origin it forecasts from (the unit tests check it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from shelfwise.domain.planning import averages, decomposed, intermittent, regression, smoothing
from shelfwise.domain.planning.accuracy import in_sample_scale
from shelfwise.domain.planning.backtest import (
    Selection,
    actual_windows,
    backtest_origins,
    choose_by_criterion,
    unsupported_structure,
)
from shelfwise.domain.planning.classify import INTERMITTENT, classify_demand, selling_pattern
from shelfwise.domain.planning.forecast_result import ForecastResult
from shelfwise.domain.planning.smoothing import F32

Runner = Callable[[np.ndarray, list[int], int, int], tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class Family:
    """Methods computed in one pass (Croston and SBA share their states), with their grids.

    ``demand`` says which series the family competes for: ``"all"``, ``"dense"`` (sales
    on most periods: trend and season can be estimated) or ``"sparse"`` (Syntetos-Boylan
    intermittent or lumpy: a trend or weekly shape fitted to a few sales is noise).
    """

    names: tuple[str, ...]
    grids: tuple[tuple[str, ...], ...]
    run: Runner
    seasonal: bool = False
    demand: str = "all"


def _labels(**columns: Sequence[float]) -> tuple[str, ...]:
    keys = list(columns)
    rows = zip(*(columns[key] for key in keys), strict=True)
    return tuple(",".join(f"{k}={v:g}" for k, v in zip(keys, row, strict=True)) for row in rows)


FIT_GRID = ("parameters by in-sample fit",)
# A backtest of fewer periods than this cannot rank methods for sparse series (a few
# sales decide it): they get the plain mean of SHORT_SPARSE, each fitted in-sample (a
# level, a temporally aggregated level, and a line whose slope must beat its noise).
SHORT_BACKTEST = 100
SHORT_SPARSE = ("ses_fit", "imapa", "shrunk_trend")
MA_WINDOWS = (7, 14, 28, 56, 112, 364)
SEASONAL_COUNTS = (1, 2, 4, 8, 13)
SES_ALPHA = (0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2, 0.35, 0.5)
HOLT_ALPHA = (0.03, 0.05, 0.1, 0.1, 0.2, 0.3, 0.03, 0.05, 0.1, 0.2, 0.02, 0.02)
HOLT_BETA = (0.001, 0.005, 0.002, 0.01, 0.01, 0.03, 0.001, 0.003, 0.005, 0.01, 0.001, 0.0003)
HOLT_PHI = (0.98,) * 6 + (1.0,) * 6
HW_PHI = 0.98
HW_ALPHA = (0.03, 0.1, 0.25, 0.03, 0.1, 0.25, 0.05, 0.1, 0.05, 0.15, 0.01, 0.02, 0.05, 0.01)
HW_BETA = (0.0,) * 6 + (0.002, 0.005, 0.002, 0.005) + (0.0,) * 4
HW_GAMMA = (0.02, 0.02, 0.02, 0.08, 0.08, 0.08, 0.02, 0.02, 0.08, 0.08, 0.005, 0.005, 0.005, 0.02)
HWM_ALPHA = (0.03, 0.1, 0.25, 0.03, 0.1, 0.25, 0.05, 0.1, 0.05, 0.1, 0.01, 0.02, 0.05, 0.01)
HWM_GAMMA = (0.02, 0.02, 0.02, 0.08, 0.08, 0.08, 0.02, 0.02, 0.08, 0.08, 0.005, 0.005, 0.005, 0.02)
HWM_BETA = (0.0,) * 6 + (0.002, 0.005, 0.002, 0.005) + (0.0,) * 4
TREND_WINDOWS = (56, 91, 182, 364)
PROFILE_ALPHA = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.15)
PROFILE_WINDOWS = (182, 364, 546)
DRIFT_WINDOW = 364
CROSTON_ALPHA = (0.05, 0.1, 0.2, 0.3)
TSB_SIZE = (0.05, 0.1, 0.2, 0.1, 0.3, 0.05)
TSB_PROBABILITY = (0.02, 0.05, 0.1, 0.02, 0.05, 0.1)
AGGREGATE_ALPHA = (0.1, 0.15, 0.2, 0.25, 0.3)


class Fitted(tuple):
    """A family's forecasts, pairs of (grid, grid point each origin's fit prefers).

    ``fits[k]`` is the least in-sample squared error ``[origins, series]`` of the grid
    whose forecasts are at position ``k`` (the fit-chosen ones at ``k + 1``).
    """

    fits: dict[int, np.ndarray]


def _with_fit(*results: tuple[np.ndarray, np.ndarray]) -> Fitted:
    """Each grid's forecasts, and those of the grid point each origin's in-sample fit prefers."""
    out = Fitted(
        values
        for forecasts, fit in results
        for values in (forecasts, smoothing.best_fit(forecasts, fit))
    )
    out.fits = {2 * k: fit.min(axis=1) for k, (_, fit) in enumerate(results)}
    return out


SEASONAL_METHODS = (
    "seasonal_naive",
    "seasonal_average",
    "holt_winters",
    "holt_winters_fit",
    "seasonal_factors",
    "seasonal_factors_fit",
)
TREND_METHODS = ("holt", "holt_fit")


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
        demand="dense",
    ),
    Family(
        ("ses", "ses_fit"),
        (_labels(alpha=SES_ALPHA), FIT_GRID),
        lambda y, origins, h, m: _with_fit(smoothing.fitted_smoothing(y, origins, h, SES_ALPHA)),
    ),
    Family(
        ("holt", "holt_fit"),
        (_labels(alpha=HOLT_ALPHA, beta=HOLT_BETA, phi=HOLT_PHI), FIT_GRID),
        lambda y, origins, h, m: _with_fit(
            smoothing.fitted_smoothing(y, origins, h, HOLT_ALPHA, beta=HOLT_BETA, phi=HOLT_PHI)
        ),
        demand="dense",
    ),
    Family(
        ("holt_winters", "holt_winters_fit"),
        (_labels(alpha=HW_ALPHA, beta=HW_BETA, gamma=HW_GAMMA), FIT_GRID),
        lambda y, origins, h, m: _with_fit(
            smoothing.fitted_smoothing(
                y, origins, h, HW_ALPHA, beta=HW_BETA, gamma=HW_GAMMA, phi=HW_PHI, season=m
            )
        ),
        seasonal=True,
        demand="dense",
    ),
    Family(
        ("seasonal_factors", "seasonal_factors_fit"),
        (_labels(alpha=HWM_ALPHA, beta=HWM_BETA, gamma=HWM_GAMMA), FIT_GRID),
        lambda y, origins, h, m: _with_fit(
            smoothing.fitted_multiplicative(
                y, origins, h, HWM_ALPHA, HWM_GAMMA, m, beta=HWM_BETA, phi=1.0
            )
        ),
        seasonal=True,
        demand="dense",
    ),
    Family(
        ("linear_trend",),
        (tuple(f"window={w},{shape}" for w in TREND_WINDOWS for shape in ("flat", "seasonal")),),
        lambda y, origins, h, m: (regression.linear_trend(y, origins, h, TREND_WINDOWS, m),),
        demand="dense",
    ),
    Family(
        ("profile_ses", "profile_ses_fit", "ses_drift", "ses_drift_fit"),
        (_labels(alpha=PROFILE_ALPHA), FIT_GRID) * 2,
        lambda y, origins, h, m: _with_fit(
            *decomposed.profile_smoothing(y, origins, h, PROFILE_ALPHA, m, drift=DRIFT_WINDOW)
        ),
        seasonal=True,
        demand="dense",
    ),
    Family(
        ("profile_trend",),
        (_labels(window=PROFILE_WINDOWS),),
        lambda y, origins, h, m: (decomposed.profile_trend(y, origins, h, PROFILE_WINDOWS, m),),
        seasonal=True,
        demand="dense",
    ),
    Family(
        ("shrunk_trend",),
        (("window=728,slope shrunk by its t",),),
        lambda y, origins, h, m: (regression.shrunk_trend(y, origins, h),),
        demand="sparse",
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
    Family(("ets",), (("model by AIC",),), lambda y, origins, h, m: (), demand="dense"),
    Family(
        ("adida", "imapa"),
        (FIT_GRID, FIT_GRID),
        lambda y, origins, h, m: intermittent.aggregated(y, origins, AGGREGATE_ALPHA),
        demand="sparse",
    ),
)


def _split(forecasts: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    return forecasts[:, :first], forecasts[:, first:]


def method_names(families: Sequence[Family] = FAMILIES) -> tuple[str, ...]:
    """All method names, in the order their codes in ``ForecastResult.method`` refer to."""
    return tuple(name for family in families for name in family.names)


def forecast_panel(
    history: np.ndarray,
    horizon: int,
    season: int = 7,
    *,
    folds: int = 8,
    families: Sequence[Family] = FAMILIES,
    combine: int = 3,
    anchor_share: float = 0.5,
    block_size: int = 4096,
    workers: int = 1,
) -> ForecastResult:
    """Forecast every series of ``history`` ``[series, periods]`` ``horizon`` periods ahead.

    ``season`` is the seasonal period (7 for weekly pattern in daily data, 12 for monthly
    data, 1 for none); ``folds`` backtest origins spaced ``horizon`` apart rank the
    methods of each series; the forecast is ``anchor_share`` of the in-sample choice
    plus the rest from the mean of its ``combine`` best (1 = the single best; share 0 =
    the backtest alone). ``workers`` threads share the blocks of ``block_size`` series.
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
        _forecast_block(
            history[start:stop], horizon, season, folds, families, (combine, anchor_share), out,
            start,
        )

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
    combination: tuple[int, float],
    out: dict[str, np.ndarray],
    start: int,
) -> None:
    stop = start + block.shape[0]
    y = np.ascontiguousarray(block.T, dtype=F32)
    periods = y.shape[0]
    origins = backtest_origins(periods, horizon, folds, _min_train(season))
    selection = Selection(actual_windows(y, origins, horizon), horizon)
    demand_class = classify_demand(block)
    # sparse: trend and weekly shape cannot be estimated, unless its zeros keep to weekdays
    sparse = (demand_class >= INTERMITTENT) & ~selling_pattern(block, season)
    eligible = {"all": None, "dense": ~sparse, "sparse": sparse}
    code = 0
    fits: dict[str, np.ndarray] = {}
    best: dict[str, np.ndarray] = {}
    codes: dict[str, int] = {}
    parts: dict[str, np.ndarray] = {}  # the block's columns each kind of family runs on
    series = block.shape[0]
    for family in families:
        usable = not family.seasonal or (season > 1 and origins[0] >= 2 * season)
        rows = eligible[family.demand]
        if usable and (rows is None or rows.any()):
            if family.demand not in parts:
                parts[family.demand] = (
                    y if rows is None or rows.all() else np.ascontiguousarray(y[:, rows])
                )
            part = parts[family.demand]
            forecasts = family.run(part, [*origins, periods], horizon, season)
            grids = forecasts.fits if isinstance(forecasts, Fitted) else {}
            for offset, values in enumerate(forecasts):
                codes[family.names[offset]] = code + offset
                if offset not in grids:  # a fitted grid is ranked by its fitted twin only
                    selection.offer(code + offset, values, rows)
            where = slice(None) if rows is None else rows
            for offset, fit in grids.items():
                name = family.names[offset]
                fits[name] = np.full((len(origins) + 1, series), np.inf, dtype=F32)
                fits[name][:, where] = fit
                best[name] = np.zeros((len(origins) + 1, 1, series, horizon), dtype=F32)
                best[name][:, :, where] = forecasts[offset + 1]
        if family.names == ("ets",) and fits and eligible["dense"].any():
            values = choose_by_criterion(fits, best, [*origins, periods])
            dense = eligible["dense"]
            selection.offer(code, np.ascontiguousarray(values[:, :, dense]), dense)
            codes["ets"] = code
        code += len(family.names)
    unsupported = unsupported_structure(fits, periods)
    for structure, names in (("season", SEASONAL_METHODS), ("trend", TREND_METHODS)):
        if structure in unsupported:
            selection.exclude(
                [codes[name] for name in names if name in codes], unsupported[structure]
            )
    combine, anchor_share = combination
    # the in-sample choice: ETS by AIC where trend and season can be fitted, else the
    # shrunk trend line (a level unless the slope stands out from the noise)
    anchors = np.where(sparse, codes.get("shrunk_trend", -1), codes.get("ets", -1))
    chosen = selection.choose(combine, anchors, anchor_share)
    if len(origins) * horizon < SHORT_BACKTEST and all(name in codes for name in SHORT_SPARSE):
        selection.average(chosen, [codes[name] for name in SHORT_SPARSE], sparse)
    out["forecast"][start:stop] = chosen["forecast"]
    out["method"][start:stop] = chosen["method"]
    out["parameter"][start:stop] = chosen["parameter"]
    out["demand_class"][start:stop] = demand_class
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
