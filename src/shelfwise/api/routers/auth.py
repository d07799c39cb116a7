"""Log in and out, who am I, API tokens, users and roles, the audit log.

Who may call each endpoint is decided by :mod:`shelfwise.auth.policy` like any other
route; the checks here are only about *which* objects (your own tokens unless admin).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shelfwise.api.deps import get_ctx
from shelfwise.api.errors import problem
from shelfwise.auth import audit, sessions
from shelfwise.auth.errors import Forbidden, Unauthorized
from shelfwise.auth.policy import origin_of, principal_of
from shelfwise.auth.roles import Principal
from shelfwise.domain.errors import InvalidInput
from shelfwise.services import users
from shelfwise.services.context import Context

router = APIRouter(prefix="/auth", tags=["auth"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(Body):
    name: str = Field(min_length=1, max_length=100)
    username: str | None = Field(None, max_length=64,
                                 description="whose token (admins only; default: yours)")
    owner_ids: list[int] = Field(default_factory=list, max_length=100)
    scopes: list[str] = Field(default_factory=list, max_length=20)
    expires_at: datetime | None = None


class UserIn(Body):
    username: str = Field(min_length=2, max_length=64)
    role: str = Field(max_length=20)
    password: str | None = Field(None, min_length=10, max_length=1024)
    owner_ids: list[int] = Field(default_factory=list, max_length=100)


class UserPatch(Body):
    role: str | None = Field(None, max_length=20)
    owner_ids: list[int] | None = Field(None, max_length=100)
    active: StrictBool | None = None
    password: str | None = Field(None, min_length=10, max_length=1024)


LOGIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Shelfwise — log in</title></head><body><main><h1>Shelfwise</h1>
<form method="post" action="/api/auth/login"><input type="hidden" name="next" value="{next}">
<label>User name <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
required></label><button type="submit">Log in</button></form>{error}</main></body></html>"""


def _principal(request: Request) -> Principal:
    return principal_of(request)


def _safe_next(value: str | None) -> str:
    """Only same-site paths, so the login form is no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str = Query("/", max_length=500)) -> HTMLResponse:
    return HTMLResponse(LOGIN_FORM.format(next=html.escape(_safe_next(next)), error=""))


@router.post("/login", responses={401: {"description": "invalid credentials"}})
async def login(request: Request, ctx: Context = Depends(get_ctx)) -> Response:
    """JSON ``{username, password}`` (scripts; returns the CSRF token) or an HTML form
    (redirects to ``next``). Sets the session cookie either way."""
    is_form = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data"))
    if is_form:
        form = await request.form()
        raw = {k: str(form.get(k, "")) for k in ("username", "password")}
        nxt = _safe_next(str(form.get("next", "/")))
    else:
        try:
            raw = await request.json()
        except ValueError:
            raise InvalidInput("send JSON {username, password} or a form",
                               code="malformed_json") from None
        nxt = None
    creds = LoginIn.model_validate(raw) if isinstance(raw, dict) else None
    if creds is None:
        raise InvalidInput("send JSON {username, password}", code="invalid_request")
    origin = origin_of(request)
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is not None:
        wait = limiter.take(f"{origin.ip}:{creds.username.lower()}")
        if wait:
            audit.record(ctx, action="login", target=f"user:{creds.username.lower()[:64]}",
                         outcome="rate_limited", actor=creds.username.lower()[:64],
                         origin=origin)
            resp = problem(429, "rate_limited", "too many login attempts; wait a minute")
            resp.headers["Retry-After"] = str(max(1, round(wait)))
            return resp
    try:
        secret, principal = users.login(ctx, creds.username, creds.password, origin=origin,
                                        hours=ctx.settings.session_hours)
    except Unauthorized:
        if is_form:
            page = LOGIN_FORM.format(next=html.escape(nxt or "/"),
                                     error="<p role='alert'>Invalid user name or password.</p>")
            return HTMLResponse(page, status_code=401)
        raise
    response: Response
    if is_form:
        response = RedirectResponse(nxt or "/", status_code=303)
    else:
        response = JSONResponse({**_me(principal), "csrf_token": principal.csrf_token})
    sessions.set_cookie(response, secret, ctx.settings, request)
    return response


@router.post("/logout", status_code=204)
def logout(request: Request, ctx: Context = Depends(get_ctx)) -> Response:
    users.logout(ctx, _principal(request), origin_of(request))
    response = Response(status_code=204)
    sessions.clear_cookie(response, ctx.settings, request)
    return response


def _me(p: Principal) -> dict[str, Any]:
    return {"username": p.username, "role": p.role.value,
            "owner_ids": sorted(p.owners) if p.owners is not None else None,
            "permissions": sorted(p.permissions), "token_id": p.token_id,
            "session": p.session_id is not None}


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """The caller, their owners and permissions (and, for a web session, its CSRF token)."""
    p = _principal(request)
    return {**_me(p), "csrf_token": p.csrf_token}


@router.get("/tokens")
def list_tokens(request: Request, username: str | None = Query(None, max_length=64),
                ctx: Context = Depends(get_ctx)) -> list[dict[str, Any]]:
    """Your tokens (admins: everyone's, or one user's). Secrets are never shown again."""
    p = _principal(request)
    if p.is_admin:
        return users.list_tokens(ctx, users.user_id_for(ctx, username) if username else None)
    if username and username.lower() != p.username:
        raise Forbidden("you may only list your own tokens", code="forbidden")
    return users.list_tokens(ctx, p.user_id)


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, request: Request,
                 ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """A new API token, shown once in ``token``: store it now, it cannot be read back."""
    p = _principal(request)
    if body.username and body.username.lower() != p.username and not p.is_admin:
        raise Forbidden("only admins create tokens for other users", code="forbidden")
    target = body.username or p.username
    if p.user_id is None and not body.username:
        raise InvalidInput("name the user the token is for", code="username_required")
    return users.create_token(ctx, users.user_id_for(ctx, target), body.name,
                              owner_ids=body.owner_ids, scopes=body.scopes,
                              expires_at=body.expires_at, actor=p if p.user_id else None,
                              origin=origin_of(request))


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: int, request: Request,
                 ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    p = _principal(request)
    return users.revoke_token(ctx, token_id, user_id=None if p.is_admin else p.user_id,
                              actor=p if p.user_id else None, origin=origin_of(request))


@router.get("/users")
def list_users(ctx: Context = Depends(get_ctx)) -> list[dict[str, Any]]:
    return users.list_users(ctx)


@router.post("/users", status_code=201)
def create_user(body: UserIn, request: Request,
                ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    p = _principal(request)
    return users.create_user(ctx, body.username, body.role, password=body.password,
                             owner_ids=body.owner_ids, actor=p if p.user_id else None,
                             origin=origin_of(request))


@router.get("/users/{user_id}")
def get_user(user_id: int, ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return users.get_user(ctx, user_id)


@router.patch("/users/{user_id}")
def update_user(user_id: int, body: UserPatch, request: Request,
                ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """Change a user's role, owners, password or active flag (role changes are audited)."""
    p = _principal(request)
    return users.update_user(ctx, user_id, role=body.role, owner_ids=body.owner_ids,
                             active=body.active, password=body.password,
                             actor=p if p.user_id else None, origin=origin_of(request))


@router.get("/audit")
def audit_log(action: str | None = Query(None, max_length=40),
              actor: str | None = Query(None, max_length=64),
              before_id: int | None = Query(None, ge=1, le=2**62),
              limit: int = Query(100, ge=1, le=500),
              ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    """Newest first; page with ``before_id``."""
    rows = audit.entries(ctx, action=action, actor=actor, before_id=before_id, limit=limit)
    return {"entries": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}
