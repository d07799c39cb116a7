"""Shared fixtures: every database test runs on SQLite and, when
``SHELFWISE_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it), on PostgreSQL too."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade


def _database_per_worker() -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0`` …),
    set in the environment before any test module reads it."""
    url, worker = os.environ.get("SHELFWISE_TEST_POSTGRES_URL"), os.environ.get(
        "PYTEST_XDIST_WORKER")
    if not url or not worker or url.rstrip("/").endswith(f"_{worker}"):
        return
    base, _, name = url.rpartition("/")
    mine = f"{name}_{worker}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1)
                             + f"/{name}", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.exec_driver_sql(
                f"SELECT 1 FROM pg_database WHERE datname = '{mine}'").first():
            conn.exec_driver_sql(f'CREATE DATABASE "{mine}"')
    admin.dispose()
    os.environ["SHELFWISE_TEST_POSTGRES_URL"] = f"{base}/{mine}"


_database_per_worker()
PG_URL = os.environ.get("SHELFWISE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


class FakeClock:
    """A clock tests move by hand, so timestamps and expiries are deterministic."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}", synchronous="OFF")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[sa.Engine]:
    if not PG_URL:
        pytest.skip("SHELFWISE_TEST_POSTGRES_URL not set")
    engine = make_engine(PG_URL, pool_size=20)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_pg(engine: sa.Engine) -> None:
    """Empty every table the migrations made (not just those in ``metadata``)."""
    with engine.begin() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'alembic_version'")]
        conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        db = tmp_path / "shelfwise.db"
        shutil.copy(template, db)
        eng = make_engine(f"sqlite:///{db}", synchronous="OFF")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate_pg(eng)
        yield eng


@pytest.fixture
def ctx(engine: sa.Engine, clock: FakeClock) -> Context:
    return Context(engine=engine, settings=Settings(database_url=str(engine.url), auth=False),
                   clock=clock)
