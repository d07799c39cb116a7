"""Request-scoped dependencies: the service context and the caller's owner scope."""

from __future__ import annotations

from fastapi import Query, Request

from shelfwise.services.context import Context


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


def get_scope(request: Request) -> frozenset[int] | None:
    """Owner ids the caller may see; ``None`` means every owner (warehouse staff).

    Authentication sets ``request.state.scope``; every query takes it.
    """
    return getattr(request.state, "scope", None)


def page(limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000)):
    return {"limit": limit, "offset": offset}


def get_actor(request: Request) -> str:
    """Who is calling, recorded on every movement (set by authentication)."""
    return getattr(request.state, "actor", None) or "api"
