"""The FastAPI application: API routers, error mapping, request limits."""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shelfwise import __version__
from shelfwise.api import errors
from shelfwise.api.routers import ROUTER_MODULES
from shelfwise.auth import policy
from shelfwise.services import stock
from shelfwise.services.context import Context
from shelfwise.web import install_web


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(
        title="Shelfwise",
        version=__version__,
        description="Warehouse inventory control and management on one ledger.",
    )
    app.state.ctx = ctx
    errors.install(app)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        if length is not None and (
            not length.isdigit() or int(length) > ctx.settings.max_body_bytes
        ):
            return errors.problem(
                413,
                "body_too_large",
                f"request bodies are limited to {ctx.settings.max_body_bytes} bytes",
            )
        return await call_next(request)

    # Outermost: every request, to every route, is authenticated and authorized here.
    policy.install(app, ctx)

    for name in ROUTER_MODULES:
        module = importlib.import_module(f"shelfwise.api.routers.{name}")
        app.include_router(module.router, prefix="/api")

    install_web(app)

    @app.get("/api/health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/ledger/verify", tags=["ops"])
    def verify() -> JSONResponse:
        report = stock.verify(ctx)
        return JSONResponse(report, status_code=200 if report["ok"] else 409)

    return app
