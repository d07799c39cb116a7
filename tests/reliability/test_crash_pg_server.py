"""Stop the PostgreSQL server itself mid-batch (``immediate`` and ``fast``), start it
again, resume the batch with the same keys: exactly N movements, none duplicated, none
acknowledged and lost, and the ledger verifies.

The server stopped is a throw-away cluster of the test's own (Debian's
``pg_createcluster`` on a free port, dropped afterwards), so no other test loses its
connections; making one needs root and Debian's PostgreSQL packages, which ``.ci/run``
has. Elsewhere the test skips and says why.
"""

from __future__ import annotations

import pytest

from shelfwise.bench.crash import PgCluster, run_server_crash
from shelfwise.bench.simulation import prepare_database
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine

pytestmark = pytest.mark.postgres


def test_server_stopped_mid_batch_loses_nothing_acknowledged():
    with PgCluster.scratch() as (cluster, url):
        if cluster is None:
            pytest.skip(f"no PostgreSQL server this test may stop: {url}")
        prepare_database(url)
        ctx = Context(engine=make_engine(url, pool_size=4), settings=Settings(database_url=url))
        try:
            report = run_server_crash(ctx, url, cluster, movements=400, server_kills=4,
                                      seed=5)
        finally:
            ctx.engine.dispose()
    assert report.server_kills == 4, report.notes  # two immediate, two fast
    assert report.movements == 400, report.notes
    assert report.lost == 0, report.notes
    assert report.duplicates == 0, report.notes
    assert report.mismatches == 0, report.notes
    assert report.acked > 0, report.notes  # the stops really fell mid-batch
