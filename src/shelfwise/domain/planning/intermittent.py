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
