"""Seasonal decomposition with a long-run profile, then smoothing or a trend line.

Many items sell in a weekly pattern that hardly changes (busy weekends, quiet Sundays)
while their level wanders or trends. Holt-Winters re-learns the pattern from a few weeks
at a time; here the pattern is a fixed profile per origin, the share of each phase in
the sales of the last ``weeks`` whole seasons (ratio of sums, so a wandering level does
not bias it), estimated from up to two years, so each factor rests on a hundred
weeks rather than on a few. Then only the level is smoothed (``profile_smoothing``):

    level(o) = sum_t w_t y_t / sum_t w_t p(t)  over t < o,  w_t = alpha (1 - alpha)^(o-1-t)
    forecast(o + h) = p(o + h) level(o)

an exponentially weighted ratio of sales to expected shares: for counts, the ratio of
sums is the efficient estimate of a level scaled by known factors (a mean of ``y / p``
would let the noise of the quiet days, divided by small factors, swamp it). This is
classical multiplicative decomposition followed by exponential smoothing, as the Theta
method of the M3/M4 competitions does, with the profile re-estimated from the data
before each origin only.

Both sums split by phase: ``sum_t w_t y_t = sum_j E_j(o)`` where ``E_j`` is the
exponentially weighted sum of phase j's sales alone, and ``sum_t w_t p(t) = sum_j
p_j W_j(o)`` with ``W_j`` the (series-independent) weight of phase j. Each ``E_j``
changes only on its own phase, so one pass over time serves every origin and every
profile, at the cost of one SES pass. ``profile_trend`` instead fits a straight line
to the adjusted series of the last ``W`` periods (as ``regression.linear_trend`` does),
for steady growth or decline under a weekly pattern. Shapes as in ``smoothing``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfwise.domain.planning.regression import (
    PhaseSums,
    boundaries,
    line_through,
    shrunk_line,
    window_start,
)
from shelfwise.domain.planning.smoothing import F32, MAX_FACTOR

MIN_FACTOR = 0.05
PROFILE_WEEKS = 104


def profile_start(origin: int, season: int, weeks: int) -> int:
    """First period of the whole seasons (at most ``weeks``) a profile at ``origin`` uses
    (``origin`` itself, an empty window and a flat profile, before one whole season)."""
    return origin - min(weeks, origin // season) * season


def profile(y: np.ndarray | PhaseSums, origin: int, season: int, weeks: int) -> np.ndarray:
    """Multiplicative factors ``[season, series]`` (mean 1) for phases ``t % season``.

    From the last ``weeks`` whole seasons before ``origin`` (as many as there are);
    all ones for a series that sold nothing in them. ``y`` may be the ``PhaseSums`` of
    the history, with this window's ends among its boundaries.
    """
    start = profile_start(origin, season, weeks)
    sums = y if isinstance(y, PhaseSums) else PhaseSums(y, season, (start, origin))
    by_phase, _ = sums.window(start, origin)
    total = by_phase.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.where(total > 0, season * by_phase / total, 1.0)
    return np.clip(factors, MIN_FACTOR, float(MAX_FACTOR))


Model = tuple[np.ndarray, np.ndarray]  # forecasts [origins, G, series, horizon], fit


def profile_smoothing(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    season: int,
    weeks: int = PROFILE_WEEKS,
    drift: int = 0,
) -> tuple[Model, ...]:
    """Forecasts ``[origins, G, series, horizon]`` (smoothing of the deseasonalised level)
    and fit, one pair; with ``drift`` (a window length) a second pair, SES with drift.

    With drift, the adjusted series' least-squares slope over the last ``drift``
    periods, shrunk by its t-statistic (``regression.shrunk_line``), carries the level
    on and removes the lag smoothing has behind a trend:
    ``forecast(o + h) = p (level + b (o + h - T))``, ``T`` the mean time of the smoothed
    sales. This is the Theta method's SES-plus-drift form with the whole slope (Theta's
    half slope suits curved trends). Both models share their passes over the data.

    The fit ``[origins, G, series]`` is each alpha's in-sample squared one-step error up
    to each origin (what an ETS fit minimises), measured with the profile (and slope) of
    the earliest origin: every origin's fit uses only data before it, in one pass
    (refitting at every origin would cost a pass each, and a two-year profile barely
    moves).
    """
    forecasts = _profile_levels(y, origins, horizon, alpha, season, weeks, drift)
    fits = _fit(y, origins, alpha, season, weeks, drift)
    return tuple(zip(forecasts, fits, strict=True))


def _phase_weights(alpha: np.ndarray, origin: int, season: int) -> tuple[np.ndarray, np.ndarray]:
    """Per phase, the smoothing weights of the periods before ``origin`` and their sum of
    weight x period: ``[G, season]`` each (the same for every series)."""
    times = np.arange(origin)
    rate = alpha[:, None]
    weights = rate * (1 - rate) ** (origin - 1 - times)[None, :]  # [G, origin]
    phase = np.zeros((len(alpha), season))
    timed = np.zeros((len(alpha), season))
    for j in range(season):
        phase[:, j] = weights[:, j::season].sum(axis=1)
        timed[:, j] = weights[:, j::season] @ times[j::season]
    return phase, timed


def _drift(sums: PhaseSums, origin: int, factors: np.ndarray, window: int) -> np.ndarray:
    """Shrunk slope ``[series]`` of ``y / p`` over the last ``window`` periods before origin."""
    start = origin - min(window, origin)
    return shrunk_line(sums, start, origin, 1 / factors)[1]


def _profile_levels(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    season: int,
    weeks: int,
    drift: int,
) -> list[np.ndarray]:
    """Level forecasts, and with ``drift`` the drifting ones, ``[origins, G, series, horizon]``."""
    periods, series = y.shape
    grid = len(alpha)
    a = np.asarray(alpha, dtype=np.float64)[:, None]
    weekly = ((1 - a) ** season).astype(F32)
    a32 = a.astype(F32)
    partial = np.zeros((season, grid, series), dtype=F32)  # E_j as of phase j's last period
    last = np.full(season, -1)  # last period of each phase so far
    shape = (len(origins), grid, series, horizon)
    out = [np.empty(shape, dtype=F32) for _ in range(1 + bool(drift))]
    lookup: dict[int, list[int]] = {}
    for index, origin in enumerate(origins):
        if not 0 <= origin <= periods:
            raise ValueError("every origin must lie in [0, periods]")
        lookup.setdefault(int(origin), []).append(index)
    steps = np.arange(horizon)
    scratch = np.empty((grid, series), dtype=F32)
    points = [b for o in origins for b in (o, profile_start(o, season, weeks))]
    points += [o - min(drift, o) for o in origins] if drift else []
    sums = PhaseSums(y, season, points, squares=bool(drift))
    for t in range(periods + 1):
        for index in lookup.get(t, ()):
            factors = profile(sums, t, season, weeks)  # [season, series]
            ahead = factors[(t + steps) % season].T[None].astype(F32)  # [1, series, horizon]
            phase, timed = _phase_weights(a[:, 0], t, season)
            sold = np.zeros((grid, series))
            for j in range(season):
                if last[j] >= 0:
                    sold += (1 - a) ** (t - 1 - last[j]) * partial[j]
            expected = np.maximum(phase @ factors, 1e-12)  # [G, series]: sum_t w_t p(t)
            level = (sold / expected).astype(F32)[:, :, None]
            np.multiply(level, ahead, out=out[0][index])
            if drift:
                centre = ((timed @ factors) / expected).astype(F32)  # [G, series]
                slope = _drift(sums, t, factors, drift) if t > 0 else np.zeros(series)
                path = out[1][index]  # level + b (t + h - centre), floored at 0, times p
                np.subtract((t + steps).astype(F32)[None, None, :], centre[:, :, None], out=path)
                path *= slope.astype(F32)[None, :, None]
                path += level
                np.maximum(path, 0, out=path)
                path *= ahead
        if t == periods:
            break
        j = t % season
        current = partial[j]
        if last[j] >= 0:
            current *= weekly if t - last[j] == season else ((1 - a) ** (t - last[j])).astype(F32)
        np.multiply(a32, y[t], out=scratch)
        current += scratch
        last[j] = t
    return out


def _fit(
    y: np.ndarray,
    origins: Sequence[int],
    alpha: Sequence[float],
    season: int,
    weeks: int,
    drift: int,
) -> list[np.ndarray]:
    """SSE of one-step forecasts ``p_t N / D`` and, with ``drift``, of
    ``p_t (N / D + b (t - C / D))`` up to each origin ``[origins, G, series]``, with the
    profile ``p`` and slope ``b`` of the earliest origin; N, D and C smooth ``y``, ``p``
    and ``p t``."""
    periods, series = y.shape
    source = min(origins)
    start = profile_start(source, season, weeks)
    points = [source, start] + ([source - min(drift, source)] if drift else [])
    sums = PhaseSums(y, season, points, squares=bool(drift))
    factors = profile(sums, source, season, weeks)
    slope = (_drift(sums, source, factors, drift) if drift else np.zeros(series)).astype(F32)
    factors = factors.astype(F32)
    a = np.asarray(alpha, dtype=F32)[:, None]
    warm = max(2, min(source, 2 * season))
    shares = factors[np.arange(warm) % season]  # [warm, series]
    times = np.arange(warm, dtype=F32)[:, None]
    grid = (len(alpha), series)
    sold = np.broadcast_to(y[:warm].mean(axis=0), grid).astype(F32)
    expected = np.broadcast_to(shares.mean(axis=0), grid).astype(F32)
    timed = np.broadcast_to((shares * times).mean(axis=0), grid).astype(F32)
    models = 1 + bool(drift)
    sse = [np.zeros(grid, dtype=F32) for _ in range(models)]
    level, guess, inverse, scratch = (np.empty(grid, dtype=F32) for _ in range(4))
    fit = [np.empty((len(origins), *grid), dtype=F32) for _ in range(models)]
    lookup: dict[int, list[int]] = {}
    for index, origin in enumerate(origins):
        lookup.setdefault(int(origin), []).append(index)
    floor = F32(1e-6)
    for t in range(periods + 1):
        for index in lookup.get(t, ()):
            for model in range(models):
                fit[model][index] = sse[model]
        if t == periods:
            break
        share = factors[t % season]
        np.maximum(expected, floor, out=inverse)
        np.reciprocal(inverse, out=inverse)
        np.multiply(sold, inverse, out=level)
        for model in range(models):
            if model:  # + b (t - C / D)
                np.multiply(timed, inverse, out=scratch)
                np.subtract(F32(t), scratch, out=scratch)
                scratch *= slope
                level += scratch
            if t >= warm:
                np.multiply(level, share, out=guess)
                guess -= y[t]
                guess *= guess
                sse[model] += guess
        np.subtract(y[t], sold, out=scratch)
        scratch *= a
        sold += scratch
        if drift:
            np.multiply(share, F32(t), out=scratch[0])
            np.subtract(scratch[0], timed, out=scratch)
            scratch *= a
            timed += scratch
        np.subtract(share, expected, out=scratch)
        scratch *= a
        expected += scratch
    return fit


def profile_trend(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    windows: Sequence[int],
    season: int,
    weeks: int = PROFILE_WEEKS,
) -> np.ndarray:
    """Forecasts ``[origins, W, series, horizon]``: a line through the adjusted last W periods.

    Ordinary least squares of ``y_t / p_t`` on time over each window (cut to the history
    there is, whole seasons), extended over the horizon and multiplied back by the profile.
    """
    series = y.shape[1]
    points = boundaries(origins, windows, season)
    points += [profile_start(o, season, weeks) for o in origins]
    sums = PhaseSums(y, season, points)
    out = np.empty((len(origins), len(windows), series, horizon), dtype=F32)
    steps = np.arange(horizon)
    for i, origin in enumerate(origins):
        factors = profile(sums, origin, season, weeks)
        ahead = factors[(origin + steps) % season].T  # [series, horizon]
        for g, window in enumerate(windows):
            start = window_start(origin, window, season)
            mean, slope, centre = line_through(sums, start, origin, 1 / factors)
            line = mean[:, None] + slope[:, None] * (origin + steps - centre)[None, :]
            out[i, g] = np.maximum(line, 0) * ahead
    return out
