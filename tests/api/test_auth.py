"""Authentication end to end: logins and their cookie, CSRF, API tokens, rate limits and
the audit trail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.auth import audit, passwords, tokens
from shelfwise.services import users
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.access_tables import api_tokens, audit_log
from shelfwise.storage.access_tables import users as users_table
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    PASSWORD,
    auth_client,
    auth_ctx,
    cheap_hashing,
    login,
    make_user,
    token_headers,
)
from tests.factories import build_world


def _actions(ctx: Context) -> list[tuple[str, str, str]]:
    with ctx.read() as conn:
        return [(r.action, r.target, r.outcome) for r in conn.execute(
            sa.select(audit_log).order_by(audit_log.c.id))]


pytestmark = pytest.mark.usefixtures("cheap_hashing")


def test_a_fresh_install_has_no_users_and_refuses_requests_without_credentials(
        ctx: Context) -> None:
    client = auth_client(ctx)
    assert users.count_users(ctx) == 0
    r = client.get("/api/owners")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == "unauthorized"
    assert client.post("/api/owners", json={"code": "ACME", "name": "Acme"}).status_code == 401
    assert client.get("/api/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_login_sets_an_httponly_lax_cookie_that_is_secure_over_https(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    r = auth_client(ctx, base_url="https://wms.example").post(
        "/api/auth/login", json={"username": "maria", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "operator"
    cookie = r.headers["set-cookie"].lower()
    assert "shelfwise_session=" in cookie
    assert "; httponly" in cookie and "; samesite=lax" in cookie and "; secure" in cookie


def test_the_cookie_is_not_secure_on_plain_http_unless_the_setting_says_so(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    body = {"username": "maria", "password": PASSWORD}
    plain = auth_client(ctx).post("/api/auth/login", json=body).headers["set-cookie"]
    assert "secure" not in plain.lower()
    forced = auth_client(ctx, cookie_secure=True).post("/api/auth/login", json=body)
    assert "; secure" in forced.headers["set-cookie"].lower()


def test_a_session_cookie_authenticates_later_requests_until_logout(ctx: Context) -> None:
    build_world(ctx)
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    csrf = login(client, "maria")
    me = client.get("/api/auth/me").json()
    assert me["username"] == "maria" and me["session"] is True and me["csrf_token"] == csrf
    assert client.get("/api/items").status_code == 200
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/items").status_code == 401


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    wrong = client.post("/api/auth/login", json={"username": "maria", "password": "nope"})
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["code"] == "invalid_credentials"
    assert "set-cookie" not in wrong.headers
    assert ("login", "user:maria", "failure") in _actions(ctx)
    assert ("login", "user:ghost", "failure") in _actions(ctx)


def test_a_cookie_session_post_without_the_csrf_token_is_refused_and_changes_nothing(
        ctx: Context) -> None:
    make_user(ctx, "ana", "admin")
    client = auth_client(ctx)
    csrf = login(client, "ana")
    body = {"code": "ACME", "name": "Acme Outdoor Co."}
    r = client.post("/api/owners", json=body)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    wrong = client.post("/api/owners", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    assert client.get("/api/owners").json() == []
    assert client.post("/api/owners", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_an_html_form_post_carries_its_csrf_token_as_a_field(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    csrf = login(client, "maria")
    refused = client.post("/api/auth/logout", data={"note": "bye"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert client.get("/api/auth/me").status_code == 200
    ok = client.post("/api/auth/logout", data={"csrf_token": csrf})
    assert ok.status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_the_login_form_redirects_only_within_the_site(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    assert "<form" in client.get("/api/auth/login").text
    form = {"username": "maria", "password": PASSWORD, "next": "//evil.example/steal"}
    r = client.post("/api/auth/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    form["next"] = "/web/stock"
    r = client.post("/api/auth/login", data=form, follow_redirects=False)
    assert r.headers["location"] == "/web/stock"
    bad = client.post("/api/auth/login", data={**form, "password": "wrong"})
    assert bad.status_code == 401 and "Invalid user name or password" in bad.text


def test_tokens_are_shown_once_listed_without_the_secret_and_revoked(ctx: Context) -> None:
    build_world(ctx)
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    csrf = login(client, "maria")
    created = client.post("/api/auth/tokens", json={"name": "handheld 7"},
                          headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("sw_") and len(secret) > 40
    listed = client.get("/api/auth/tokens").json()
    assert [t["name"] for t in listed] == ["handheld 7"]
    assert "token" not in listed[0] and secret[:9] == listed[0]["prefix"]
    with ctx.read() as conn:
        stored = conn.execute(sa.select(api_tokens.c.token_hash)).scalar_one()
    assert stored == tokens.digest(secret) and secret not in stored

    handheld = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {secret}", "X-Device": "TC52-007"}
    assert handheld.get("/api/items", headers=bearer).status_code == 200
    revoked = client.post(f"/api/auth/tokens/{created.json()['id']}/revoke",
                          headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    r = handheld.get("/api/items", headers=bearer)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    actions = _actions(ctx)
    assert ("token.create", f"token:{created.json()['id']}", "ok") in actions
    assert ("token.revoke", f"token:{created.json()['id']}", "ok") in actions


def test_a_user_cannot_see_or_revoke_anyone_elses_token(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    make_user(ctx, "otto", "operator")
    theirs = users.create_token(ctx, users.user_id_for(ctx, "otto"), "otto's handheld")
    client = TestClient(auth_client(ctx).app)
    mine = token_headers(ctx, "maria")
    assert [t["username"] for t in client.get("/api/auth/tokens", headers=mine).json()] == [
        "maria"]
    r = client.post(f"/api/auth/tokens/{theirs['id']}/revoke", headers=mine)
    assert r.status_code == 404
    r = client.post("/api/auth/tokens", json={"name": "sneaky", "username": "otto"},
                    headers=mine)
    assert r.status_code == 403


def test_a_token_can_narrow_its_users_access_but_never_widen_it(ctx: Context) -> None:
    w = build_world(ctx)
    make_user(ctx, "shopify-acme", "integration", [w.owner])
    read_only = token_headers(ctx, "shopify-acme", scopes=["read"])
    client = TestClient(auth_client(ctx).app)
    assert client.get("/api/items", headers=read_only).status_code == 200
    hold = {"owner_id": w.owner, "item_id": w.item, "facility_id": w.facility, "qty": 1}
    r = client.post("/api/holds", json=hold, headers=read_only)
    assert r.status_code == 403
    uid = users.user_id_for(ctx, "shopify-acme")
    for kw in ({"scopes": ["users.manage"]}, {"owner_ids": [w.other_owner]}):
        try:
            users.create_token(ctx, uid, "wider", **kw)
        except Exception as e:  # noqa: BLE001
            assert getattr(e, "status", None) in (403, 422)
        else:
            raise AssertionError(f"a token with {kw} was created")


def test_a_client_sees_only_its_own_owner_and_cannot_post_floor_work(ctx: Context) -> None:
    w = build_world(ctx)
    make_user(ctx, "acme-portal", "client", [w.owner])
    client = TestClient(auth_client(ctx).app)
    h = token_headers(ctx, "acme-portal")
    assert [o["code"] for o in client.get("/api/owners", headers=h).json()] == ["ACME"]
    skus = {i["sku"] for i in client.get("/api/items", headers=h).json()}
    assert skus == {"TENT-2P", "GAS-230"}
    assert client.get(f"/api/items/{w.other_item}", headers=h).status_code == 404
    move = {"owner_id": w.owner, "type": "move", "lines": [
        {"item_id": w.item, "from_location_id": w.bins[0], "to_location_id": w.bins[1],
         "qty": 1}]}
    assert client.post("/api/movements", json=move, headers=h).status_code == 403
    assert client.get("/api/locations", headers=h).status_code == 403


def test_a_deactivated_user_is_locked_out_of_sessions_and_tokens_at_once(ctx: Context) -> None:
    uid = make_user(ctx, "maria", "operator")
    client = auth_client(ctx)
    login(client, "maria")
    bearer = token_headers(ctx, "maria")
    users.update_user(ctx, uid, active=False)
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers=bearer).status_code == 401
    r = client.post("/api/auth/login", json={"username": "maria", "password": PASSWORD})
    assert r.status_code == 401


def test_an_admin_creates_users_and_changes_roles_and_both_are_audited(ctx: Context) -> None:
    w = build_world(ctx)
    make_user(ctx, "ana", "admin")
    client = TestClient(auth_client(ctx).app)
    h = {**token_headers(ctx, "ana"), "X-Device": "office-pc-2"}
    r = client.post("/api/auth/users", headers=h, json={
        "username": "acme-portal", "role": "client", "password": "Acme-Portal-2026",
        "owner_ids": [w.owner]})
    assert r.status_code == 201 and r.json()["owner_ids"] == [w.owner]
    no_owner = client.post("/api/auth/users", headers=h, json={
        "username": "lost", "role": "client", "password": "Lost-Client-2026"})
    assert no_owner.status_code == 422 and no_owner.json()["code"] == "owner_required"
    r = client.patch(f"/api/auth/users/{r.json()['id']}", headers=h,
                     json={"role": "operator", "owner_ids": []})
    assert r.status_code == 200 and r.json()["role"] == "operator"
    entries = client.get("/api/auth/audit", headers=h).json()["entries"]
    change = next(e for e in entries if e["action"] == "user.role_change")
    assert change["actor"] == "ana" and change["device"] == "office-pc-2"
    assert change["token_id"] is not None and '"to": "operator"' in change["detail"]
    assert any(e["action"] == "user.create" and e["target"] == "user:acme-portal"
               for e in entries)
    requests = [e for e in entries if e["action"] == "api.request"]
    assert {(e["target"], e["outcome"]) for e in requests} >= {
        ("POST /api/auth/users", "201"), ("POST /api/auth/users", "422")}
    with ctx.read() as conn:
        stored = conn.execute(sa.select(users_table.c.password_hash).where(
            users_table.c.username == "acme-portal")).scalar_one()
    assert stored.startswith("$argon2id$") and passwords.verify_password(stored,
                                                                         "Acme-Portal-2026")


def test_every_mutating_request_and_every_approval_is_audited(ctx: Context) -> None:
    make_user(ctx, "ana", "admin")
    make_user(ctx, "maria", "operator")
    client = TestClient(auth_client(ctx).app)
    admin, operator = token_headers(ctx, "ana"), token_headers(ctx, "maria")
    client.post("/api/owners", json={"code": "ACME", "name": "Acme"}, headers=admin)
    client.post("/api/owners", json={"code": "NORDIC", "name": "Nordic"}, headers=operator)
    client.post("/api/count-tasks/999/approve", json={}, headers=operator)
    client.get("/api/owners", headers=admin)
    rows = [(a, t, o) for a, t, o in _actions(ctx) if a in ("api.request", "approve")]
    assert rows == [("api.request", "POST /api/owners", "201"),
                    ("api.request", "POST /api/owners", "403"),
                    ("approve", "POST /api/count-tasks/999/approve", "403")]
    assert audit.entries(ctx, action="approve")[0]["actor"] == "maria"


def test_a_caller_over_its_rate_limit_gets_429_problem_json(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    make_user(ctx, "otto", "operator")
    client = auth_client(ctx, rate_limit_per_minute=1, rate_limit_burst=3)
    maria, otto = token_headers(ctx, "maria"), token_headers(ctx, "otto")
    codes = [client.get("/api/auth/me", headers=maria).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/auth/me", headers=maria)
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert client.get("/api/auth/me", headers=otto).status_code == 200


def test_password_guessing_is_slowed_by_a_login_rate_limit(ctx: Context) -> None:
    make_user(ctx, "maria", "operator")
    client = auth_client(ctx, login_attempts_per_minute=3)
    guesses = [client.post("/api/auth/login", json={"username": "maria", "password": f"g{i}"})
               for i in range(4)]
    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    right = client.post("/api/auth/login", json={"username": "maria", "password": PASSWORD})
    assert right.status_code == 429 and right.json()["code"] == "rate_limited"


def test_demo_users_get_random_passwords_that_work_once_printed(ctx: Context) -> None:
    w = build_world(ctx)
    created = users.create_demo_users(ctx, [w.owner, w.other_owner])
    assert {role for _, role, _ in created} == {"admin", "supervisor", "operator", "planner",
                                                "client"}
    assert len({pw for _, _, pw in created}) == len(created)
    client = auth_client(ctx)
    name, _, password = next(c for c in created if c[1] == "client")
    login(client, name, password)
    assert [o["code"] for o in client.get("/api/owners").json()] == ["ACME"]


def test_auth_is_on_unless_the_environment_switches_it_off() -> None:
    assert Settings().auth is True
    assert Settings.from_env({}).auth is True
    assert Settings.from_env({"SHELFWISE_AUTH": "off"}).auth is False
    assert Settings.from_env({"SHELFWISE_COOKIE_SECURE": "on"}).cookie_secure is True
    assert Settings.from_env({}).cookie_secure is None


def test_with_auth_off_the_api_is_open_as_an_anonymous_admin(ctx: Context) -> None:
    assert auth_client(ctx).get("/api/owners").status_code == 401
    with TestClient(create_app(ctx)) as off:  # the suite's ctx has auth=False
        assert off.get("/api/owners").status_code == 200
        assert off.get("/api/auth/me").json()["role"] == "admin"
