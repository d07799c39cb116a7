"""The plan partitioned over a real local Dask cluster equals the in-process plan."""

from __future__ import annotations

import numpy as np
import pytest

from shelfwise.domain.planning.policy import Supply
from shelfwise.services import planning

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


def _panel(series: int = 120, days: int = 140) -> tuple[np.ndarray, Supply]:
    rng = np.random.default_rng(11)
    weekly = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 0.6])
    rate = rng.gamma(2.0, 3.0, size=series)[:, None] * np.tile(weekly, days // 7 + 1)[:days]
    demand = rng.poisson(rate).astype(np.float64)
    demand[::5] *= rng.random((len(demand[::5]), days)) < 0.2  # some intermittent series
    n = series
    supply = Supply(rng.integers(2, 15, n).astype(float), rng.random(n) * 3,
                    rng.integers(100, 9000, n).astype(float), np.full(n, 5000.0),
                    np.full(n, 0.25))
    return demand, supply


def test_dask_partitions_give_the_same_plan_as_one_process(cluster) -> None:
    history, supply = _panel()
    kw = {"horizon": 28, "service_level": 0.95, "review_period": 7}
    local = planning.compute(history, supply, **kw)
    spread = planning.compute(history, supply, engine="dask",
                              scheduler=cluster.scheduler_address, chunk_size=25, **kw)
    assert local.keys() == spread.keys()
    for key in local:
        if local[key].dtype.kind in "fc":
            np.testing.assert_array_equal(local[key], spread[key], err_msg=key)
        else:
            assert (local[key] == spread[key]).all(), key


def test_run_plan_on_dask_writes_the_same_suggestions(ctx, clock, cluster) -> None:
    from tests.planning_world import seed_planning_world

    seed_planning_world(ctx, clock)
    here = planning.run_plan(ctx)
    there = planning.run_plan(ctx, engine="dask", scheduler=cluster.scheduler_address)
    assert there["engine"] == "dask"

    def picked(run_id: int) -> list[tuple]:
        return [(s["kind"], s["facility_id"], s["qty"], s["due_date"])
                for s in planning.list_suggestions(ctx, run_id=run_id)]

    assert picked(here["run_id"]) == picked(there["run_id"])
