"""Rolling-origin backtest and per-series choice of method and parameters.

Every candidate (a method at one point of its parameter grid) forecasts from a few
origins at the end of the history (``T - k * horizon``, k = count..1), where the next
``horizon`` periods are known; its backtest error for a series is the mean squared error
over those windows. Each series keeps the candidate with the smallest error, and that
candidate's backtest errors become the series' empirical forecast-error spread.

Candidates are offered one method at a time and only the running best is kept, so memory
stays at one method's forecasts however many methods compete.

Akaike's criterion on the in-sample one-step fit complements the backtest: it picks an
ETS-style model per origin (``choose_by_criterion``), which ``Selection.choose`` can
average with the backtest's choice, and rules out a trend or weekly shape that the fit
does not support (``unsupported_structure``).
"""

from __future__ import annotations

from collections.abc import Sequence

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
        else:  # fold by fold: no [folds, G, series, horizon] temporary
            total = np.zeros(forecasts.shape[1:3])
            errors = np.empty(forecasts.shape[1:], dtype=F32)
            for fold in range(folds):
                np.subtract(actual[fold][None], forecasts[fold], out=errors)
                total += np.einsum("gsh,gsh->gs", errors, errors)
            score = total / (folds * horizon)
            best = np.argmin(score, axis=0)
            picked = actual - forecasts[:folds, best, columns]
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

    def average(self, chosen: dict[str, np.ndarray], methods: list[int], rows: np.ndarray) -> None:
        """Replace the choice for the series in ``rows`` by the plain mean of ``methods``."""
        picked = [self.methods.index(method) for method in methods]
        forecast = np.mean([self.forecasts[i] for i in picked], axis=0)
        errors = np.mean([self.errors[i] for i in picked], axis=0)
        chosen["forecast"] = np.where(rows[:, None], forecast, chosen["forecast"]).astype(F32)
        chosen["errors"] = np.where(rows[None, :, None], errors, chosen["errors"]).astype(F32)
        chosen["score"] = np.square(chosen["errors"], dtype=np.float64).mean(axis=(0, 2))
        chosen["method"] = np.where(rows, np.int16(methods[-1]), chosen["method"])

    def exclude(self, methods: list[int], rows: np.ndarray) -> None:
        """Never choose these methods for the series in the mask ``rows``."""
        for index, method in enumerate(self.methods):
            if method in methods:
                self.scores[index] = np.where(rows, np.inf, self.scores[index])

    def choose(
        self, top: int = 1, anchors: np.ndarray | None = None, share: float = 0.5
    ) -> dict[str, np.ndarray]:
        """Forecast, backtest errors and score of the choice; the best method and its grid point.

        With ``anchors`` (a method code per series, -1 for none), each series whose anchor
        was offered for it gets ``share`` of the anchor's forecast and the rest from the
        ``top`` average: two ways of choosing (an information criterion on the whole
        history, and the backtest) averaged. Ties go to the method offered first, so
        offer simple methods first.
        """
        scores = np.stack(self.scores)
        series = scores.shape[1]
        ranked = np.argsort(scores, axis=0, kind="stable")[: max(1, min(top, len(self.scores)))]
        columns = np.arange(series)
        # each method's weight per series (zero outside its top), then one pass per method
        weights = np.zeros(scores.shape, dtype=F32)
        weights[ranked, columns] = self._weights(scores[ranked, columns])
        if anchors is not None:
            index = {method: i for i, method in enumerate(self.methods)}
            where = np.array([index.get(int(code), -1) for code in anchors])
            offered = where >= 0
            offered[offered] = np.isfinite(scores[where[offered], columns[offered]])
            weights *= np.where(offered, F32(1 - share), F32(1))
            weights[where[offered], columns[offered]] += F32(share)
        forecast = np.zeros_like(self.forecasts[0])
        chosen_errors = np.zeros_like(self.errors[0])
        for index in np.flatnonzero(weights.any(axis=1)):
            forecast += weights[index][:, None] * self.forecasts[index]
            chosen_errors += weights[index][None, :, None] * self.errors[index]
        best = ranked[0]
        return {
            "forecast": forecast,
            "errors": chosen_errors,
            "score": np.square(chosen_errors, dtype=np.float64).mean(axis=(0, 2)),
            "method": np.asarray(self.methods, dtype=np.int16)[best],
            "parameter": np.stack(self.parameters)[best, columns],
        }

    @staticmethod
    def _weights(scores: np.ndarray) -> np.ndarray:
        """Equal weights ``[top, series]`` over the usable (finite-score) methods ranked."""
        usable = np.isfinite(scores)
        usable[0] = True
        return (usable / usable.sum(axis=0)).astype(F32)


# Free parameters of each fitted family (smoothing weights and starting states), for AIC.
FIT_PARAMETERS = {
    "ses": 2,
    "holt": 4,
    "holt_winters": 9,
    "seasonal_factors": 9,
    "profile_ses": 8,
    "ses_drift": 9,
}


def _aic(sse: np.ndarray, periods: int, name: str) -> np.ndarray:
    n = max(periods - 14, 1)
    sse = np.clip(sse.astype(np.float64), 1e-9, 1e300)
    return n * np.log(sse / n) + 2 * FIT_PARAMETERS[name]


def choose_by_criterion(
    fits: dict[str, np.ndarray], best: dict[str, np.ndarray], origins: Sequence[int]
) -> np.ndarray:
    """Forecasts ``[origins, 1, series, horizon]`` of the fitted family with the least AIC.

    At each origin, from the fits up to that origin: the ETS-style model choice.
    """
    names = [name for name in FIT_PARAMETERS if name in fits]
    scores = np.stack(
        [np.stack([_aic(fits[n][i], origin, n) for i, origin in enumerate(origins)]) for n in names]
    )  # [families, origins, series]
    pick = np.argmin(scores, axis=0)
    stacked = np.stack([best[n][:, 0] for n in names])  # [families, origins, series, horizon]
    chosen = np.take_along_axis(stacked, pick[None, :, :, None], axis=0)[0]
    return chosen[:, None]


def unsupported_structure(fits: dict[str, np.ndarray], periods: int) -> dict[str, np.ndarray]:
    """Per structure (season, trend), the series whose in-sample fit does not support it.

    Akaike's criterion ``n log(SSE / n) + 2 k`` of the fitted SES, Holt and seasonal
    families: a weekly shape (trend) is kept for a series only if a seasonal (trend)
    model fits it better than SES by more than its extra parameters explain, as an
    ETS model selection would decide. Without that check, a backtest of a few folds
    picks a trend or season fitted to noise for a fair share of flat series.
    """
    if "ses" not in fits:
        return {}

    def aic(name: str) -> np.ndarray:
        return _aic(fits[name][-1], periods, name)

    flat = aic("ses")
    out = {}
    seasonal = [
        aic(name) for name in ("holt_winters", "seasonal_factors", "profile_ses") if name in fits
    ]
    if seasonal:
        out["season"] = np.minimum.reduce(seasonal) >= flat
    if "holt" in fits:
        out["trend"] = aic("holt") >= flat
    return out
