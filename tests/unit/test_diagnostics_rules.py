"""The diagnosis rules: control when the records are wrong, management when the records
are right and the plan is not, both, or healthy; with evidence, cost and an action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shelfwise.domain import diagnostics as dx
from shelfwise.domain.errors import InvalidInput
from shelfwise.services.diagnostics import parse_period

S = dx.DiagnosisSettings()
BASE = dict(owner_id=1, item_id=7, facility_id=1, sku="TENT-2P", facility_code="WH1",
            zones=("B",), unit_cost_cents=8900, period_days=30, scans=1000, ordered=300,
            daily_demand=10.0, on_hand=200)


def kpis(**kw) -> dx.ItemKpis:
    return dx.ItemKpis(**{**BASE, **kw})


def test_frequent_count_variances_and_refused_scans_are_a_control_problem() -> None:
    d = dx.diagnose_item(kpis(counts=5, counts_off=4, count_net_units=-12, scan_exceptions=20,
                              top_exception="wrong_location", count_abs_value_cents=10680))
    assert d.call == dx.Call.CONTROL
    assert d.evidence[0].startswith("4 of the last 5 counts in zone B off by >5%")
    assert "20 wrong-location scans refused per 1,000" in d.evidence[1]
    assert "count zone B at WH1 again and retrain" in d.action
    assert d.cost["adjustments"] == 10680


def test_stockouts_with_accurate_counts_and_a_low_forecast_are_a_management_problem() -> None:
    d = dx.diagnose_item(kpis(counts=6, counts_off=0, backordered=40, stockout_days=9,
                              forecast_bias=-0.35))
    assert d.call == dx.Call.MANAGEMENT
    assert d.evidence[:2] == ("6 counts accurate", "9 stockout days, fill rate 87%")
    assert "forecast bias \u221235%" in d.evidence
    assert "raise safety stock" in d.action
    assert d.cost["lost_sales"] == round(40 * 8900 * S.price_to_cost)


def test_stockouts_while_the_records_are_wrong_are_blamed_on_control_alone() -> None:
    d = dx.diagnose_item(kpis(counts=5, counts_off=3, backordered=30, stockout_days=6))
    assert d.call == dx.Call.CONTROL
    assert any("records unreliable" in e for e in d.evidence)


def test_wrong_records_plus_a_biased_forecast_are_both() -> None:
    d = dx.diagnose_item(kpis(counts=5, counts_off=3, forecast_bias=-0.5))
    assert d.call == dx.Call.BOTH
    assert "correct the forecast" in d.action and "count zone B" in d.action


def test_a_quiet_item_with_a_noisy_forecast_is_healthy_with_a_note() -> None:
    d = dx.diagnose_item(kpis(counts=4, counts_off=0, forecast_bias=0.05, forecast_wape=0.8))
    assert d.call == dx.Call.HEALTHY
    assert d.evidence == ("note: forecast WAPE 80%",)
    assert d.cost_cents == 0


def test_a_few_variances_below_the_thresholds_do_not_flag_control() -> None:
    assert dx.diagnose_item(kpis(counts=10, counts_off=2, scan_exceptions=2)).call == \
        dx.Call.HEALTHY
    assert dx.diagnose_item(kpis(counts=1, counts_off=1)).call == dx.Call.HEALTHY


def test_stock_beyond_the_excess_threshold_costs_carrying_and_is_management() -> None:
    k = kpis(on_hand=2000, daily_demand=10.0)
    d = dx.diagnose_item(k)
    assert k.excess_units(S) == 1100
    assert d.call == dx.Call.MANAGEMENT
    assert "1100 units excess (200 days of supply)" in d.evidence
    assert d.cost["excess_carrying"] == round(1100 * 8900 * 0.25 * 30 / 365)
    assert "sell down or move 1100 units" in d.action


def test_a_stockout_while_another_facility_held_excess_is_a_positioning_miss() -> None:
    short = kpis(facility_id=2, facility_code="WH2", on_hand=0, backordered=25,
                 stockout_days=5)
    full = kpis(on_hand=3000, daily_demand=10.0)
    rows = dx.position([short, full])
    assert rows[0].move_from_facility == "WH1" and rows[0].move_qty == 25
    d = dx.diagnose_item(rows[0])
    assert d.call == dx.Call.MANAGEMENT
    assert "move 25 units from WH1 to WH2" in d.action


def test_a_b2c_stockout_behind_a_b2b_ring_fence_is_a_channel_miss() -> None:
    d = dx.diagnose_item(kpis(counts=3, backordered=60, stockout_days=12,
                              channel_miss_units=60, channel_miss_days=12,
                              channel_starved="b2c"))
    assert d.call == dx.Call.MANAGEMENT
    assert "release 60 units to b2c" in d.action


def test_zone_rollup_and_where_to_look_rank_the_costliest_first() -> None:
    cheap = dx.diagnose_item(kpis(item_id=1, counts=5, counts_off=4, count_abs_value_cents=100))
    dear = dx.diagnose_item(kpis(item_id=2, backordered=100, stockout_days=10))
    fine = dx.diagnose_item(kpis(item_id=3))
    roll = dx.rollup([cheap, dear, fine], "zone")
    assert roll["WH1/B"]["call"] == "both"
    assert roll["WH1/B"]["calls"] == {"healthy": 1, "control": 1, "management": 1, "both": 0}
    flagged, ev = dx.zone_call(dx.ZoneKpis(1, "B", "WH1", counts=10, counts_off=5, scans=500,
                                           scan_exceptions=10))
    assert flagged and ev[0] == "5 of 10 counts in zone B off by >5%"
    ranked = dx.where_to_look([cheap, dear, fine], [(dx.ZoneKpis(1, "B", "WH1"), ev)])
    assert [r["scope"] for r in ranked] == ["item", "item", "zone"]
    assert ranked[0]["item_id"] == 2


def test_periods_are_months_or_day_ranges_and_anything_else_is_refused() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert parse_period("2026-12", now)[:2] == (datetime(2026, 12, 1, tzinfo=UTC),
                                                 datetime(2027, 1, 1, tzinfo=UTC))
    assert parse_period("2026-10-01..2026-10-15", now)[1] == datetime(2026, 10, 15, tzinfo=UTC)
    for bad in ("2026-13", "October", "2026-10-15..2026-10-01"):
        with pytest.raises(InvalidInput):
            parse_period(bad, now)


def test_one_count_off_is_noise_unless_a_recount_confirmed_it() -> None:
    assert dx.diagnose_item(kpis(counts=1, counts_off=1)).call == dx.Call.HEALTHY
    d = dx.diagnose_item(kpis(counts=1, counts_off=1, counts_confirmed_off=1,
                              count_net_units=-3))
    assert d.call == dx.Call.CONTROL
    assert d.evidence[0].endswith("(net -3 units, 1 confirmed by a recount)")
    # a confirmed variance among many accurate counts stays below the share
    assert dx.diagnose_item(kpis(counts=5, counts_off=1, counts_confirmed_off=1)).call == \
        dx.Call.HEALTHY
