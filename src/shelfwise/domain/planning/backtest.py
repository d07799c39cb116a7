"""Rolling-origin backtest and per-series choice of method and parameters.

Every candidate (a method at one point of its parameter grid) forecasts from a few
origins at the end of the history (``T - k * horizon``, k = count..1), where the next
``horizon`` periods are known; its backtest error for a series is the mean squared error
over those windows. Each series keeps the candidate with the smallest error, and that
candidate's backtest errors become the series' empirical forecast-error spread.

Candidates are offered one method at a time and only the running best is kept, so memory
stays at one method's forecasts however many methods compete.
"""

from __future__ import annotations

import numpy as np

from shelfwise.domain.planning.smoothing import F32


def backtest_origins(periods: int, horizon: int, count: int, min_train: int) -> list[int]:
    """Origins ``T - k * horizon`` that leave at least ``min_train`` periods to fit on."""
    origins = [periods - k * horizon for k in range(count, 0, -1)]
    usable = [origin for origin in origins if origin >= min_train]
    if not usable:
        raise ValueError(
            f"history of {periods} periods is too short for a {horizon}-period backtest"
            f" after {min_train} periods of fitting"
        )
    return usable


def actual_windows(y: np.ndarray, origins: list[int], horizon: int) -> np.ndarray:
    """Observed values after each origin, ``[origins, series, horizon]``."""
    return np.stack([y[origin : origin + horizon].T for origin in origins]).astype(F32)


class Selection:
    """Each method's best parameters for every series of a block, then the final choice.

    ``offer`` takes one method's forecasts ``[origins, G, series, horizon or 1]`` where the
    last origin is the end of the history (the real forecast) and the others are the
    backtest origins matching ``actual``; it keeps, per series, that method's best grid
    point. ``choose(top)`` ranks the methods per series by backtest error and averages the
    ``top`` best (1 = pure selection). Averaging a few good methods is steadier than
    betting on the single winner of a short backtest.
    """

    def __init__(self, actual: np.ndarray, horizon: int) -> None:
        self.actual = actual
        self.horizon = horizon
        self.methods: list[int] = []
        self.scores: list[np.ndarray] = []
        self.parameters: list[np.ndarray] = []
        self.forecasts: list[np.ndarray] = []
        self.errors: list[np.ndarray] = []

    def offer(self, method: int, forecasts: np.ndarray, rows: np.ndarray | None = None) -> None:
        """One method's forecasts, for every series or only for the ``rows`` (a mask) given.

        A method offered for some rows only is never chosen for the others.
        """
        folds, series, horizon = self.actual.shape
        actual = self.actual if rows is None else self.actual[:, rows]
        columns = np.arange(actual.shape[1])
        if forecasts.shape[-1] == 1:  # flat: mean (a - f)^2 = mean a^2 - 2 f mean a + f^2
            level = forecasts[:folds, :, :, 0].astype(np.float64)
            first = actual.mean(axis=2, dtype=np.float64)[:, None]
            second = np.square(actual, dtype=np.float64).mean(axis=2)[:, None]
            score = (second - 2 * level * first + level * level).mean(axis=0)
            best = np.argmin(score, axis=0)
            picked = actual - forecasts[:folds, best, columns]
        else:
            errors = actual[:, None] - forecasts[:folds]
            score = np.square(errors).mean(axis=(0, 3), dtype=np.float64)
            best = np.argmin(score, axis=0)
            picked = np.broadcast_to(errors[:, best, columns], (folds, columns.size, horizon))
        final = np.broadcast_to(forecasts[-1][best, columns], (columns.size, horizon))
        self.methods.append(method)
        if rows is None:
            self.scores.append(score[best, columns])
            self.parameters.append(best.astype(np.int16))
            self.forecasts.append(final.astype(F32))
            self.errors.append(picked.astype(F32))
            return
        full_score = np.full(series, np.inf)
        full_score[rows] = score[best, columns]
        parameters = np.zeros(series, dtype=np.int16)
        parameters[rows] = best
        full_forecast = np.zeros((series, horizon), dtype=F32)
        full_forecast[rows] = final
        full_errors = np.zeros((folds, series, horizon), dtype=F32)
        full_errors[:, rows] = picked
        self.scores.append(full_score)
        self.parameters.append(parameters)
        self.forecasts.append(full_forecast)
        self.errors.append(full_errors)

    def blend(
        self,
        chosen: dict[str, np.ndarray],
        method: int,
        weight: float,
        rows: np.ndarray | None = None,
    ) -> None:
        """Mix ``weight`` of one method into a choice, where it was offered (and in ``rows``)."""
        index = self.methods.index(method)
        usable = np.isfinite(self.scores[index])
        if rows is not None:
            usable &= rows
        w = np.where(usable, F32(weight), F32(0))
        chosen["forecast"] = (1 - w)[:, None] * chosen["forecast"] + w[:, None] * self.forecasts[
            index
        ]
        chosen["errors"] = (1 - w)[None, :, None] * chosen["errors"] + w[
            None, :, None
        ] * self.errors[index]
        chosen["score"] = np.square(chosen["errors"], dtype=np.float64).mean(axis=(0, 2))

    def exclude(self, methods: list[int], rows: np.ndarray) -> None:
        """Never choose these methods for the series in the mask ``rows``."""
        for index, method in enumerate(self.methods):
            if method in methods:
                self.scores[index] = np.where(rows, np.inf, self.scores[index])

    def choose(self, top: int = 1) -> dict[str, np.ndarray]:
        """Forecast, backtest errors and score of the choice; the best method and its grid point.

        Ties go to the method offered first, so offer simple methods first.
        """
        scores = np.stack(self.scores)
        series = scores.shape[1]
        ranked = np.argsort(scores, axis=0, kind="stable")[: max(1, min(top, len(self.scores)))]
        columns = np.arange(series)
        forecasts = np.stack(self.forecasts)
        errors = np.stack(self.errors, axis=1)
        weights = self._weights(scores[ranked, columns])
        forecast = (forecasts[ranked, columns] * weights[:, :, None]).sum(axis=0)
        chosen_errors = (errors[:, ranked, columns] * weights[None, :, :, None]).sum(axis=1)
        best = ranked[0]
        return {
            "forecast": forecast,
            "errors": chosen_errors,
            "score": np.square(chosen_errors, dtype=np.float64).mean(axis=(0, 2)),
            "method": np.asarray(self.methods, dtype=np.int16)[best],
            "parameter": np.stack(self.parameters)[best, columns],
        }

    # weights of the averaged methods ∝ backtest MSE ** -power; 0 is a plain mean (weighting
    # by inverse error made no measurable difference on the planning bench)
    power = 0.0

    def _weights(self, scores: np.ndarray) -> np.ndarray:
        """Weights ``[top, series]`` of the methods averaged: ∝ score^-power, 0 if unusable."""
        usable = np.isfinite(scores)
        usable[0] = True
        safe = np.where(usable, np.maximum(scores, 1e-12), 1.0)
        raw = np.where(usable, safe**-self.power, 0.0)
        return (raw / raw.sum(axis=0)).astype(F32)
