"""Outbound webhooks: outbox events delivered to subscribers, signed, retried, dead-lettered.

Events leave only after the transaction that wrote them committed: :func:`collect`
reads the outbox behind a cursor and creates one delivery row per matching
subscription; :func:`deliver_due` POSTs the due ones. Delivery is **at-least-once**:
a crash between the POST and recording its success sends the event again later, so
every request carries the stable ``X-Shelfwise-Event-Id`` (the outbox id) for the
receiver to de-duplicate, and ``X-Shelfwise-Signature: sha256=<hex HMAC of the raw
body>`` to prove it came from us.

A failed attempt is retried with exponential backoff and jitter (clock and random
generator injected, so tests are deterministic); after ``max_attempts`` the delivery is
dead and waits for :func:`redrive`. Two dispatchers never send the same delivery at
once: each claims a due delivery with a conditional UPDATE (a lease) before sending.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.integrations import cursors
from shelfwise.plugins import IntegrationInfo
from shelfwise.services.context import Context
from shelfwise.storage.integration_tables import webhook_deliveries as wd
from shelfwise.storage.integration_tables import webhook_subscriptions as ws
from shelfwise.storage.tables import outbox, owners

PLUGIN = IntegrationInfo(
    "webhooks", "Outbound webhooks from the outbox: HMAC-signed, retried with backoff, "
    "dead-lettered and re-drivable", ("webhooks deliver", "webhooks redrive",
                                      "webhooks list-dead"))

CURSOR = "webhooks.outbox"
#: Outbox ids are assigned at insert but become visible at commit, so a later id can
#: appear before an earlier one. Each collection re-reads this many ids behind the
#: cursor; the unique (subscription, event) key makes the re-read harmless.
LOOKBACK = 500
SIGNATURE_HEADER = "X-Shelfwise-Signature"
EVENT_ID_HEADER = "X-Shelfwise-Event-Id"
TOPIC_HEADER = "X-Shelfwise-Topic"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or being attempted under a lease)
    DELIVERED = "delivered"  # the subscriber answered 2xx once; never sent again
    DEAD = "dead"  # gave up after max attempts; only a redrive sends it again


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": attempt n waits between half and all of
    ``base * 2**(n-1)`` (capped), so a recovering subscriber is not hit by a thundering
    herd of retries at the same instant."""

    max_attempts: int = 8
    base_seconds: float = 10.0
    cap_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    lease_seconds: float = 120.0

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        full = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=full / 2 + rng.uniform(0, full / 2))


# -- signing ---------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


# -- subscriptions ---------------------------------------------------------------------


def create_subscription(ctx: Context, *, owner_id: int, event_types: Sequence[str], url: str,
                        secret: str) -> dict[str, Any]:
    """Subscribe ``url`` to an owner's events (patterns like ``order.*``)."""
    types = [t.strip() for t in event_types if t.strip()]
    if not types or any("," in t or len(t) > 64 for t in types):
        raise InvalidInput("event_types must be 1+ topic patterns", code="invalid_event_types")
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise InvalidInput("url must be an http(s) URL", code="invalid_url")
    if len(secret) < 16 or len(secret) > 200:
        raise InvalidInput("secret must be 16-200 characters", code="invalid_secret")
    with ctx.write() as conn:
        if conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
            raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
        sid = conn.execute(sa.insert(ws).returning(ws.c.id), {
            "owner_id": owner_id, "event_types": ",".join(types), "url": url,
            "secret": secret, "active": True, "created_at": ctx.now()}).scalar_one()
    return {"id": sid, "owner_id": owner_id, "event_types": types, "url": url}


def matches(patterns: str, topic: str) -> bool:
    return any(fnmatch.fnmatchcase(topic, p) for p in patterns.split(","))


# -- collect: outbox -> deliveries -----------------------------------------------------


def collect(ctx: Context, batch: int = 1000) -> int:
    """Create deliveries for outbox events after the cursor; returns how many."""
    now = ctx.now()
    with ctx.write() as conn:
        position, _ = cursors.read(conn, CURSOR, lock=True)
        subs = conn.execute(sa.select(ws.c.id, ws.c.owner_id, ws.c.event_types)
                            .where(ws.c.active.is_(True))).all()
        events = conn.execute(
            sa.select(outbox).where(outbox.c.id > max(position - LOOKBACK, 0))
            .order_by(outbox.c.id).limit(batch + LOOKBACK)).all()
        if not events:
            return 0
        by_owner: dict[int, list[Any]] = {}
        for s in subs:
            by_owner.setdefault(s.owner_id, []).append(s)
        wanted = [(e, s) for e in events for s in by_owner.get(e.owner_id, ())
                  if matches(s.event_types, e.topic)]
        existing = set()
        if wanted:
            ids = sorted({e.id for e, _ in wanted})
            existing = {(r[0], r[1]) for r in conn.execute(
                sa.select(wd.c.subscription_id, wd.c.event_id).where(wd.c.event_id.in_(ids)))}
        rows = [{"event_id": e.id, "subscription_id": s.id, "owner_id": e.owner_id,
                 "topic": e.topic, "body": _body(e), "state": DeliveryState.PENDING.value,
                 "attempts": 0, "next_attempt_at": now, "last_error": "", "created_at": now}
                for e, s in wanted if (s.id, e.id) not in existing]
        if rows:
            conn.execute(sa.insert(wd), rows)
        cursors.advance(conn, CURSOR, max(position, events[-1].id), now, last_run_at=now)
    return len(rows)


def _body(e: Any) -> str:
    """The JSON document a subscriber receives; stored once so every retry sends (and
    signs) exactly the same bytes."""
    try:
        data = json.loads(e.payload)
    except ValueError:
        data = e.payload
    created = e.created_at.isoformat() if isinstance(e.created_at, datetime) else e.created_at
    return json.dumps({"id": e.id, "topic": e.topic, "owner_id": e.owner_id,
                       "created_at": created, "data": data}, sort_keys=True,
                      separators=(",", ":"))


# -- deliver ---------------------------------------------------------------------------


def deliver_due(ctx: Context, *, client: httpx.Client | None = None,
                rng: random.Random | None = None, policy: RetryPolicy | None = None,
                limit: int = 100) -> dict[str, int]:
    """Attempt every due delivery once; returns counts of delivered/retrying/dead."""
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    own_client = client is None
    client = client or httpx.Client(timeout=policy.timeout_seconds)
    report = {"attempted": 0, "delivered": 0, "retrying": 0, "dead": 0}
    try:
        for d in _claim_due(ctx, limit, policy):
            report["attempted"] += 1
            ok, error = _send(client, d)
            state = _record(ctx, d, ok, error, rng, policy)
            report[{"delivered": "delivered", "pending": "retrying", "dead": "dead"}[state]] += 1
    finally:
        if own_client:
            client.close()
    return report


def dispatch(ctx: Context, **kw: Any) -> dict[str, int]:
    """Collect new events, then deliver what is due: one pass of the dispatcher."""
    created = collect(ctx)
    return {"collected": created, **deliver_due(ctx, **kw)}


def _claim_due(ctx: Context, limit: int, policy: RetryPolicy) -> list[Any]:
    now = ctx.now()
    lease_until = now + timedelta(seconds=policy.lease_seconds)
    claimed = []
    with ctx.write() as conn:
        due = conn.execute(
            sa.select(wd.c.id).where(wd.c.state == DeliveryState.PENDING.value,
                                     wd.c.next_attempt_at <= now)
            .order_by(wd.c.next_attempt_at, wd.c.id).limit(limit)).scalars().all()
        for did in due:
            took = conn.execute(sa.update(wd).where(
                wd.c.id == did, wd.c.state == DeliveryState.PENDING.value,
                wd.c.next_attempt_at <= now).values(next_attempt_at=lease_until)).rowcount
            if took:
                claimed.append(did)
        if not claimed:
            return []
        return conn.execute(
            sa.select(wd, ws.c.url, ws.c.secret, ws.c.active)
            .join(ws, ws.c.id == wd.c.subscription_id)
            .where(wd.c.id.in_(claimed)).order_by(wd.c.id)).all()


def _send(client: httpx.Client, d: Any) -> tuple[bool, str]:
    if not d.active:
        return False, "subscription is inactive"
    body = d.body.encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(d.secret, body),
               EVENT_ID_HEADER: str(d.event_id), TOPIC_HEADER: d.topic,
               "User-Agent": "Shelfwise-Webhooks/1"}
    try:
        r = client.post(d.url, content=body, headers=headers)
    except httpx.HTTPError as e:
        return False, f"{type(e).__name__}: {e}"[:500]
    if 200 <= r.status_code < 300:
        return True, ""
    return False, f"HTTP {r.status_code}"


def _record(ctx: Context, d: Any, ok: bool, error: str, rng: random.Random,
            policy: RetryPolicy) -> str:
    now = ctx.now()
    attempts = d.attempts + 1
    if ok:
        values = {"state": DeliveryState.DELIVERED.value, "attempts": attempts,
                  "delivered_at": now, "next_attempt_at": None, "last_error": ""}
    elif attempts >= policy.max_attempts:
        values = {"state": DeliveryState.DEAD.value, "attempts": attempts,
                  "next_attempt_at": None, "last_error": error}
    else:
        values = {"state": DeliveryState.PENDING.value, "attempts": attempts,
                  "next_attempt_at": now + policy.delay(attempts, rng), "last_error": error}
    with ctx.write() as conn:
        conn.execute(sa.update(wd).where(wd.c.id == d.id,
                                         wd.c.state == DeliveryState.PENDING.value)
                     .values(**values))
    return values["state"]


# -- operate ---------------------------------------------------------------------------


def redrive(ctx: Context, delivery_id: int) -> dict[str, Any]:
    """Send a dead delivery again from scratch (after the subscriber was fixed)."""
    with ctx.write() as conn:
        d = _load(conn, delivery_id)
        if d["state"] != DeliveryState.DEAD.value:
            raise Conflict(f"delivery {delivery_id} is {d['state']}, not dead",
                           code="delivery_not_dead")
        conn.execute(sa.update(wd).where(wd.c.id == delivery_id).values(
            state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=ctx.now()))
        return _load(conn, delivery_id)


def list_deliveries(ctx: Context, *, state: str | None = None, owner_id: int | None = None,
                    limit: int = 100) -> list[dict[str, Any]]:
    stmt = sa.select(wd).order_by(wd.c.id).limit(limit)
    if state is not None:
        stmt = stmt.where(wd.c.state == state)
    if owner_id is not None:
        stmt = stmt.where(wd.c.owner_id == owner_id)
    with ctx.read() as conn:
        return [_public(dict(r._mapping)) for r in conn.execute(stmt)]


def list_dead(ctx: Context, owner_id: int | None = None) -> list[dict[str, Any]]:
    return list_deliveries(ctx, state=DeliveryState.DEAD.value, owner_id=owner_id)


def get_delivery(ctx: Context, delivery_id: int) -> dict[str, Any]:
    with ctx.read() as conn:
        return _load(conn, delivery_id)


def _load(conn: Connection, delivery_id: int) -> dict[str, Any]:
    r = conn.execute(sa.select(wd).where(wd.c.id == delivery_id)).first()
    if r is None:
        raise NotFound(f"delivery {delivery_id} does not exist", code="delivery_not_found")
    return _public(dict(r._mapping))


def _public(d: dict[str, Any]) -> dict[str, Any]:
    d.pop("body", None)
    return d
