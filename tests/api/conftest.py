"""API fixtures: an HTTP client on the test database and a small warehouse in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.services.context import Context
from tests.factories import World, build_world


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    """Server errors are raised, not turned into a 500, so a crash fails the test."""
    with TestClient(create_app(ctx)) as c:
        yield c


@pytest.fixture
def world(ctx: Context) -> World:
    return build_world(ctx)
