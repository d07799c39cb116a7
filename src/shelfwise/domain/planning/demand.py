"""Discrete demand distributions (Poisson or an explicit pmf) with O(1) loss functions.

Discrete-demand policies evaluate expected leftover E[(y - D)^+] and expected
shortage E[(D - y)^+] at many stock levels y; precomputing the cdf and its running
sum over the (integer) support makes each evaluation constant time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

_CDF_SLACK = 1e-12  # a cdf sum that rounds to just below the target still reaches it


class DiscreteDemand:
    """Demand on the consecutive integers lo..hi with the given probabilities.

    Invariant: ``pmf[k]`` is P(D = lo + k); probabilities outside lo..hi are zero.
    """

    __slots__ = ("lo", "hi", "pmf", "mean", "_cdf", "_cdf_sums")

    def __init__(self, lo: int, pmf: list[float]) -> None:
        if not pmf:
            raise ValueError("a discrete demand needs at least one value")
        if any(p < 0 for p in pmf):
            raise ValueError("probabilities must be non-negative")
        self.lo = lo
        self.hi = lo + len(pmf) - 1
        self.pmf = pmf
        self.mean = sum((lo + k) * p for k, p in enumerate(pmf))
        self._cdf: list[float] = []
        self._cdf_sums: list[float] = []
        running = cumulative = 0.0
        for p in pmf:
            running += p
            cumulative += running
            self._cdf.append(running)
            self._cdf_sums.append(cumulative)

    @classmethod
    def from_mapping(cls, pmf: Mapping[int | str, float]) -> DiscreteDemand:
        """Build from {demand value: probability}; keys may be integers or their strings."""
        values = {int(k): float(v) for k, v in pmf.items()}
        lo, hi = min(values), max(values)
        return cls(lo, [values.get(d, 0.0) for d in range(lo, hi + 1)])

    @classmethod
    def poisson(cls, mean: float) -> DiscreteDemand:
        """Poisson(mean), truncated where the remaining tail is below double precision."""
        if mean < 0:
            raise ValueError(f"mean must be non-negative, got {mean}")
        if mean == 0:
            return cls(0, [1.0])
        hi = math.ceil(mean + 12.0 * math.sqrt(mean) + 25.0)
        log_mean = math.log(mean)
        pmf = [math.exp(k * log_mean - mean - math.lgamma(k + 1.0)) for k in range(hi + 1)]
        demand = cls(0, pmf)
        demand.mean = mean
        return demand

    def probability(self, d: int) -> float:
        """P(D = d)."""
        return self.pmf[d - self.lo] if self.lo <= d <= self.hi else 0.0

    def cdf(self, y: float) -> float:
        """F(y) = P(D <= y)."""
        k = math.floor(y)
        if k < self.lo:
            return 0.0
        if k >= self.hi:
            return 1.0
        return self._cdf[k - self.lo]

    def quantile(self, probability: float) -> int:
        """The smallest integer y with F(y) >= probability."""
        for k, value in enumerate(self._cdf):
            if value >= probability - _CDF_SLACK:
                return self.lo + k
        return self.hi

    def leftover(self, y: float) -> float:
        """E[(y - D)^+] = sum over integers k < y of F(k), plus the fractional part of y."""
        k = math.floor(y)
        if k <= self.lo:
            whole = 0.0
        elif k - 1 <= self.hi:
            whole = self._cdf_sums[k - 1 - self.lo]
        else:
            whole = self._cdf_sums[-1] + (k - 1 - self.hi)
        return whole + (y - k) * self.cdf(k)

    def shortage(self, y: float) -> float:
        """E[(D - y)^+] = E[(y - D)^+] - (y - E[D])."""
        return max(self.leftover(y) - y + self.mean, 0.0)

    def newsvendor_cost(self, y: float, holding_cost: float, stockout_cost: float) -> float:
        """G(y) = h E[(y - D)^+] + p E[(D - y)^+]: one period's expected cost at level y."""
        return holding_cost * self.leftover(y) + stockout_cost * self.shortage(y)
