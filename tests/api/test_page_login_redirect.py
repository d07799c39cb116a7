"""A browser without a session is sent to the login form; the API still answers 401."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from tests.api.access_helpers import auth_ctx


def test_a_page_without_a_session_redirects_to_login_and_back(ctx):
    client = TestClient(create_app(auth_ctx(ctx)), follow_redirects=False)
    r = client.get("/items?owner=1", headers={"accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == "/api/auth/login?next=%2Fitems%3Fowner%3D1"


def test_the_api_and_the_event_stream_still_answer_401(ctx):
    client = TestClient(create_app(auth_ctx(ctx)), follow_redirects=False)
    for path in ("/api/stock", "/events"):
        r = client.get(path, headers={"accept": "text/html"})
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"
