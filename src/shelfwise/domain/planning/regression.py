"""Straight-line trend fitted to the recent window, optionally with a seasonal profile.

For each window length ``W`` and origin, ordinary least squares of the last ``W``
periods on time gives a level and a slope for every series at once; the profile is the
mean residual of each phase of the season. The line is extended over the horizon.
Fitting over months rather than smoothing day by day gives a slope that daily noise
barely moves, which is what steady growth or decline needs.

Least squares needs only sums over the window, per phase of the season: of ``y`` and of
``t y`` (``PhaseSums``). They are summed once per stretch between the windows' ends, so
every window at every origin costs a few array additions instead of a pass over its
periods.

Shapes as in ``smoothing``: ``y`` is ``[periods, series]``; results are
``[origins, G, series, horizon]`` with G = windows x (flat, seasonal).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from shelfwise.domain.planning.smoothing import F32


class PhaseSums:
    """Sums of ``y_t`` and ``t y_t`` (and ``y_t^2`` if asked) per phase ``t % season`` over
    any window between the given boundaries, from partial sums of the stretches between
    consecutive boundaries."""

    def __init__(
        self, y: np.ndarray, season: int, boundaries: Iterable[int], squares: bool = False
    ) -> None:
        self.season = season
        self.edges = sorted({0, y.shape[0], *(int(b) for b in boundaries)})
        self.position = {edge: i for i, edge in enumerate(self.edges)}
        series = y.shape[1]
        moments = 3 if squares else 2
        # cumulative[k] = sums over [0, edges[k]): [edges, moments, season, series]
        self.cumulative = np.zeros((len(self.edges), moments, season, series))
        for k in range(1, len(self.edges)):
            start, stop = self.edges[k - 1], self.edges[k]
            block = y[start:stop].astype(np.float64)
            times = np.arange(start, stop, dtype=np.float64)
            phases = np.arange(start, stop) % season
            part = np.zeros((moments, season, series))
            for j in range(season):
                rows = phases == j
                part[0, j] = block[rows].sum(axis=0)
                part[1, j] = times[rows] @ block[rows]
                if squares:
                    part[2, j] = np.einsum("ts,ts->s", block[rows], block[rows])
            self.cumulative[k] = self.cumulative[k - 1] + part

    def window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-phase sums ``[season, series]`` of ``y`` and of ``t y`` over ``[start, stop)``."""
        both = self.cumulative[self.position[stop]] - self.cumulative[self.position[start]]
        return both[0], both[1]

    def squares(self, start: int, stop: int) -> np.ndarray:
        """Per-phase sums ``[season, series]`` of ``y^2`` over ``[start, stop)``."""
        both = self.cumulative[self.position[stop]] - self.cumulative[self.position[start]]
        return both[2]

    def counts(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Per phase, how many periods of ``[start, stop)`` it has and the sum of their t."""
        times = np.arange(start, stop)
        phases = times % self.season
        count = np.bincount(phases, minlength=self.season).astype(np.float64)
        total = np.bincount(phases, weights=times, minlength=self.season)
        return count, total


def line_through(
    sums: PhaseSums, start: int, stop: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Least-squares mean and slope of ``y_t * weights[t % season]`` over ``[start, stop)``.

    Returns the mean, the slope and the window's mean time (the line passes through both
    means). ``weights`` ``[season, series]`` (e.g. the inverse of seasonal factors) default
    to ones.
    """
    level, moment = sums.window(start, stop)
    if weights is not None:
        level, moment = level * weights, moment * weights
    total, cross = level.sum(axis=0), moment.sum(axis=0)
    length = stop - start
    centre = (start + stop - 1) / 2
    spread = length * (length * length - 1) / 12  # sum of (t - centre)^2
    slope = (cross - centre * total) / (spread or 1.0)
    return total / length, slope, centre


def window_start(origin: int, window: int, season: int) -> int:
    """First period of a window of ``window`` periods ending at ``origin``, cut to the
    history there is (whole seasons only), and at least two periods."""
    usable = min(window, origin)
    usable -= usable % season
    return origin - max(usable, min(origin, 2))


def boundaries(origins: Sequence[int], windows: Sequence[int], season: int) -> list[int]:
    """Every window end and start the regressions will ask ``PhaseSums`` for."""
    points = {int(o) for o in origins}
    points |= {window_start(o, w, season) for o in origins for w in windows}
    return sorted(points)


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
    sums = PhaseSums(y, season, boundaries(origins, windows, season))
    out = np.empty((len(origins), 2 * len(windows), series, horizon), dtype=F32)
    steps = np.arange(horizon)
    for i, origin in enumerate(origins):
        for g, window in enumerate(windows):
            start = window_start(origin, window, season)
            mean, slope, centre = line_through(sums, start, origin)
            line = mean[:, None] + slope[:, None] * (origin + steps - centre)[None, :]
            out[i, 2 * g] = line
            usable = origin - start
            if season > 1 and usable >= season:
                # profile[j]: mean residual of phase j's periods about the line
                level, _ = sums.window(start, origin)
                count, times = sums.counts(start, origin)
                fitted = count[:, None] * (mean - slope * centre)[None] + times[:, None] * slope
                profile = (level - fitted) / count[:, None]
                profile -= profile.mean(axis=0)
                out[i, 2 * g + 1] = line + profile[(origin + steps) % season].T
            else:
                out[i, 2 * g + 1] = line
    np.maximum(out, 0, out=out)
    return out


def shrunk_trend(
    y: np.ndarray, origins: Sequence[int], horizon: int, window: int = 728
) -> np.ndarray:
    """Forecasts ``[origins, 1, series, horizon]``: a long line whose slope must earn its keep.

    Least squares over the last ``window`` periods (all of them if fewer), the slope then
    shrunk by its t-statistic: ``b (1 - 1 / t^2)``, and 0 when ``|t| <= 1`` (positive-part
    James-Stein). A drift that noise could explain is dropped, a clear one kept almost
    whole: for slow-moving items whose chance of selling drifts (going obsolete or
    taking off), where a short window sees too few sales to tell a trend from luck.
    """
    starts = {o: o - min(window, o) for o in origins}
    sums = PhaseSums(y, 1, [*origins, *starts.values()], squares=True)
    out = np.empty((len(origins), 1, y.shape[1], horizon), dtype=F32)
    steps = np.arange(horizon)
    for i, origin in enumerate(origins):
        mean, slope, centre = shrunk_line(sums, starts[origin], origin)
        out[i, 0] = mean[:, None] + slope[:, None] * (origin + steps - centre)[None, :]
    np.maximum(out, 0, out=out)
    return out


def shrunk_line(
    sums: PhaseSums, start: int, stop: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """``line_through`` with the slope shrunk by its t-statistic: ``b max(0, 1 - 1 / t^2)``.

    ``sums`` must hold squares. Fewer than three periods give a flat line.
    """
    length = stop - start
    mean, slope, centre = line_through(sums, start, stop, weights)
    if length < 3:
        return mean, np.zeros_like(slope), centre
    squares = sums.squares(start, stop)
    if weights is not None:
        squares = squares * weights * weights
    spread = length * (length * length - 1) / 12
    residual = squares.sum(axis=0) - length * mean * mean - slope * slope * spread
    variance = np.maximum(residual, 0.0) / (length - 2) / spread  # of the slope
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(slope * slope > variance, 1 - variance / (slope * slope), 0.0)
    return mean, keep * slope, centre
