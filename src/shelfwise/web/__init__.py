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
    from shelfwise.web import events, pages

    app.include_router(pages.router)
    app.include_router(events.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
