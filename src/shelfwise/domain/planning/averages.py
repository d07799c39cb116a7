"""Forecasts that are averages of recent history: no recursion, so no loop over time.

* moving average of the last ``w`` periods (flat);
* seasonal naive: the last full season repeated;
* seasonal average: each phase of the season (e.g. each weekday) averaged over the last
  ``k`` seasons, repeated — seasonal naive with the noise averaged out.

Shapes as in ``smoothing``: ``y`` is ``[periods, series]``; results are
``[origins, G, series, horizon]`` (or ``[..., 1]`` when flat).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfwise.domain.planning.smoothing import F32


def moving_average(y: np.ndarray, origins: Sequence[int], windows: Sequence[int]) -> np.ndarray:
    """Mean of the last ``w`` periods before each origin, for each window (shorter if need be)."""
    series = y.shape[1]
    out = np.empty((len(origins), len(windows), series, 1), dtype=F32)
    for i, origin in enumerate(origins):
        for g, window in enumerate(windows):
            start = max(0, origin - window)
            out[i, g, :, 0] = y[start:origin].mean(axis=0, dtype=np.float64)
    return out


def seasonal_average(
    y: np.ndarray, origins: Sequence[int], horizon: int, season: int, seasons: Sequence[int]
) -> np.ndarray:
    """Each phase averaged over the last ``k`` seasons, for each k (k=1: seasonal naive)."""
    series = y.shape[1]
    out = np.empty((len(origins), len(seasons), series, horizon), dtype=F32)
    steps = np.arange(horizon)
    for i, origin in enumerate(origins):
        for g, count in enumerate(seasons):
            usable = max(1, min(count, origin // season))
            block = y[origin - usable * season : origin]
            profile = block.reshape(usable, season, series).mean(axis=0, dtype=np.float64)
            # profile[j] is the phase of period origin - season + j, i.e. (origin + j) % season
            out[i, g] = profile[steps % season].T
    return out
