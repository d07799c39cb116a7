"""Scripted two-session interleavings on PostgreSQL through our own storage code.

Each anomaly is provoked with both sessions inside their transaction at once. Our code
must show 0 anomalies and 0 deadlocks over many trials; a deliberately naive version
(read-then-write, or row-at-a-time locking) of each check must fail, proving the check
can see the bug. The checks live in :mod:`shelfwise.bench.isolation` so that
``shelfwise bench reliability`` reports the same figures.
"""

from __future__ import annotations

import pytest

from shelfwise.bench import isolation

pytestmark = pytest.mark.postgres
TRIALS = 15


@pytest.fixture
def pg_ctx(ctx, backend):
    if backend != "postgres":
        pytest.skip("isolation interleavings are a PostgreSQL concern (SQLite serialises writers)")
    return ctx


def test_lost_update_on_a_bin_cannot_happen(pg_ctx):
    assert isolation.lost_update(pg_ctx, TRIALS)["anomalies"] == 0


def test_naive_read_then_write_loses_updates(pg_ctx):
    lost = isolation.naive_lost_update(pg_ctx, TRIALS)["anomalies"]
    assert lost > 0, "the naive version should lose updates; the check cannot see the bug"


def test_two_allocators_never_oversell(pg_ctx):
    assert isolation.allocators(pg_ctx, TRIALS)["anomalies"] == 0


def test_naive_allocators_oversell_by_write_skew(pg_ctx):
    assert isolation.naive_allocators(pg_ctx, TRIALS)["anomalies"] > 0, \
        "the naive check-then-reserve should oversell"


def test_two_orders_locking_two_bins_in_opposite_orders_never_deadlock(pg_ctx):
    report = isolation.opposite_locks(pg_ctx, TRIALS)
    assert (report["deadlocks"], report["anomalies"]) == (0, 0)


def test_naive_opposite_order_locking_deadlocks(pg_ctx):
    assert isolation.naive_opposite_locks(pg_ctx, 3)["deadlocks"] > 0, \
        "row-at-a-time locking in opposite orders should deadlock"
