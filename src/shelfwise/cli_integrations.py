"""CLI for the integrations: ``shelfwise edi ...``, ``shelfwise webhooks ...``,
``shelfwise erp ...`` and ``shelfwise plugins``. The lead wires these into ``cli.py``::

    app.add_typer(edi_app, name="edi"); app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(erp_app, name="erp"); app.command("plugins")(plugins_command)
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.plugins import plugins_command
from shelfwise.settings import Settings

edi_app = typer.Typer(help="EDI X12 files (940/943/856 in, 945/944/846/856 out).",
                      no_args_is_help=True)
webhooks_app = typer.Typer(help="Outbound webhooks.", no_args_is_help=True)
erp_app = typer.Typer(help="ERP CSV files.", no_args_is_help=True)
console = Console()

DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides SHELFWISE_DATABASE_URL.")
]

__all__ = ["edi_app", "erp_app", "plugins_command", "webhooks_app"]


def _ctx(database_url: str | None):  # type: ignore[no-untyped-def]
    from shelfwise.bootstrap import build_context

    return build_context(Settings.from_env(database_url=database_url))


def _fail(err: Exception) -> None:
    console.print(f"[red]{getattr(err, 'code', 'error')}: "
                  f"{getattr(err, 'detail', None) or err}[/red]")
    raise typer.Exit(1)


@edi_app.command("import")
def edi_import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    ack_dir: Annotated[Path | None, typer.Option(help="Where to write the 997.")] = None,
    database_url: DbUrl = None,
) -> None:
    """Import one interchange; writes its 997 and exits 1 if it was rejected."""
    from shelfwise.integrations.edi.adapters import edi_import

    report = edi_import(_ctx(database_url), file, ack_dir)
    console.print_json(json.dumps(report, default=str))
    if not report["accepted"]:
        raise typer.Exit(1)


@edi_app.command("export")
def edi_export_cmd(
    kind: Annotated[str, typer.Argument(help="945, 856, 944 or 846")],
    owner: Annotated[str, typer.Option(help="Owner code.")],
    order: Annotated[int | None, typer.Option(help="Order id (945/856).")] = None,
    receipt: Annotated[int | None, typer.Option(help="Receipt id (944).")] = None,
    facility: Annotated[int | None, typer.Option(help="Facility id (846).")] = None,
    out_dir: Annotated[Path, typer.Option()] = Path("."),
    database_url: DbUrl = None,
) -> None:
    """Write one outbound document and print its path."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.integrations.edi.adapters import edi_export

    try:
        path = edi_export(_ctx(database_url), kind, owner, order_id=order, receipt_id=receipt,
                          facility_id=facility, out_dir=out_dir)
    except ShelfwiseError as e:
        _fail(e)
    console.print(str(path))


@edi_app.command("watch")
def edi_watch_cmd(
    folder: Annotated[Path, typer.Argument(file_okay=False)],
    once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False,
    interval: Annotated[float, typer.Option()] = 5.0,
    database_url: DbUrl = None,
) -> None:
    """Process FOLDER/inbox into processed/ or rejected/, 997s and 945/856/944 to outbox/."""
    from shelfwise.integrations.edi import watch

    ctx = _ctx(database_url)
    if once:
        console.print_json(json.dumps(watch.run_once(ctx, folder), default=str))
        return
    with contextlib.suppress(KeyboardInterrupt):
        watch.watch(ctx, folder, interval)


@webhooks_app.command("deliver")
def webhooks_deliver(
    loop: Annotated[bool, typer.Option(help="Keep dispatching every --interval s.")] = False,
    interval: Annotated[float, typer.Option()] = 2.0,
    database_url: DbUrl = None,
) -> None:
    """Collect new outbox events and deliver what is due."""
    import time

    from shelfwise.integrations import webhooks

    ctx = _ctx(database_url)
    while True:
        console.print_json(json.dumps(webhooks.dispatch(ctx)))
        if not loop:
            return
        time.sleep(interval)


@webhooks_app.command("redrive")
def webhooks_redrive(delivery_id: int, database_url: DbUrl = None) -> None:
    """Send a dead delivery again from scratch."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.integrations import webhooks

    try:
        d = webhooks.redrive(_ctx(database_url), delivery_id)
    except ShelfwiseError as e:
        _fail(e)
    console.print(f"delivery {d['id']} is {d['state']} again")


@webhooks_app.command("list-dead")
def webhooks_list_dead(database_url: DbUrl = None) -> None:
    """Deliveries that gave up, with their last error."""
    from shelfwise.integrations import webhooks

    table = Table(title="Dead webhook deliveries")
    for col in ("id", "event", "topic", "subscription", "attempts", "last error"):
        table.add_column(col)
    for d in webhooks.list_dead(_ctx(database_url)):
        table.add_row(str(d["id"]), str(d["event_id"]), d["topic"], str(d["subscription_id"]),
                      str(d["attempts"]), d["last_error"])
    console.print(table)


@erp_app.command("import")
def erp_import_cmd(
    kind: Annotated[str, typer.Argument(help="items, locations, on_hand, purchase_orders, "
                                             "supply_terms")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
    database_url: DbUrl = None,
) -> None:
    """Import a CSV all-or-nothing; lists every row's error (exit 1) if refused."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.integrations import erp_csv

    try:
        report = erp_csv.import_csv(_ctx(database_url), kind, file.read_text("utf-8"),
                                    dry_run=dry_run, user="cli")
    except ShelfwiseError as e:
        _fail(e)
    if report["errors"]:
        table = Table(title=f"{len(report['errors'])} problem(s); nothing written")
        for col in ("row", "column", "code", "message"):
            table.add_column(col)
        for e in report["errors"]:
            table.add_row(str(e["row"]), e["column"] or "", e["code"], e["message"])
        console.print(table)
        raise typer.Exit(1)
    verb = "would write" if dry_run else "wrote"
    console.print(f"[green]{report['rows']} rows ok; {verb} {report['written'] or report['rows']}"
                  f" {kind}[/green]")


@erp_app.command("export")
def erp_export_cmd(
    kind: str,
    owner: Annotated[str | None, typer.Option(help="Owner code (default: all).")] = None,
    database_url: DbUrl = None,
) -> None:
    """Write the CSV to standard output."""
    from shelfwise.integrations import erp_csv

    sys.stdout.write(erp_csv.export_csv(_ctx(database_url), kind, owner))
