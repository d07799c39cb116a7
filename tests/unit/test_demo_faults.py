"""The demo's fault plan, its physical truth and the scoring of a diagnosis against it
(pure: no database)."""

from __future__ import annotations

import random

import numpy as np

from shelfwise.demo import faults as fx
from shelfwise.demo.demand import DemandModel
from shelfwise.demo.planner import LEAD_DAYS, Planner, fitting_case_pack

ITEMS = [fx.CatalogItem(1, "NORDIC", "NOR-CERA-0004", "Ceramic vase", 9.0),
         fx.CatalogItem(2, "NORDIC", "NOR-MIRR-0009", "Mirror", 3.0),
         fx.CatalogItem(3, "NORDIC", "NOR-TABL-0000", "Table lamp", 1.0),
         fx.CatalogItem(4, "NORDIC", "NOR-WOOL-0003", "Wool rug", 8.0),
         fx.CatalogItem(5, "PEAK", "PEA-WHEY-0000", "Whey protein", 7.0),
         fx.CatalogItem(6, "PEAK", "PEA-OAT-0005", "Oat bar", 5.0),
         fx.CatalogItem(7, "ACME", "ACM-TENT-0000", "Tent", 6.0),
         fx.CatalogItem(8, "ACME", "ACM-HEAD-0002", "Headlamp", 2.0)]
PLAN = fx.FaultPlan(damage=fx.DamageFault(items=1), forecast=fx.ForecastFault(items=1),
                    late=fx.LateSupplierFault(items=1), channel=fx.ChannelFault(items=1))
IDS = {"WH1": 10, "WH2": 20}


def test_each_fault_hits_the_fastest_items_that_fit_and_no_item_twice() -> None:
    faults = fx.resolve(PLAN, ITEMS, ["WH1", "WH2"], in_faulty_zone={1})
    by = {f.kind: f for f in faults}
    assert by["zone_mispicks"].zone == "B" and by["zone_mispicks"].side == fx.CONTROL
    assert by["damage"].skus == ("NOR-MIRR-0009",)  # the vase is stored in the faulty zone
    assert by["forecast_low"].skus == ("NOR-WOOL-0003",)
    assert by["late_supplier"].skus == ("PEA-WHEY-0000",)
    assert by["late_supplier"].facilities == ("WH1", "WH2")
    assert by["channel_fence"].skus == ("ACM-TENT-0000",)
    lines = fx.describe(faults)
    assert lines[0].startswith("control: zone_mispicks @ WH1 zone B")
    assert lines[3] == ("management: late_supplier @ WH1/WH2 PEA-WHEY-0000 - Alpine "
                        "Co-Packing GmbH quotes 4 days, delivers in 20")
    assert fx.resolve(fx.NO_FAULTS, ITEMS, ["WH1"]) == []


def test_a_count_finds_the_shelves_not_the_books() -> None:
    shelves = fx.Shelves(owner_of={1: 100, 2: 100, 3: 200})
    shelves.move((501, 1, ""), 1, 10, "zone_mispicks")  # a one-unit slip
    assert not shelves.touched
    shelves.move((501, 1, ""), 3, 10, "zone_mispicks")
    shelves.move((502, 2, "L1"), 5, 10, "zone_mispicks")  # put in the wrong bin
    assert shelves.touched == {(1, 10): {"zone_mispicks"}, (2, 10): {"zone_mispicks"}}
    found = shelves.counted(501, 10, 100, [(1, "", 20)])
    assert found == [(1, "", 24)]
    assert shelves.seen == {(1, 10): {"zone_mispicks"}}
    assert shelves.counted(502, 10, 100, []) == [(2, "L1", 5)]
    assert shelves.counted(502, 10, 200, []) == []  # another owner's count task
    shelves.settle(501, 100)
    assert shelves.counted(501, 10, 100, [(1, "", 24)]) == [(1, "", 24)]


def test_a_perfect_diagnosis_scores_one_and_a_flagged_healthy_key_costs_overall() -> None:
    faults = fx.resolve(PLAN, ITEMS, ["WH1", "WH2"])
    touched = {(4, 10): {"zone_mispicks"}, (8, 10): {"zone_mispicks"}}
    seen = {(4, 10): {"zone_mispicks"}}
    hit = {(5, 10): {"late_supplier"}, (7, 20): {"channel_fence"}}
    calls = {(1, 20): "control", (4, 10): "control", (4, 20): "management",
             (5, 10): "management", (7, 20): "management", (6, 10): "healthy"}
    s = fx.score(faults, IDS, touched, seen, hit, calls)
    assert (s["precision"], s["recall"], s["overall_precision"]) == (1.0, 1.0, 1.0)
    # the late supplier never bit at WH2, and the drift at (8, WH1) was never counted:
    # neither is required, and calling them is not wrong
    calls[(6, 10)] = "management"  # a healthy key flagged
    s = fx.score(faults, IDS, touched, seen, hit, calls)
    assert s["precision"] == 1.0 and s["overall_precision"] < 1.0
    assert s["healthy_flagged"] == 1
    del calls[(7, 20)]
    s = fx.score(faults, IDS, touched, seen, hit, calls)
    assert s["recall"] == 0.8
    assert s["misses"] == [{"item_id": 7, "facility_id": 20, "want": ["management"],
                            "call": "healthy"}]


def test_the_demand_model_sells_what_it_expects() -> None:
    class It:
        def __init__(self, i: int, owner: int, rate: float) -> None:
            self.id, self.owner_id, self.rate = i, owner, rate

    items = [It(i, i % 3, 0.2 + i / 10) for i in range(60)]
    model = DemandModel(items)
    rng = random.Random(3)
    sold: dict[int, int] = {}
    days = 700
    for d in range(days):
        for order in model.orders(rng, d % 7):
            assert len({it.owner_id for it, _ in order.lines}) == 1
            for it, q in order.lines:
                sold[it.id] = sold.get(it.id, 0) + q
    expected = model.expected_daily()
    total = sum(sold.values()) / days
    assert abs(total - sum(expected.values())) / total < 0.1


def test_a_low_forecast_shows_as_bias_and_a_late_supplier_as_shortage_while_late() -> None:
    prior = np.array([[2.0, 2.0]])
    p = Planner(prior, np.array([1.0, 1.0]), np.array([1, 1]), 120,
                bias=np.array([[0.5, 1.0]]), lead=np.array([[LEAD_DAYS, LEAD_DAYS + 10]]))
    on_hand = np.zeros((1, 2))
    for day in range(120):
        for site, item, qty in p.arrivals(day):
            on_hand[site, item] += qty
        for item in (0, 1):
            sold = min(2, int(on_hand[0, item]))
            on_hand[0, item] -= sold
            p.record(0, item, 2, 2 - sold)
        p.close_day(on_hand)
    acc = p.accuracy(90)
    assert abs(acc["bias"][0, 0] + 0.5) < 0.05 and abs(acc["bias"][0, 1]) < 0.05
    assert not p.short_while_late.get((0, 0))
    assert len(p.short_while_late[(0, 1)]) >= 10


def test_slow_movers_are_bought_in_eaches() -> None:
    assert fitting_case_pack(24, 0.05) == 1
    assert fitting_case_pack(24, 0.7) == 6
    assert fitting_case_pack(6, 3.0) == 6
