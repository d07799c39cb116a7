"""Kill a posting process with SIGKILL at random points; resume with the same keys.

Afterwards: exactly N movements, none duplicated, none acknowledged and lost, the ledger
verifies, and SQLite's own integrity check passes.
"""

from __future__ import annotations

import pytest

from shelfwise.bench.crash import run_crash


@pytest.mark.parametrize("seed", [11])
def test_killed_batches_resume_without_loss_or_duplicates(ctx, backend, seed):
    url = ctx.engine.url.render_as_string(hide_password=False)
    report = run_crash(ctx, url, movements=300, kills=20, seed=seed)
    assert report.kills == 20
    assert report.movements == 300
    assert report.lost == 0
    assert report.duplicates == 0
    assert report.mismatches == 0
    assert report.integrity_ok


@pytest.mark.slow
def test_ten_thousand_movements_survive_forty_kills(ctx, backend):
    url = ctx.engine.url.render_as_string(hide_password=False)
    report = run_crash(ctx, url, movements=10_000, kills=40, seed=3)
    assert (report.movements, report.lost, report.duplicates, report.mismatches) == (
        10_000, 0, 0, 0)
