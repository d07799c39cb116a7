"""Settings, read once from the environment into a frozen object (no import-time I/O)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///shelfwise.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    #: SQLite ``synchronous``: FULL fsyncs every commit, so an acknowledged movement
    #: survives a power cut. NORMAL is faster but may lose the last commits.
    sqlite_synchronous: str = "FULL"
    sqlite_busy_timeout_ms: int = 30_000
    max_body_bytes: int = 1_000_000
    page_size_max: int = 500

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": e.get("SHELFWISE_DATABASE_URL", DEFAULT_DATABASE_URL),
            "host": e.get("SHELFWISE_HOST", "127.0.0.1"),
            "port": int(e.get("SHELFWISE_PORT", "8000")),
            "sqlite_synchronous": e.get("SHELFWISE_SQLITE_SYNCHRONOUS", "FULL").upper(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
