"""The ``shelfwise`` command (Typer + Rich)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shelfwise.settings import Settings

app = typer.Typer(
    help="Shelfwise: warehouse inventory control and management on one ledger.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ledger_app = typer.Typer(help="The stock ledger.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (print JSON ratios against a baseline).", no_args_is_help=True
)
planning_app = typer.Typer(help="Inventory policies.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(bench_app, name="bench")
app.add_typer(planning_app, name="planning")
console = Console()

DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides SHELFWISE_DATABASE_URL.")
]


def _settings(database_url: str | None) -> Settings:
    return Settings.from_env(database_url=database_url)


@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None) -> None:
    """Apply every Alembic migration to the database."""
    from shelfwise.bootstrap import migrate_database

    revision = migrate_database(_settings(database_url))
    console.print(f"[green]database at revision {revision}[/green]")


@app.command()
def serve(
    database_url: DbUrl = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve the API (and pages) on an existing database."""
    import uvicorn

    from shelfwise.bootstrap import build_app, build_context

    ctx = build_context(_settings(database_url))
    console.print(f"Shelfwise on [bold]http://{host}:{port}[/bold]  (API docs at /docs)")
    uvicorn.run(build_app(ctx), host=host, port=port, log_level="warning")


@app.command()
def demo(
    database_url: DbUrl = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    seed: Annotated[int, typer.Option()] = 7,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Seed a demo warehouse (2 facilities, 3 owners, a year of history), then serve it."""
    from shelfwise.bootstrap import build_context
    from shelfwise.demo.seed import seed_demo

    s = _settings(database_url)
    # Seeding is a re-runnable batch job: it need not fsync every commit.
    ctx = build_context(replace(s, sqlite_synchronous="NORMAL"))
    summary = seed_demo(ctx, seed=seed, console=console)
    console.print_json(json.dumps(summary, default=str))
    if summary.get("seeded"):
        _print_demo_credentials(ctx)
    _print_walkthrough(ctx)
    ctx.engine.dispose()
    if serve_after:
        serve(database_url=s.database_url, host=host, port=port)


def _print_demo_credentials(ctx) -> None:  # type: ignore[no-untyped-def]
    """One user per role with a random password, and an admin API token: shown once."""
    from shelfwise.services import catalog, users

    creds = users.create_demo_users(ctx, catalog.list_owners(ctx, None))
    token = users.create_token(ctx, users.user_id_for(ctx, "demo-admin"), "demo-cli")
    t = Table(title="demo users (passwords are shown only now)")
    for col in ("user", "role", "password"):
        t.add_column(col)
    for name, role, password in creds:
        t.add_row(name, role, password)
    console.print(t)
    console.print(f"admin API token: [bold]{token['token']}[/bold]")
    console.print(f'  export SHELFWISE_TOKEN={token["token"]}  '
                  '# curl -H "Authorization: Bearer $SHELFWISE_TOKEN" ...')


def _print_walkthrough(ctx) -> None:  # type: ignore[no-untyped-def]
    """The README's tour with today's ids (they depend on the day the demo was seeded)."""
    from shelfwise.demo import walkthrough

    lines = walkthrough.commands(walkthrough.find(ctx))
    if lines:
        console.print("try (with SHELFWISE_DATABASE_URL set to this database):")
        for line in lines:
            console.print(f"  {line}", markup=False, soft_wrap=True)


@ledger_app.command("verify")
def ledger_verify(
    database_url: DbUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Re-add every ledger line instead of starting from the last "
        "checkpoint (the ground truth; slower).")] = False,
) -> None:
    """Check every balance against the ledger and every seal's hash; exit 1 on any
    mismatch. Starts from the newest checkpoint unless --full."""
    from shelfwise.bootstrap import build_context
    from shelfwise.services import stock

    ctx = build_context(_settings(database_url))
    report = stock.verify(ctx, full=True) if full else stock.verify(ctx)
    if as_json:
        print(json.dumps(report, default=str))
    else:
        t = Table(title="ledger verify")
        t.add_column("check")
        t.add_column("value", justify="right")
        for k, v in report.items():
            if not k.endswith("sample"):
                t.add_row(k, str(v))
        console.print(t)
    raise typer.Exit(0 if report["ok"] else 1)


@ledger_app.command("seal")
def ledger_seal(database_url: DbUrl = None) -> None:
    """Seal the ledger: chain a hash over every line since the last seal."""
    from shelfwise.bootstrap import build_context
    from shelfwise.services import stock

    row = stock.seal(build_context(_settings(database_url)))
    if row is None:
        console.print("nothing new to seal")
    else:
        console.print(f"sealed lines {row['from_line_id'] + 1}..{row['to_line_id']} "
                      f"({row['line_count']} lines) hash {row['hash'][:16]}…")
        if row.get("replaced_broken_checkpoint"):
            console.print("[red]the previous checkpoint no longer matched its digest; "
                          "rebuilt from the ledger — run `shelfwise ledger verify`[/red]")


@bench_app.command("ledger")
def bench_ledger(
    database_url: DbUrl = None,
    lines: Annotated[
        int, typer.Option(help="Ledger lines present for the availability query.")
    ] = 1_000_000,
    moves: Annotated[int, typer.Option(help="Movements posted per mode.")] = 3_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ledger throughput vs raw inserts into the same database, and availability latency."""
    from shelfwise.bench.ledger import run_ledger_bench

    result = run_ledger_bench(
        database_url, ledger_lines=lines, moves=moves, progress=None if as_json else console
    )
    print(json.dumps(result))


@bench_app.command("plan")
def bench_plan(
    series: Annotated[int, typer.Option()] = 10_000,
    days: Annotated[int, typer.Option()] = 730,
    peer: Annotated[str | None, typer.Option()] = None,
    peer_series: Annotated[int, typer.Option()] = 2_000,
    dataset: Annotated[Path | None, typer.Option()] = None,
    seed: Annotated[int, typer.Option()] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Forecast → policy → suggestion over a synthetic (or real) panel, with peer ratios."""
    from shelfwise.bench.plan import run_plan_bench

    result = run_plan_bench(
        series=series,
        days=days,
        peer=peer,
        peer_series=peer_series,
        dataset=str(dataset) if dataset else None,
        seed=seed,
    )
    print(json.dumps(result, default=float))


@bench_app.command("floor")
def bench_floor(
    database_url: DbUrl = None,
    order_lines: Annotated[int, typer.Option()] = 20_000,
    skus: Annotated[int, typer.Option()] = 2_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A busy day: allocate → wave → pick → pack → ship, vs the ledger's own moves/s."""
    import contextlib
    import io

    from shelfwise.bench.floor import run_floor_bench

    with contextlib.redirect_stdout(io.StringIO()):  # the bench prints as it goes
        result = run_floor_bench(database_url, order_lines, skus)
    print(json.dumps(result, default=str))


@bench_app.command("diagnose")
def bench_diagnose(
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = "1,2,3",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Score the full demo (first seed) instead of the simulator.")] = False,
) -> None:
    """Inject known execution and planning faults; print the diagnosis' precision/recall."""
    from shelfwise.bench.diagnose import run_demo_score, run_diagnose_bench

    chosen = tuple(int(s) for s in seeds.split(","))
    out = run_demo_score(chosen[0]) if demo else run_diagnose_bench(chosen)
    print(json.dumps(out, default=str))


@planning_app.command("check")
def planning_check(file: Path) -> None:
    """Evaluate every reference case in FILE.json; exit 1 on any miss or unknown kind."""
    from shelfwise.domain.planning.cases import evaluate_file_data

    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as e:
        console.print(f"[red]cannot read {file}: {e}[/red]")
        raise typer.Exit(2) from None
    cases = data if isinstance(data, list) else data.get("cases", [])
    results = evaluate_file_data(cases)
    t = Table(title=f"planning check: {file.name}")
    for col in ("case", "kind", "result", "got", "expected", "ok"):
        t.add_column(col)
    failed = 0
    for r in results:
        if r.error:
            t.add_row(r.case_id, r.kind, "-", "-", "-", f"[red]{r.error}[/red]")
        for c in r.checks:
            t.add_row(
                r.case_id,
                r.kind,
                c.name,
                f"{c.got}",
                f"{c.expected}",
                "[green]✓[/green]" if c.passed else "[red]✗[/red]",
            )
        failed += not r.passed
    console.print(t)
    console.print(f"{len(results) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else 0)


def _mount_subcommands() -> None:
    """Sub-apps that live beside their area (planning, access, integrations)."""
    from shelfwise.cli_planning import plan_command, suggestions_app

    app.command("plan")(plan_command)
    app.add_typer(suggestions_app, name="suggestions")

    from shelfwise import cli_floor
    from shelfwise.cli_access import token_app, user_app

    cli_floor.register(app)

    from shelfwise.cli_diagnostics import diagnose_command

    app.command("diagnose")(diagnose_command)

    from shelfwise.cli_integrations import edi_app, erp_app, plugins_command, webhooks_app

    app.add_typer(edi_app, name="edi")
    app.add_typer(erp_app, name="erp")
    app.add_typer(webhooks_app, name="webhooks")
    app.command("plugins")(plugins_command)

    from shelfwise.cli_reliability import reliability_command

    bench_app.command("reliability")(reliability_command)

    from shelfwise.cli_billing import billing_app

    app.add_typer(billing_app, name="billing")

    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


_mount_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
