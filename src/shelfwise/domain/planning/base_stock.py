"""Periodic-review base-stock policies: each period, order up to S.

With lead time L (periods) an order placed now protects against demand over the
next L + 1 periods, so the optimal S is a newsvendor level for (L + 1)-period
demand (Snyder & Shen ch. 4). The type-2 service level (fill rate) of a given S
is also here, because it is a property of a base-stock level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shelfwise.domain.planning import normal
from shelfwise.domain.planning.newsvendor import (
    DiscreteNewsvendorResult,
    NewsvendorResult,
    newsvendor_normal,
    newsvendor_poisson,
)


@dataclass(frozen=True, slots=True)
class BaseStockFillRate:
    """Expected backorders per period at the end of the protection period and fill rate."""

    expected_backorders: float
    fill_rate: float


def base_stock_normal(
    holding_cost: float,
    stockout_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
) -> NewsvendorResult:
    """S* = (L+1) mu + z_alpha sigma sqrt(L+1), alpha = p / (p + h), cost per period G(S*)."""
    return newsvendor_normal(holding_cost, stockout_cost, demand_mean, demand_sd, lead_time)


def base_stock_poisson(
    holding_cost: float, stockout_cost: float, demand_mean: float, lead_time: int
) -> DiscreteNewsvendorResult:
    """Poisson demand: S* is the smallest S with P(Poisson((L+1) mean) <= S) >= p / (p + h)."""
    return newsvendor_poisson(holding_cost, stockout_cost, demand_mean, lead_time)


def base_stock_fill_rate_normal(
    base_stock_level: float, demand_mean: float, demand_sd: float, lead_time: float = 0
) -> BaseStockFillRate:
    """Type-2 service (fraction of demand met from stock) of base-stock level S.

    Backorders at the end of a period are E[(D_{L+1} - S)^+]; of these,
    E[(D_L - S)^+] were already short a period earlier, so the units newly short
    per period are their difference and beta = 1 - (n_{L+1}(S) - n_L(S)) / mu.
    With L = 0 the second term vanishes.
    """
    if demand_mean <= 0:
        raise ValueError(f"demand_mean must be positive, got {demand_mean}")
    after = normal.shortage(
        base_stock_level, (lead_time + 1) * demand_mean, math.sqrt(lead_time + 1) * demand_sd
    )
    before = (
        normal.shortage(base_stock_level, lead_time * demand_mean, math.sqrt(lead_time) * demand_sd)
        if lead_time > 0
        else 0.0
    )
    return BaseStockFillRate(after, 1.0 - (after - before) / demand_mean)
