"""A seeded synthetic demand panel for the planning benchmark.

Four kinds of daily demand, each drawn as integer units sold per day:

* ``smooth``: a level that wanders slowly (log random walk), Poisson-gamma counts;
* ``seasonal``: the same with a weekly pattern (busy weekends or busy weekdays);
* ``trending``: a level growing or shrinking linearly, a mild weekly pattern;
* ``intermittent``: a sale on a minority of days, of a variable size; for a third of
  the items the chance of a sale drifts (an item going obsolete or taking off).

The same ``(n, days, seed)`` always gives the same panel.
"""

from __future__ import annotations

import numpy as np

CLASSES: tuple[str, ...] = ("smooth", "seasonal", "trending", "intermittent")
SHARES: tuple[float, ...] = (0.30, 0.30, 0.15, 0.25)
_BLOCK = 8192

# weekly shapes, Monday first: busy weekend, busy weekdays, Friday/Saturday peak
_WEEK_SHAPES = np.array(
    [
        [-0.30, -0.30, -0.20, -0.10, 0.20, 0.50, 0.20],
        [0.25, 0.20, 0.20, 0.20, 0.15, -0.50, -0.50],
        [-0.20, -0.15, -0.10, 0.00, 0.35, 0.40, -0.30],
    ]
)


def synthetic_panel(n: int, days: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Demand ``[n, days]`` (float32 holding whole units) and each series' kind (str array)."""
    rng = np.random.default_rng(seed)
    counts = np.floor(np.asarray(SHARES) * n).astype(int)
    counts[0] += n - counts.sum()
    kinds = np.repeat(np.arange(len(CLASSES)), counts)
    rng.shuffle(kinds)
    panel = np.empty((n, days), dtype=np.float32)
    generators = (_smooth, _seasonal, _trending, _intermittent)
    for kind, generate in enumerate(generators):
        rows = np.flatnonzero(kinds == kind)
        for start in range(0, rows.size, _BLOCK):
            chunk = rows[start : start + _BLOCK]
            panel[chunk] = generate(rng, chunk.size, days)
    return panel, np.asarray(CLASSES)[kinds]


def _wander(rng: np.random.Generator, k: int, days: int, step: float) -> np.ndarray:
    walk = np.cumsum(rng.normal(0.0, step, size=(k, days)), axis=1)
    return np.exp(walk - walk.mean(axis=1, keepdims=True))


def _levels(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(2.0), np.log(150.0), size=(k, 1)))


def _counts(rng: np.random.Generator, rate: np.ndarray, shape: float = 20.0) -> np.ndarray:
    noisy = rate * rng.gamma(shape, 1.0 / shape, size=rate.shape)
    return rng.poisson(noisy).astype(np.float32)


def _week(rng: np.random.Generator, k: int, days: int, low: float, high: float) -> np.ndarray:
    shapes = _WEEK_SHAPES[rng.integers(0, len(_WEEK_SHAPES), size=k)]
    shapes = shapes + rng.normal(0.0, 0.05, size=shapes.shape)
    factors = 1.0 + rng.uniform(low, high, size=(k, 1)) * shapes / 0.5
    factors = np.maximum(factors, 0.05)
    factors /= factors.mean(axis=1, keepdims=True)
    return factors[:, np.arange(days) % 7]


def _smooth(rng: np.random.Generator, k: int, days: int) -> np.ndarray:
    return _counts(rng, _levels(rng, k) * _wander(rng, k, days, 0.01))


def _seasonal(rng: np.random.Generator, k: int, days: int) -> np.ndarray:
    rate = _levels(rng, k) * _week(rng, k, days, 0.3, 0.9) * _wander(rng, k, days, 0.008)
    return _counts(rng, rate)


def _trending(rng: np.random.Generator, k: int, days: int) -> np.ndarray:
    rising = rng.random((k, 1)) < 0.65
    slope = np.where(rising, rng.uniform(0.5, 2.5, (k, 1)), rng.uniform(-0.8, -0.4, (k, 1)))
    trend = np.maximum(1.0 + slope * np.arange(days) / days, 0.05)
    rate = _levels(rng, k) * trend * _week(rng, k, days, 0.0, 0.2)
    return _counts(rng, rate * _wander(rng, k, days, 0.004))


def _intermittent(rng: np.random.Generator, k: int, days: int) -> np.ndarray:
    start = rng.uniform(0.02, 0.35, (k, 1))
    drifting = rng.random((k, 1)) < 1 / 3
    end = np.where(drifting, start * rng.uniform(0.1, 2.0, (k, 1)), start)
    chance = np.clip(start + (end - start) * np.arange(days) / days, 0.0, 0.9)
    sold = rng.random((k, days)) < chance
    sizes = 1 + rng.poisson(rng.uniform(0.3, 5.0, (k, 1)), size=(k, days))
    return np.where(sold, sizes, 0).astype(np.float32)
