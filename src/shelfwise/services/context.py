"""The unit of work and what every service needs: engine, clock, settings.

Built once by :mod:`shelfwise.bootstrap`; the clock is passed in so tests and the
demo's simulated year are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine

from shelfwise.settings import Settings
from shelfwise.storage.engine import READONLY


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    engine: Engine
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = utc_now
    #: Per-process cache of immutable catalog facts (location kinds, item owners).
    cache: dict = field(default_factory=dict)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: commits on success, rolls back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot that never waits for writers."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{READONLY: True})
            with conn.begin():
                yield conn

    def now(self) -> datetime:
        return self.clock()
