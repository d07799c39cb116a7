"""Browser fixtures: a real uvicorn server in a thread on a free local port, against a
fresh SQLite database holding a small warehouse, and Debian's Chromium driven headless
by Playwright. Skipped when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from shelfwise.api.app import create_app
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.web import install_web
from tests.factories import World, build_world, stock_up

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the browser extra is not installed
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class Live:
    url: str
    ctx: Context
    world: World


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _has_web_routes(app: Any) -> bool:
    return any(getattr(r, "path", "") == "/scan/move" for r in app.routes)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip("playwright is not installed (pip install playwright; never `install`)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, browser: Browser) -> Iterator[Live]:
    """The whole app (API + web) served over HTTP, with 40 tents in A-01-01-A."""
    db = tmp_path / "web.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url, synchronous="OFF")
    ctx = Context(engine=engine, settings=Settings(database_url=url, auth=False))
    world = build_world(ctx)
    stock_up(ctx, world, 40)
    app = create_app(ctx)
    if not _has_web_routes(app):
        install_web(app)
    with serving(app) as url:
        yield Live(url, ctx, world)
    engine.dispose()


def _page(browser: Browser, live: Live, viewport: dict[str, int], mobile: bool) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, base_url=live.url, is_mobile=mobile,
                                  has_touch=mobile, extra_http_headers={"X-Device": "HH-07"})
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def phone(browser: Browser, live: Live) -> Iterator[Page]:
    yield from _page(browser, live, PHONE, mobile=True)


@pytest.fixture
def desktop(browser: Browser, live: Live) -> Iterator[Page]:
    yield from _page(browser, live, DESKTOP, mobile=False)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = "phone" if page.viewport_size and page.viewport_size["width"] < 600 else "desktop"
    path = SCREENSHOTS / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def scan(page: Page, *values: str) -> None:
    """Type each value into whatever field has focus and press Enter, as a
    keyboard-wedge scanner does: the page must keep focus where the next scan goes."""
    for v in values:
        page.keyboard.type(v)
        page.keyboard.press("Enter")


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free port in a thread for as long as the block runs; its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
