"""Engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on; write transactions start with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing with
"database is locked" when one upgrades a read lock. Read-only units of work use a plain
deferred ``BEGIN`` so they never wait for writers.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

READONLY = "shelfwise_readonly"


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and pick the psycopg 3 driver for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(
    url: str,
    *,
    synchronous: str = "FULL",
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=pool_size,
            max_overflow=64,
        )
        _configure_sqlite(engine, synchronous, busy_timeout_ms)
        return engine
    return sa.create_engine(url, pool_size=pool_size, max_overflow=32, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, synchronous: str, busy_timeout_ms: int) -> None:
    if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
