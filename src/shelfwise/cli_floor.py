"""Floor commands on the terminal: receive, put away, pick, count, move — by scans.

The same services the handhelds call; a refused scan prints its code and moves nothing.
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.barcodes.errors import ScanError
from shelfwise.domain.errors import ShelfwiseError

console = Console()
DbUrl = Annotated[str | None, typer.Option("--database-url")]
Device = Annotated[str, typer.Option(help="Device id recorded on the movement.")]


def _ctx(database_url: str | None):  # type: ignore[no-untyped-def]
    from shelfwise.bootstrap import build_context
    from shelfwise.settings import Settings

    return build_context(Settings.from_env(database_url=database_url))


def _user() -> str:
    return f"cli:{getpass.getuser()}"


def _run(fn, *args: Any, **kw: Any) -> Any:  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kw)
    except ScanError as e:
        console.print(f"[red]refused ({e.code}): {e.message}[/red]")
        raise typer.Exit(1) from None
    except ShelfwiseError as e:
        console.print(f"[red]refused ({e.code}): {e.detail}[/red]")
        raise typer.Exit(1) from None


def _show(rows: list[dict[str, Any]], cols: list[str], title: str) -> None:
    t = Table(title=title)
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(r.get(c, "")) for c in cols])
    console.print(t)


def receive(
    receipt_id: Annotated[
        int | None, typer.Argument(help="Receipt id; omit to list open ones.")
    ] = None,
    location_scan: Annotated[str, typer.Option(help="Dock barcode scanned.")] = "",
    item_scan: Annotated[str, typer.Option(help="Product label scanned (GTIN / GS1).")] = "",
    qty: Annotated[int, typer.Option()] = 1,
    damaged: Annotated[bool, typer.Option()] = False,
    close: Annotated[bool, typer.Option(help="Close the receipt (creates putaway tasks).")] = False,
    device: Device = "CLI",
    database_url: DbUrl = None,
) -> None:
    """Receive by scanning against a purchase order / ASN."""
    from shelfwise.services import receiving

    ctx = _ctx(database_url)
    if receipt_id is None:
        rows = receiving.list_receipts(ctx, None, state="open", limit=50)
        _show(
            rows, ["id", "reference", "owner_id", "facility_id", "type", "state"], "open receipts"
        )
        return
    if close:
        r = _run(receiving.close_receipt, ctx, receipt_id, user=_user())
        console.print_json(json.dumps(r.get("discrepancy_report"), default=str))
        console.print(f"putaway tasks: {r.get('putaway_task_ids')}")
        return
    r = _run(
        receiving.receive_scan,
        ctx,
        receipt_id,
        location_scan=location_scan,
        item_scan=item_scan,
        qty=qty,
        damaged=damaged,
        user=_user(),
        device=device,
    )
    console.print(f"[green]received[/green] {qty} → movement {r.get('movement_id')}")


def putaway(
    task_id: Annotated[int | None, typer.Argument(help="Putaway task; omit to list open.")] = None,
    location_scan: Annotated[str, typer.Option()] = "",
    item_scan: Annotated[str, typer.Option()] = "",
    qty: Annotated[int | None, typer.Option()] = None,
    reason: Annotated[str, typer.Option(help="Override reason when not the suggested bin.")] = "",
    device: Device = "CLI",
    database_url: DbUrl = None,
) -> None:
    """Confirm a putaway by scanning the destination bin and the product."""
    from shelfwise.services import putaway as svc

    ctx = _ctx(database_url)
    if task_id is None:
        from shelfwise.services import catalog

        rows = svc.list_putaway_tasks(ctx, None, state="open", limit=50)
        for r in rows:
            loc = r.get("suggested_location_id")
            r["scan_bin"] = catalog.get_location(ctx, loc)["barcode"] if loc else "-"
            r["sku"] = catalog.get_item(ctx, r["item_id"], None)["sku"]
        _show(rows, ["id", "sku", "lot", "qty", "scan_bin", "rule"], "open putaway tasks")
        return
    r = _run(
        svc.confirm_putaway,
        ctx,
        task_id,
        location_scan=location_scan,
        item_scan=item_scan,
        qty=qty,
        reason=reason,
        user=_user(),
        device=device,
    )
    console.print(f"[green]put away[/green] → {r.get('state', 'ok')}")


def pick(
    task_id: Annotated[int, typer.Argument()],
    location_scan: Annotated[str, typer.Option()] = "",
    item_scan: Annotated[str, typer.Option()] = "",
    qty: Annotated[int | None, typer.Option(help="Found quantity (short pick if less).")] = None,
    device: Device = "CLI",
    database_url: DbUrl = None,
) -> None:
    """Confirm a pick task by scanning the bin and the product."""
    from shelfwise.services import picking

    ctx = _ctx(database_url)
    r = _run(
        picking.confirm_pick,
        ctx,
        task_id,
        location_scan,
        item_scan,
        qty,
        user=_user(),
        device=device,
    )
    console.print(f"[green]picked[/green] {json.dumps(r, default=str)}")


def count(
    task_id: Annotated[int | None, typer.Argument(help="Count task; omit to list open.")] = None,
    location_scan: Annotated[str, typer.Option()] = "",
    line: Annotated[list[str] | None, typer.Option(help="SCAN=QTY, repeat per product.")] = None,
    device: Device = "CLI",
    database_url: DbUrl = None,
) -> None:
    """Blind count: scan the bin, then each product with the quantity found."""
    from shelfwise.services import counting

    ctx = _ctx(database_url)
    if task_id is None:
        rows = counting.list_count_tasks(ctx, None, state="open", limit=50)
        _show(rows, ["id", "location_id", "owner_id", "state", "due_date"], "open count tasks")
        return
    lines = []
    for spec in line or []:
        scan, _, q = spec.rpartition("=")
        if not scan or not q.isdigit():
            console.print(f"[red]--line must be SCAN=QTY, got {spec!r}[/red]")
            raise typer.Exit(2)
        lines.append(counting.CountedLine(scan, int(q)))
    r = _run(
        counting.submit_count,
        ctx,
        task_id,
        location_scan=location_scan,
        lines=lines,
        user=_user(),
        device=device,
    )
    console.print(f"[green]counted[/green] → {r['state']}")


def move(
    owner: Annotated[str, typer.Option(help="Owner code.")],
    item_scan: Annotated[str, typer.Option()],
    from_scan: Annotated[str, typer.Option("--from", help="Source bin barcode.")],
    to_scan: Annotated[str, typer.Option("--to", help="Destination bin barcode.")],
    qty: Annotated[int, typer.Option()] = 1,
    lot: Annotated[str, typer.Option()] = "",
    device: Device = "CLI",
    database_url: DbUrl = None,
) -> None:
    """Move stock between bins by scanning source, product and destination."""
    from shelfwise.barcodes import parse_scan
    from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
    from shelfwise.services import catalog, ledger

    ctx = _ctx(database_url)
    owners = {o["code"]: o["id"] for o in catalog.list_owners(ctx, None)}
    if owner not in owners:
        console.print(f"[red]refused (owner_not_found): no owner {owner!r}[/red]")
        raise typer.Exit(1)
    scan = _run(parse_scan, item_scan)
    items = _run(catalog.find_items_by_gtin, ctx, scan.gtin14 or "", frozenset({owners[owner]}))
    if not items:
        console.print("[red]refused (unknown_gtin): no item of this owner has that GTIN[/red]")
        raise typer.Exit(1)
    src = _run(catalog.find_location_by_barcode, ctx, from_scan)
    dst = _run(catalog.find_location_by_barcode, ctx, to_scan)
    r = _run(
        ledger.post_movement,
        ctx,
        MovementCommand(
            owners[owner],
            MovementType.MOVE,
            (LineCommand(items[0]["id"], src["id"], dst["id"], qty, scan.lot or lot),),
            user=_user(),
            device=device,
            scans=(from_scan, item_scan, to_scan),
        ),
    )
    console.print(f"[green]moved[/green] {qty} → movement {r['movement_id']}")


def register(app: typer.Typer) -> None:
    for fn in (receive, putaway, pick, count, move):
        app.command(fn.__name__)(fn)
