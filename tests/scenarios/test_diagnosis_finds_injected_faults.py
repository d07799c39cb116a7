"""The fault-injection story: a simulated operation with known execution and planning
faults, and a diagnosis that must blame the right side for each item x facility."""

from __future__ import annotations

import pytest

from shelfwise.bench.diagnose import Scenario, run_diagnose_bench, run_on
from shelfwise.services.context import Context


def test_diagnosis_finds_injected_faults_across_seeds_with_high_precision_and_recall(
        backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the multi-seed run uses its own SQLite files; PostgreSQL runs one seed")
    out = run_diagnose_bench(seeds=(1, 2, 3))
    assert out["precision"] >= 0.9, out
    assert out["recall"] >= 0.9, out
    for seed in out["per_seed"]:
        assert seed["keys"] == 16
        top = seed["where_to_look"][0]
        assert top["call"] in ("control", "management", "both")
        assert top["evidence"], top


def test_diagnosis_on_the_shared_backend_blames_zone_b_and_the_planner(
        ctx: Context, clock, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("covered by the multi-seed run above")
    out = run_on(ctx, clock, seed=1, sc=Scenario(days=35))  # shorter: PostgreSQL round trips
    assert out["precision"] >= 0.9 and out["recall"] >= 0.9, out["misses"]
    calls = {(r["sku"], r["facility"]): r for r in out["items"]}
    zone_b = [r for r in out["items"] if r["facility"] == "DX1" and r["zones"] == ["B"]]
    assert all(r["call"] in ("control", "both") for r in zone_b)
    assert any("counts" in e and "off by" in e for r in zone_b for e in r["evidence"])
    managed = [r for r in calls.values() if r["call"] == "management"]
    assert managed and all(r["evidence"][0].endswith(("counts accurate", "no count variances"))
                       for r in managed)
    assert any(w["scope"] == "zone" and "zone B" in w["label"] for w in out["where_to_look"])
