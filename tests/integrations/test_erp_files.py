"""ERP CSV files: a dry run lists every row's error; an import lands whole or not at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.erp import router
from shelfwise.integrations import erp_csv
from shelfwise.services import catalog, receiving, stock
from shelfwise.storage.tables import items, movements
from tests.factories import build_world, gtin


@pytest.fixture
def world(ctx):
    return build_world(ctx)


@pytest.fixture
def api(ctx):
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    with TestClient(app) as c:
        yield c


ITEMS = f"""owner,sku,description,gtins,case_pack,lot_tracked,weight_g
ACME,STOVE-1B,Single-burner stove,{gtin(21)},6,no,850
ACME,FUEL-450,Isobutane fuel 450 g,{gtin(22)},12,yes,700
NORDIC,RUG-WOOL,Wool rug 160x230,,1,no,5200
"""


def count(ctx, table) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_an_item_master_file_is_imported_and_exported_back(ctx, world):
    report = erp_csv.import_csv(ctx, "items", ITEMS)
    assert report["ok"] and report["written"] == 3
    fuel = catalog.find_items_by_gtin(ctx, gtin(22), None)[0]
    assert fuel["sku"] == "FUEL-450" and fuel["lot_tracked"] and fuel["case_pack"] == 12
    out = erp_csv.export_csv(ctx, "items", "ACME")
    assert out.splitlines()[0].startswith("owner,sku,description,gtins")
    assert f"ACME,FUEL-450,Isobutane fuel 450 g,{gtin(22)},EA,12,yes,no,700" in out


def test_a_dry_run_lists_every_rows_error_and_writes_nothing(ctx, world):
    bad = ("owner,sku,description,gtins,case_pack\n"
           "ACME,STOVE-1B,Stove,09506000000211,6\n"  # wrong check digit
           "ACME,TENT-2P,Tent again,,1\n"  # SKU exists
           "GLOBEX,PAN-24,Frying pan,,1\n"  # unknown owner
           "ACME,BOTTLE-1L,,,zero\n"  # no description, case_pack not a number
           "ACME,STOVE-2B,Stove,,1\n")
    report = erp_csv.import_csv(ctx, "items", bad, dry_run=True)
    assert not report["ok"] and report["written"] == 0
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (2, "gtins", "bad_check_digit"), (3, "sku", "duplicate_sku"),
        (4, "owner", "owner_not_found"), (5, "case_pack", "invalid_number"),
        (5, "description", "missing_value")]
    # the same file for real: refused whole, not even the good row is written
    assert erp_csv.import_csv(ctx, "items", bad)["written"] == 0
    assert count(ctx, items) == 3


def test_locations_are_created_in_zones(ctx, world):
    csv = ("facility,code,kind,zone,capacity_units\n"
           "WH1,A-01-03-B,storage,A,40\nWH1,A-01-04-B,storage,A,40\n"
           "WH1,PF-02,pick_face,,\n")
    report = erp_csv.import_csv(ctx, "locations", csv)
    assert report["ok"] and report["written"] == 3
    assert catalog.find_location_by_barcode(ctx, "A-01-03-B")["kind"] == "storage"
    again = erp_csv.import_csv(ctx, "locations", csv)
    assert {e["code"] for e in again["errors"]} == {"duplicate_location"}


def test_an_on_hand_snapshot_posts_opening_balance_adjustments(ctx, world):
    csv = ("owner,facility,location,sku,lot,expiry,qty\n"
           "ACME,WH1,A-01-01-A,TENT-2P,,,14\n"
           "ACME,WH1,A-01-02-A,GAS-230,L2406A,2027-06-30,36\n")
    report = erp_csv.import_csv(ctx, "on_hand", csv)
    assert report["ok"], report["errors"]
    assert stock.level(ctx, world.owner, world.item, world.facility)["on_hand"] == 14
    assert stock.level(ctx, world.owner, world.lot_item, world.facility)["available"] == 36
    hist = stock.history(ctx, None, item_id=world.lot_item)
    assert hist[0]["reason"] == "opening_balance" and hist[0]["type"] == "adjustment"
    assert stock.verify(ctx)["ok"]
    out = erp_csv.export_csv(ctx, "on_hand", "ACME")
    assert "ACME,WH1,A-01-02-A,GAS-230,L2406A,2027-06-30,36" in out


def test_one_bad_on_hand_row_refuses_the_whole_snapshot(ctx, world):
    csv = ("owner,facility,location,sku,lot,expiry,qty\n"
           "ACME,WH1,A-01-01-A,TENT-2P,,,14\n"
           "ACME,WH1,A-01-02-A,GAS-230,,,36\n"  # lot-tracked item without a lot
           "ACME,WH1,Z-99,TENT-2P,,,1\n"  # no such bin
           "ACME,WH1,A-01-01-A,LAMP-OAK,,,2\n")  # NORDIC's SKU, not ACME's
    report = erp_csv.import_csv(ctx, "on_hand", csv)
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "lot_required"), (4, "location_not_found"), (5, "item_not_found")]
    assert count(ctx, movements) == 0


def test_purchase_orders_become_receipts(ctx, world):
    csv = ("owner,facility,reference,supplier,expected_date,sku,qty,lot\n"
           "ACME,WH1,PO-88301,Sierra Tents Ltd,2026-10-09,TENT-2P,120,\n"
           "ACME,WH1,PO-88301,Sierra Tents Ltd,2026-10-09,GAS-230,48,L2410C\n"
           "ACME,WH1,PO-88302,Butane Bros,,GAS-230,24,\n")
    report = erp_csv.import_csv(ctx, "purchase_orders", csv)
    assert report["ok"] and report["written"] == 2
    [po2, po1] = receiving.list_receipts(ctx, None)
    assert po1["reference"] == "PO-88301" and po1["type"] == "purchase_order"
    assert [ln["expected"] for ln in receiving.get_receipt(ctx, po1["id"])["lines"]] == [120, 48]
    out = erp_csv.export_csv(ctx, "purchase_orders")
    assert out.count("PO-88301") == 2


def test_supply_terms_are_inserted_then_updated(ctx, world):
    csv = ("owner,facility,sku,supplier_code,supplier_name,lead_time_days,moq\n"
           "ACME,WH1,TENT-2P,SIERRA,Sierra Tents Ltd,12,24\n")
    assert erp_csv.import_csv(ctx, "supply_terms", csv)["written"] == 1
    assert erp_csv.import_csv(ctx, "supply_terms", csv.replace(",12,", ",9,"))["ok"]
    out = erp_csv.export_csv(ctx, "supply_terms").splitlines()
    assert len(out) == 2 and ",9.0," in out[1]


def test_the_api_takes_a_csv_body_with_a_dry_run(ctx, world, api):
    h = {"Content-Type": "text/csv"}
    r = api.post("/api/erp/items/import?dry_run=true", content=ITEMS, headers=h)
    assert r.status_code == 200 and r.json()["ok"] and r.json()["written"] == 0
    assert count(ctx, items) == 3
    r = api.post("/api/erp/items/import", content=ITEMS, headers=h)
    assert r.status_code == 200 and r.json()["written"] == 3
    r = api.post("/api/erp/items/import", content=ITEMS, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "invalid_csv"
    assert {e["code"] for e in r.json()["errors"]} == {"duplicate_sku", "duplicate_gtin"}
    r = api.post("/api/erp/widgets/import", content=ITEMS, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "invalid_kind"
    r = api.get("/api/erp/items/export?owner=NORDIC")
    assert r.status_code == 200 and "RUG-WOOL" in r.text and "TENT-2P" not in r.text


def test_a_file_with_a_wrong_header_is_refused_before_any_row(ctx, world):
    report = erp_csv.import_csv(ctx, "items", "owner,sku,colour\nACME,X,red\n", dry_run=True)
    assert [(e["column"], e["code"]) for e in report["errors"]] == [
        ("colour", "unknown_column"), ("description", "missing_column")]
