"""``shelfwise billing``: rate cards, nightly storage snapshots and monthly billing runs.

Wired into :mod:`shelfwise.cli` by ``app.add_typer(billing_app, name="billing")``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.settings import Settings

console = Console()
billing_app = typer.Typer(help="Usage metering and invoices per owner.", no_args_is_help=True)
DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides SHELFWISE_DATABASE_URL.")
]


def _ctx(database_url: str | None):  # type: ignore[no-untyped-def]
    from shelfwise.bootstrap import build_context

    return build_context(Settings.from_env(database_url=database_url))


def _owner_id(ctx: Any, code: str | None) -> int | None:
    if code is None:
        return None
    from shelfwise.services import catalog

    for o in catalog.list_owners(ctx, None):
        if o["code"] == code:
            return int(o["id"])
    console.print(f"[red]unknown owner {code!r}[/red]")
    raise typer.Exit(2)


def _fail(err: Exception) -> None:
    console.print(f"[red]{getattr(err, 'code', 'error')}: {err}[/red]")
    raise typer.Exit(1)


def _money(cents: int, currency: str) -> str:
    from shelfwise.services.invoice_documents import money

    return money(cents, currency)


@billing_app.command("run")
def run(
    period: Annotated[str, typer.Option("--period", help="Billing month, e.g. 2026-10.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Owner code.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write each invoice's PDF and "
                                             "CSV into this folder.")] = None,
    issue: Annotated[bool, typer.Option("--issue", help="Issue the invoices (final).")] = False,
    database_url: DbUrl = None,
) -> None:
    """Invoice every owner (or one) for a month; re-running a month bills nothing twice."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import billing

    ctx = _ctx(database_url)
    try:
        result = billing.run_billing(ctx, period, _owner_id(ctx, owner), issue=issue)
    except ShelfwiseError as e:
        _fail(e)
    t = Table(title=f"invoices {result['period']}")
    for col, justify in (("number", "left"), ("state", "left"), ("subtotal", "right"),
                         ("minimum top-up", "right"), ("total", "right"), ("new events", "right")):
        t.add_column(col, justify=justify, no_wrap=col == "number")  # type: ignore[arg-type]
    for inv in result["invoices"]:
        cur = inv["currency"]
        t.add_row(inv["number"], inv["state"], _money(inv["subtotal_cents"], cur),
                  _money(inv["minimum_topup_cents"], cur), _money(inv["total_cents"], cur),
                  str(inv.get("events_added", 0)))
    console.print(t)
    for s in result["skipped"]:
        console.print(f"[yellow]skipped {s['owner_code']}: {s['reason']}[/yellow]")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for inv in result["invoices"]:
            for fmt in ("pdf", "csv"):
                body, _ = billing.render_invoice(ctx, inv["id"], fmt)
                (out / f"{inv['number']}.{fmt}").write_bytes(body)
        console.print(f"wrote {2 * len(result['invoices'])} file(s) to {out}")


@billing_app.command("meter-storage")
def meter_storage(
    day: Annotated[str, typer.Option("--day", help="The night to snapshot, YYYY-MM-DD.")],
    database_url: DbUrl = None,
) -> None:
    """Meter storage unit-days and location-days for one day (idempotent per day)."""
    from shelfwise.services import metering

    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        console.print(f"[red]invalid_date: {day!r} is not YYYY-MM-DD[/red]")
        raise typer.Exit(2) from None
    result = metering.meter_storage(_ctx(database_url), the_day)
    console.print_json(json.dumps(result))


@billing_app.command("rate-card")
def rate_card(
    owner: Annotated[str, typer.Option("--owner", help="Owner code.")],
    rate: Annotated[list[str], typer.Option("--rate", help="activity=cents, repeatable "
                                            "(units_received=25, storage_unit_days=0.35).")],
    effective_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")] = "2026-01-01",
    currency: Annotated[str, typer.Option("--currency")] = "USD",
    minimum: Annotated[int, typer.Option("--minimum", help="Monthly minimum, cents.")] = 0,
    database_url: DbUrl = None,
) -> None:
    """Set an owner's rate card from a date."""
    from shelfwise.domain.errors import ShelfwiseError
    from shelfwise.services import billing

    ctx = _ctx(database_url)
    rates = {}
    for r in rate:
        activity, _, cents = r.partition("=")
        rates[activity.strip()] = cents.strip()
    try:
        card = billing.put_rate_card(
            ctx, _owner_id(ctx, owner) or 0, effective_from=date.fromisoformat(effective_from),
            currency=currency, minimum_monthly_cents=minimum, rates=rates, actor="cli")
    except (ShelfwiseError, ValueError) as e:
        _fail(e)
    console.print_json(json.dumps(card, default=str))
