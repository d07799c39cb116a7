"""``shelfwise user`` and ``shelfwise token``: accounts and API tokens from the shell.

Wire into the main CLI with::

    from shelfwise.cli_access import token_app, user_app
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")

Passwords are prompted (hidden, twice) or read from stdin with ``--password-stdin``, never
taken as an argument (shell history, ``ps``). A token is printed once and never again.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.settings import Settings

user_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for handhelds and integrations.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DbUrl = Annotated[str | None, typer.Option("--database-url",
                                           help="Overrides SHELFWISE_DATABASE_URL.")]
Owners = Annotated[list[str] | None, typer.Option("--owner", help="Owner code (repeatable).")]


def _ctx(database_url: str | None):  # type: ignore[no-untyped-def]
    from shelfwise.bootstrap import build_context

    return build_context(Settings.from_env(database_url=database_url))


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]{getattr(exc, 'detail', exc)}[/red]")
    return typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(
        help="admin, supervisor, operator, planner, client or integration")],
    owner: Owners = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    no_password: Annotated[bool, typer.Option(
        "--no-password", help="Token-only account (integrations).")] = False,
    database_url: DbUrl = None,
) -> None:
    """Create a user (clients and integrations need at least one --owner)."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import users

    ctx = _ctx(database_url)
    try:
        owner_ids = users.owner_ids_for_codes(ctx, owner or [])
        password = None if no_password else _read_password(password_stdin)
        row = users.create_user(ctx, username, role, password=password, owner_ids=owner_ids)
    except ShelfwiseError as e:
        raise _fail(e) from None
    console.print(f"[green]created {row['username']} ({row['role']})[/green]")


@user_app.command("list")
def user_list(database_url: DbUrl = None) -> None:
    from shelfwise.services import users

    t = Table(title="users")
    for col in ("id", "username", "role", "owners", "active"):
        t.add_column(col)
    for u in users.list_users(_ctx(database_url)):
        t.add_row(str(u["id"]), u["username"], u["role"],
                  ",".join(map(str, u["owner_ids"])) or "all", str(u["active"]))
    console.print(t)


@user_app.command("set-role")
def user_set_role(
    username: str,
    role: Annotated[str, typer.Option()],
    owner: Owners = None,
    database_url: DbUrl = None,
) -> None:
    """Change a user's role (and, with --owner, their owners)."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import users

    ctx = _ctx(database_url)
    try:
        ids = users.owner_ids_for_codes(ctx, owner) if owner else None
        row = users.update_user(ctx, users.user_id_for(ctx, username), role=role, owner_ids=ids)
    except ShelfwiseError as e:
        raise _fail(e) from None
    console.print(f"[green]{row['username']} is now {row['role']}[/green]")


@user_app.command("set-password")
def user_set_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    database_url: DbUrl = None,
) -> None:
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import users

    ctx = _ctx(database_url)
    try:
        users.update_user(ctx, users.user_id_for(ctx, username),
                          password=_read_password(password_stdin))
    except ShelfwiseError as e:
        raise _fail(e) from None
    console.print("[green]password changed[/green]")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="Whose token.")],
    name: Annotated[str, typer.Option(help="What it is for, e.g. 'handheld 7'.")] = "cli",
    owner: Owners = None,
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="Permission the token is limited to (repeatable).")] = None,
    database_url: DbUrl = None,
) -> None:
    """Create an API token and print it — once: it is stored only as a hash."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import users

    ctx = _ctx(database_url)
    try:
        row = users.create_token(ctx, users.user_id_for(ctx, user), name,
                                 owner_ids=users.owner_ids_for_codes(ctx, owner or []),
                                 scopes=scope or [])
    except ShelfwiseError as e:
        raise _fail(e) from None
    err.print(f"token {row['id']} for {row['username']} — shown once, store it now:")
    print(row["token"])


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user")] = None,
    database_url: DbUrl = None,
) -> None:
    from shelfwise.services import users

    ctx = _ctx(database_url)
    t = Table(title="API tokens")
    for col in ("id", "user", "name", "prefix", "scopes", "owners", "created", "revoked"):
        t.add_column(col)
    for r in users.list_tokens(ctx, users.user_id_for(ctx, user) if user else None):
        t.add_row(str(r["id"]), r["username"], r["name"], r["prefix"] + "…",
                  " ".join(r["scopes"]) or "role", ",".join(map(str, r["owner_ids"])) or "user's",
                  (r["created_at"] or "")[:19], (r["revoked_at"] or "")[:19])
    console.print(t)


@token_app.command("revoke")
def token_revoke(token_id: int, database_url: DbUrl = None) -> None:
    """Revoke a token: the next request made with it is refused (401)."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import users

    try:
        users.revoke_token(_ctx(database_url), token_id)
    except ShelfwiseError as e:
        raise _fail(e) from None
    console.print(f"[green]token {token_id} revoked[/green]")
