"""Croston, SBA and TSB for a whole panel of intermittent demand.

Croston (1972) smooths the non-zero sizes ``z`` and the intervals ``p`` between them, and
forecasts ``z / p``; it updates only in periods with demand. SBA (Syntetos & Boylan
2005) multiplies that by ``1 - alpha / 2`` to remove Croston's upward bias. TSB
(Teunter, Syntetos & Babai 2011) smooths the probability of demand every period, so its
forecast decays when an item stops selling: it suits items going obsolete.

As in ``smoothing``: ``y`` is ``[periods, series]`` and results are
``[origins, G, series, 1]`` (flat forecasts, broadcast over the horizon by the caller).
Before its first sale a series forecasts zero; the first sale initialises the sizes
and the interval, as in Croston's paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfwise.domain.planning.smoothing import F32, initial_window


def croston(
    y: np.ndarray, origins: Sequence[int], alpha: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Croston and SBA forecasts ``[origins, G, series, 1]`` for each alpha in the grid."""
    periods, series = y.shape
    grid = len(alpha)
    a = np.asarray(alpha, dtype=F32)[:, None]
    size = np.zeros((grid, series), dtype=F32)
    interval = np.zeros((grid, series), dtype=F32)
    since = np.zeros(series, dtype=F32)
    seen = np.zeros(series, dtype=bool)
    scratch = np.empty((grid, series), dtype=F32)
    out = np.empty((len(origins), grid, series, 1), dtype=F32)
    at = _origin_lookup(origins, periods)
    for t in range(periods + 1):
        for index in at.get(t, ()):
            with np.errstate(divide="ignore", invalid="ignore"):
                out[index, :, :, 0] = np.where(seen, size / interval, F32(0))
        if t == periods:
            break
        demand = y[t]
        sold = demand > 0
        since += 1
        first = sold & ~seen
        np.subtract(demand, size, out=scratch)
        scratch *= a
        scratch += size
        np.copyto(size, scratch, where=sold)
        np.copyto(size, demand, where=first)
        np.subtract(since, interval, out=scratch)
        scratch *= a
        scratch += interval
        np.copyto(interval, scratch, where=sold)
        np.copyto(interval, since, where=first)
        since[sold] = 0
        seen |= sold
    debias = (1 - a / 2)[None, :, :, None]
    return out, out * debias


def tsb(
    y: np.ndarray,
    origins: Sequence[int],
    alpha_size: Sequence[float],
    alpha_probability: Sequence[float],
) -> np.ndarray:
    """TSB forecasts ``[origins, G, series, 1]``; grid point g uses both alphas' g-th values."""
    periods, series = y.shape
    grid = len(alpha_size)
    a_size = np.asarray(alpha_size, dtype=F32)[:, None]
    a_prob = np.asarray(alpha_probability, dtype=F32)[:, None]
    window = initial_window(periods, 7)
    start_probability = (y[:window] > 0).mean(axis=0).astype(F32)
    probability = np.repeat(start_probability[None, :], grid, axis=0)
    size = np.zeros((grid, series), dtype=F32)
    seen = np.zeros(series, dtype=bool)
    scratch = np.empty((grid, series), dtype=F32)
    out = np.empty((len(origins), grid, series, 1), dtype=F32)
    at = _origin_lookup(origins, periods)
    for t in range(periods + 1):
        for index in at.get(t, ()):
            np.multiply(probability, size, out=out[index, :, :, 0])
        if t == periods:
            break
        demand = y[t]
        sold = demand > 0
        np.subtract(sold.astype(F32), probability, out=scratch)
        scratch *= a_prob
        probability += scratch
        np.subtract(demand, size, out=scratch)
        scratch *= a_size
        scratch += size
        np.copyto(size, scratch, where=sold)
        np.copyto(size, demand, where=sold & ~seen)
        seen |= sold
    return out


def _origin_lookup(origins: Sequence[int], periods: int) -> dict[int, list[int]]:
    lookup: dict[int, list[int]] = {}
    for index, origin in enumerate(origins):
        if not 0 <= origin <= periods:
            raise ValueError("every origin must lie in [0, periods]")
        lookup.setdefault(int(origin), []).append(index)
    return lookup


def aggregated(
    y: np.ndarray, origins: Sequence[int], alpha: Sequence[float], max_level: int = 48
) -> tuple[np.ndarray, np.ndarray]:
    """ADIDA and IMAPA forecasts ``[origins, 1, series, 1]`` (Nikolopoulos et al. 2011).

    Temporal aggregation: demand summed over buckets of ``k`` periods is far less
    intermittent, so plain SES suits it; its forecast divided by ``k`` is the per-period
    rate. ADIDA uses one ``k``, the mean interval between sales (rounded, as
    statsforecast does); IMAPA averages the forecasts of every ``k`` from 1 to that
    interval. On each aggregate SES's alpha is the grid point with the least in-sample
    squared error (statsforecast searches [0.1, 0.3]).

    Buckets end at the end of the history; a backtest origin uses the buckets complete
    before it (at most ``k - 1`` of its latest periods are left out). The interval, the
    alpha and the forecast at an origin use only the data before it.
    """
    periods, series = y.shape
    a = np.asarray(alpha, dtype=F32)[:, None]
    cumulative = np.zeros((periods + 1, series), dtype=np.float64)
    np.cumsum(y, axis=0, dtype=np.float64, out=cumulative[1:])
    levels = _mean_intervals(y, origins)  # [origins, series]
    top = int(min(max_level, max(1, levels.max(initial=1))))
    total = np.zeros((len(origins), series), dtype=F32)
    single = np.zeros((len(origins), series), dtype=F32)
    for k in range(1, top + 1):
        rate = _aggregate_ses(cumulative, origins, k, a)
        use = levels >= k
        total += np.where(use, rate, F32(0))
        np.copyto(single, rate, where=levels == k)
    with np.errstate(invalid="ignore", divide="ignore"):
        imapa = np.where(levels > 0, total / np.maximum(levels, 1), F32(0))
    return single[:, None, :, None], imapa.astype(F32)[:, None, :, None]


def _mean_intervals(y: np.ndarray, origins: Sequence[int]) -> np.ndarray:
    """Rounded mean interval between sales before each origin (0 before the first sale)."""
    sold = y > 0
    count = np.cumsum(sold, axis=0)
    index = np.where(sold, np.arange(1, y.shape[0] + 1)[:, None], 0)
    last = np.maximum.accumulate(index, axis=0)
    out = np.zeros((len(origins), y.shape[1]), dtype=np.int32)
    for i, origin in enumerate(origins):
        if origin > 0:
            n = count[origin - 1]
            mean = last[origin - 1] / np.maximum(n, 1)
            out[i] = np.where(n > 0, np.maximum(np.round(mean), 1), 0)
    return out


def _aggregate_ses(
    cumulative: np.ndarray, origins: Sequence[int], k: int, a: np.ndarray
) -> np.ndarray:
    """Per-period rate from SES on ``k``-period sums, for each origin ``[origins, series]``."""
    periods = cumulative.shape[0] - 1
    start = periods % k
    edges = np.arange(start, periods + 1, k)
    sums = np.diff(cumulative[edges], axis=0).astype(F32)  # [buckets, series]
    buckets, series = sums.shape
    # the last bucket complete before each origin
    wanted = [(origin - start) // k - 1 for origin in origins]
    out = np.zeros((len(origins), series), dtype=F32)
    if buckets == 0:
        return out
    level = np.repeat(sums[:1], a.shape[0], axis=0)
    sse = np.zeros_like(level)
    error = np.empty_like(level)
    lookup: dict[int, list[int]] = {}
    for index, bucket in enumerate(wanted):
        lookup.setdefault(bucket, []).append(index)
    columns = np.arange(series)
    for b in range(buckets):
        if b > 0:
            np.subtract(sums[b], level, out=error)
            sse += error * error
            error *= a
            level += error
        for index in lookup.get(b, ()):
            out[index] = level[np.argmin(sse, axis=0), columns] / k
    return out
