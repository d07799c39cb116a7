"""ABC and XYZ classification: which items matter most, and how steady their demand is.

ABC ranks items by what moved over a window (units or value) and cuts the cumulative
share: the few items carrying most of the movement are A, the long tail is C. Cycle
counting counts A items most often because an error there touches most shipments;
planning uses the same classes to set service levels. XYZ splits by the coefficient of
variation of per-period demand (X steady, Y variable, Z erratic). Both take plain
sequences (lists or numpy arrays) and do no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shelfwise.domain.errors import InvalidInput

ABC_CLASSES = ("A", "B", "C")
XYZ_CLASSES = ("X", "Y", "Z")


@dataclass(frozen=True)
class AbcCuts:
    """Cumulative-share cut-offs: items within the first ``a`` of movement are A, up to
    ``b`` are B, the rest C. 80/95 is the usual Pareto split."""

    a: float = 0.80
    b: float = 0.95

    def __post_init__(self) -> None:
        if not (0 < self.a <= self.b <= 1):
            raise InvalidInput("ABC cuts need 0 < a <= b <= 1", code="invalid_abc_cuts")


@dataclass(frozen=True)
class XyzCuts:
    """Coefficient-of-variation cut-offs: CV <= ``x`` is X, <= ``y`` is Y, above is Z."""

    x: float = 0.5
    y: float = 1.0

    def __post_init__(self) -> None:
        if not (0 <= self.x <= self.y):
            raise InvalidInput("XYZ cuts need 0 <= x <= y", code="invalid_xyz_cuts")


def classify_abc(values: Sequence[float], cuts: AbcCuts = AbcCuts()) -> list[str]:
    """Class per item, in input order.

    An item is A while the cumulative share *before* it is below ``cuts.a`` so the item
    that crosses the line still counts as A (the top seller is always A, even alone).
    Ties keep input order; items that moved nothing are always C.
    """
    vals = [float(v) for v in values]
    if any(v < 0 or math.isnan(v) for v in vals):
        raise InvalidInput("movement values must be non-negative", code="invalid_abc_values")
    total = sum(vals)
    out = ["C"] * len(vals)
    if total <= 0:
        return out
    order = sorted(range(len(vals)), key=lambda i: -vals[i])
    before = 0.0
    for i in order:
        if vals[i] <= 0:
            break
        share = before / total
        out[i] = "A" if share < cuts.a else "B" if share < cuts.b else "C"
        before += vals[i]
    return out


def coefficient_of_variation(series: Sequence[float]) -> float:
    """Population standard deviation over mean; infinite when nothing was demanded."""
    vals = [float(v) for v in series]
    if not vals:
        return math.inf
    mean = sum(vals) / len(vals)
    if mean <= 0:
        return math.inf
    var = sum((v - mean) ** 2 for v in vals) / len(vals)
    return math.sqrt(var) / mean


def classify_xyz(panel: Sequence[Sequence[float]], cuts: XyzCuts = XyzCuts()) -> list[str]:
    """Class per series of per-period demand (one row per item, equal-length periods)."""
    out = []
    for row in panel:
        cv = coefficient_of_variation(row)
        out.append("X" if cv <= cuts.x else "Y" if cv <= cuts.y else "Z")
    return out
