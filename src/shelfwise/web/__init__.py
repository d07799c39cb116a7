"""The server-rendered web app: dashboard, item and location pages, scanner screens,
supervisor screens and a live event stream, served by the same FastAPI process as the
API. Templates are Jinja2; interactivity is htmx and a little vanilla JS, all vendored.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Mount the pages (at ``/``), the event stream (``/events``) and ``/static``."""
    from shelfwise.web import events, pages, portal

    app.include_router(pages.router)
    app.include_router(portal.router)
    app.include_router(events.router)
    from shelfwise.web import returns, transfers, trends, waves  # supervisor desk, trends
    for desk in (waves, transfers, returns, trends):
        app.include_router(desk.router)
    _include_planning_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _include_planning_pages(app: FastAPI) -> None:
    """Planner and diagnosis pages, mounted beside (not under) ``pages``: their own tags
    (``planning``, ``diagnostics``) alone decide who may see them (staff, not clients)."""
    from shelfwise.web import diagnosis, planner

    app.include_router(planner.router)
    app.include_router(diagnosis.router)
