"""Who may do what: users, their owners, API tokens, web sessions and the audit log.

Secrets are never stored: passwords as argon2 hashes, API tokens and session cookies as
SHA-256 digests of high-entropy random strings, so a copy of the database lets nobody in.
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    #: argon2id hash; NULL for accounts that only use API tokens (integrations).
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

#: The owners a user is limited to; no rows means every owner (warehouse staff).
user_owners = sa.Table(
    "user_owners",
    metadata,
    sa.Column("user_id", BigInt, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), primary_key=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("user_id", BigInt, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    #: The first characters of the token, so a user can tell their tokens apart.
    sa.Column("prefix", sa.String(16), nullable=False),
    #: Space-separated permissions the token is limited to; empty means the role's all.
    sa.Column("scopes", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("expires_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("last_used_at", TS, nullable=True),
)

#: Owners a token is further limited to (within its user's owners).
token_owners = sa.Table(
    "token_owners",
    metadata,
    sa.Column("token_id", BigInt, sa.ForeignKey("api_tokens.id"), primary_key=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), primary_key=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("user_id", BigInt, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=True),
    sa.Column("device", sa.String(64), nullable=False, server_default=""),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("user_id", BigInt, nullable=True),
    sa.Column("token_id", BigInt, nullable=True),
    sa.Column("session_id", BigInt, nullable=True),
    sa.Column("device", sa.String(64), nullable=False, server_default=""),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(300), nullable=False, server_default=""),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_action", "action"),
)
