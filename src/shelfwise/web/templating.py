"""Jinja2 environment and the per-request facts every page needs (scope, actor)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from shelfwise.services.context import Context

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
Scope = frozenset[int] | None


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _qty(value: int | None) -> str:
    return "" if value is None else f"{int(value):,}"


templates.env.filters["when"] = _when
templates.env.filters["qty"] = _qty
templates.env.filters["svg"] = Markup  # charts.py escapes every value it draws


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def scope_of(request: Request) -> Scope:
    """Owner ids the user may see (set by authentication); ``None`` = every owner."""
    return getattr(request.state, "scope", None)


def actor_of(request: Request) -> str:
    return getattr(request.state, "actor", None) or "web"


def device_of(request: Request) -> str:
    return (request.headers.get("x-device") or "browser")[:64]


def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("scope", scope_of(request))
    values.setdefault("actor", actor_of(request))
    principal = getattr(request.state, "principal", None)
    # Cookie sessions must send their CSRF token with every htmx POST (see auth.csrf).
    values.setdefault("csrf_token", getattr(principal, "csrf_token", "") or "")
    # What the nav offers follows the permissions (no principal = authentication off).
    values.setdefault("can", {str(p) for p in principal.permissions} if principal is not None
                      else None)
    return templates.TemplateResponse(request, name, values, status_code=status)
