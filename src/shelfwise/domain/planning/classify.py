"""Demand classification by Syntetos-Boylan: how often an item sells and how much the sizes vary.

The two cut-offs (average inter-demand interval ADI = 1.32 periods, squared coefficient
of variation of the non-zero sizes CV^2 = 0.49) split items into four classes whose
best forecasting methods differ: smooth and erratic items suit level/trend/season
smoothing, intermittent and lumpy ones suit Croston-type methods. Computed for a whole
panel ``[series, periods]`` at once.
"""

from __future__ import annotations

import numpy as np

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49

DEMAND_CLASSES: tuple[str, ...] = ("smooth", "erratic", "intermittent", "lumpy")
SMOOTH, ERRATIC, INTERMITTENT, LUMPY = range(4)


def demand_intervals(history: np.ndarray) -> np.ndarray:
    """ADI per series: periods observed divided by periods with demand (inf when none sold)."""
    periods = history.shape[1]
    selling = np.count_nonzero(history > 0, axis=1)
    with np.errstate(divide="ignore"):
        return np.where(selling > 0, periods / np.maximum(selling, 1), np.inf)


def size_variation(history: np.ndarray) -> np.ndarray:
    """CV^2 (population variance / mean^2) of the non-zero sizes; 0 with fewer than two sales."""
    sizes = np.maximum(history, 0)
    count = np.count_nonzero(sizes, axis=1)
    total = sizes.sum(axis=1, dtype=np.float64)
    mean = total / np.maximum(count, 1)
    square = np.einsum("ij,ij->i", sizes, sizes, dtype=np.float64) / np.maximum(count, 1)
    variance = np.maximum(square - mean**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv2 = np.where((count > 1) & (mean > 0), variance / np.square(mean), 0.0)
    return cv2


def selling_pattern(history: np.ndarray, season: int, z: float = 3.09) -> np.ndarray:
    """Whether the days with a sale fall on some phases of the season far more than others.

    Pearson's chi-square of the count of selling periods per phase (whole seasons at the
    end of the history) against equal counts, above its critical value at one-sided
    normal quantile ``z`` (3.09: p = 0.001; Wilson-Hilferty for ``season - 1`` degrees of
    freedom). A slow seller that never sells on Sundays is weekly-seasonal, not
    intermittent: its zeros are a shape to forecast, not noise to smooth over.
    """
    periods = history.shape[1] - history.shape[1] % season
    if season < 2 or periods < 2 * season:
        return np.zeros(history.shape[0], dtype=bool)
    recent = history[:, history.shape[1] - periods:] > 0
    counts = recent.reshape(history.shape[0], -1, season).sum(axis=1).astype(np.float64)
    expected = counts.sum(axis=1, keepdims=True) / season
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(expected > 0, np.square(counts - expected) / expected, 0.0)
    k = season - 1
    critical = k * (1 - 2 / (9 * k) + z * np.sqrt(2 / (9 * k))) ** 3
    return statistic.sum(axis=1) > critical


def classify_demand(history: np.ndarray) -> np.ndarray:
    """Class code per series (index into ``DEMAND_CLASSES``).

    Boundaries belong to the sparser / more variable side: ADI == 1.32 is intermittent,
    CV^2 == 0.49 is erratic. A series with no demand at all is intermittent.
    """
    sparse = demand_intervals(history) >= ADI_CUTOFF
    variable = size_variation(history) >= CV2_CUTOFF
    return (sparse.astype(np.int8) * 2 + variable.astype(np.int8)).astype(np.int8)
