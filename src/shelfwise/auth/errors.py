"""Refusals of access, as named errors the API maps to problem+json."""

from __future__ import annotations

from shelfwise.domain.errors import ShelfwiseError


class Unauthorized(ShelfwiseError):
    """No valid credentials (401): log in or send ``Authorization: Bearer <token>``."""

    code = "unauthorized"
    status = 401


class Forbidden(ShelfwiseError):
    """Valid credentials, but the role or token does not allow this (403)."""

    code = "forbidden"
    status = 403
