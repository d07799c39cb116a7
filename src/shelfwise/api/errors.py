"""Errors as ``application/problem+json`` with stable codes; never a 500 for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shelfwise.barcodes.errors import ScanError
from shelfwise.domain.errors import ShelfwiseError

log = logging.getLogger("shelfwise.api")
PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    body = {
        "type": f"https://shelfwise.dev/errors/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(ShelfwiseError)
    async def _domain(_: Request, exc: ShelfwiseError) -> JSONResponse:
        extra = {k: v for k, v in exc.extra.items()}
        return problem(exc.status, exc.code, exc.detail, **extra)

    @app.exception_handler(ScanError)
    async def _scan(_: Request, exc: ScanError) -> JSONResponse:
        return problem(422, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(400, "malformed_json", "the request body is not valid JSON")
        safe = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in errors
        ]
        code = (
            "invalid_quantity"
            if any("qty" in [str(p) for p in e.get("loc", ())] for e in errors)
            else "invalid_request"
        )
        return problem(422, code, "the request does not match the schema", errors=safe)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "body_too_large",
            401: "unauthorized",
            403: "forbidden",
            429: "rate_limited",
        }.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # An id or quantity beyond 64 bits reaches the database driver before any rule
        # can name it (SQLite: OverflowError; PostgreSQL: "bigint out of range"). The
        # transaction rolled back, so this is bad input, not a server fault.
        return problem(422, "value_out_of_range", "a number in the request is out of range")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "internal_error", "an unexpected error occurred; nothing was changed")
