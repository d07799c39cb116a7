"""A Shopify-style web-store channel: order webhooks in, available stock out.

Inbound, each delivery is checked before anything else: the ``X-Shopify-Hmac-Sha256``
header must be the base64 HMAC-SHA256 of the *raw* body with the channel's shared
secret (compared in constant time), or nothing is read and nothing is written. A
delivery is identified by ``X-Shopify-Webhook-Id``, which repeats when the store
redelivers; the id is recorded in ``inbound_messages`` (unique per channel) in the
**same transaction** that creates the order, so five deliveries -- even at the same
instant -- create one order, and a delivery that fails creates nothing and can simply be
redelivered.

Outbound, :func:`sync_inventory` pushes the available quantity of every item whose
stock changed (movement and hold events in the outbox) to the channel's sync URL, at
most once per ``sync_interval_s`` (debounced: a burst of picks is one push).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.domain.catalog import validate_code
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound, ShelfwiseError
from shelfwise.integrations import cursors
from shelfwise.integrations.transaction import joined
from shelfwise.plugins import IntegrationInfo
from shelfwise.services import orders as order_service
from shelfwise.services.context import Context
from shelfwise.storage import stock_queries
from shelfwise.storage.integration_tables import channel_configs as cc
from shelfwise.storage.integration_tables import inbound_messages as im
from shelfwise.storage.integration_tables import integration_links as links
from shelfwise.storage.tables import facilities, holds, items, outbox, owners

PLUGIN = IntegrationInfo(
    "shopify", "Shopify-style channel: signed order webhooks in (create/cancel), "
    "debounced available-stock sync out", ("POST /api/channels/{id}/webhooks/orders-create",))

HMAC_HEADER = "x-shopify-hmac-sha256"
WEBHOOK_ID_HEADER = "x-shopify-webhook-id"
STOCK_TOPICS = ("movement.posted", "hold.placed", "hold.posted", "hold.voided", "hold.expired")
TOPICS = ("orders/create", "orders/cancelled")


class BadSignature(ShelfwiseError):
    """The body was not signed with the channel's secret: refused before reading it."""

    code = "bad_signature"
    status = 401


# -- channel configuration -------------------------------------------------------------


def create_channel(ctx: Context, *, owner_id: int, facility_id: int, code: str,
                   shared_secret: str = "", channel: str = "shopify", shop_domain: str = "",
                   partner_id: str = "", sync_url: str = "", sync_interval_s: int = 60,
                   order_channel: str = "b2c") -> dict[str, Any]:
    """Configure a sales channel (``shopify``) or EDI partner (``edi``) for an owner;
    orders from it are shipped from ``facility_id`` and numbered ``<code>-<number>``."""
    validate_code(code, "code")
    if channel not in ("shopify", "edi"):
        raise InvalidInput(f"unknown channel kind {channel!r}", code="invalid_channel")
    if channel == "shopify" and len(shared_secret) < 16:
        raise InvalidInput("a shop channel needs a shared secret of 16+ characters",
                           code="invalid_secret")
    if channel == "edi" and not 1 <= len(partner_id) <= 15:
        raise InvalidInput("an EDI channel needs the partner's ISA06 id (1-15 characters)",
                           code="invalid_partner")
    if not isinstance(sync_interval_s, int) or sync_interval_s < 1:
        raise InvalidInput("sync_interval_s must be a positive number of seconds",
                           code="invalid_interval")
    with ctx.write() as conn:
        if conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
            raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
        if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id)
                        ).first() is None:
            raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
        try:
            with conn.begin_nested():
                cid = conn.execute(sa.insert(cc).returning(cc.c.id), {
                    "owner_id": owner_id, "facility_id": facility_id, "channel": channel,
                    "code": code, "shop_domain": shop_domain, "partner_id": partner_id,
                    "shared_secret": shared_secret, "sync_url": sync_url,
                    "sync_interval_s": sync_interval_s, "order_channel": order_channel,
                    "active": True, "created_at": ctx.now()}).scalar_one()
        except IntegrityError:
            raise Conflict(f"channel code {code!r} is taken", code="duplicate_channel") from None
        return load_channel(conn, cid)


def load_channel(conn: Connection, channel_id: int, kind: str | None = None) -> dict[str, Any]:
    r = conn.execute(sa.select(cc).where(cc.c.id == channel_id)).first()
    if r is None or not r.active or (kind is not None and r.channel != kind):
        raise NotFound(f"channel {channel_id} does not exist", code="channel_not_found")
    return dict(r._mapping)


# -- signatures ------------------------------------------------------------------------


def signature(secret: str, raw: bytes) -> str:
    """What the store sends: base64(HMAC-SHA256(raw body, shared secret))."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def verify_signature(secret: str, raw: bytes, header: str | None) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(signature(secret, raw).encode(), header.strip().encode())


# -- inbound webhooks ------------------------------------------------------------------


def receive_webhook(ctx: Context, channel_id: int, topic: str, raw: bytes,
                    headers: Mapping[str, str]) -> dict[str, Any]:
    """Apply one order webhook; a redelivery returns the first result with
    ``duplicate: true`` and changes nothing."""
    if topic not in TOPICS:
        raise NotFound(f"unknown webhook topic {topic!r}", code="unknown_topic")
    h = {k.lower(): v for k, v in headers.items()}
    with ctx.read() as conn:
        channel = load_channel(conn, channel_id, "shopify")
    if not verify_signature(channel["shared_secret"], raw, h.get(HMAC_HEADER)):
        raise BadSignature("the webhook signature does not match this channel's secret")
    webhook_id = (h.get(WEBHOOK_ID_HEADER) or "").strip()
    if not webhook_id or len(webhook_id) > 150:
        raise InvalidInput("X-Shopify-Webhook-Id is required", code="missing_webhook_id")
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidInput("the webhook body is not JSON", code="malformed_json") from None
    if not isinstance(body, dict):
        raise InvalidInput("the webhook body must be a JSON object", code="malformed_json")
    source = f"shopify:{channel_id}"
    prior = _prior(ctx, source, webhook_id)
    if prior is not None:
        return prior
    handler = _create_order if topic == "orders/create" else _cancel_order
    try:
        with ctx.write() as conn:
            mid = conn.execute(sa.insert(im).returning(im.c.id), {
                "source": source, "message_id": webhook_id, "owner_id": channel["owner_id"],
                "result": "{}", "created_at": ctx.now()}).scalar_one()
            result = handler(ctx, conn, channel, body)
            conn.execute(sa.update(im).where(im.c.id == mid)
                         .values(result=json.dumps(result, default=str)))
    except IntegrityError:
        # a concurrent delivery of the same webhook committed first
        prior = _prior(ctx, source, webhook_id)
        if prior is None:
            raise
        return prior
    return {**result, "duplicate": False}


def _prior(ctx: Context, source: str, message_id: str) -> dict[str, Any] | None:
    with ctx.read() as conn:
        r = conn.execute(sa.select(im.c.result).where(
            im.c.source == source, im.c.message_id == message_id)).first()
    return None if r is None else {**json.loads(r.result), "duplicate": True}


def order_number(channel: dict[str, Any], body: dict[str, Any]) -> str:
    raw = body.get("order_number") or str(body.get("name", "")).lstrip("#") or body.get("id")
    return f"{channel['code']}-{raw}"


def _create_order(ctx: Context, conn: Connection, channel: dict[str, Any],
                  body: dict[str, Any]) -> dict[str, Any]:
    spec = _order_spec(conn, channel, body)
    jctx = joined(ctx, conn)
    created = order_service.create_orders(jctx, [spec], None, user=f"shopify:{channel['code']}")
    oid = created[0]["id"]
    if not created[0]["replayed"]:
        conn.execute(sa.insert(links), {
            "owner_id": channel["owner_id"], "channel_id": channel["id"],
            "document_type": "order", "document_id": oid, "external_ref": str(body.get("id")),
            "data": json.dumps({"name": body.get("name")}), "created_at": ctx.now()})
    return {"order_id": oid, "number": spec.number, "action": "created"}


def _order_spec(conn: Connection, channel: dict[str, Any],
                body: dict[str, Any]) -> order_service.OrderSpec:
    lines = body.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("the order has no line_items", code="empty_order")
    wanted: dict[str, int] = {}
    for n, ln in enumerate(lines):
        if not isinstance(ln, dict):
            raise InvalidInput(f"line_items[{n}] is not an object", code="invalid_line")
        if ln.get("requires_shipping") is False:
            continue  # gift cards, digital goods: nothing leaves the warehouse
        sku, qty = ln.get("sku"), ln.get("quantity")
        if not isinstance(sku, str) or not sku:
            raise InvalidInput(f"line_items[{n}] has no SKU", code="missing_sku")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise InvalidInput(f"line_items[{n}].quantity must be a positive whole number",
                               code="invalid_quantity")
        wanted[sku] = wanted.get(sku, 0) + qty
    if not wanted:
        raise InvalidInput("nothing in the order needs shipping", code="empty_order")
    found = dict(conn.execute(sa.select(items.c.sku, items.c.id).where(
        items.c.owner_id == channel["owner_id"], items.c.sku.in_(sorted(wanted)))).all())
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise InvalidInput(f"unknown SKU(s) for this owner: {', '.join(unknown)}",
                           code="unknown_sku", skus=unknown)
    return order_service.OrderSpec(
        owner_id=channel["owner_id"], facility_id=channel["facility_id"],
        number=order_number(channel, body),
        lines=tuple((found[s], q) for s, q in wanted.items()),
        ship_to=_ship_to(body.get("shipping_address")), channel=channel["order_channel"])


def _ship_to(a: Any) -> dict[str, Any]:
    if not isinstance(a, dict):
        raise InvalidInput("the order has no shipping_address", code="invalid_address")
    name = a.get("name") or " ".join(x for x in (a.get("first_name"), a.get("last_name")) if x)
    lines = [str(x) for x in (a.get("company"), a.get("address1"), a.get("address2")) if x]
    return {"name": name or "", "lines": lines, "city": a.get("city") or "",
            "postcode": a.get("zip") or "", "country": a.get("country_code") or ""}


def _cancel_order(ctx: Context, conn: Connection, channel: dict[str, Any],
                  body: dict[str, Any]) -> dict[str, Any]:
    oid = conn.execute(sa.select(links.c.document_id).where(
        links.c.channel_id == channel["id"], links.c.document_type == "order",
        links.c.external_ref == str(body.get("id")))).scalar()
    if oid is None:
        raise NotFound(f"no order from this channel has id {body.get('id')}",
                       code="order_not_found")
    order = order_service.cancel_order(joined(ctx, conn), oid, None,
                                       user=f"shopify:{channel['code']}")
    return {"order_id": oid, "number": order["number"], "action": "cancelled"}


# -- outbound inventory sync -----------------------------------------------------------


def sync_inventory(ctx: Context, *, client: httpx.Client | None = None, force: bool = False,
                   full: bool = False) -> list[dict[str, Any]]:
    """Push changed available quantities to every shop channel with a sync URL.

    A channel pushed less than ``sync_interval_s`` ago is skipped (its changes wait for
    the next run; nothing is lost because the cursor only moves after a successful push).
    ``full`` pushes every item of the owner (a periodic reconciliation)."""
    with ctx.read() as conn:
        chans = [dict(r._mapping) for r in conn.execute(
            sa.select(cc).where(cc.c.channel == "shopify", cc.c.active.is_(True),
                                cc.c.sync_url != "").order_by(cc.c.id))]
    own = client is None
    client = client or httpx.Client(timeout=10)
    try:
        return [_sync_channel(ctx, ch, client, force, full) for ch in chans]
    finally:
        if own:
            client.close()


def _sync_channel(ctx: Context, ch: dict[str, Any], client: httpx.Client, force: bool,
                  full: bool) -> dict[str, Any]:
    name, now = f"shopify.sync.{ch['id']}", ctx.now()
    with ctx.write() as conn:
        position, last = cursors.read(conn, name)
    if not force and last is not None and _aware(now) - _aware(last) < timedelta(
            seconds=ch["sync_interval_s"]):
        return {"channel_id": ch["id"], "pushed": 0, "skipped": "debounced"}
    with ctx.read() as conn:
        top = conn.execute(sa.select(sa.func.max(outbox.c.id))).scalar() or 0
        item_ids = (_all_items(conn, ch["owner_id"]) if full
                    else _changed_items(conn, ch["owner_id"], position, top))
        levels = [(sku, stock_queries.level(conn, ch["owner_id"], iid, ch["facility_id"])
                   ["available"]) for iid, sku in _skus(conn, item_ids)]
    if levels:
        body = json.dumps({"channel": ch["code"], "shop_domain": ch["shop_domain"],
                           "at": now.isoformat(),
                           "levels": [{"sku": s, "available": max(a, 0)} for s, a in levels]},
                          separators=(",", ":")).encode()
        try:
            r = client.post(ch["sync_url"], content=body, headers={
                "Content-Type": "application/json",
                "X-Shelfwise-Signature": signature(ch["shared_secret"], body)})
            error = None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
        if error:
            return {"channel_id": ch["id"], "pushed": 0, "error": error}
    with ctx.write() as conn:
        cursors.advance(conn, name, max(top, position), now,
                        last_run_at=now if levels else None)
    return {"channel_id": ch["id"], "pushed": len(levels),
            "levels": dict(levels)}


def _aware(dt: Any) -> Any:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _changed_items(conn: Connection, owner_id: int, after: int, upto: int) -> set[int]:
    changed: set[int] = set()
    hold_ids: set[int] = set()
    for topic, payload in conn.execute(
            sa.select(outbox.c.topic, outbox.c.payload).where(
                outbox.c.id > after, outbox.c.id <= upto, outbox.c.owner_id == owner_id,
                outbox.c.topic.in_(STOCK_TOPICS))):
        p = json.loads(payload)
        if topic == "movement.posted":
            changed.update(int(ln[0]) for ln in p.get("lines", ()))
        elif "item_id" in p:
            changed.add(int(p["item_id"]))
        elif "hold_id" in p:
            hold_ids.add(int(p["hold_id"]))
    if hold_ids:
        changed.update(conn.execute(sa.select(holds.c.item_id).where(
            holds.c.id.in_(sorted(hold_ids)))).scalars())
    return changed


def _all_items(conn: Connection, owner_id: int) -> set[int]:
    return set(conn.execute(sa.select(items.c.id).where(items.c.owner_id == owner_id)).scalars())


def _skus(conn: Connection, item_ids: set[int]) -> list[tuple[int, str]]:
    if not item_ids:
        return []
    return [(r.id, r.sku) for r in conn.execute(
        sa.select(items.c.id, items.c.sku).where(items.c.id.in_(sorted(item_ids)))
        .order_by(items.c.sku))]
