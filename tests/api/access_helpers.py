"""Helpers for access-control tests: an app with authentication on, users and tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.auth import passwords
from shelfwise.services import users
from shelfwise.services.context import Context

PASSWORD = "Gr33n-Tent-Pole-42"


def auth_ctx(ctx: Context, **settings: Any) -> Context:
    """The test database with authentication switched on (the suite default is off)."""
    return Context(engine=ctx.engine, settings=replace(ctx.settings, auth=True, **settings),
                   clock=ctx.clock)


def auth_client(ctx: Context, base_url: str = "http://testserver", **settings: Any) -> TestClient:
    return TestClient(create_app(auth_ctx(ctx, **settings)), base_url=base_url)


def make_user(ctx: Context, username: str, role: str, owner_ids: list[int] = ()) -> int:  # type: ignore[assignment]
    return users.create_user(ctx, username, role, password=PASSWORD,
                             owner_ids=list(owner_ids))["id"]


def token_headers(ctx: Context, username: str, **kw: Any) -> dict[str, str]:
    token = users.create_token(ctx, users.user_id_for(ctx, username), "test", **kw)["token"]
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the API; returns the session's CSRF token."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


@pytest.fixture(autouse=False)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at test strength: the same code path, a fraction of the memory and time."""
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
