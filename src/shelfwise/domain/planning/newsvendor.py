"""Newsvendor: the single-period trade-off between leftover stock and shortage.

One period of demand D, a stock level S chosen beforehand, holding cost h per unit
left over and shortage cost p per unit short. The expected cost is
G(S) = h E[(S - D)^+] + p E[(D - S)^+], minimised where F(S) = p / (p + h), the
critical ratio. The same function is the per-period cost of a periodic-review
base-stock policy, where D is demand over the protection period (see ``base_stock``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from shelfwise.domain.planning import normal
from shelfwise.domain.planning.demand import DiscreteDemand


@dataclass(frozen=True, slots=True)
class NewsvendorResult:
    """An optimal stock level and its expected cost per period."""

    base_stock_level: float
    cost: float


@dataclass(frozen=True, slots=True)
class DiscreteNewsvendorResult:
    """An optimal integer stock level and its expected cost per period."""

    base_stock_level: int
    cost: float


@dataclass(frozen=True, slots=True)
class ExplicitNewsvendorResult:
    """An optimal stock level and the expected profit it earns."""

    base_stock_level: float
    profit: float


def critical_ratio(holding_cost: float, stockout_cost: float) -> float:
    """alpha = p / (p + h): the optimal probability of not stocking out."""
    if holding_cost < 0 or stockout_cost <= 0:
        raise ValueError("stockout_cost must be positive and holding_cost non-negative")
    return stockout_cost / (stockout_cost + holding_cost)


def newsvendor_normal_cost(
    base_stock_level: float,
    holding_cost: float,
    stockout_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float = 0,
) -> float:
    """G(S) = h (S - mu) + (h + p) n(S) for protection demand N((L+1) mu, sqrt(L+1) sigma).

    Uses E[(S - D)^+] = S - mu + n(S), with n the normal loss function.
    """
    periods = lead_time + 1
    mean, sd = periods * demand_mean, math.sqrt(periods) * demand_sd
    return holding_cost * normal.leftover(base_stock_level, mean, sd) + (
        stockout_cost * normal.shortage(base_stock_level, mean, sd)
    )


def newsvendor_normal(
    holding_cost: float,
    stockout_cost: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float = 0,
) -> NewsvendorResult:
    """S* = mu + z_alpha sigma with alpha = p / (p + h); G(S*) = (h + p) sigma phi(z_alpha).

    With a lead time L the protection period is L + 1 periods, so mu and sigma
    are those of (L + 1)-period demand.
    """
    periods = lead_time + 1
    mean, sd = periods * demand_mean, math.sqrt(periods) * demand_sd
    level = normal.quantile(critical_ratio(holding_cost, stockout_cost), mean, sd)
    return NewsvendorResult(
        level,
        newsvendor_normal_cost(
            level, holding_cost, stockout_cost, demand_mean, demand_sd, lead_time
        ),
    )


def newsvendor_normal_explicit(
    revenue: float,
    purchase_cost: float,
    salvage_value: float,
    demand_mean: float,
    demand_sd: float,
    holding_cost: float = 0,
    stockout_cost: float = 0,
) -> ExplicitNewsvendorResult:
    """Newsvendor stated with prices: sell at r, buy at c, salvage at v, plus h and p.

    Underage costs r - c + p per unit, overage c - v + h, so the critical ratio is
    (r - c + p) / (r - v + h + p). Expected profit is
    r E[min(S, D)] - c S + (v - h) E[(S - D)^+] - p E[(D - S)^+].
    """
    underage = revenue - purchase_cost + stockout_cost
    total = revenue - salvage_value + holding_cost + stockout_cost
    if not 0 < underage < total:
        raise ValueError("need r - c + p > 0 and c - v + h > 0")
    level = normal.quantile(underage / total, demand_mean, demand_sd)
    short = normal.shortage(level, demand_mean, demand_sd)
    left = normal.leftover(level, demand_mean, demand_sd)
    profit = (
        revenue * (demand_mean - short)
        - purchase_cost * level
        + (salvage_value - holding_cost) * left
        - stockout_cost * short
    )
    return ExplicitNewsvendorResult(level, profit)


def newsvendor_discrete(
    holding_cost: float, stockout_cost: float, demand: DiscreteDemand
) -> DiscreteNewsvendorResult:
    """Discrete demand: S* is the smallest integer with F(S) >= p / (p + h)."""
    level = demand.quantile(critical_ratio(holding_cost, stockout_cost))
    return DiscreteNewsvendorResult(
        level, demand.newsvendor_cost(level, holding_cost, stockout_cost)
    )


def newsvendor_discrete_pmf(
    holding_cost: float, stockout_cost: float, demand_pmf: Mapping[int | str, float]
) -> DiscreteNewsvendorResult:
    """Discrete newsvendor for an explicit pmf {demand value: probability}."""
    return newsvendor_discrete(holding_cost, stockout_cost, DiscreteDemand.from_mapping(demand_pmf))


def newsvendor_poisson(
    holding_cost: float, stockout_cost: float, demand_mean: float, lead_time: int = 0
) -> DiscreteNewsvendorResult:
    """Poisson demand per period; over L + 1 periods it is Poisson((L + 1) mean)."""
    demand = DiscreteDemand.poisson((lead_time + 1) * demand_mean)
    return newsvendor_discrete(holding_cost, stockout_cost, demand)


def newsvendor_lognormal(
    holding_cost: float, stockout_cost: float, mu: float, sigma: float
) -> NewsvendorResult:
    """Lognormal demand, ln D ~ N(mu, sigma): S* = exp(mu + sigma z_alpha).

    Shortage has the closed form E[(D - S)^+] = e^{mu + sigma^2/2} Phi(d + sigma) - S Phi(d)
    with d = (mu - ln S) / sigma, and E[(S - D)^+] = S - E[D] + E[(D - S)^+].
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    z = normal.inverse_cdf(critical_ratio(holding_cost, stockout_cost))
    level = math.exp(mu + sigma * z)
    mean = math.exp(mu + sigma * sigma / 2.0)
    d = (mu - math.log(level)) / sigma
    short = mean * normal.cdf(d + sigma) - level * normal.cdf(d)
    cost = holding_cost * (level - mean + short) + stockout_cost * short
    return NewsvendorResult(level, cost)
