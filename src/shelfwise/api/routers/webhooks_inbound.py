"""Inbound channel webhooks (Shopify-style): the store POSTs order events here.

The store authenticates with the HMAC of the raw body, not a session or API token, so
these routes must be public in the access policy; the body is read raw (never parsed
before the signature is checked) and handed to :mod:`shelfwise.integrations.shopify`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from shelfwise.api.deps import get_ctx
from shelfwise.integrations import shopify
from shelfwise.services.context import Context

router = APIRouter(tags=["integrations"])


async def _receive(ctx: Context, channel_id: int, topic: str, request: Request
                   ) -> dict[str, Any]:
    raw = await request.body()
    return await run_in_threadpool(shopify.receive_webhook, ctx, channel_id, topic, raw,
                                   dict(request.headers))


@router.post("/channels/{channel_id}/webhooks/orders-create")
async def orders_create(channel_id: int, request: Request,
                        ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """An ``orders/create`` webhook: one outbound order, however often it is delivered."""
    return await _receive(ctx, channel_id, "orders/create", request)


@router.post("/channels/{channel_id}/webhooks/orders-cancelled")
async def orders_cancelled(channel_id: int, request: Request,
                           ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """An ``orders/cancelled`` webhook: the channel's order is cancelled (holds voided)."""
    return await _receive(ctx, channel_id, "orders/cancelled", request)
