"""Inventory policies against textbook worked cases, and the rules planning relies on."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfwise.domain.planning import normal
from shelfwise.domain.planning.base_stock import base_stock_fill_rate_normal, base_stock_normal
from shelfwise.domain.planning.cases import KINDS, evaluate_case, evaluate_file_data
from shelfwise.domain.planning.eoq import economic_order_quantity, eoq_cost
from shelfwise.domain.planning.rounding import OrderConstraints, round_order_quantity
from shelfwise.domain.planning.rq import rq_cost_normal, rq_fill_rate_normal, rq_optimal_normal
from shelfwise.domain.planning.safety_stock import (
    fill_rate_order_up_to_level,
    fill_rate_reorder_point,
    order_up_to_level,
    reorder_point,
)

CASES_FILE = Path(__file__).resolve().parents[2] / "data" / "planning" / "cases.json"
CASES: list[dict] = json.loads(CASES_FILE.read_text())


def _case(case_id: str) -> dict:
    return copy.deepcopy(next(case for case in CASES if case["id"] == case_id))


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_textbook_case_is_reproduced(case: dict) -> None:
    result = evaluate_case(case)
    failures = [(c.name, c.got, c.expected, c.message) for c in result.checks if not c.passed]
    assert result.passed, (result.error, failures)
    assert {check.name for check in result.checks} == set(case["expected"])


def test_reference_file_has_all_29_cases_and_only_known_kinds() -> None:
    assert len(CASES) == 29
    assert {case["kind"] for case in CASES} <= set(KINDS)
    assert all(result.passed for result in evaluate_file_data(CASES))


def test_changing_an_expected_number_fails_the_case() -> None:
    case = _case("eoq_ex3_1")
    case["expected"]["cost"] *= 1.01
    result = evaluate_case(case)
    assert not result.passed
    verdicts = {check.name: check.passed for check in result.checks}
    assert verdicts == {"order_quantity": True, "cost": False}


def test_changing_an_input_changes_the_verdict() -> None:
    case = _case("newsvendor_normal_ex4_3")
    case["inputs"]["stockout_cost"] = 0.9
    assert not evaluate_case(case).passed


def test_integer_results_must_match_exactly_despite_tolerance() -> None:
    case = _case("ss_exact_poisson_ex4_7")
    case["tolerance"] = {"abs": 0.5, "rel": 0.5}
    case["expected"]["order_up_to_level"] = 10.25
    result = evaluate_case(case)
    assert not result.passed
    assert [c.name for c in result.checks if not c.passed] == ["order_up_to_level"]


def test_one_wrong_element_of_a_batch_fails_the_result() -> None:
    case = _case("ss_exact_poisson_zheng_federgruen_1991")
    case["expected"]["reorder_point"][11] += 1
    result = evaluate_case(case)
    assert [c.name for c in result.checks if not c.passed] == ["reorder_point"]


def test_unknown_kind_is_reported_not_raised() -> None:
    case = _case("eoq_ex3_1") | {"kind": "eoq_with_magic"}
    result = evaluate_case(case)
    assert not result.passed
    assert result.error is not None and "unknown kind 'eoq_with_magic'" in result.error


def test_missing_or_misspelled_input_is_reported_not_raised() -> None:
    case = _case("eoq_ex3_1")
    case["inputs"]["demand"] = case["inputs"].pop("demand_rate")
    result = evaluate_case(case)
    assert not result.passed
    assert result.error is not None and "demand" in result.error


def test_invalid_number_is_reported_not_raised() -> None:
    case = _case("safety_stock_type1_ex4_3_critical_ratio")
    case["inputs"]["alpha"] = 1.5
    result = evaluate_case(case)
    assert not result.passed and result.error is not None


def test_result_the_kind_does_not_compute_fails_with_a_message() -> None:
    case = _case("eoq_ex3_1")
    case["expected"]["service_level"] = 0.95
    result = evaluate_case(case)
    missing = next(c for c in result.checks if c.name == "service_level")
    assert not result.passed and missing.got is None and "no result" in missing.message


def test_eoq_balances_ordering_and_holding_cost() -> None:
    # Example 3.1: K = $8 per order, h = $0.225 per unit-year, 1300 units a year.
    result = economic_order_quantity(fixed_cost=8, holding_cost=0.225, demand_rate=1300)
    ordering = 8 * 1300 / result.order_quantity
    holding = 0.225 * result.order_quantity / 2
    assert ordering == pytest.approx(holding)
    assert result.cost == pytest.approx(math.sqrt(2 * 8 * 1300 * 0.225))
    for other in (250, 360):
        assert eoq_cost(other, 8, 0.225, 1300) > result.cost


def test_rounding_respects_moq_and_case_pack() -> None:
    cartons_of_12 = OrderConstraints(minimum_order_quantity=100, case_pack=12)
    assert round_order_quantity(37, cartons_of_12) == 108  # MOQ 100 -> 9 cartons
    assert round_order_quantity(250.4, cartons_of_12) == 252
    assert round_order_quantity(0, cartons_of_12) == 0
    layers = OrderConstraints(case_pack=12, order_multiple=8)  # whole cases and layers: 24
    assert round_order_quantity(30, layers) == 48
    assert round_order_quantity(30, layers, rounding="nearest") == 24
    assert round_order_quantity(5, layers, rounding="nearest") == 24


def test_rounding_ignores_float_noise_from_planning_math() -> None:
    assert round_order_quantity(240.00000000001, OrderConstraints(case_pack=12)) == 240


@given(
    quantity=st.floats(min_value=0.001, max_value=1e6),
    moq=st.integers(min_value=0, max_value=5000),
    case_pack=st.integers(min_value=1, max_value=48),
    multiple=st.integers(min_value=1, max_value=10),
)
def test_rounded_up_order_is_smallest_valid_quantity(
    quantity: float, moq: int, case_pack: int, multiple: int
) -> None:
    rules = OrderConstraints(moq, case_pack, multiple)
    rounded = round_order_quantity(quantity, rules)
    assert rounded % case_pack == 0 and rounded % multiple == 0
    assert rounded >= moq and rounded >= round(quantity, 9)
    assert rounded - rules.unit < max(round(quantity, 9), moq)


def test_safety_stock_grows_with_lead_time_variability() -> None:
    # 20 units/day (sd 5), lead time 4 days (sd 1 day), 95% cycle service.
    steady = reorder_point(0.95, demand_mean=20, demand_sd=5, lead_time=4)
    shaky = reorder_point(0.95, demand_mean=20, demand_sd=5, lead_time=4, lead_time_sd=1)
    z = normal.inverse_cdf(0.95)
    assert steady.safety_stock == pytest.approx(z * 5 * 2)
    assert shaky.protection.sd == pytest.approx(math.sqrt(4 * 5**2 + 20**2 * 1**2))
    assert shaky.level == pytest.approx(80 + z * math.sqrt(500))


def test_order_up_to_level_covers_review_period_plus_lead_time() -> None:
    weekly = order_up_to_level(0.9, demand_mean=10, demand_sd=4, lead_time=3, review_period=7)
    assert weekly.protection.mean == pytest.approx(100)
    assert weekly.level == pytest.approx(100 + normal.inverse_cdf(0.9) * 4 * math.sqrt(10))


def test_fill_rate_reorder_point_meets_the_target_fill_rate() -> None:
    level = fill_rate_reorder_point(0.98, 250, demand_mean=1300, demand_sd=150, lead_time=1 / 12)
    service = rq_fill_rate_normal(level.level, 250, 1300, 150, 1 / 12)
    assert service.fill_rate_approx == pytest.approx(0.98)


def test_daily_review_fill_rate_level_meets_the_target_fill_rate() -> None:
    # With R = 1 period and no lead time the approximation is exact.
    level = fill_rate_order_up_to_level(0.98, 50, 8, lead_time=0, review_period=1)
    assert base_stock_fill_rate_normal(level.level, 50, 8).fill_rate == pytest.approx(0.98)


def test_standard_normal_loss_at_zero_is_the_density_at_zero() -> None:
    assert normal.loss(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert normal.complementary_loss(2.0) - normal.loss(2.0) == pytest.approx(2.0)


def test_base_stock_with_lead_time_protects_lead_time_plus_one_periods() -> None:
    result = base_stock_normal(0.18, 0.7, demand_mean=50, demand_sd=8, lead_time=4)
    z = normal.inverse_cdf(0.7 / 0.88)
    assert result.base_stock_level == pytest.approx(250 + z * 8 * math.sqrt(5))


def test_exact_rq_optimum_is_not_beaten_by_its_neighbours() -> None:
    best = rq_optimal_normal(0.225, 7.5, 8, 1300, 150, 1 / 12)
    for dr, dq in ((1, 0), (-1, 0), (0, 5), (0, -5)):
        cost = rq_cost_normal(
            best.reorder_point + dr, best.order_quantity + dq, 0.225, 7.5, 8, 1300, 150, 1 / 12
        )
        assert cost > best.cost
