"""Outbound webhooks: outbox events reach subscribers signed, exactly once per success,
after retries with backoff, surviving a subscriber that dies and comes back."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shelfwise.integrations import webhooks
from shelfwise.services import catalog
from shelfwise.storage import ledger_store as ls
from tests.integrations.receiver_server import serve_in_thread

SECRET = "whsec_3f9a1c77b2e04d51"
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emit(ctx, owner: int, topic: str, payload: dict, n: int = 1) -> None:
    with ctx.write() as conn:
        ls.insert_events(conn, [{"topic": topic, "owner_id": owner, "created_at": ctx.now(),
                                 "payload": json.dumps(payload | {"n": i})} for i in range(n)])


@pytest.fixture
def acme(ctx) -> int:
    return catalog.create_owner(ctx, "ACME", "Acme Outdoor Co.")["id"]


def run_until_settled(ctx, clock, rounds: int = 20, **kw) -> None:
    for _ in range(rounds):
        webhooks.dispatch(ctx, **kw)
        if not webhooks.list_deliveries(ctx, state="pending"):
            return
        clock.advance(hours=2)


def test_a_subscriber_failing_twice_gets_the_event_exactly_once_after_retries(ctx, clock, acme):
    srv = serve_in_thread(free_port(), SECRET, fail_first=2)
    try:
        webhooks.create_subscription(ctx, owner_id=acme, event_types=["order.*"], url=srv.url,
                                     secret=SECRET)
        emit(ctx, acme, "order.shipped", {"order_id": 7, "tracking_number": "MN0950600"})
        emit(ctx, acme, "movement.posted", {"movement_id": 1})  # not subscribed
        rng = random.Random(42)
        first = webhooks.dispatch(ctx, rng=rng)
        assert first == {"collected": 1, "attempted": 1, "delivered": 0, "retrying": 1, "dead": 0}
        # not due yet: nothing is sent before the backoff elapses
        assert webhooks.dispatch(ctx, rng=rng)["attempted"] == 0
        clock.advance(seconds=10)
        assert webhooks.dispatch(ctx, rng=rng)["retrying"] == 1
        clock.advance(seconds=20)
        assert webhooks.dispatch(ctx, rng=rng)["delivered"] == 1
        clock.advance(days=1)
        assert webhooks.dispatch(ctx, rng=rng)["attempted"] == 0
        assert srv.requests == 3 and srv.bad_signatures == 0
        assert len(srv.accepted) == 1
        body = json.loads(srv.bodies[0])
        assert body["topic"] == "order.shipped" and str(body["id"]) == srv.accepted[0]
        assert body["data"]["tracking_number"] == "MN0950600"
        [d] = webhooks.list_deliveries(ctx)
        assert d["state"] == "delivered" and d["attempts"] == 3
    finally:
        srv.shutdown()


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    policy = webhooks.RetryPolicy(base_seconds=10, cap_seconds=300)
    rng = random.Random(7)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 9)]
    for n, d in enumerate(delays, start=1):
        full = min(300, 10 * 2 ** (n - 1))
        assert full / 2 <= d <= full
    assert delays[-1] <= 300


def test_a_delivery_is_dead_after_max_attempts_and_can_be_redriven(ctx, clock, acme):
    srv = serve_in_thread(free_port(), SECRET, fail_first=3)
    try:
        webhooks.create_subscription(ctx, owner_id=acme, event_types=["order.shipped"],
                                     url=srv.url, secret=SECRET)
        emit(ctx, acme, "order.shipped", {"order_id": 9})
        policy = webhooks.RetryPolicy(max_attempts=3)
        for _ in range(3):
            webhooks.dispatch(ctx, policy=policy, rng=random.Random(1))
            clock.advance(hours=1)
        [dead] = webhooks.list_dead(ctx)
        assert dead["attempts"] == 3 and dead["last_error"] == "HTTP 500"
        assert srv.accepted == []
        again = webhooks.redrive(ctx, dead["id"])
        assert again["state"] == "pending" and again["attempts"] == 0
        assert webhooks.dispatch(ctx, policy=policy)["delivered"] == 1
        assert len(srv.accepted) == 1 and webhooks.list_dead(ctx) == []
    finally:
        srv.shutdown()


def test_only_dead_deliveries_can_be_redriven(ctx, acme):
    webhooks.create_subscription(ctx, owner_id=acme, event_types=["*"],
                                 url="http://127.0.0.1:9/x", secret=SECRET)
    emit(ctx, acme, "order.created", {"order_id": 1})
    webhooks.collect(ctx)
    [d] = webhooks.list_deliveries(ctx)
    with pytest.raises(Exception, match="not dead"):
        webhooks.redrive(ctx, d["id"])


def test_another_owners_events_never_reach_a_subscriber(ctx, acme):
    nordic = catalog.create_owner(ctx, "NORDIC", "Nordic Home AB")["id"]
    webhooks.create_subscription(ctx, owner_id=acme, event_types=["*"],
                                 url="http://127.0.0.1:9/x", secret=SECRET)
    emit(ctx, nordic, "order.created", {"order_id": 1}, n=3)
    assert webhooks.collect(ctx) == 0
    emit(ctx, acme, "order.created", {"order_id": 2})
    assert webhooks.collect(ctx) == 1
    assert webhooks.collect(ctx) == 0  # re-reading behind the cursor creates nothing


def test_a_receiver_can_verify_the_signature_and_spot_tampering():
    body = b'{"id":1}'
    header = webhooks.sign(SECRET, body)
    assert webhooks.verify(SECRET, body, header)
    assert not webhooks.verify(SECRET, body + b" ", header)
    assert not webhooks.verify("another-secret-123", body, header)


def _start(port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(HERE / "receiver_server.py"), str(port),
                             str(log), SECRET], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_nothing_is_lost_when_the_subscriber_process_is_killed_and_restarted(
        ctx, clock, acme, tmp_path):
    port, log = free_port(), tmp_path / "received.log"
    webhooks.create_subscription(ctx, owner_id=acme, event_types=["order.*"],
                                 url=f"http://127.0.0.1:{port}/hooks", secret=SECRET)
    emit(ctx, acme, "order.created", {"order_id": 1}, n=8)
    proc = _start(port, log)
    try:
        first = webhooks.dispatch(ctx, limit=3)
        assert first["delivered"] == 3
    finally:
        proc.kill()
        proc.wait()
    # the subscriber is down: attempts fail and are rescheduled, nothing is dropped
    down = webhooks.dispatch(ctx, limit=3)
    assert down["retrying"] == 3
    emit(ctx, acme, "order.created", {"order_id": 2}, n=2)  # more events while it is down
    proc = _start(port, log)
    try:
        time.sleep(0.05)
        run_until_settled(ctx, clock)
    finally:
        proc.kill()
        proc.wait()
    received = log.read_text().split()
    assert len(received) == 10 and len(set(received)) == 10
    assert {d["state"] for d in webhooks.list_deliveries(ctx)} == {"delivered"}
