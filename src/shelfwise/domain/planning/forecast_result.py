"""What a panel forecast returns: forecasts, the choice behind them and its backtest errors.

The errors are the evidence safety stock rests on: ``lead_time_sd`` and
``fill_rate_safety`` turn how wrong each series' forecasts were over the backtest into
the spread of demand over a lead time and the stock a fill-rate target needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shelfwise.domain.planning.smoothing import F32


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

    def fill_rate_safety(
        self, periods: int, target: float, optimism: float | None = None
    ) -> np.ndarray:
        """Safety stock per series for a base-stock level over ``periods`` to meet a fill rate.

        Loss-function rule: choose ``s`` with expected units short per period, E[(E - s)+]
        for E the error of demand summed over ``periods``, equal to ``(1 - target)`` times
        the mean forecast demand per period. E comes from the backtest, not from a normal
        curve: each series keeps its own mean error (a lag behind a trend persists), and
        the shape around it is pooled over every series of the same demand class after
        dividing by each one's spread (so skewed, Poisson-like or lumpy errors keep their
        shape and a tail rests on many series, not one series' few folds). The spread is
        widened by ``optimism`` (default ``1 + 0.6 / sqrt(folds)``): the chosen method is
        the one whose backtest errors were smallest, so they understate its errors to come,
        and the fewer the folds the less the spread itself is known.
        """
        horizon = self.backtest_errors.shape[2]
        length = max(1, min(periods, horizon))
        summed = _window_sums(self.backtest_errors, length)
        bias = summed.mean(axis=(0, 2))
        spread = np.sqrt(np.square(summed - bias[None, :, None]).mean(axis=(0, 2)))
        del summed
        mean = np.maximum(self.forecast.mean(axis=1, dtype=np.float64), 0.0)
        if optimism is None:
            optimism = 1 + OPTIMISM / np.sqrt(self.backtest_errors.shape[0])
        safety = bias.copy()
        for code in np.unique(self.demand_class):
            rows = np.flatnonzero((self.demand_class == code) & (spread > 0))
            if rows.size == 0:
                continue
            grid, loss = _pooled_loss(self.backtest_errors, rows, length, bias[rows], spread[rows])
            sigma = spread[rows] * optimism
            z = np.interp((1 - target) * mean[rows] / sigma, loss[::-1], grid[::-1])
            safety[rows] += z * sigma
        return safety


OPTIMISM = 0.6
LOSS_GRID = np.linspace(-4.0, 8.0, 601)
LOSS_SAMPLE = 400_000


def _pooled_loss(
    errors: np.ndarray, rows: np.ndarray, length: int, bias: np.ndarray, spread: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised loss E[(u - z)+] on a grid of z, over the summed errors of ``rows``."""
    step = max(1, -(-rows.size * errors.shape[0] * (errors.shape[2] - length + 1) // LOSS_SAMPLE))
    picked = rows[::step]
    summed = _window_sums(errors[:, picked], length)
    summed = (summed - bias[::step][None, :, None]) / spread[::step][None, :, None]
    values = np.sort(summed.ravel())
    tail = np.cumsum(values[::-1])[::-1]  # tail[i] = sum of values[i:]
    above = np.searchsorted(values, LOSS_GRID, side="right")
    count = values.size
    totals = np.where(above < count, tail[np.minimum(above, count - 1)], 0.0)
    loss = (totals - (count - above) * LOSS_GRID) / count
    return LOSS_GRID, np.maximum.accumulate(loss[::-1])[::-1]


def _window_sums(values: np.ndarray, length: int) -> np.ndarray:
    cumulative = np.cumsum(values, axis=-1, dtype=np.float64)
    cumulative = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative], axis=-1)
    return cumulative[..., length:] - cumulative[..., :-length]
