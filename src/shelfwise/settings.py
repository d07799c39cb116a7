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
    #: Authentication and authorization on every request; off only for tests and tools
    #: that talk to a private database (env ``SHELFWISE_AUTH=off``).
    auth: bool = True
    #: Session cookie ``Secure`` flag: None sets it only when the request came over https
    #: (so http://127.0.0.1 works in development); True/False force it.
    cookie_secure: bool | None = None
    session_hours: int = 12
    #: Token bucket per user or API token: sustained requests per minute and burst size.
    rate_limit_per_minute: int = 1200
    rate_limit_burst: int = 200
    #: Login attempts per client address and user name per minute (guessing passwords).
    login_attempts_per_minute: int = 10

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": e.get("SHELFWISE_DATABASE_URL", DEFAULT_DATABASE_URL),
            "host": e.get("SHELFWISE_HOST", "127.0.0.1"),
            "port": int(e.get("SHELFWISE_PORT", "8000")),
            "sqlite_synchronous": e.get("SHELFWISE_SQLITE_SYNCHRONOUS", "FULL").upper(),
            "auth": _flag(e.get("SHELFWISE_AUTH", "on"), "SHELFWISE_AUTH"),
            "cookie_secure": _tristate(e.get("SHELFWISE_COOKIE_SECURE", "auto")),
        }
        for key in ("rate_limit_per_minute", "rate_limit_burst", "session_hours",
                    "login_attempts_per_minute"):
            raw = e.get(f"SHELFWISE_{key.upper()}")
            if raw is not None:
                values[key] = int(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


_ON = {"on", "true", "1", "yes"}
_OFF = {"off", "false", "0", "no"}


def _flag(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"{name} must be on or off, not {raw!r}")


def _tristate(raw: str) -> bool | None:
    """``auto`` → None (decide per request), otherwise on/off."""
    if raw.strip().lower() == "auto":
        return None
    return _flag(raw, "SHELFWISE_COOKIE_SECURE")
