"""The one composition root: settings -> engine -> context -> app. Nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shelfwise.services.context import Context, utc_now
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade


def build_context(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    migrate: bool = True,
) -> Context:
    settings = settings or Settings.from_env()
    engine = make_engine(
        settings.database_url,
        synchronous=settings.sqlite_synchronous,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    if migrate:
        upgrade(engine)
    ctx = Context(engine=engine, settings=settings, clock=clock)
    from shelfwise.plugins import install_carriers

    install_carriers(ctx)  # carrier plug-ins (entry points) reach shipping
    return ctx


def migrate_database(settings: Settings) -> str:
    """Apply every migration; returns the revision(s) now current."""
    from shelfwise.storage.migrate import heads_applied

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        return heads_applied(engine)
    finally:
        engine.dispose()


def build_app(ctx: Context):  # type: ignore[no-untyped-def]
    from shelfwise.api.app import create_app

    return create_app(ctx)
