"""Concurrent handhelds through the real HTTP server: nobody ever sees "database is
locked" (writes queue on BEGIN IMMEDIATE with a busy timeout) and no request fails."""

from __future__ import annotations

import os

import pytest

from shelfwise.bench.load import run_load


def test_sqlite_under_concurrent_handhelds_never_reports_locked(tmp_path):
    report = run_load(f"sqlite:///{tmp_path / 'load.db'}", steps=(1, 8, 24), seconds=2.0)
    print(report)
    assert report["locked_errors_seen"] == 0
    assert report["errors_total"] == 0
    assert all(step["requests"] > 0 for step in report["steps"])


@pytest.mark.postgres
def test_postgres_under_concurrent_handhelds_has_no_errors():
    url = os.environ.get("SHELFWISE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("SHELFWISE_TEST_POSTGRES_URL not set")
    import sqlalchemy as sa

    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS shelfwise_load WITH (FORCE)")
        conn.exec_driver_sql("CREATE DATABASE shelfwise_load")
    admin.dispose()
    base, _, _ = url.rpartition("/")
    report = run_load(f"{base}/shelfwise_load", steps=(1, 8, 24), seconds=2.0)
    print(report)
    assert report["errors_total"] == 0
