"""The integration commands, as an operator runs them (SQLite file database)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shelfwise.bootstrap import build_context
from shelfwise.cli_integrations import edi_app, erp_app, plugins_command, webhooks_app
from shelfwise.integrations import shopify
from shelfwise.settings import Settings
from tests.factories import build_world

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ctx = build_context(Settings(database_url=url, auth=False))
    w = build_world(ctx)
    shopify.create_channel(ctx, owner_id=w.owner, facility_id=w.facility, code="ACMEEDI",
                           channel="edi", partner_id="ACMEOUTDOOR")
    ctx.engine.dispose()
    return url


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(edi_app, name="edi")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(erp_app, name="erp")
    app.command("plugins")(plugins_command)
    return app


def test_erp_dry_run_lists_errors_and_import_writes(db, tmp_path):
    f = tmp_path / "items.csv"
    f.write_text("owner,sku,description\nACME,STOVE-1B,Stove\nACME,TENT-2P,Again\n")
    r = runner.invoke(cli(), ["erp", "import", "items", str(f), "--dry-run",
                              "--database-url", db])
    assert r.exit_code == 1 and "duplicate_sku" in r.output
    f.write_text("owner,sku,description\nACME,STOVE-1B,Stove\n")
    r = runner.invoke(cli(), ["erp", "import", "items", str(f), "--database-url", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli(), ["erp", "export", "items", "--owner", "ACME", "--database-url", db])
    assert "STOVE-1B" in r.output


def test_edi_import_answers_with_a_997_and_exits_1_on_rejection(db, tmp_path):
    src = tmp_path / "bad.edi"
    text = (DATA / "edi_partners" / "acme_940_SO-20481.edi").read_text()
    src.write_text(text.replace("SE*12", "SE*13"))
    r = runner.invoke(cli(), ["edi", "import", str(src), "--ack-dir", str(tmp_path / "acks"),
                              "--database-url", db])
    assert r.exit_code == 1 and "segment_count_mismatch" in r.output
    assert (tmp_path / "acks" / "bad.997.edi").read_text().count("AK5*R") == 1
    r = runner.invoke(cli(), ["edi", "export", "846", "--owner", "ACME", "--out-dir",
                              str(tmp_path), "--database-url", db])
    assert r.exit_code == 0 and Path(r.output.strip()).name.startswith("846_")


def test_webhook_and_plugin_listings_run(db):
    r = runner.invoke(cli(), ["webhooks", "deliver", "--database-url", db])
    assert r.exit_code == 0 and '"collected"' in r.output
    r = runner.invoke(cli(), ["webhooks", "list-dead", "--database-url", db])
    assert r.exit_code == 0
    r = runner.invoke(cli(), ["webhooks", "redrive", "99", "--database-url", db])
    assert r.exit_code == 1 and "delivery_not_found" in r.output
    r = runner.invoke(cli(), ["plugins"])
    assert r.exit_code == 0 and "shopify" in r.output
