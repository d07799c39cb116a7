"""``GET /events``: server-sent events from the outbox, for live dashboards.

Every movement (and every document change) writes an outbox row in its own
transaction, so the outbox is the one feed of "something changed". The stream polls it
by id cursor (``Last-Event-ID`` resumes where a dropped connection left off), in a
worker thread with its own read transaction, and sends only the topic and owner: a page
re-fetches what it shows through the scoped services, so no figure leaks through here.
Rows of owners outside the caller's scope are skipped.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from shelfwise.services import outbox_feed
from shelfwise.services.context import Context
from shelfwise.web.templating import Scope, ctx_of, scope_of

router = APIRouter(tags=["web"], include_in_schema=False)

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
#: A stream ends after this long; the browser's EventSource reconnects on its own,
#: which keeps a forgotten tab from holding a worker forever.
MAX_STREAM_SECONDS = 300.0
BATCH = 200


latest_id = outbox_feed.latest_id


def rows_after(ctx: Context, cursor: int, scope: Scope, limit: int = BATCH
               ) -> tuple[int, list[dict[str, Any]]]:
    return outbox_feed.rows_after(ctx, cursor, scope, limit)


def format_event(row: dict[str, Any]) -> str:
    data = json.dumps({"id": row["id"], "topic": row["topic"], "owner_id": row["owner_id"]})
    return f"id: {row['id']}\nevent: {row['topic']}\ndata: {data}\n\n"


def _start_cursor(request: Request, ctx: Context) -> int:
    last = request.headers.get("last-event-id", "")
    return int(last) if last.isdigit() else latest_id(ctx)


@router.get("/events")
async def events(request: Request) -> StreamingResponse:
    ctx, scope = ctx_of(request), scope_of(request)
    cursor = await asyncio.to_thread(_start_cursor, request, ctx)

    async def stream() -> AsyncIterator[str]:
        nonlocal cursor
        yield f"retry: 1000\nid: {cursor}\nevent: hello\ndata: {{}}\n\n"
        started = last_sent = time.monotonic()
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            if await request.is_disconnected():
                return
            cursor, rows = await asyncio.to_thread(rows_after, ctx, cursor, scope)
            for r in rows:
                yield format_event(r)
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
