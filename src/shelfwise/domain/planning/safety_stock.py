"""Safety stock, reorder points and order-up-to levels for a service-level target.

These are the practitioner's policies that replenishment suggestions are built on.
Demand per time unit has mean d and standard deviation sd_d; the lead time has mean L
and standard deviation sd_L (same time unit). Stock must cover demand over the
*protection period* T: T = L for a continuous-review reorder point, T = R + L for a
periodic review every R time units. Over T, demand has mean d T and, with demand and
lead time independent, standard deviation

    sigma_T = sqrt(T sd_d^2 + d^2 sd_L^2).

Two service measures (Snyder & Shen ch. 4-5):

* type 1 (alpha, cycle service level): P(no stockout in a cycle) = alpha, so the
  level is d T + z_alpha sigma_T with z_alpha = Phi^-1(alpha);
* type 2 (beta, fill rate): the fraction of demand met from stock; the expected
  shortage per replenishment cycle, n(x) = sigma_T L((x - d T) / sigma_T), must equal
  (1 - beta) times the demand of a cycle (Q for (r, Q), d R for periodic review).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shelfwise.domain.planning import normal


@dataclass(frozen=True, slots=True)
class ProtectionDemand:
    """Mean and standard deviation of demand over a protection period."""

    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A stock level (reorder point or order-up-to level) and its parts.

    ``level = protection.mean + safety_stock`` and ``safety_stock = z * protection.sd``.
    """

    level: float
    safety_stock: float
    z: float
    protection: ProtectionDemand


def protection_demand(
    demand_mean: float, demand_sd: float, period: float, period_sd: float = 0.0
) -> ProtectionDemand:
    """Demand over a period of random length T: mean d T, sd sqrt(T sd_d^2 + d^2 sd_T^2)."""
    if min(demand_mean, demand_sd, period, period_sd) < 0:
        raise ValueError("demand and period parameters must be non-negative")
    variance = period * demand_sd**2 + demand_mean**2 * period_sd**2
    return ProtectionDemand(demand_mean * period, math.sqrt(variance))


def _level(protection: ProtectionDemand, z: float) -> StockLevel:
    safety = z * protection.sd
    return StockLevel(protection.mean + safety, safety, z, protection)


def reorder_point(
    alpha: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    lead_time_sd: float = 0.0,
) -> StockLevel:
    """Continuous review, type-1 service: r = d L + z_alpha sigma_L.

    Reordering when the inventory position reaches r leaves a stockout during the
    lead time with probability 1 - alpha.
    """
    protection = protection_demand(demand_mean, demand_sd, lead_time, lead_time_sd)
    return _level(protection, normal.inverse_cdf(alpha))


def order_up_to_level(
    alpha: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    review_period: float,
    lead_time_sd: float = 0.0,
) -> StockLevel:
    """Periodic review every R, type-1 service: S = d (R + L) + z_alpha sigma_{R+L}.

    An order placed now is the last chance to cover demand until the next order
    arrives, R + L later. With R = 1 this is the base-stock level of Snyder & Shen,
    S = (L + 1) mu + z_alpha sigma sqrt(L + 1).
    """
    protection = protection_demand(demand_mean, demand_sd, lead_time + review_period, lead_time_sd)
    return _level(protection, normal.inverse_cdf(alpha))


def fill_rate_reorder_point(
    target_fill_rate: float,
    order_quantity: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    lead_time_sd: float = 0.0,
) -> StockLevel:
    """Continuous review (r, Q), type-2 service: solve n(r) = (1 - beta) Q for r.

    Uses the standard approximation beta = 1 - n(r) / Q (units short per cycle
    over units demanded per cycle).
    """
    return _fill_rate_level(
        target_fill_rate,
        order_quantity,
        protection_demand(demand_mean, demand_sd, lead_time, lead_time_sd),
    )


def fill_rate_order_up_to_level(
    target_fill_rate: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    review_period: float,
    lead_time_sd: float = 0.0,
) -> StockLevel:
    """Periodic review every R, type-2 service: solve n_{R+L}(S) = (1 - beta) d R for S.

    Demand per review cycle is d R; the shortage per cycle is approximated by the
    expected shortage at the end of the protection period (Silver, Pyke & Peterson).
    """
    protection = protection_demand(demand_mean, demand_sd, lead_time + review_period, lead_time_sd)
    return _fill_rate_level(target_fill_rate, demand_mean * review_period, protection)


def _fill_rate_level(
    target_fill_rate: float, cycle_demand: float, protection: ProtectionDemand
) -> StockLevel:
    if not 0.0 <= target_fill_rate < 1.0:
        raise ValueError(f"target_fill_rate must be in [0, 1), got {target_fill_rate}")
    if cycle_demand <= 0:
        raise ValueError(f"demand per cycle must be positive, got {cycle_demand}")
    allowed_shortage = (1.0 - target_fill_rate) * cycle_demand
    level = normal.shortage_inverse(allowed_shortage, protection.mean, protection.sd)
    safety = level - protection.mean
    z = safety / protection.sd if protection.sd > 0 else 0.0
    return StockLevel(level, safety, z, protection)
