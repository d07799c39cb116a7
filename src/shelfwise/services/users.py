"""User accounts, logins, web sessions and API tokens.

There are no default accounts: a fresh database has no users and refuses every request
until ``shelfwise user create`` (or ``shelfwise demo``) makes one. Every change here is
written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.auth import audit, passwords, tokens
from shelfwise.auth.audit import Origin
from shelfwise.auth.errors import Forbidden, Unauthorized
from shelfwise.auth.roles import (
    OWNER_BOUND_ROLES,
    ROLE_PERMISSIONS,
    Principal,
    Role,
    effective,
    parse_role,
    parse_scopes,
)
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.services.context import Context
from shelfwise.storage.access_tables import api_tokens, sessions, token_owners, user_owners, users
from shelfwise.storage.tables import owners

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_role") from None


def _validate_username(username: str) -> str:
    name = username.strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise InvalidInput("user names are 2-64 characters of a-z, 0-9, '.', '_', '-', '@'",
                           code="invalid_username")
    return name


def _hash(password: str) -> str:
    try:
        return passwords.hash_password(password)
    except ValueError as e:
        raise InvalidInput(str(e), code="weak_password") from None


def _check_owners(conn: Connection, owner_ids: list[int]) -> list[int]:
    ids = sorted(set(owner_ids))
    if ids:
        found = set(conn.execute(sa.select(owners.c.id).where(owners.c.id.in_(ids))).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"owners {missing} do not exist", code="owner_not_found")
    return ids


def owner_ids_for_codes(ctx: Context, codes: list[str]) -> list[int]:
    with ctx.read() as conn:
        found = dict(conn.execute(sa.select(owners.c.code, owners.c.id)
                                  .where(owners.c.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(f"owners {missing} do not exist", code="owner_not_found")
    return [found[c] for c in codes]


def _owners_of(conn: Connection, table: sa.Table, key: str, key_id: int) -> list[int]:
    return list(conn.execute(sa.select(table.c.owner_id).where(table.c[key] == key_id)
                             .order_by(table.c.owner_id)).scalars())


def _user_dict(conn: Connection, row: Any) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "role": row.role, "active": row.active,
            "owner_ids": _owners_of(conn, user_owners, "user_id", row.id),
            "has_password": row.password_hash is not None,
            "created_at": row.created_at.isoformat()}


def count_users(ctx: Context) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()


def create_user(ctx: Context, username: str, role: str, *, password: str | None = None,
                owner_ids: list[int] = (), actor: Principal | None = None,  # type: ignore[assignment]
                origin: Origin | None = None) -> dict[str, Any]:
    """A user; clients and integrations must be given the owners they belong to."""
    name, r = _validate_username(username), _role(role)
    if r in OWNER_BOUND_ROLES and not owner_ids:
        raise InvalidInput(f"a {r.value} user needs at least one owner", code="owner_required")
    if r is not Role.INTEGRATION and password is None:
        raise InvalidInput("a password is required", code="password_required")
    pw_hash = _hash(password) if password is not None else None
    now = ctx.now()
    with ctx.write() as conn:
        ids = _check_owners(conn, list(owner_ids))
        if conn.execute(sa.select(users.c.id).where(users.c.username == name)).first():
            raise Conflict(f"user {name} already exists", code="username_taken")
        uid = conn.execute(users.insert().values(
            username=name, password_hash=pw_hash, role=r.value, active=True,
            created_at=now, updated_at=now).returning(users.c.id)).scalar_one()
        if ids:
            conn.execute(user_owners.insert(), [{"user_id": uid, "owner_id": o} for o in ids])
        audit.record_in(conn, ctx, action="user.create", target=f"user:{name}", outcome="ok",
                        principal=actor, actor=None if actor else "cli", origin=origin,
                        detail={"role": r.value, "owner_ids": ids})
        return _user_dict(conn, conn.execute(sa.select(users).where(users.c.id == uid)).one())


def list_users(ctx: Context) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        return [_user_dict(conn, r) for r in conn.execute(sa.select(users).order_by(users.c.id))]


def get_user(ctx: Context, user_id: int) -> dict[str, Any]:
    with ctx.read() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        return _user_dict(conn, row)


def user_id_for(ctx: Context, username: str) -> int:
    with ctx.read() as conn:
        uid = conn.execute(sa.select(users.c.id).where(
            users.c.username == username.strip().lower())).scalar()
    if uid is None:
        raise NotFound(f"user {username} does not exist", code="user_not_found")
    return uid


def update_user(ctx: Context, user_id: int, *, role: str | None = None,
                owner_ids: list[int] | None = None, active: bool | None = None,
                password: str | None = None, actor: Principal | None = None,
                origin: Origin | None = None) -> dict[str, Any]:
    """Change role, owners, active flag or password; role and owner changes are audited as
    ``user.role_change``. Deactivating a user ends their sessions and tokens at once."""
    with ctx.write() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        new_role = _role(role) if role is not None else Role(row.role)
        ids = (_check_owners(conn, owner_ids) if owner_ids is not None
               else _owners_of(conn, user_owners, "user_id", user_id))
        if new_role in OWNER_BOUND_ROLES and not ids:
            raise InvalidInput(f"a {new_role.value} user needs at least one owner",
                               code="owner_required")
        values: dict[str, Any] = {"updated_at": ctx.now(), "role": new_role.value}
        if active is not None:
            values["active"] = active
        if password is not None:
            values["password_hash"] = _hash(password)
        conn.execute(users.update().where(users.c.id == user_id).values(**values))
        if owner_ids is not None:
            conn.execute(user_owners.delete().where(user_owners.c.user_id == user_id))
            if ids:
                conn.execute(user_owners.insert(),
                             [{"user_id": user_id, "owner_id": o} for o in ids])
        if role is not None or owner_ids is not None:
            audit.record_in(conn, ctx, action="user.role_change", target=f"user:{row.username}",
                            outcome="ok", principal=actor, actor=None if actor else "cli",
                            origin=origin, detail={"from": row.role, "to": new_role.value,
                                                   "owner_ids": ids})
        if active is not None or password is not None:
            audit.record_in(conn, ctx, action="user.update", target=f"user:{row.username}",
                            outcome="ok", principal=actor, actor=None if actor else "cli",
                            origin=origin, detail={"active": active,
                                                   "password_changed": password is not None})
        return _user_dict(conn, conn.execute(sa.select(users).where(users.c.id == user_id)).one())


# -- sessions ---------------------------------------------------------------------------


def login(ctx: Context, username: str, password: str, *, origin: Origin | None = None,
          hours: int = 12) -> tuple[str, Principal]:
    """Check a password and open a session; returns the cookie secret and the principal.

    A failure says only "invalid credentials", whatever the reason, and is audited."""
    name = username.strip().lower()[:64]
    with ctx.read() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == name)).first()
    ok = passwords.verify_password(row.password_hash if row else None, password)
    if not ok or row is None or not row.active:
        audit.record(ctx, action="login", target=f"user:{name}", outcome="failure",
                     actor=name, origin=origin)
        raise Unauthorized("invalid user name or password", code="invalid_credentials")
    secret, csrf = tokens.new_secret(), tokens.new_secret()
    now = ctx.now()
    with ctx.write() as conn:
        sid = conn.execute(sessions.insert().values(
            user_id=row.id, token_hash=tokens.digest(secret), csrf_token=csrf, created_at=now,
            expires_at=now + timedelta(hours=hours),
            device=(origin.device if origin else "")[:64]).returning(sessions.c.id)).scalar_one()
        if passwords.needs_rehash(row.password_hash):
            conn.execute(users.update().where(users.c.id == row.id).values(
                password_hash=passwords.hash_password(password)))
        principal = _principal(conn, row, session_id=sid, csrf=csrf)
        audit.record_in(conn, ctx, action="login", target=f"user:{name}", outcome="success",
                        principal=principal, origin=origin)
    return secret, principal


def logout(ctx: Context, principal: Principal, origin: Origin | None = None) -> None:
    if principal.session_id is None:
        return
    with ctx.write() as conn:
        conn.execute(sessions.update().where(sessions.c.id == principal.session_id)
                     .values(ended_at=ctx.now()))
        audit.record_in(conn, ctx, action="logout", target=f"user:{principal.username}",
                        outcome="ok", principal=principal, origin=origin)


def _principal(conn: Connection, user: Any, *, session_id: int | None = None,
               csrf: str | None = None, token: Any = None) -> Principal:
    role = Role(user.role)
    uo = frozenset(_owners_of(conn, user_owners, "user_id", user.id)) or None
    if token is None:
        return Principal(user.id, user.username, role, uo, ROLE_PERMISSIONS[role],
                         session_id=session_id, csrf_token=csrf)
    to = frozenset(_owners_of(conn, token_owners, "token_id", token.id)) or None
    owners_, perms = effective(role, uo, to, parse_scopes(token.scopes) or None)
    return Principal(user.id, user.username, role, owners_, perms, token_id=token.id)


def principal_for_session(ctx: Context, secret: str) -> Principal | None:
    now = ctx.now()
    with ctx.read() as conn:
        s = conn.execute(sa.select(sessions).where(
            sessions.c.token_hash == tokens.digest(secret), sessions.c.ended_at.is_(None),
            sessions.c.expires_at > now)).first()
        if s is None:
            return None
        user = conn.execute(sa.select(users).where(users.c.id == s.user_id,
                                                   users.c.active.is_(True))).first()
        return None if user is None else _principal(conn, user, session_id=s.id,
                                                    csrf=s.csrf_token)


# -- API tokens -------------------------------------------------------------------------


def principal_for_token(ctx: Context, token: str) -> Principal | None:
    now = ctx.now()
    with ctx.read() as conn:
        t = conn.execute(sa.select(api_tokens).where(
            api_tokens.c.token_hash == tokens.digest(token),
            api_tokens.c.revoked_at.is_(None))).first()
        if t is None or (t.expires_at is not None and _aware(t.expires_at, now) <= now):
            return None
        user = conn.execute(sa.select(users).where(users.c.id == t.user_id,
                                                   users.c.active.is_(True))).first()
        principal = None if user is None else _principal(conn, user, token=t)
        stale = t.last_used_at is None or _aware(t.last_used_at, now) < now - timedelta(minutes=5)
    if principal is not None and stale:
        with ctx.write() as conn:  # throttled, so a busy handheld is not a write per scan
            conn.execute(api_tokens.update().where(api_tokens.c.id == t.id)
                         .values(last_used_at=now))
    return principal


def _aware(value: datetime, like: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; compare like with like."""
    return value.replace(tzinfo=like.tzinfo) if value.tzinfo is None else value


def create_token(ctx: Context, user_id: int, name: str, *, owner_ids: list[int] = (),  # type: ignore[assignment]
                 scopes: list[str] = (), expires_at: datetime | None = None,  # type: ignore[assignment]
                 actor: Principal | None = None,
                 origin: Origin | None = None) -> dict[str, Any]:
    """A new API token for ``user_id``; the secret is in the result and nowhere else, ever.

    Its owners must lie within the user's (and the creator's) owners and its scopes within
    the user's role, so a token can narrow access but never widen it."""
    if not 1 <= len(name) <= 100:
        raise InvalidInput("token names are 1-100 characters", code="invalid_name")
    try:
        wanted = parse_scopes(list(scopes))
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_scope") from None
    secret = tokens.new_api_token()
    with ctx.write() as conn:
        user = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if user is None:
            raise NotFound(f"user {user_id} does not exist", code="user_not_found")
        role = Role(user.role)
        extra = wanted - ROLE_PERMISSIONS[role]
        if extra:
            raise InvalidInput(f"a {role.value} cannot hold scopes {sorted(extra)}",
                               code="invalid_scope")
        ids = _check_owners(conn, list(owner_ids))
        limits = [frozenset(_owners_of(conn, user_owners, "user_id", user.id)) or None,
                  actor.owners if actor else None]
        for limit in limits:
            if limit is not None and not set(ids) <= limit:
                raise Forbidden("a token cannot reach owners its user cannot",
                                code="owner_not_allowed")
        tid = conn.execute(api_tokens.insert().values(
            user_id=user.id, name=name, token_hash=tokens.digest(secret),
            prefix=tokens.display_prefix(secret), scopes=" ".join(sorted(wanted)),
            created_at=ctx.now(), created_by=actor.username if actor else "cli",
            expires_at=expires_at).returning(api_tokens.c.id)).scalar_one()
        if ids:
            conn.execute(token_owners.insert(), [{"token_id": tid, "owner_id": o} for o in ids])
        audit.record_in(conn, ctx, action="token.create", target=f"token:{tid}", outcome="ok",
                        principal=actor, actor=None if actor else "cli", origin=origin,
                        detail={"user": user.username, "owner_ids": ids,
                                "scopes": sorted(wanted)})
        return {**_token_dict(conn, _token_row(conn, tid)), "token": secret}


def _token_row(conn: Connection, token_id: int) -> Any:
    return conn.execute(sa.select(api_tokens, users.c.username)
                        .join(users, users.c.id == api_tokens.c.user_id)
                        .where(api_tokens.c.id == token_id)).first()


def _token_dict(conn: Connection, t: Any) -> dict[str, Any]:
    iso = lambda v: v.isoformat() if v is not None else None  # noqa: E731
    return {"id": t.id, "user_id": t.user_id, "username": t.username, "name": t.name,
            "prefix": t.prefix, "scopes": t.scopes.split(),
            "owner_ids": _owners_of(conn, token_owners, "token_id", t.id),
            "created_at": iso(t.created_at), "created_by": t.created_by,
            "expires_at": iso(t.expires_at), "revoked_at": iso(t.revoked_at),
            "last_used_at": iso(t.last_used_at)}


def list_tokens(ctx: Context, user_id: int | None = None) -> list[dict[str, Any]]:
    q = (sa.select(api_tokens, users.c.username).join(users, users.c.id == api_tokens.c.user_id)
         .order_by(api_tokens.c.id))
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    with ctx.read() as conn:
        return [_token_dict(conn, t) for t in conn.execute(q)]


def revoke_token(ctx: Context, token_id: int, *, user_id: int | None = None,
                 actor: Principal | None = None, origin: Origin | None = None) -> dict[str, Any]:
    """Revoke at once (the next request with it gets 401). ``user_id`` limits the revocation
    to that user's own tokens; another user's token is "not found", not "forbidden"."""
    with ctx.write() as conn:
        t = _token_row(conn, token_id)
        if t is None or (user_id is not None and t.user_id != user_id):
            raise NotFound(f"token {token_id} does not exist", code="token_not_found")
        if t.revoked_at is None:
            conn.execute(api_tokens.update().where(api_tokens.c.id == token_id)
                         .values(revoked_at=ctx.now()))
            audit.record_in(conn, ctx, action="token.revoke", target=f"token:{token_id}",
                            outcome="ok", principal=actor, actor=None if actor else "cli",
                            origin=origin, detail={"user": t.username})
        return _token_dict(conn, _token_row(conn, token_id))


# -- demo -------------------------------------------------------------------------------


def create_demo_users(ctx: Context, owners_: list[dict[str, Any]] | list[int]
                      ) -> list[tuple[str, str, str]]:
    """One user per role with a random password, returned once to print: the demo is
    usable without any default password existing anywhere. ``owners_`` are owner rows or
    ids; the client user gets the first."""
    first = owners_[0]["id"] if owners_ and isinstance(owners_[0], dict) else (
        owners_[0] if owners_ else None)
    out = []
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR, Role.PLANNER, Role.CLIENT):
        if role is Role.CLIENT and first is None:
            continue
        password = secrets.token_urlsafe(12)
        name = f"demo-{role.value}"
        create_user(ctx, name, role.value, password=password,
                    owner_ids=[first] if role is Role.CLIENT else [])
        out.append((name, role.value, password))
    return out


