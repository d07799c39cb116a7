"""ERP file exchange over HTTP: POST a CSV (``text/csv``) to import it -- with
``?dry_run=true`` to list every row's error without writing -- and GET one back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from shelfwise.api.deps import get_actor, get_ctx
from shelfwise.domain.errors import InvalidInput
from shelfwise.integrations import erp_csv
from shelfwise.services.context import Context

router = APIRouter(tags=["integrations"])


@router.post("/erp/{kind}/import")
async def import_file(kind: str, request: Request, dry_run: bool = Query(False),
                      ctx: Context = Depends(get_ctx), actor: str = Depends(get_actor)
                      ) -> JSONResponse:
    """Import a CSV of ``items``, ``locations``, ``on_hand``, ``purchase_orders`` or
    ``supply_terms``: all rows or none. 200 with the report; 422 listing every row's
    error when the file is refused (nothing is written)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in ("text/csv", "text/plain", "application/csv"):
        raise InvalidInput("send the file as text/csv", code="unsupported_media_type")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file must be UTF-8", code="invalid_encoding") from None
    report: dict[str, Any] = await run_in_threadpool(
        erp_csv.import_csv, ctx, kind, text, dry_run=dry_run, user=actor)
    if not report["ok"] and not dry_run:
        return JSONResponse({"type": "https://shelfwise.dev/errors/invalid_csv",
                             "title": "invalid csv", "status": 422, "code": "invalid_csv",
                             "detail": f"{len(report['errors'])} problem(s); nothing written",
                             **report}, status_code=422, media_type="application/problem+json")
    return JSONResponse(report)


@router.get("/erp/{kind}/export")
def export_file(kind: str, owner: str | None = Query(None, max_length=64),
                ctx: Context = Depends(get_ctx)) -> PlainTextResponse:
    """The same columns the import takes (edit and re-import)."""
    return PlainTextResponse(erp_csv.export_csv(ctx, kind, owner), media_type="text/csv")
