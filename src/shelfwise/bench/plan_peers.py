"""Peer forecasts from statsforecast, and the car-parts panel loader, for the planning bench.

statsforecast (and pandas with it) is imported only inside these functions, so the
benchmark runs without it unless a peer comparison is asked for.
"""

from __future__ import annotations

import csv
import hashlib
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RESIDUAL_WINDOW = 365


@dataclass(frozen=True)
class PeerForecast:
    """One peer model's forecasts ``[series, horizon]``, in-sample one-step RMSE, fit time."""

    forecast: np.ndarray
    one_step_rmse: np.ndarray
    seconds: float


def peer_models(names: list[str], season: int) -> dict[str, Any]:
    """statsforecast model objects by name (TSB with the common alpha_d = alpha_p = 0.1)."""
    from statsforecast import models

    makers = {
        "AutoETS": lambda: models.AutoETS(season_length=season),
        "CrostonOptimized": models.CrostonOptimized,
        "ADIDA": models.ADIDA,
        "IMAPA": models.IMAPA,
        "TSB": lambda: models.TSB(alpha_d=0.1, alpha_p=0.1),
    }
    return {name: makers[name]() for name in names}


def fit_peers(
    history: np.ndarray,
    horizon: int,
    models: dict[str, Any],
    freq: str,
    n_jobs: int,
    cache: str | Path | None = None,
) -> dict[str, PeerForecast]:
    """Fit each model separately on every series (timed apart) and forecast ``horizon``.

    ``cache`` (a directory) keeps each model's results on disk keyed by the exact history,
    horizon and model, for iterating on accuracy without refitting AutoETS every run; a
    cached result reports the seconds of the fit that produced it. Off by default.
    """
    results: dict[str, PeerForecast] = {}
    missing = {}
    for name, model in models.items():
        found = _cached(cache, history, horizon, freq, name)
        if found is None:
            missing[name] = model
        else:
            results[name] = found
    fitted = _fit_peers(history, horizon, missing, freq, n_jobs) if missing else {}
    for name, fit in fitted.items():
        if cache is not None:
            path = _cache_path(cache, history, horizon, freq, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, forecast=fit.forecast, rmse=fit.one_step_rmse, seconds=fit.seconds)
    return {name: results.get(name) or fitted[name] for name in models}


def _cache_path(cache: str | Path, history: np.ndarray, horizon: int, freq: str, name: str) -> Path:
    digest = hashlib.sha256(np.ascontiguousarray(history, dtype=np.float64).tobytes())
    digest.update(f"{horizon}|{freq}|{name}|{history.shape}".encode())
    return Path(cache) / f"{name}-{digest.hexdigest()[:24]}.npz"


def _cached(
    cache: str | Path | None, history: np.ndarray, horizon: int, freq: str, name: str
) -> PeerForecast | None:
    if cache is None:
        return None
    path = _cache_path(cache, history, horizon, freq, name)
    if not path.exists():
        return None
    with np.load(path) as stored:
        return PeerForecast(stored["forecast"], stored["rmse"], float(stored["seconds"]))


def _fit_peers(
    history: np.ndarray, horizon: int, models: dict[str, Any], freq: str, n_jobs: int
) -> dict[str, PeerForecast]:
    import pandas as pd
    from statsforecast import StatsForecast

    series, periods = history.shape
    start = "2020-01-01"
    dates = pd.date_range(start, periods=periods, freq=freq)
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(series), periods),
            "ds": np.tile(dates.values, series),
            "y": history.astype(np.float64).ravel(),
        }
    )
    results: dict[str, PeerForecast] = {}
    for name, model in models.items():
        engine = StatsForecast(models=[model], freq=freq, n_jobs=n_jobs)
        began = time.perf_counter()
        engine.fit(frame)
        predicted = engine.predict(h=horizon)
        seconds = time.perf_counter() - began
        predicted = predicted.sort_values(["unique_id", "ds"])
        forecast = predicted[name].to_numpy(np.float64).reshape(series, horizon)
        fitted = _fitted_values(engine, frame, horizon, name, series, periods)
        with np.errstate(invalid="ignore"):
            residuals = (history - fitted)[:, -RESIDUAL_WINDOW:]
            rmse = np.sqrt(np.nanmean(np.square(residuals), axis=1))
        results[name] = PeerForecast(
            np.maximum(np.nan_to_num(forecast), 0.0), np.nan_to_num(rmse), seconds
        )
    return results


def _fitted_values(
    engine: Any, frame: Any, horizon: int, name: str, series: int, periods: int
) -> np.ndarray:
    """In-sample one-step forecasts: kept by ETS fits; otherwise an extra, untimed pass."""
    kept = [getattr(model, "model_", {}).get("fitted") for model in engine.fitted_[:, 0]]
    if all(values is not None for values in kept):
        return np.stack([np.asarray(values, dtype=np.float64) for values in kept])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "fitted values for Croston are expensive": untimed
        engine.forecast(df=frame, h=horizon, fitted=True)
    fitted = engine.forecast_fitted_values().sort_values(["unique_id", "ds"])
    return fitted[name].to_numpy(np.float64).reshape(series, periods)


def load_long_panel(path: str | Path) -> tuple[np.ndarray, list[str], list[str], int]:
    """``month,part_id,sales`` CSV to ``[parts, months]``; parts with a missing month dropped.

    Returns the panel, the kept part ids, the months, and how many parts were dropped.
    """
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    months = sorted({row["month"] for row in rows})
    parts = sorted({row["part_id"] for row in rows})
    month_index = {month: i for i, month in enumerate(months)}
    part_index = {part: i for i, part in enumerate(parts)}
    panel = np.full((len(parts), len(months)), np.nan)
    for row in rows:
        panel[part_index[row["part_id"]], month_index[row["month"]]] = float(row["sales"])
    complete = ~np.isnan(panel).any(axis=1)
    kept = [part for part, ok in zip(parts, complete, strict=True) if ok]
    return panel[complete], kept, months, int((~complete).sum())
