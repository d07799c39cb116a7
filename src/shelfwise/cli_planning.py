"""``shelfwise plan`` and ``shelfwise suggestions``: plan runs and decisions from a shell.

Wired into :mod:`shelfwise.cli` by ``app.command("plan")(plan_command)`` and
``app.add_typer(suggestions_app, name="suggestions")``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.settings import Settings

console = Console()
suggestions_app = typer.Typer(help="Planning suggestions: list, approve, reject.",
                              no_args_is_help=True)
DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides SHELFWISE_DATABASE_URL.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _ctx(database_url: str | None):  # type: ignore[no-untyped-def]
    from shelfwise.bootstrap import build_context

    return build_context(Settings.from_env(database_url=database_url))


def _by_code(rows: list[dict[str, Any]], code: str | None, what: str) -> int | None:
    if code is None:
        return None
    for r in rows:
        if r["code"] == code:
            return int(r["id"])
    console.print(f"[red]unknown {what} {code!r}[/red]")
    raise typer.Exit(2)


def _table(rows: list[dict[str, Any]], title: str) -> Table:
    t = Table(title=title, show_lines=True)
    for col, justify in (("id", "right"), ("kind", "left"), ("sku", "left"),
                         ("facility", "left"), ("supplier / from", "left"), ("qty", "right"),
                         ("due", "left"), ("state", "left"), ("why", "left")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        source = (r["supplier_code"] if r["kind"] == "purchase"
                  else str(r["source_facility_id"] or ""))
        t.add_row(str(r["id"]), r["kind"], r.get("sku", ""), r.get("facility_code", ""),
                  source, str(r["qty"]), str(r["due_date"]), r["state"],
                  r["why"].get("text", ""))
    return t


def plan_command(
    owner: Annotated[str | None, typer.Option("--owner", help="Owner code.")] = None,
    facility: Annotated[str | None, typer.Option("--facility", help="Facility code.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler",
                                                  help="Dask scheduler address")] = None,
    horizon: Annotated[int, typer.Option()] = 28,
    service_level: Annotated[float, typer.Option("--service-level")] = 0.95,
    limit: Annotated[int, typer.Option(help="Suggestions shown in the table.")] = 30,
    as_json: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Plan every item x facility: forecasts, policy levels and suggestions with their why."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import catalog, planning

    ctx = _ctx(database_url)
    owner_id = _by_code(catalog.list_owners(ctx, None), owner, "owner")
    facility_id = _by_code(catalog.list_facilities(ctx), facility, "facility")
    try:
        summary = planning.run_plan(ctx, owner_id=owner_id, facility_id=facility_id,
                                    horizon=horizon, service_level=service_level,
                                    engine=engine, scheduler=scheduler, user="cli")
    except ShelfwiseError as e:
        console.print(f"[red]{e.code}: {e.detail}[/red]")
        raise typer.Exit(2) from None
    rows = planning.list_suggestions(ctx, run_id=summary["run_id"], limit=max(1, limit))
    if as_json:
        print(json.dumps({"run": summary, "suggestions": rows}, default=str))
        return
    console.print(_table(rows, f"plan run {summary['run_id']}: {summary['series']} series in "
                               f"{summary['seconds']} s"))
    console.print(json.dumps(summary["suggestions"]))


@suggestions_app.command("list")
def list_command(
    run: Annotated[int | None, typer.Option("--run", help="Plan run id.")] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    state: Annotated[str | None, typer.Option()] = "proposed",
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Suggestions (proposed ones by default) with their why."""
    from shelfwise.services import planning

    rows = planning.list_suggestions(_ctx(database_url), run_id=run, kind=kind, state=state,
                                     limit=limit)
    if as_json:
        print(json.dumps(rows, default=str))
    else:
        console.print(_table(rows, "suggestions"))


def _decide(action: str, suggestion_id: int, qty: int | None, database_url: str | None,
            as_json: bool) -> None:
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import planning

    ctx = _ctx(database_url)
    try:
        row = (planning.approve(ctx, suggestion_id, qty, user="cli") if action == "approve"
               else planning.reject(ctx, suggestion_id, user="cli"))
    except ShelfwiseError as e:
        console.print(f"[red]{e.code}: {e.detail}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(row, default=str))
    else:
        doc = f" → {row['document_type']} {row['document_id']}" if row["document_id"] else ""
        console.print(f"suggestion {suggestion_id} {row['state']} (qty {row['qty']}){doc}")


@suggestions_app.command("approve")
def approve_command(
    suggestion_id: int,
    qty: Annotated[int | None, typer.Option("--qty", help="An adjusted quantity.")] = None,
    as_json: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Approve a suggestion (or adjust it with --qty): creates the PO or transfer order."""
    _decide("approve", suggestion_id, qty, database_url, as_json)


@suggestions_app.command("reject")
def reject_command(suggestion_id: int, as_json: Json = False,
                   database_url: DbUrl = None) -> None:
    """Reject a suggestion; nothing is created."""
    _decide("reject", suggestion_id, None, database_url, as_json)
