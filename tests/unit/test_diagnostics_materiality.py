"""The diagnosis ignores noise that real catalogues are full of: a forecast bias measured
on a handful of units, and a unit or two of a slow mover beyond the excess threshold."""

from __future__ import annotations

from shelfwise.domain import diagnostics as dx

S = dx.DiagnosisSettings()
BASE = dict(owner_id=1, item_id=7, facility_id=1, sku="VASE-01", facility_code="WH2",
            zones=("C",), unit_cost_cents=4_000, period_days=90, counts=3)


def kpis(**kw) -> dx.ItemKpis:
    return dx.ItemKpis(**{**BASE, **kw})


def test_a_bias_on_a_handful_of_units_is_a_note_not_a_planning_cause() -> None:
    k = kpis(forecast_bias=-0.4, daily_demand=4 / 90)  # 4 units in the period
    d = dx.diagnose_item(k)
    assert d.call == dx.Call.HEALTHY
    assert d.evidence == ("note: forecast bias \u221240% on 4 units (not significant)",)


def test_the_same_bias_on_enough_demand_is_a_planning_cause() -> None:
    k = kpis(forecast_bias=-0.4, daily_demand=30 / 90)  # 0.4 x sqrt(30) = 2.2 >= 2
    assert k.bias_is_significant(S)
    d = dx.diagnose_item(k)
    assert d.call == dx.Call.MANAGEMENT
    assert "forecast bias \u221240%" in d.evidence
    assert "correct the forecast" in d.action


def test_a_few_units_of_a_slow_mover_are_not_excess_worth_a_call() -> None:
    k = kpis(on_hand=3, daily_demand=0.0)  # 3 x $40 = $120 of stock nobody bought
    assert k.excess_units(S) == 3 and k.material_excess(S) == 0
    assert dx.diagnose_item(k).call == dx.Call.HEALTHY


def test_excess_worth_more_than_the_threshold_is_management() -> None:
    k = kpis(on_hand=40, daily_demand=0.1)  # 31 units beyond 90 days, $1,240 at cost
    assert k.material_excess(S) == 31
    d = dx.diagnose_item(k)
    assert d.call == dx.Call.MANAGEMENT
    assert "31 units excess (400 days of supply)" in d.evidence
    assert "sell down or move 31 units" in d.action


def test_excess_of_an_item_without_a_cost_is_still_flagged() -> None:
    k = kpis(on_hand=5, daily_demand=0.0, unit_cost_cents=0)
    assert k.material_excess(S) == 5
