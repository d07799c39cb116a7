"""Additive exponential smoothing for a whole panel: SES, damped Holt and Holt-Winters.

The recursions are sequential in time, so the only Python loop is over periods; every
step updates all series and all candidate parameter sets at once. Arrays are
time-major (``y[t]`` is one period of every series) so each step reads contiguous memory.

Shapes used throughout: ``y`` is ``[periods, series]``; a parameter grid of ``G`` points
gives states of shape ``[G, series]``; the result holds, for every requested forecast
origin ``o`` (a period index: the forecast uses ``y[:o]`` only), the forecasts of the
next ``horizon`` periods: ``[origins, G, series, horizon]``. Producing all origins in one
pass is what makes rolling-origin backtests cost no more than one fit.

Error-correction form of ETS(A, Ad, A) (Hyndman et al. 2008), with ``e`` the one-step error:
``l' = l + phi b + alpha e``, ``b' = phi b + beta e``, ``s'_j = s_j + gamma e``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

F32 = np.float32
MAX_FACTOR = F32(10.0)  # a seasonal factor above 10 is noise divided by a near-zero level


def initial_window(periods: int, season: int) -> int:
    """Periods used to start the states: two seasons (at least two weeks' worth)."""
    return max(2, min(periods, max(2 * season, 14)))


def _initial_states(
    y: np.ndarray, season: int, seasonal: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level, trend and seasonal indices from the first window, dated just before period 0."""
    window = initial_window(y.shape[0], season)
    if seasonal:
        window -= window % season
    head = y[:window].astype(np.float64)
    half = window // 2
    trend = (head[half:window].mean(axis=0) - head[:half].mean(axis=0)) / max(half, 1)
    level = head.mean(axis=0) - trend * (window + 1) / 2
    if seasonal:
        by_phase = head.reshape(window // season, season, -1).mean(axis=0)
        indices = by_phase - by_phase.mean(axis=0)
    else:
        indices = np.zeros((1, y.shape[1]))
    return level.astype(F32), trend.astype(F32), indices.astype(F32)


def exponential_smoothing(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    beta: Sequence[float] | None = None,
    gamma: Sequence[float] | None = None,
    phi: float | Sequence[float] = 1.0,
    season: int = 1,
) -> np.ndarray:
    """Forecasts ``[origins, G, series, horizon]`` of additive ETS for G parameter sets.

    ``beta`` None means no trend (SES or seasonal SES); ``gamma`` None means no season.
    Parameter sequences are aligned: grid point g uses ``alpha[g], beta[g], gamma[g]``
    (and ``phi[g]`` when ``phi`` is a sequence; 1 means an undamped trend).
    """
    return fitted_smoothing(y, origins, horizon, alpha, beta, gamma, phi, season)[0]


def fitted_smoothing(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    beta: Sequence[float] | None = None,
    gamma: Sequence[float] | None = None,
    phi: float | Sequence[float] = 1.0,
    season: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """As ``exponential_smoothing``, plus each grid point's in-sample fit at every origin.

    The fit ``[origins, G, series]`` is the sum of squared one-step errors from the end of
    the start-up window to the origin: what ETS estimation minimises, here over the grid.
    """
    periods, series = y.shape
    grid = len(alpha)
    trend = beta is not None
    seasonal = gamma is not None and season > 1
    a = np.asarray(alpha, dtype=F32)[:, None]
    bt = np.asarray(beta if trend else [0.0] * grid, dtype=F32)[:, None]
    g = np.asarray(gamma if seasonal else [0.0] * grid, dtype=F32)[:, None]
    ph = np.broadcast_to(np.asarray(phi, dtype=F32), (grid,))[:, None]

    level0, trend0, indices0 = _initial_states(y, season, seasonal)
    level = np.repeat(level0[None, :], grid, axis=0)
    slope = np.where(bt > 0, trend0[None, :], F32(0)).astype(F32)
    period_of = season if seasonal else 1
    # indices0[j] belongs to periods t with t % season == j
    indices = np.repeat(indices0[:, None, :], grid, axis=1)

    # damped[g, k-1] = phi_g + phi_g^2 + ... + phi_g^k
    powers = ph.astype(np.float64) ** np.arange(1, horizon + 1)
    damped = np.cumsum(powers, axis=1).astype(F32)[:, None, :]
    out = np.empty((len(origins), grid, series, horizon), dtype=F32)
    fit = np.empty((len(origins), grid, series), dtype=F32)
    sse = np.zeros((grid, series), dtype=F32)
    warm = initial_window(periods, season)
    error = np.empty((grid, series), dtype=F32)
    scratch = np.empty((grid, series), dtype=F32)
    pending = sorted(range(len(origins)), key=lambda i: origins[i])
    cursor = 0
    for t in range(periods + 1):
        while cursor < len(pending) and origins[pending[cursor]] == t:
            fit[pending[cursor]] = sse
            target = out[pending[cursor]]
            np.add(level[:, :, None], slope[:, :, None] * damped, out=target)
            if seasonal:
                phases = (t + np.arange(horizon)) % season
                target += indices[phases].transpose(1, 2, 0)
            cursor += 1
        if t == periods:
            break
        if trend:
            np.multiply(ph, slope, out=slope)
        np.subtract(y[t], level, out=error)
        if trend:
            error -= slope
        if seasonal:
            current = indices[t % period_of]
            error -= current
        if t >= warm:
            np.multiply(error, error, out=scratch)
            sse += scratch
        if trend:
            level += slope
        np.multiply(a, error, out=scratch)
        level += scratch
        if trend:
            np.multiply(bt, error, out=scratch)
            slope += scratch
        if seasonal:
            np.multiply(g, error, out=scratch)
            current += scratch
    if cursor < len(pending):
        raise ValueError("every origin must lie in [0, periods]")
    np.maximum(out, 0, out=out)
    return out, fit


def best_fit(forecasts: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Per origin and series, the forecasts of the grid point with the smallest in-sample fit.

    ``[origins, G, series, horizon]`` and ``[origins, G, series]`` to
    ``[origins, 1, series, horizon]``: the grid point chosen as an ETS fit would choose
    its parameters, from the data before each origin only.
    """
    best = np.argmin(fit, axis=1)[:, None, :, None]
    return np.take_along_axis(forecasts, best, axis=1)


def multiplicative_season(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    gamma: Sequence[float],
    season: int,
    beta: Sequence[float] | None = None,
    phi: float = 1.0,
) -> np.ndarray:
    """Holt-Winters with seasonal factors (see ``fitted_multiplicative``), forecasts only."""
    return fitted_multiplicative(y, origins, horizon, alpha, gamma, season, beta, phi)[0]


def fitted_multiplicative(
    y: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    alpha: Sequence[float],
    gamma: Sequence[float],
    season: int,
    beta: Sequence[float] | None = None,
    phi: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Holt-Winters with seasonal factors instead of offsets: ``yhat = (l + phi b) * s_j``.

    For demand whose weekly swing grows and shrinks with its level. Additive errors:
    ``l' = l + phi b + alpha e / s_j``, ``b' = phi b + beta e / s_j``,
    ``s_j' = s_j + gamma e / (l + phi b)``; levels and factors are kept above a small
    floor (and factors below ``MAX_FACTOR``) so items with long runs of zeros cannot
    divide by zero or blow a single sale up into a huge seasonal factor. Returns the
    forecasts and the in-sample fit at each origin, as ``fitted_smoothing`` does.
    """
    periods, series = y.shape
    grid = len(alpha)
    trend = beta is not None
    a = np.asarray(alpha, dtype=F32)[:, None]
    g = np.asarray(gamma, dtype=F32)[:, None]
    bt = np.asarray(beta if trend else [0.0] * grid, dtype=F32)[:, None]
    ph = F32(phi)
    floor = F32(1e-3)
    window = initial_window(periods, season)
    window -= window % season
    head = y[:window].astype(np.float64)
    by_phase = head.reshape(window // season, season, -1).mean(axis=0)
    mean = by_phase.mean(axis=0)
    factors0 = np.where(mean > 0, by_phase / np.where(mean > 0, mean, 1.0), 1.0)
    level = np.repeat(np.maximum(mean, floor)[None, :].astype(F32), grid, axis=0)
    slope = np.zeros((grid, series), dtype=F32)
    factors = np.repeat(np.maximum(factors0, 0.05)[:, None, :].astype(F32), grid, axis=1)

    damped = np.cumsum(float(phi) ** np.arange(1, horizon + 1)).astype(F32)
    out = np.empty((len(origins), grid, series, horizon), dtype=F32)
    fit = np.empty((len(origins), grid, series), dtype=F32)
    sse = np.zeros((grid, series), dtype=F32)
    error = np.empty((grid, series), dtype=F32)
    scratch = np.empty((grid, series), dtype=F32)
    lookup: dict[int, list[int]] = {}
    for index, origin in enumerate(origins):
        lookup.setdefault(int(origin), []).append(index)
    steps = np.arange(horizon)
    for t in range(periods + 1):
        for index in lookup.get(t, ()):
            fit[index] = sse
            phases = (t + steps) % season
            target = out[index]
            np.add(level[:, :, None], slope[:, :, None] * damped, out=target)
            target *= factors[phases].transpose(1, 2, 0)
        if t == periods:
            break
        current = factors[t % season]
        if trend:
            slope *= ph
            level += slope  # level now holds l + phi b, the one-step base
        np.multiply(level, current, out=error)
        np.subtract(y[t], error, out=error)
        if t >= window:
            sse += error * error
        np.divide(error, current, out=scratch)
        if trend:
            slope += bt * scratch
        scratch *= a
        np.divide(error, level, out=error)
        level += scratch
        np.maximum(level, floor, out=level)
        error *= g
        current += error
        np.clip(current, floor, MAX_FACTOR, out=current)
    np.maximum(out, 0, out=out)
    if sum(len(found) for found in lookup.values()) != len(origins) or max(lookup) > periods:
        raise ValueError("every origin must lie in [0, periods]")
    return out, fit
