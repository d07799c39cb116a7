"""Access matrices over every route the app serves.

1. Every route has an access rule (a route added without one would be admin-only, and
   this test names it).
2. Role matrix: each role, against each endpoint, gets exactly what its role allows —
   refused with 403 when it lacks the rule's permission, let through otherwise.
3. Cross-owner matrix: users limited to owner ACME, in every role, send requests aimed at
   owner NORDIC's objects (read, list, create, update, post) to every endpoint. Not one
   may show NORDIC's data or change anything in the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import pkgutil
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import shelfwise.api.routers as routers_pkg
from shelfwise.api.app import create_app
from shelfwise.auth import policy
from shelfwise.auth.roles import ROLE_PERMISSIONS, Perm, Principal, Role
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.ledger import MovementType
from shelfwise.services import catalog, holds, ledger
from shelfwise.services.context import Context
from shelfwise.storage import access_tables
from shelfwise.storage.tables import metadata
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    auth_ctx,
    cheap_hashing,
    make_user,
    token_headers,
)
from tests.factories import World, build_world, gtin, move

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Server-sent event streams stay open for minutes; their rule is checked, not called.
STREAMS = ("/events",)


def _full_app(ctx: Context) -> Any:
    """The app plus every router module in the package, mounted or not yet: a router a
    helper is still writing is covered by its tags before the lead mounts it."""
    from shelfwise.api.routers import ROUTER_MODULES

    app = create_app(ctx)
    for info in pkgutil.iter_modules(routers_pkg.__path__):
        if info.name in ROUTER_MODULES:
            continue
        with contextlib.suppress(Exception):  # a module mid-edit elsewhere is skipped
            app.include_router(importlib.import_module(
                f"shelfwise.api.routers.{info.name}").router, prefix="/api")
    return app


def _endpoints(app: Any) -> list[tuple[str, str, list[str]]]:
    out = []
    for route in policy.routes_of(app):
        for method in sorted(getattr(route, "methods", None) or ()):
            if method in METHODS:
                out.append((method, route.path, list(getattr(route, "tags", None) or [])))
    return out


pytestmark = pytest.mark.usefixtures("cheap_hashing")


def test_every_route_has_an_access_rule(ctx: Context) -> None:
    endpoints = _endpoints(_full_app(ctx))
    missing = [(m, p, t) for m, p, t in endpoints if policy.rule_for(m, p, t) is None]
    print(f"\n{len(endpoints)} endpoints, {len(missing)} without a rule")
    assert len(endpoints) > 40
    assert missing == []


def test_a_route_without_a_rule_is_refused_to_everyone_but_admins(ctx: Context) -> None:
    from fastapi import APIRouter

    mystery = APIRouter(tags=["mystery"])

    @mystery.get("/mystery")
    def read_mystery() -> dict[str, str]:
        return {"secret": "42"}

    world = build_world(ctx)
    for name, role in (("ana", "admin"), ("sam", "supervisor"), ("cleo", "client")):
        make_user(ctx, name, role, [world.owner] if role == "client" else [])
    app = create_app(auth_ctx(ctx))
    app.include_router(mystery, prefix="/api")
    client = TestClient(app)
    assert policy.rule_for("GET", "/api/mystery", ["mystery"]) is None
    assert client.get("/api/mystery", headers=token_headers(ctx, "ana")).status_code == 200
    for name in ("sam", "cleo"):
        r = client.get("/api/mystery", headers=token_headers(ctx, name))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


# -- request building from the OpenAPI schema -------------------------------------------


class Builder:
    """Fills path parameters, query parameters and JSON bodies from the OpenAPI schema,
    pointing every id at the target owner's objects."""

    def __init__(self, app: Any, ids: dict[str, int]) -> None:
        self.spec = app.openapi()
        self.ids = ids
        self.n = 0

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"]
                return self._resolve(options[0]) if options else {"type": "null"}
        return schema

    def value(self, name: str, schema: dict[str, Any]) -> Any:
        s = self._resolve(schema)
        kind = s.get("type")
        if "enum" in s:
            return s["enum"][0]
        if name in self.ids and kind in ("integer", None):
            return self.ids[name]
        if kind == "integer":
            return 1 if "qty" in name or "count" in name else self.ids.get("any_id", 1)
        if kind == "number":
            return 1.0
        if kind == "boolean":
            return False
        if kind == "array":
            return [self.value(name.rstrip("s"), s.get("items", {}))]
        if kind == "object":
            props = s.get("properties", {})
            return {k: self.value(k, v) for k, v in props.items()}
        if s.get("format") == "date":
            return "2027-06-30"
        if s.get("format") == "date-time":
            return "2026-10-02T08:00:00+00:00"
        self.n += 1
        return self.ids.get(f"str:{name}", f"N{self.n:04d}")

    def request(self, method: str, path: str) -> tuple[str, dict[str, Any], Any]:
        op = self.spec["paths"].get(path, {}).get(method.lower(), {})
        url = path
        params: dict[str, Any] = {}
        for p in op.get("parameters", []):
            v = self.value(p["name"], p.get("schema", {}))
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", str(self.ids.get(
                    f"path:{path}:{p['name']}", v)))
            elif p["in"] == "query" and p["name"] not in ("limit", "offset", "before_id"):
                params[p["name"]] = v
        url = re.sub(r"\{[^}]+\}", "1", url)
        body = None
        rb = op.get("requestBody", {}).get("content", {}).get("application/json")
        if rb:
            body = self.value("body", rb["schema"])
        return url, params, body


#: Endpoints that stream until the client leaves (server-sent events): only the status
#: line is read, or the matrix would wait on them forever.
STREAMING = {"/events"}


def _send(client: TestClient, method: str, url: str, params: dict[str, Any], body: Any,
          headers: dict[str, str]) -> Any:
    if url in STREAMING:
        with client.stream(method, url, params=params, headers=headers) as r:
            if r.status_code != 200:
                r.read()  # a refusal is a small problem+json body, not a stream
            return r
    return client.request(method, url, params=params, headers=headers,
                          json=body if method != "GET" else None)


# -- role matrix -------------------------------------------------------------------------


def test_each_role_gets_exactly_what_its_role_allows_on_every_endpoint(ctx: Context) -> None:
    world = build_world(ctx)
    headers = {}
    for role in Role:
        owners = [world.owner] if role in (Role.CLIENT, Role.INTEGRATION) else []
        make_user(ctx, f"u-{role.value}", role.value, owners)
        headers[role] = token_headers(ctx, f"u-{role.value}")
    app = _full_app(auth_ctx(ctx))
    client = TestClient(app, raise_server_exceptions=False)
    builder = Builder(app, {"any_id": 999_999})
    wrong: list[tuple[str, str, str, int]] = []
    checked = 0
    for method, path, tags in _endpoints(app):
        rule = policy.rule_for(method, path, tags)
        if (rule is not None and rule.perm == policy.PUBLIC) or path in STREAMS:
            continue
        url, params, body = builder.request(method, path)
        for role in Role:
            principal = Principal(1, "x", role, None, ROLE_PERMISSIONS[role])
            expect_allowed = policy.allowed(principal, rule)
            r = _send(client, method, url, params, body, headers[role])
            checked += 1
            # Only the policy's refusal counts; a handler's own object check (another
            # user's tokens) is a 403 of a different kind.
            refused = r.status_code == 401 or (
                r.status_code == 403 and r.json()["detail"].startswith("your role"))
            if expect_allowed == refused:
                wrong.append((role.value, method, path, r.status_code))
    print(f"\nrole matrix: {checked} role × endpoint requests, {len(wrong)} wrong")
    assert wrong == []


def test_without_credentials_every_non_public_endpoint_is_401(ctx: Context) -> None:
    app = _full_app(auth_ctx(ctx))
    client = TestClient(app)
    builder = Builder(app, {"any_id": 1})
    for method, path, tags in _endpoints(app):
        rule = policy.rule_for(method, path, tags)
        if rule is not None and rule.perm == policy.PUBLIC:
            continue
        url, params, body = builder.request(method, path)
        r = _send(client, method, url, params, body, {})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "unauthorized"


# -- cross-owner matrix ----------------------------------------------------------------

SKIP_TABLES = {t.name for t in (access_tables.users, access_tables.user_owners,
                                access_tables.api_tokens, access_tables.token_owners,
                                access_tables.sessions, access_tables.audit_log)}
#: A refused scan is logged as an exception by design (the refusal is the record).
SKIP_TABLES |= {"scan_exceptions"}


def _fingerprint(ctx: Context) -> str:
    h = hashlib.sha256()
    with ctx.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(table)))
            h.update(f"{table.name}:{len(rows)}:{'|'.join(rows)}".encode())
    return h.hexdigest()


def _leaks(data: Any, world: World, markers: tuple[str, ...]) -> bool:
    if isinstance(data, dict):
        if data.get("owner_id") == world.other_owner or (
                data.get("id") == world.other_owner and "code" in data and "name" in data
                and data.get("code") == "NORDIC"):
            return True
        return any(_leaks(v, world, markers) for v in data.values())
    if isinstance(data, list):
        return any(_leaks(v, world, markers) for v in data)
    return isinstance(data, str) and any(m in data for m in markers)


def _other_owner_objects(ctx: Context, world: World) -> dict[str, int]:
    """NORDIC's stock, a hold, a lot and a movement, to aim requests at."""
    candle = catalog.create_item(ctx, ItemSpec(world.other_owner, "CANDLE-SOY", "Soy candle",
                                               (gtin(4),), lot_tracked=True))["id"]
    catalog.create_lot(ctx, candle, "L2406N", None, None)
    res = ledger.post_movement(ctx, move(world.other_owner, world.other_item, world.supplier,
                                         world.bins[0], 40, type=MovementType.RECEIPT))
    hold = holds.place_hold(ctx, owner_id=world.other_owner, item_id=world.other_item,
                             facility_id=world.facility, qty=5, location_id=world.bins[0])
    return {"owner_id": world.other_owner, "item_id": world.other_item,
            "facility_id": world.facility, "location_id": world.bins[0],
            "from_location_id": world.bins[0], "to_location_id": world.bins[1],
            "movement_id": res["movement_id"], "hold_id": hold["hold_id"],
            "any_id": world.other_owner, "str:sku": "LAMP-OAK", "str:lot": "L2406N",
            "str:item_scan": gtin(3), "str:location_scan": "A-01-01-A"}


def test_no_endpoint_shows_or_changes_another_owners_objects_for_any_role(
        ctx: Context) -> None:
    world = build_world(ctx)
    ids = _other_owner_objects(ctx, world)
    make_user(ctx, "boss", "admin")
    admin = token_headers(ctx, "boss")
    scoped: dict[str, dict[str, str]] = {}
    for role in Role:
        if role is Role.ADMIN:
            continue
        make_user(ctx, f"acme-{role.value}", role.value, [world.owner])
        scoped[role.value] = token_headers(ctx, f"acme-{role.value}")
    actx = auth_ctx(ctx, rate_limit_burst=100_000)
    app = _full_app(actx)
    client = TestClient(app, raise_server_exceptions=False)
    builder = Builder(app, ids)
    endpoints = [e for e in _endpoints(app)
                 if not e[1].startswith("/api/auth") and e[1] not in STREAMS
                 and policy.rule_for(*e) is not None
                 and policy.rule_for(*e).perm != policy.PUBLIC]
    # NORDIC's documents, created by an admin, so {…_id} parameters can point at them.
    for method, path, _ in endpoints:
        if method == "POST" and "{" not in path:
            url, params, body = builder.request(method, path)
            r = _send(client, method, url, params, body, admin)
            if r.status_code == 201 and isinstance(r.json(), dict) and "id" in r.json():
                for _m2, p2, _ in endpoints:
                    if p2.startswith(path + "/{"):
                        name = p2[len(path) + 2:].split("}", 1)[0]
                        ids.setdefault(f"path:{p2}:{name}", r.json()["id"])
    markers = ("NORDIC", "Nordic Home", "LAMP-OAK", "Oak table lamp", gtin(3), "L2406N",
               "CANDLE-SOY", gtin(4))
    leaks: list[tuple[str, str, str, int]] = []
    writes: list[tuple[str, str, str, int]] = []
    live = requests = 0
    state = _fingerprint(actx)
    for method, path, _ in endpoints:
        url, params, body = builder.request(method, path)
        variants = [(params, body)] + ([({}, None)] if method == "GET" and params else [])
        for role, headers in scoped.items():
            for qp, b in variants:
                r = _send(client, method, url, qp, b, headers)
                requests += 1
                if url in STREAMING:
                    continue  # its per-owner filter is tested in tests/api/test_web_pages.py
                with contextlib.suppress(ValueError):
                    if _leaks(r.json(), world, markers):
                        leaks.append((role, method, url, r.status_code))
                if method != "GET" and (after := _fingerprint(actx)) != state:
                    writes.append((role, method, url, r.status_code))
                    state = after
        if _send(client, method, url, params, body, admin).status_code < 300:
            live += 1
            state = _fingerprint(actx) if method != "GET" else state
    print(f"\ncross-owner matrix: {len(endpoints)} endpoints × {len(scoped)} roles = "
          f"{requests} requests; {live} endpoints live for an admin; "
          f"{len(leaks)} leaks, {len(writes)} writes")
    assert leaks == []
    assert writes == []
    assert live >= 15, "the matrix should exercise real requests, not just 422s"


def test_role_permissions_never_grant_user_management_below_admin() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        if role is not Role.ADMIN:
            assert Perm.USERS not in perms and Perm.ADMIN not in perms and Perm.CATALOG not in perms
