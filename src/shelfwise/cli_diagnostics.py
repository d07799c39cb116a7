"""``shelfwise diagnose``: is it an execution (control) or a planning (management)
problem? Rich tables on the terminal, ``--json`` for machines.

Wire with ``app.command("diagnose")(diagnose_command)`` in :mod:`shelfwise.cli`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.domain.errors import ShelfwiseError

console = Console()
COLORS = {"control": "red", "management": "yellow", "both": "magenta", "healthy": "green"}


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def diagnose_command(
    facility: Annotated[str | None, typer.Option("--facility", help="Facility code.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner code.")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD; default the last 90 days.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", help="How many problems to rank (1-1000).")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Overrides SHELFWISE_DATABASE_URL.")] = None,
) -> None:
    """Diagnose stock problems: control (execution) or management (planning), with evidence."""
    from shelfwise.bootstrap import build_context
    from shelfwise.services import diagnostics
    from shelfwise.settings import Settings

    ctx = build_context(Settings.from_env(database_url=database_url))
    try:
        facility_id, owner_id = diagnostics.resolve(ctx, facility, owner)
        result = diagnostics.diagnose(ctx, None, facility_id, owner_id, period, limit=limit)
    except ShelfwiseError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(result, default=str))
        return
    _print(result)


def _headline(result: dict[str, Any]) -> str:
    """One line: how many keys got which call, and the zones whose records look wrong."""
    n = {c: sum(1 for r in result["items"] if r["call"] == c) for c in COLORS}
    zones = [f"{k} ({'; '.join(r['evidence'])})" for k, r in result["rollups"]["zone"].items()
             if r.get("evidence")]
    line = (f"{len(result['items'])} item x facility keys: " + ", ".join(
        f"[{COLORS[c]}]{n[c]} {c}[/{COLORS[c]}]" for c in ("control", "management", "both",
                                                            "healthy")))
    return line + (f"; zones to recount: {', '.join(zones)}" if zones else "")


def _print(result: dict[str, Any]) -> None:
    console.print(_headline(result))
    t = Table(title=f"where to look ({result['period']})")
    for col in ("#", "what", "call", "cost", "evidence", "action"):
        t.add_column(col, justify="right" if col in ("#", "cost") else "left")
    for n, r in enumerate(result["where_to_look"], 1):
        color = COLORS.get(r["call"], "white")
        t.add_row(str(n), r["label"], f"[{color}]{r['call']}[/{color}]",
                  _money(r["cost_cents"]), "; ".join(r["evidence"]), r.get("action", ""))
    console.print(t)
    for by in ("facility", "zone", "owner"):
        rt = Table(title=f"by {by}")
        for col in ("key", "call", "keys", "control", "management", "both", "cost"):
            rt.add_column(col)
        for key, r in result["rollups"][by].items():
            c = r.get("calls", {})
            color = COLORS.get(r["call"], "white")
            rt.add_row(key, f"[{color}]{r['call']}[/{color}]", str(r["keys"]),
                       str(c.get("control", 0)), str(c.get("management", 0)),
                       str(c.get("both", 0)), _money(r["cost_cents"]))
        console.print(rt)
