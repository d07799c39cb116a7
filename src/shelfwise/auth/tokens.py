"""Opaque secrets for API tokens and session cookies.

Each is 32 random bytes, so a single SHA-256 (no salt, no stretching) is enough to store
it: guessing is hopeless and lookup by digest is one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "sw_"


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """What listings show of a token: enough to recognise it, useless to an attacker."""
    return token[: len(TOKEN_PREFIX) + 6]


def bearer(authorization: str | None) -> str | None:
    """The token from an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
