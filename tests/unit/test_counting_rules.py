"""Pure counting rules: ABC/XYZ classes, an even count schedule, tolerance, IRA."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from shelfwise.domain.classification import AbcCuts, classify_abc, classify_xyz
from shelfwise.domain.counting import (
    CountLine,
    CountState,
    Tolerance,
    compare,
    count_schedule,
    frequencies,
    holds_to_void,
    location_class,
    outcome,
    record_accuracy,
)
from shelfwise.domain.errors import InvalidInput
from shelfwise.domain.replenishment import ReserveBin, plan_moves


def test_abc_puts_the_few_big_movers_in_a_and_the_idle_in_c():
    assert classify_abc([700, 0, 100, 150, 50]) == ["A", "C", "B", "A", "C"]
    assert classify_abc([5]) == ["A"]
    assert classify_abc([0, 0]) == ["C", "C"]
    assert classify_abc([50, 50], AbcCuts(a=0.5, b=1.0)) == ["A", "B"]
    with pytest.raises(InvalidInput):
        classify_abc([-1])


def test_xyz_splits_by_variation_of_demand():
    assert classify_xyz([[10, 10, 10, 10], [2, 18, 2, 18], [0, 0, 0, 40], [0, 0, 0, 0]]) \
        == ["X", "Y", "Z", "Z"]


def test_schedule_spreads_each_class_evenly_and_repeats_at_its_frequency():
    entries = [(f"A-{i:02d}", "A") for i in range(30)] + [(f"C-{i:03d}", "C") for i in
                                                           range(365)]
    plan = count_schedule(entries, frequencies(), date(2026, 1, 1), 60)
    loads = [len(v) for v in plan.values()]
    assert max(loads) - min(loads) <= 1  # 1 A + 1 C location a day
    days_of = Counter(k for v in plan.values() for k in v)
    assert days_of["A-07"] == 2 and days_of["C-001"] <= 1


def test_schedule_with_fewer_locations_than_days_still_spreads():
    plan = count_schedule([("X", "B"), ("Y", "B"), ("Z", "B")], {"B": 90}, date(2026, 1, 1), 90)
    days = sorted((d - date(2026, 1, 1)).days for d, ks in plan.items() if ks)
    assert days == [0, 30, 60]


def test_frequencies_are_configurable_and_checked():
    assert frequencies({"A": 7})["A"] == 7
    with pytest.raises(InvalidInput):
        frequencies({"A": 0})
    with pytest.raises(InvalidInput):
        frequencies({"D": 10})


def test_tolerance_by_units_or_percentage():
    assert Tolerance(units=2).allows(100, 98)
    assert not Tolerance(units=2).allows(100, 97)
    assert Tolerance(basis_points=500).allows(100, 95)  # 5 %
    assert not Tolerance(basis_points=500).allows(100, 94)
    assert Tolerance().allows(3, 3) and not Tolerance().allows(3, 4)
    with pytest.raises(InvalidInput):
        Tolerance(units=-1)


def test_first_count_beyond_tolerance_is_recounted_a_recount_goes_to_approval():
    lines = compare({(1, ""): 10}, {(1, ""): 7, (2, ""): 1})
    assert lines == [CountLine(1, "", 10, 7), CountLine(2, "", 0, 1)]
    assert outcome(lines, Tolerance(units=1), is_recount=False) == CountState.RECOUNT_REQUESTED
    assert outcome(lines, Tolerance(units=1), is_recount=True) == CountState.AWAITING_APPROVAL
    assert outcome(compare({(1, ""): 4}, {(1, ""): 4}), Tolerance(), False) == CountState.CLOSED


def test_record_accuracy_by_counts_and_by_units():
    acc = record_accuracy([(100, 100, True), (10, 4, False), (0, 0, True)])
    assert acc.by_counts == pytest.approx(2 / 3)
    assert acc.by_units == pytest.approx(100 / 110)
    assert record_accuracy([]).by_units is None


def test_holds_are_voided_newest_first_until_the_rest_fits():
    assert holds_to_void([(9, 5), (7, 4)], allocated=9, remaining=6) == [9]
    assert holds_to_void([(9, 5), (7, 4)], allocated=9, remaining=3) == [9, 7]
    assert holds_to_void([(9, 5)], allocated=5, remaining=5) == []


def test_location_takes_the_class_of_its_most_important_item():
    assert location_class(["C", "A", "B"]) == "A"
    assert location_class([]) == "C"


def test_replenishment_fills_to_max_fefo_first():
    reserve = [ReserveBin(1, "L2406A", 30, date(2026, 12, 1)),
               ReserveBin(2, "L2403B", 6, date(2026, 11, 1))]
    moves = plan_moves(on_face=2, min_qty=5, max_qty=20, reserve=reserve)
    assert [(m.location_id, m.qty) for m in moves] == [(2, 6), (1, 12)]
    assert plan_moves(on_face=5, min_qty=5, max_qty=20, reserve=reserve) == []
