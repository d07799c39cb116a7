"""Roles and the permissions they grant — a pure table, no I/O.

A permission is a capability a route can require (see :mod:`shelfwise.auth.policy`). A
role is a fixed set of them; an API token may narrow its user's set further (scopes) but
never widen it. Owner isolation is separate: a principal's ``owners`` limit *which* rows
any permission reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Perm(StrEnum):
    READ = "read"                      # an owner's stock, items, orders, receipts, documents
    READ_OPS = "read.ops"              # warehouse internals: bins, tasks, counts, plans
    FLOOR = "floor"                    # floor tasks: receive, put away, pick, pack, count, move
    APPROVE = "approve"                # approve count variances, overrides, release holds
    PLAN = "plan"                      # planning runs, approving suggestions
    ORDERS = "orders.create"           # create orders and ASNs
    CATALOG = "catalog.write"          # owners, facilities, zones, locations, items
    SELF = "self"                      # who am I, log out
    TOKENS = "tokens.own"              # create, list and revoke one's own API tokens
    USERS = "users.manage"             # users, roles, everyone's tokens, the audit log
    ADMIN = "admin"                    # everything, including routes without a rule


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    PLANNER = "planner"
    CLIENT = "client"
    INTEGRATION = "integration"


_OPERATOR = {Perm.READ, Perm.READ_OPS, Perm.FLOOR, Perm.ORDERS, Perm.SELF, Perm.TOKENS}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.SUPERVISOR: frozenset(_OPERATOR | {Perm.APPROVE}),
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.PLANNER: frozenset({Perm.READ, Perm.READ_OPS, Perm.PLAN, Perm.SELF, Perm.TOKENS}),
    Role.CLIENT: frozenset({Perm.READ, Perm.ORDERS, Perm.SELF, Perm.TOKENS}),
    # The ceiling for integrations; each token picks its scopes within it.
    Role.INTEGRATION: frozenset({Perm.READ, Perm.ORDERS, Perm.FLOOR, Perm.SELF}),
}

#: Roles that only ever see the owners they are given.
OWNER_BOUND_ROLES = frozenset({Role.CLIENT, Role.INTEGRATION})


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; roles are {names}") from None


def parse_scopes(values: list[str] | tuple[str, ...] | str) -> frozenset[Perm]:
    """Scope names (a list or a space/comma-separated string) → permissions."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    out = set()
    for v in values:
        try:
            out.add(Perm(v))
        except ValueError:
            names = ", ".join(p.value for p in Perm)
            raise ValueError(f"unknown scope {v!r}; scopes are {names}") from None
    return frozenset(out)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int | None
    username: str
    role: Role
    #: Owner ids this caller is limited to; None means every owner.
    owners: frozenset[int] | None
    permissions: frozenset[Perm]
    token_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = None

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    @property
    def is_admin(self) -> bool:
        return Perm.ADMIN in self.permissions


def effective(
    role: Role, user_owners: frozenset[int] | None, token_owners: frozenset[int] | None,
    token_scopes: frozenset[Perm] | None,
) -> tuple[frozenset[int] | None, frozenset[Perm]]:
    """Owners and permissions of a token: the intersection of its user's and its own."""
    perms = ROLE_PERMISSIONS[role]
    if token_scopes:
        perms = perms & token_scopes
    owners = user_owners
    if token_owners:
        owners = token_owners if owners is None else owners & token_owners
    return owners, perms


def anonymous_admin() -> Principal:
    """The caller when authentication is switched off (tests, private tools)."""
    return Principal(None, "api", Role.ADMIN, None, ROLE_PERMISSIONS[Role.ADMIN])
