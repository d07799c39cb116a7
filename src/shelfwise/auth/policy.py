"""Which permission every route needs, and the one middleware that enforces it.

Every request — to every route, including routes added after this file was written —
passes through :class:`AccessControl`, which finds the matched route, looks up its rule in
:data:`RULES` (first match wins) and refuses unless the caller's role grants the rule's
permission. A route no rule covers is refused to everyone but admins (deny by default),
and ``tests/api/test_access_matrix.py`` enumerates ``app.routes`` so a route added without
a rule shows up in review, not in production.

Rules match on HTTP method plus either a path template glob (``/api/auth/users*``) or the
route's router tags (``receiving``), so a new router is covered by its tag alone.

Owner isolation is not decided here: the middleware puts the caller's owners on
``request.state.scope`` and every service filters by it (another owner's object is 404).
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfwise.api.errors import problem
from shelfwise.auth import audit, csrf, sessions
from shelfwise.auth import tokens as tokens_
from shelfwise.auth.audit import Origin
from shelfwise.auth.ratelimit import RateLimiter
from shelfwise.auth.roles import Perm, Principal, anonymous_admin
from shelfwise.services import users
from shelfwise.services.context import Context

log = logging.getLogger("shelfwise.auth")

PUBLIC: Literal["public"] = "public"
READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY = READS | WRITES


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    perm: Perm | Literal["public"]
    path: str | None = None
    tags: frozenset[str] = frozenset()

    def matches(self, method: str, path: str, tags: Iterable[str]) -> bool:
        if method not in self.methods:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return not self.tags or bool(self.tags.intersection(tags))


def _paths(methods: frozenset[str], perm: Perm | Literal["public"], *paths: str) -> list[Rule]:
    return [Rule(methods, perm, path=p) for p in paths]


#: Router tags whose reads are an owner's own business data (clients may read them).
OWNER_DATA_TAGS = frozenset({"catalog", "ledger", "receiving", "outbound", "orders", "shipping",
                             "shipments", "returns", "documents", "invoices", "billing", "web",
                             "pages"})
#: Router tags whose reads are warehouse internals (staff only).
STAFF_DATA_TAGS = frozenset({"counting", "floor", "picking", "packing", "waves", "tasks",
                             "labels", "planning", "forecast", "replenishment", "suggestions",
                             "diagnostics", "ops", "integrations"})
#: Router tags whose writes are floor work.
FLOOR_TAGS = frozenset({"ledger", "receiving", "outbound", "orders", "picking", "packing",
                        "shipping", "shipments", "waves", "returns", "counting", "floor",
                        "tasks", "labels", "transfers"})
#: Router tags whose writes are planning.
PLAN_TAGS = frozenset({"planning", "forecast", "replenishment", "suggestions"})

RULES: tuple[Rule, ...] = (
    # Public: liveness, API docs, static assets, the login form.
    *_paths(READS, PUBLIC, "/api/health", "/docs", "/docs/oauth2-redirect", "/redoc",
            "/openapi.json", "/static*", "/favicon.ico"),
    Rule(READS | {"POST"}, PUBLIC, path="/api/auth/login"),
    # Channel webhooks authenticate by the HMAC of their body, checked by the endpoint.
    Rule(frozenset({"POST"}), PUBLIC, path="/api/channels/*/webhooks/*"),
    # One's own account and tokens; everyone else's is user administration.
    Rule(READS, Perm.SELF, path="/api/auth/me"),
    Rule(WRITES, Perm.SELF, path="/api/auth/logout"),
    Rule(ANY, Perm.TOKENS, path="/api/auth/tokens*"),
    Rule(ANY, Perm.USERS, path="/api/auth/users*"),
    Rule(READS, Perm.USERS, path="/api/auth/audit*"),
    # A planner's decisions on suggestions (approve included: approving a suggestion
    # is planning, not a floor approval), before the general approval rule below.
    Rule(WRITES, Perm.PLAN, path="/api/suggestions/*"),
    # Approvals, overrides and releases, on whichever router they live.
    *_paths(WRITES, Perm.APPROVE, "*/approve", "*/approve/*", "*/override*",
            "/api/quarantine/release", "*/release"),
    # Documents a client may raise for its own owners.
    *_paths(frozenset({"POST"}), Perm.ORDERS, "/api/orders", "/api/receipts", "/api/asns"),
    # Warehouse layout and internal tasks on otherwise client-readable routers.
    *_paths(READS, Perm.READ_OPS, "/api/locations*", "/api/zones*", "/api/ledger/verify",
            "/api/putaway-tasks*", "/api/pick-faces*", "/api/receipts/*/discrepancies",
            "/api/waves*", "/api/pick-tasks*", "/api/count-requests*"),
    # Everything else, by router tag.
    Rule(READS, Perm.READ, tags=OWNER_DATA_TAGS),
    Rule(READS, Perm.READ_OPS, tags=STAFF_DATA_TAGS),
    Rule(WRITES, Perm.CATALOG, tags=frozenset({"catalog"})),
    Rule(WRITES, Perm.FLOOR, tags=FLOOR_TAGS),
    Rule(WRITES, Perm.PLAN, tags=PLAN_TAGS),
    # Money and system integration settings: admins only, stated rather than defaulted.
    Rule(WRITES, Perm.ADMIN, tags=frozenset({"billing", "integrations"})),
)


def rule_for(method: str, path: str, tags: Iterable[str] = ()) -> Rule | None:
    """The first rule covering ``method`` on the route template ``path``; None = no rule."""
    method = "GET" if method == "HEAD" else method
    tags = list(tags)
    return next((r for r in RULES if r.matches(method, path, tags)), None)


def allowed(principal: Principal, rule: Rule | None) -> bool:
    """The decision, in one line: a rule's permission, or admin for routes without one."""
    if rule is None:
        return principal.is_admin
    return rule.perm == PUBLIC or principal.can(rule.perm)  # type: ignore[arg-type]


# -- enforcement ------------------------------------------------------------------------


class AccessControl:
    """Pure ASGI middleware: authenticate, authorize, rate-limit, check CSRF, audit."""

    def __init__(self, app: ASGIApp, ctx: Context, limiter: RateLimiter) -> None:
        self.app = app
        self.ctx = ctx
        self.limiter = limiter
        self._routes: tuple[tuple[int, ...], list[Any]] = ((), [])

    def _current_routes(self, app: Any) -> list[Any]:
        """The flattened route list, rebuilt only when routers are added."""
        key = tuple(id(r) for r in app.routes)
        if key != self._routes[0]:
            self._routes = (key, routes_of(app))
        return self._routes[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.ctx.settings.auth:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        method = scope["method"].upper()
        route = _match(scope, self._current_routes(scope["app"]))
        template, tags = (route if route else (request.url.path, ()))
        rule = rule_for(method, template, tags) if route else None
        if rule is not None and rule.perm == PUBLIC:
            await self.app(scope, receive, send)
            return
        origin = Origin(device=request.headers.get("x-device", "")[:64],
                        ip=request.client.host if request.client else "")
        principal, failure = await run_in_threadpool(self._authenticate, request)
        if principal is None:
            if _wants_page(request, method):
                # a person in a browser: to the login form, then back to the page
                target = quote(request.url.path + (f"?{request.url.query}"
                                                   if request.url.query else ""), safe="")
                await RedirectResponse(f"/api/auth/login?next={target}", status_code=303)(
                    scope, receive, send)
                return
            await _refuse(401, "unauthorized", failure, scope, receive, send,
                          {"WWW-Authenticate": "Bearer"})
            return
        wait = self.limiter.take(f"token:{principal.token_id}" if principal.token_id
                                 else f"user:{principal.user_id}")
        if wait:
            await _refuse(429, "rate_limited", "too many requests; slow down", scope, receive,
                          send, {"Retry-After": str(max(1, round(wait)))})
            return
        mutating = method in WRITES
        if route is not None and not allowed(principal, rule):
            need = rule.perm if rule else "a rule for this endpoint (admins only)"
            await _refuse(403, "forbidden", f"your role ({principal.role.value}) lacks {need}",
                          scope, receive, send)
            if mutating:
                await self._audit(principal, origin, method, template, scope, 403)
            return
        if principal.session_id is not None and method not in csrf.SAFE_METHODS:
            ok, receive = await _check_csrf(request, principal, receive,
                                            self.ctx.settings.max_body_bytes)
            if not ok:
                await _refuse(403, "csrf_failed", "missing or wrong CSRF token", scope,
                              receive, send)
                if mutating:
                    await self._audit(principal, origin, method, template, scope, 403)
                return
        state = scope.setdefault("state", {})
        state.update(principal=principal, scope=principal.owners, actor=principal.username,
                     origin=origin)
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if mutating:
                await self._audit(principal, origin, method, template, scope, status["code"])

    def _authenticate(self, request: Request) -> tuple[Principal | None, str]:
        header = request.headers.get("authorization")
        if header:
            token = tokens_.bearer(header)
            p = users.principal_for_token(self.ctx, token) if token and len(token) < 200 else None
            return p, "invalid, expired or revoked API token"
        secret = sessions.cookie_secret(request)
        if secret:
            return (users.principal_for_session(self.ctx, secret),
                    "your session has ended; log in again")
        return None, "log in, or send Authorization: Bearer <token>"

    async def _audit(self, principal: Principal, origin: Origin, method: str, template: str,
                     scope: Scope, status: int) -> None:
        action = "approve" if "/approve" in template else "api.request"
        try:
            await run_in_threadpool(
                audit.record, self.ctx, action=action, target=f"{method} {scope['path']}",
                outcome=str(status), principal=principal, origin=origin,
                detail={"route": template})
        except Exception:  # the response is already sent; losing the row must not crash
            log.exception("could not write the audit row for %s %s", method, scope["path"])


def routes_of(app: Any) -> list[Any]:
    """Every route the app serves, flattened through included routers, with the full path
    template (prefix included) and the route's tags."""
    return list(iter_route_contexts(app.routes))


def _match(scope: Scope, routes: list[Any]) -> tuple[str, list[str]] | None:
    """The route template and tags Starlette will route this request to (full match first,
    then a path-only match, so a wrong method is judged against the route's own rules)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        found = (route.path + ("*" if _is_mount(route) else ""),
                 list(getattr(route, "tags", None) or []))
        if match is Match.FULL:
            return found
        if partial is None:
            partial = found
    return partial


def _is_mount(route: Any) -> bool:
    return isinstance(getattr(route, "_effective_route", route), Mount)


def _wants_page(request: Request, method: str) -> bool:
    """A page (not the API, not the event stream) asked for by a browser."""
    path = request.url.path
    return (method == "GET" and not path.startswith("/api/") and path != "/events"
            and "text/html" in request.headers.get("accept", ""))


async def _refuse(status: int, code: str, detail: str, scope: Scope, receive: Receive,
                  send: Send, headers: dict[str, str] | None = None) -> None:
    response = problem(status, code, detail)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    await response(scope, receive, send)


async def _check_csrf(request: Request, principal: Principal, receive: Receive,
                      max_bytes: int) -> tuple[bool, Receive]:
    """Header first; for HTML form posts, the ``csrf_token`` field (the body is read here
    and replayed to the endpoint)."""
    if csrf.matches(principal.csrf_token, request.headers.get(csrf.HEADER)):
        return True, receive
    content_type = request.headers.get("content-type", "")
    if not csrf.is_form(content_type):
        return False, receive
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > max_bytes:
            return False, receive
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return csrf.matches(principal.csrf_token, csrf.token_from_form(content_type, body)), replay


def install(app: Any, ctx: Context) -> None:
    """Put access control in front of the whole app (called once by ``create_app``)."""
    s = ctx.settings
    app.state.rate_limiter = RateLimiter(s.rate_limit_per_minute, s.rate_limit_burst)
    app.state.login_limiter = RateLimiter(s.login_attempts_per_minute,
                                          s.login_attempts_per_minute)
    app.add_middleware(AccessControl, ctx=ctx, limiter=app.state.rate_limiter)


def principal_of(request: Request) -> Principal:
    """The caller of this request (an anonymous admin when authentication is off)."""
    return getattr(request.state, "principal", None) or anonymous_admin()


def origin_of(request: Request) -> Origin:
    return getattr(request.state, "origin", None) or Origin(
        device=request.headers.get("x-device", "")[:64],
        ip=request.client.host if request.client else "")
