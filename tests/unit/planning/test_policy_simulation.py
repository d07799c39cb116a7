"""Policy replay: fill rate, stockout days, stock value and orders of an (s, S) policy."""

from __future__ import annotations

import numpy as np
import pytest

from shelfwise.domain.planning.simulation import simulate_policy


def test_steady_demand_with_enough_stock_is_always_filled() -> None:
    demand = np.full((1, 30), 10.0)
    result = simulate_policy(demand, reorder_point=40, order_up_to=100, lead_time=2)
    assert result.fill_rate[0] == 1.0
    assert result.stockout_days[0] == 0
    assert result.orders_placed[0] > 0


def test_hand_traced_replay_matches_the_policy_step_by_step() -> None:
    # S=20, s=10, L=2, demand 6/day: day0 20->14; day1 ->8 order 12 (arrives day3);
    # day2 ->2; day3 +12=14 ->8, position 8 <= 10 -> order 12 (arrives day5); day4 ->2
    result = simulate_policy(np.full((1, 5), 6.0), reorder_point=10, order_up_to=20,
                             lead_time=2, unit_cost=3.0)
    assert result.orders_placed[0] == 2
    assert result.fill_rate[0] == 1.0
    assert result.average_units[0] == pytest.approx((14 + 8 + 2 + 8 + 2) / 5)
    assert result.average_inventory_value[0] == pytest.approx(3 * (14 + 8 + 2 + 8 + 2) / 5)


def test_lost_sales_show_as_short_fill_rate_and_stockout_days() -> None:
    demand = np.array([[5.0, 5.0, 5.0, 5.0]])
    result = simulate_policy(demand, reorder_point=0, order_up_to=0, lead_time=1,
                             initial_on_hand=7)
    assert result.filled[0] == 7
    assert result.fill_rate[0] == pytest.approx(7 / 20)
    assert result.stockout_days[0] == 3
    assert result.orders_placed[0] == 0


def test_higher_reorder_point_buys_service_with_stock() -> None:
    rng = np.random.default_rng(4)
    demand = rng.poisson(8, size=(50, 200)).astype(float)
    lean = simulate_policy(demand, 40, 90, 4).totals()
    safe = simulate_policy(demand, 70, 120, 4).totals()
    assert safe["fill_rate"] > lean["fill_rate"]
    assert safe["average_units"] > lean["average_units"]


def test_actual_lead_time_per_order_day_is_respected() -> None:
    demand = np.full((1, 10), 1.0)
    lead = np.full((1, 10), 3)
    lead[0, 0] = 8
    slow = simulate_policy(demand, 5, 10, lead, initial_on_hand=5, review_period=10).totals()
    fast = simulate_policy(demand, 5, 10, 3, initial_on_hand=5, review_period=10).totals()
    assert slow["fill_rate"] < fast["fill_rate"]


def test_order_multiple_rounds_every_order_up() -> None:
    result = simulate_policy(np.full((1, 3), 3.0), 5, 10, 1, initial_on_hand=4,
                             order_multiple=12)
    assert result.orders_placed[0] >= 1
    assert result.fill_rate[0] == 1.0


def test_negative_demand_is_refused() -> None:
    with pytest.raises(ValueError):
        simulate_policy(np.array([[-1.0]]), 1, 2, 1)
