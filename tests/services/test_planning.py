"""Plan runs over a small world with six weeks of shipments: suggestions, their why, and
approvals that create the real purchase and transfer orders."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.services import planning, receiving, transfers
from shelfwise.storage.demand_history import history_window, load_demand
from shelfwise.storage.planning_tables import (
    channel_allocations,
    forecasts,
    planning_runs,
    suggestions,
)
from tests.factories import gtin
from tests.planning_world import seed_planning_world


@pytest.fixture
def pw(ctx, clock):
    return seed_planning_world(ctx, clock)


def _one(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_plan_suggests_a_purchase_for_the_facility_running_low_with_its_why(ctx, pw) -> None:
    summary = planning.run_plan(ctx)
    assert summary["series"] == 2
    rows = planning.list_suggestions(ctx, run_id=summary["run_id"], kind="purchase")
    buy = _one(rows, facility_id=pw.w.facility, item_id=pw.w.item)
    why = buy["why"]
    assert 9 < why["forecast"]["daily_mean"] < 12
    assert why["lead_time"] == {"days": 7.0, "sd_days": 2.0, "source": "default", "receipts": 0,
                                "text": "configured default"}
    assert why["service_level"] == 0.95
    assert why["reorder_point"] == pytest.approx(why["lead_time_demand"] + why["safety_stock"],
                                                 abs=0.02)
    assert why["order_up_to"] > why["reorder_point"]
    assert why["safety_stock"] > 0 and why["inventory_position"]["position"] < 20
    assert buy["qty"] > 0 and buy["supplier_code"] == "DEFAULT"
    assert buy["group_ref"].startswith(f"R{summary['run_id']}-")
    assert "reorder point" in why["text"]
    # nothing to buy at WH2: it holds far more than it needs
    assert not [r for r in rows if r["facility_id"] == pw.w.facility2]


def test_approving_a_purchase_creates_a_purchase_order_the_dock_receives_against(ctx, pw):
    run = planning.run_plan(ctx)
    buy = planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase")[0]
    done = planning.approve(ctx, buy["id"], user="planner")
    assert done["state"] == "approved" and done["document_type"] == "receipt"
    po = receiving.get_receipt(ctx, int(done["document_id"]))
    assert po["type"] == "purchase_order" and po["state"] == "open"
    assert po["facility_id"] == pw.w.facility and po["supplier"] == "Default supplier"
    assert po["lines"][0]["item_id"] == pw.w.item
    assert po["lines"][0]["expected"] == buy["qty"]
    with pytest.raises(Conflict) as err:
        planning.approve(ctx, buy["id"])
    assert err.value.code == "suggestion_decided"
    # the open PO is on order now: the next run does not buy it again
    again = planning.run_plan(ctx)
    rebuy = planning.list_suggestions(ctx, run_id=again["run_id"], kind="purchase",
                                      facility_id=pw.w.facility)
    assert sum(r["qty"] for r in rebuy) < buy["qty"]


def test_an_adjusted_approval_orders_the_planners_quantity(ctx, pw) -> None:
    run = planning.run_plan(ctx)
    buy = planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase")[0]
    done = planning.approve(ctx, buy["id"], qty=buy["qty"] + 60)
    assert done["state"] == "adjusted" and done["proposed_qty"] == buy["qty"]
    po = receiving.get_receipt(ctx, int(done["document_id"]))
    assert po["lines"][0]["expected"] == buy["qty"] + 60


def test_a_supplier_group_is_approved_as_one_purchase_order(ctx, pw) -> None:
    run = planning.run_plan(ctx)
    buy = planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase")[0]
    out = planning.approve_group(ctx, buy["group_ref"])
    assert out["suggestion_ids"] == [buy["id"]]
    assert planning.get_suggestion(ctx, buy["id"])["state"] == "approved"
    with pytest.raises(NotFound):
        planning.approve_group(ctx, buy["group_ref"])


def test_transfer_is_suggested_when_wh1_runs_short_and_wh2_holds_excess(ctx, pw) -> None:
    run = planning.run_plan(ctx)
    move = _one(planning.list_suggestions(ctx, run_id=run["run_id"], kind="transfer"),
                facility_id=pw.w.facility)
    assert move["source_facility_id"] == pw.w.facility2
    assert move["why"]["transfer_cost_cents"] < move["why"]["waiting_cost_cents"]
    assert move["why"]["source"]["days_of_supply"] > 45
    done = planning.approve(ctx, move["id"])
    order = transfers.get_transfer(ctx, int(done["document_id"]), None)
    assert order["state"] == "draft"
    assert (order["source_facility_id"], order["dest_facility_id"]) == (pw.w.facility2,
                                                                        pw.w.facility)
    assert order["lines"][0]["qty"] == move["qty"]


def test_no_transfer_when_a_purchase_arrives_sooner_than_a_transfer(ctx, pw) -> None:
    planning.put_supply_terms(ctx, owner_id=pw.w.owner, item_id=pw.w.item,
                              facility_id=pw.w.facility,
                              terms={"supplier_code": "TARP", "supplier_name": "Tarp & Co",
                                     "lead_time_days": 1, "lead_time_sd_days": 0})
    run = planning.run_plan(ctx)
    assert run["suggestions"]["transfer"] == 0
    buy = _one(planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase"),
               facility_id=pw.w.facility)
    assert buy["supplier_code"] == "TARP"
    assert buy["why"]["lead_time"]["source"] == "supply_terms"
    assert buy["why"]["lead_time"]["text"] == "configured in the supply terms"


def test_channel_split_ring_fences_at_most_what_is_available(ctx, pw) -> None:
    run = planning.run_plan(ctx, channel_policy={"kind": "fixed_share",
                                                 "shares": {"b2b": 0.4, "b2c": 0.6}})
    splits = planning.list_suggestions(ctx, run_id=run["run_id"], kind="channel_split")
    assert splits
    for s in splits:
        fenced = s["why"]["ring_fenced"]
        assert set(fenced) == {"b2b", "b2c"}
        assert sum(fenced.values()) <= s["why"]["available"]
    wh2 = _one(splits, facility_id=pw.w.facility2)
    planning.approve(ctx, wh2["id"])
    active = planning.channel_allocations(ctx, facility_id=pw.w.facility2)
    assert {a["channel"]: a["qty"] for a in active} == wh2["why"]["ring_fenced"]
    assert sum(a["qty"] for a in active) <= active[0]["available"]
    with pytest.raises(InvalidInput):
        planning.approve(ctx, _one(splits, facility_id=pw.w.facility)["id"], qty=5)


def test_rejected_suggestion_creates_nothing_and_cannot_be_approved(ctx, pw) -> None:
    run = planning.run_plan(ctx)
    buy = planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase")[0]
    assert planning.reject(ctx, buy["id"], user="planner")["state"] == "rejected"
    with pytest.raises(Conflict):
        planning.approve(ctx, buy["id"])
    assert receiving.list_receipts(ctx, None) == []


BAD_PLANS = [
    ({"horizon": 3}, "invalid_horizon"),
    ({"service_level": 1.2}, "invalid_service_level"),
    ({"engine": "spark"}, "invalid_engine"),
    ({"history_days": 20}, "invalid_history_days"),
    ({"channel_policy": {"kind": "vibes"}}, "invalid_channel_policy"),
    ({"channel_policy": {"kind": "fixed_share", "shares": {"retail": 1}}}, "invalid_channel"),
    ({"owner_id": 999}, "owner_not_found"),
    ({"facility_id": 999}, "facility_not_found"),
]


def test_bad_plan_input_is_refused_by_name_and_writes_nothing(ctx, pw) -> None:
    for kwargs, code in BAD_PLANS:
        with pytest.raises((InvalidInput, NotFound)) as err:
            planning.run_plan(ctx, **kwargs)
        assert err.value.code == code, kwargs
    with ctx.read() as conn:
        for table in (planning_runs, suggestions, channel_allocations):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_another_owners_suggestions_are_invisible(ctx, pw) -> None:
    run = planning.run_plan(ctx)
    sid = planning.list_suggestions(ctx, run_id=run["run_id"])[0]["id"]
    scope = frozenset({pw.w.other_owner})
    assert planning.list_suggestions(ctx, scope) == []
    with pytest.raises(NotFound):
        planning.approve(ctx, sid, scope=scope)


def test_empty_shelf_days_are_marked_and_demand_is_not_taken_as_zero(ctx, clock) -> None:
    w = seed_planning_world(ctx, clock, wh1_start=300).w
    start, end = history_window(clock().date(), 42)
    with ctx.read() as conn:
        hist = load_demand(conn, start=start, end=end)
    row = [tuple(k) for k in hist.keys].index((w.owner, w.item, w.facility))
    assert hist.stockout[row, -10:].all()
    assert hist.shipped[row, -10:].sum() == 0
    assert hist.demand[row, -10:].min() > 8
    assert not hist.stockout[row, :20].any()


def test_simulation_compares_service_levels_on_real_demand(ctx, pw) -> None:
    out = planning.simulate(ctx, service_levels=[0.8, 0.98], holdout_days=14, history_days=42,
                            horizon=14)
    low, high = out["policies"]
    assert 0 <= low["fill_rate"] <= high["fill_rate"] <= 1
    assert high["average_inventory_value"] >= low["average_inventory_value"]
    assert high["series"] == 2


TENT_GTIN = gtin(1)
GAS_GTIN = gtin(2)


def _past_purchase_orders(ctx, clock, pw, lead_days, *, item_scan=TENT_GTIN, item=None,
                          supplier="Default supplier", prefix="PO-TENT"):
    """Purchase orders raised five weeks ago, each received ``lead_days[k]`` days later."""
    now = clock.now
    clock.advance(days=-35)
    for k, days in enumerate(lead_days):
        po = receiving.create_receipt(
            ctx, owner_id=pw.w.owner, facility_id=pw.w.facility, type="purchase_order",
            reference=f"{prefix}-{k}", supplier=supplier,
            lines=[{"item_id": item or pw.w.item, "expected_qty": 2}])
        clock.advance(days=days)
        receiving.receive_scan(ctx, po["id"], location_scan="DOCK-01", item_scan=item_scan,
                               qty=1)
        clock.advance(days=1)  # a second scan the next day does not move the arrival
        receiving.receive_scan(ctx, po["id"], location_scan="DOCK-01", item_scan=item_scan,
                               qty=1)
        clock.advance(days=-days - 1)
    clock.now = now


def _wh1(ctx, run_id, pw):
    with ctx.read() as conn:
        return conn.execute(sa.select(forecasts).where(
            forecasts.c.run_id == run_id, forecasts.c.facility_id == pw.w.facility)).one()


def test_lead_time_learned_from_receipts_sets_the_safety_stock(ctx, clock, pw) -> None:
    before = planning.run_plan(ctx)
    configured = _wh1(ctx, before["run_id"], pw)
    _past_purchase_orders(ctx, clock, pw, [2, 3, 3, 4])
    after = planning.run_plan(ctx)
    learned = _wh1(ctx, after["run_id"], pw)
    buy = _one(planning.list_suggestions(ctx, run_id=after["run_id"], kind="purchase"),
               facility_id=pw.w.facility)
    lead = buy["why"]["lead_time"]
    # mean 3, sample sd sqrt(((2-3)^2 + 0 + 0 + (4-3)^2) / 3) = 0.816
    assert (lead["days"], lead["sd_days"]) == (3.0, 0.82)
    assert (lead["source"], lead["receipts"]) == ("item_receipts", 4)
    assert "learned from 4 receipts" in buy["why"]["text"]
    # a shorter, steadier lead time needs less protection than the configured 7 +/- 2 d
    assert learned.safety_stock < 0.8 * configured.safety_stock
    assert learned.reorder_point < configured.reorder_point
    # the spread of demand over the lead time is the forecast error's plus d^2 sd_L^2
    daily = buy["why"]["forecast"]["daily_mean"]
    assert buy["why"]["lead_time_demand_sd"] ** 2 > (daily * 0.816) ** 2
    assert buy["why"]["lead_time_demand"] == pytest.approx(3 * daily, rel=0.15)


def test_a_wider_receipt_spread_raises_the_safety_stock(ctx, clock, pw) -> None:
    _past_purchase_orders(ctx, clock, pw, [5, 5, 5], prefix="PO-STEADY")
    steady = _wh1(ctx, planning.run_plan(ctx)["run_id"], pw)
    _past_purchase_orders(ctx, clock, pw, [1, 9, 1, 9], prefix="PO-ERRATIC")
    erratic_run = planning.run_plan(ctx)
    erratic = _wh1(ctx, erratic_run["run_id"], pw)
    lead = _one(planning.list_suggestions(ctx, run_id=erratic_run["run_id"], kind="purchase"),
                facility_id=pw.w.facility)["why"]["lead_time"]
    # seven receipts: 5, 5, 5, 1, 9, 1, 9 -> mean 5, sd sqrt(64 / 6)
    assert (lead["days"], lead["sd_days"], lead["receipts"]) == (5.0, 3.27, 7)
    assert erratic.safety_stock > steady.safety_stock + 10


def test_an_item_without_receipts_uses_its_suppliers_lead_time_at_the_facility(
        ctx, clock, pw) -> None:
    # canisters from the same supplier, and too few tent receipts to stand on their own
    lots = iter(["L2406A", "L2406B", "L2406C"])
    for k, days in enumerate([6, 8, 10]):
        now = clock.now
        clock.advance(days=-30)
        po = receiving.create_receipt(
            ctx, owner_id=pw.w.owner, facility_id=pw.w.facility, type="purchase_order",
            reference=f"PO-GAS-{k}", supplier="Default supplier",
            lines=[{"item_id": pw.w.lot_item, "expected_qty": 1}])
        clock.advance(days=days)
        receiving.receive_scan(ctx, po["id"], location_scan="DOCK-01",
                               item_scan=f"]C101{GAS_GTIN}1727123110{next(lots)}", qty=1)
        clock.now = now
    _past_purchase_orders(ctx, clock, pw, [2, 2])
    # receipts from another supplier, or into another facility, never count
    _past_purchase_orders(ctx, clock, pw, [1, 1, 1], supplier="Other Supplier Ltd",
                          prefix="PO-OTHER")
    run = planning.run_plan(ctx)
    lead = _one(planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase"),
                facility_id=pw.w.facility)["why"]["lead_time"]
    # supplier x facility: 6, 8, 10, 2, 2 -> mean 5.6, sd sqrt(51.2 / 4)
    assert (lead["source"], lead["receipts"]) == ("supplier_receipts", 5)
    assert (lead["days"], lead["sd_days"]) == (5.6, 3.58)
    assert "all items of the supplier" in lead["text"]


def test_no_channel_split_is_suggested_where_one_channel_takes_everything(ctx, pw) -> None:
    """All of this world's demand comes through one channel: a forecast-proportional
    split would fence all of it to that channel, which ring-fences nothing."""
    run = planning.run_plan(ctx)
    assert planning.list_suggestions(ctx, run_id=run["run_id"], kind="channel_split") == []
    assert planning.list_suggestions(ctx, run_id=run["run_id"], kind="purchase")
