"""Straight-line trend fitted to the recent window, optionally with a seasonal profile.

For each window length ``W`` and origin, ordinary least squares of the last ``W``
periods on time gives a level and a slope for every series at once (two dot products);
the profile is the mean residual of each phase of the season. The line is extended
over the horizon. Fitting over months rather than smoothing day by day gives a slope
that daily noise barely moves, which is what steady growth or decline needs.

Shapes as in ``smoothing``: ``y`` is ``[periods, series]``; results are
``[origins, G, series, horizon]`` with G = windows x (flat, seasonal).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfwise.domain.planning.smoothing import F32


def linear_trend(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    windows: Sequence[int],
    season: int = 1,
) -> np.ndarray:
    """Trend-line forecasts; grid point ``2 w + s`` is window ``w``, s=1 adds the profile.

    Without a season (``season`` 1) the profile is zero and both variants coincide.
    Windows longer than the history before an origin are cut to what is there (whole
    seasons only).
    """
    series = y.shape[1]
    out = np.empty((len(origins), 2 * len(windows), series, horizon), dtype=F32)
    steps = np.arange(horizon)
    for i, origin in enumerate(origins):
        for g, window in enumerate(windows):
            usable = min(window, origin)
            usable -= usable % season
            usable = max(usable, min(origin, 2))
            recent = y[origin - usable : origin].astype(np.float64)
            time = np.arange(usable, dtype=np.float64)
            centred = time - time.mean()
            denominator = float(centred @ centred) or 1.0
            slope = centred @ recent / denominator
            mean = recent.mean(axis=0)
            ahead = usable + steps - time.mean()
            line = mean[:, None] + slope[:, None] * ahead[None, :]
            out[i, 2 * g] = line
            if season > 1 and usable >= season:
                residual = recent - (mean + np.outer(centred, slope))
                profile = residual.reshape(usable // season, season, series).mean(axis=0)
                profile -= profile.mean(axis=0)
                # profile[j] is the phase of period origin - usable + j, i.e. (origin + j)
                out[i, 2 * g + 1] = line + profile[steps % season].T
            else:
                out[i, 2 * g + 1] = line
    np.maximum(out, 0, out=out)
    return out
