"""The standard normal distribution and its loss functions.

Every normal-demand policy reduces to these: the cdf Phi gives stockout
probabilities, its inverse gives the z of a service level, and the loss
functions give expected shortages and on-hand inventory in closed form, so no
numerical integration is needed anywhere in planning.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_STANDARD = NormalDist()
_SQRT2 = math.sqrt(2.0)


def pdf(z: float) -> float:
    """phi(z) = exp(-z^2/2) / sqrt(2 pi)."""
    return _STANDARD.pdf(z)


def cdf(z: float) -> float:
    """Phi(z) = P(Z <= z), computed from erfc so the tails keep their precision."""
    return 0.5 * math.erfc(-z / _SQRT2)


def survival(z: float) -> float:
    """1 - Phi(z) = P(Z > z), computed directly rather than by subtraction."""
    return 0.5 * math.erfc(z / _SQRT2)


def inverse_cdf(probability: float) -> float:
    """z with Phi(z) = probability, for 0 < probability < 1."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1, got {probability}")
    return _STANDARD.inv_cdf(probability)


def loss(z: float) -> float:
    """Standard normal (first-order) loss L(z) = E[(Z - z)^+] = phi(z) - z (1 - Phi(z)).

    The expected amount by which a standard normal exceeds z: scaled by sigma it
    is the expected shortage n(x) of normal demand against a stock level x.
    """
    return pdf(z) - z * survival(z)


def complementary_loss(z: float) -> float:
    """Complementary loss Lbar(z) = E[(z - Z)^+] = z + L(z): expected leftover stock."""
    return z + loss(z)


def second_order_loss(z: float) -> float:
    """Second-order loss L2(z) = E[((Z - z)^+)^2] / 2 = ((z^2 + 1)(1 - Phi(z)) - z phi(z)) / 2.

    It is the integral of L from z to infinity, which is what turns the (r,Q)
    cost integral of expected shortages into a closed form.
    """
    return 0.5 * ((z * z + 1.0) * survival(z) - z * pdf(z))


def shortage(x: float, mean: float, sd: float) -> float:
    """n(x) = E[(D - x)^+] for D ~ N(mean, sd): expected units short at stock level x."""
    if sd <= 0.0:
        return max(mean - x, 0.0)
    return sd * loss((x - mean) / sd)


def leftover(x: float, mean: float, sd: float) -> float:
    """nbar(x) = E[(x - D)^+] for D ~ N(mean, sd): expected units left at stock level x."""
    return x - mean + shortage(x, mean, sd)


def second_order_shortage(x: float, mean: float, sd: float) -> float:
    """n2(x) = integral from x to infinity of n(y) dy for D ~ N(mean, sd)."""
    if sd <= 0.0:
        return 0.5 * max(mean - x, 0.0) ** 2
    return sd * sd * second_order_loss((x - mean) / sd)


def quantile(probability: float, mean: float, sd: float) -> float:
    """x with P(D <= x) = probability for D ~ N(mean, sd)."""
    return mean + sd * inverse_cdf(probability)


def inverse_loss(value: float) -> float:
    """z with L(z) = value, for value > 0 (L falls strictly from +infinity to 0).

    Solved by bisection: L(z) >= -z bounds the root below by -value, and
    L(40) underflows to zero, which bounds it above.
    """
    if not value > 0:
        raise ValueError(f"the loss function only takes positive values, got {value}")
    lo, hi = -value - 1.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if loss(mid) > value:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def shortage_inverse(value: float, mean: float, sd: float) -> float:
    """x with n(x) = E[(D - x)^+] = value for D ~ N(mean, sd) and value > 0."""
    if sd <= 0.0:
        return mean - value
    return mean + sd * inverse_loss(value / sd)
