"""EDI partners send 940s, 943s and 856s; the warehouse answers with 997s, 945s, 856s,
944s and 846s -- and a bad or repeated interchange creates nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from shelfwise.domain.catalog import ItemSpec
from shelfwise.integrations import shopify
from shelfwise.integrations.edi import (
    AckStatus,
    parse_interchange,
    read_846,
    read_856,
    read_945,
    read_997,
)
from shelfwise.integrations.edi.adapters import edi_export, edi_import, import_interchange
from shelfwise.integrations.edi.watch import run_once
from shelfwise.services import catalog, picking, receiving, shipping
from shelfwise.services.orders import allocate_order, get_order, list_orders
from shelfwise.storage.outbound_tables import orders
from shelfwise.storage.receiving_tables import receipts
from tests.outbound_world import build_floor, gas_scan

DATA = Path(__file__).parents[1] / "data"
ORDER_940 = (DATA / "edi_partners" / "acme_940_SO-20481.edi").read_text()
TRANSFER_943 = (DATA / "edi_partners" / "acme_943_TR-7741.edi").read_text()
SAMPLE_856 = (DATA / "edi" / "edienginetests_856.Crossdock.OK.edi").read_text()


@pytest.fixture
def floor(ctx):
    f = build_floor(ctx)
    shopify.create_channel(ctx, owner_id=f.w.owner, facility_id=f.w.facility, code="ACMEEDI",
                           channel="edi", partner_id="ACMEOUTDOOR", order_channel="b2b")
    return f


def ack_of(report) -> object:
    return read_997(parse_interchange(report.ack).transactions[0])


def count(ctx, table) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def ship_everything(ctx, f, order_id: int) -> None:
    allocate_order(ctx, order_id)
    wave = picking.create_waves(ctx, f.w.facility, order_ids=[order_id], user="lead")[0]
    scans = []
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        scan = f.tent_gtin if t["item_id"] == f.w.item else gas_scan(f, t["lot"], t["expiry"])
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], scan, user="ana")
        scans += [scan] * t["qty"]
    shipping.pack_carton(ctx, order_id, scans, weight_g=9_800, user="bo")
    shipping.ship_order(ctx, order_id, user="bo")


def test_a_940_becomes_an_order_that_ships_and_the_945_reports_what_shipped(ctx, floor,
                                                                          tmp_path):
    report = import_interchange(ctx, ORDER_940)
    assert report.accepted and report.errors == []
    ack = ack_of(report)
    assert ack.status is AckStatus.ACCEPTED and ack.group_control_number == "501"
    [created] = report.created
    order = get_order(ctx, created["id"], None)
    assert order["number"] == "SO-20481" and order["channel"] == "b2b"
    assert order["ship_to"]["city"] == "Reno"
    assert [(ln["item_id"], ln["ordered"]) for ln in order["lines"]] == [
        (floor.w.item, 12), (floor.w.lot_item, 10)]

    ship_everything(ctx, floor, order["id"])
    path = edi_export(ctx, "945", "ACME", order_id=order["id"], out_dir=tmp_path)
    advice = read_945(parse_interchange(path.read_text()).transactions[0])
    shipped = {ln["item_id"]: ln["shipped"] for ln in get_order(ctx, order["id"], None)["lines"]}
    assert advice.depositor_order_number == "SO-20481"
    assert advice.purchase_order_number == "PO-88231"
    assert [(ln.product_ids[0].value, ln.quantity_shipped) for ln in advice.lines] == [
        ("TENT-2P", shipped[floor.w.item]), ("GAS-230", shipped[floor.w.lot_item])]
    assert advice.total_shipped == 22

    asn = read_856(parse_interchange(
        edi_export(ctx, "856", "ACME", order_id=order["id"], out_dir=tmp_path).read_text()
    ).transactions[0])
    [carton] = shipping.list_cartons(ctx, order["id"])
    assert {ln.sscc for ln in asn.lines} == {carton["sscc"]}
    assert sum(ln.quantity for ln in asn.lines) == 22


def test_a_943_becomes_an_expected_receipt_in_base_units(ctx, floor):
    report = import_interchange(ctx, TRANSFER_943)
    assert report.accepted, report.errors
    r = receiving.get_receipt(ctx, report.created[0]["id"])
    assert (r["type"], r["reference"], r["supplier"]) == ("asn", "SHP-55120",
                                                          "Acme Plant Sparks")
    assert [(ln["item_id"], ln["expected"], ln["lot"]) for ln in r["lines"]] == [
        (floor.w.item, 48, ""), (floor.w.lot_item, 4, "L2410C")]


def test_the_real_856_sample_becomes_an_expected_receipt(ctx, floor):
    w = floor.w
    shopify.create_channel(ctx, owner_id=w.owner, facility_id=w.facility, code="XDOCK",
                           channel="edi", partner_id="SENDER")
    catalog.create_items(ctx, [ItemSpec(w.owner, sku, f"Crossdock item {sku}") for sku in (
        "0000000000642", "0000000000831", "0000000000283", "0000000000203")])
    report = import_interchange(ctx, SAMPLE_856)
    assert report.accepted, report.errors
    r = receiving.get_receipt(ctx, report.created[0]["id"])
    assert r["reference"] == "000009" and r["supplier"] == "SOME COMPANY"
    asn = read_856(parse_interchange(SAMPLE_856).transactions[0])
    # five item loops of 12 units; two cartons hold the same product, merged on one line
    assert sum(ln["expected"] for ln in r["lines"]) == asn.total_quantity == 60
    assert len(r["lines"]) == 4


def test_the_same_interchange_sent_twice_is_rejected_as_a_duplicate(ctx, floor):
    assert import_interchange(ctx, ORDER_940).accepted
    again = import_interchange(ctx, ORDER_940)
    assert again.duplicate and not again.accepted
    ack = ack_of(again)
    assert ack.status is AckStatus.REJECTED and ack.sets[0].error_codes == ("23",)
    assert len(list_orders(ctx, None)) == 1


def test_two_copies_arriving_at_once_create_one_order(ctx, floor):
    start = threading.Barrier(4)

    def send(_: int):
        start.wait()
        return import_interchange(ctx, ORDER_940)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(send, range(4)))
    assert sorted(r.accepted for r in results) == [False, False, False, True]
    assert all(r.duplicate for r in results if not r.accepted)
    assert count(ctx, orders) == 1


def test_a_wrong_segment_count_is_rejected_naming_the_set(ctx, floor):
    bad = ORDER_940.replace("SE*12*0001", "SE*11*0001")
    report = import_interchange(ctx, bad)
    assert not report.accepted and report.errors[0]["code"] == "segment_count_mismatch"
    ack = ack_of(report)
    assert ack.status is AckStatus.REJECTED and ack.sets[0].error_codes == ("4",)
    assert count(ctx, orders) == 0


@pytest.mark.parametrize("edit, code", [
    (("SE*12*0001", "SE*12*0002"), "3"),  # SE02 differs from ST02
    (("GE*1*501", "GE*1*502"), None),  # GE02 differs from GS06
])
def test_a_bad_control_number_is_rejected_and_creates_nothing(ctx, floor, edit, code):
    report = import_interchange(ctx, ORDER_940.replace(*edit))
    assert not report.accepted
    assert report.errors[0]["code"] == "control_number_mismatch"
    ack = ack_of(report)
    assert ack.status is AckStatus.REJECTED
    if code:
        assert ack.sets[0].error_codes == (code,)
    else:
        assert ack.error_codes == ("4",)
    assert count(ctx, orders) == 0


def test_an_unknown_product_is_rejected_at_its_segment_and_element(ctx, floor):
    bad = ORDER_940.replace("W01*10*EA**VN*GAS-230", "W01*10*EA**VN*GAS-450")
    report = import_interchange(ctx, bad)
    assert not report.accepted
    [err] = report.errors
    assert (err["segment_id"], err["element_position"]) == ("W01", 5)
    note = ack_of(report).sets[0].segments[0]
    assert (note.segment_id, note.position) == ("W01", 11)
    assert note.elements[0].position == 5 and note.elements[0].bad_value == "GAS-450"
    assert count(ctx, orders) == 0


def test_a_truncated_file_gets_a_rejection_and_creates_nothing(ctx, floor):
    cut = ORDER_940[: ORDER_940.index("LX*2")]
    report = import_interchange(ctx, cut)
    assert not report.accepted and report.errors[0]["code"] == "truncated"
    ack = ack_of(report)
    assert ack.status is AckStatus.REJECTED and ack.error_codes == ("3",)
    assert count(ctx, orders) == 0


def test_an_unknown_sender_is_rejected(ctx, floor):
    report = import_interchange(ctx, ORDER_940.replace("ACMEOUTDOOR    ", "ACMEFOODS      "))
    assert not report.accepted and "not a configured EDI partner" in report.errors[0]["detail"]
    assert count(ctx, orders) == 0


def test_a_lot_on_an_item_without_lots_is_refused(ctx, floor):
    bad = TRANSFER_943.replace("W04*48*EA**VN*TENT-2P~", "W04*48*EA**VN*TENT-2P~\nN9*LT*L1~")
    bad = bad.replace("SE*13*0001", "SE*14*0001")
    report = import_interchange(ctx, bad)
    assert not report.accepted and "not lot-tracked" in report.errors[0]["detail"]
    assert count(ctx, receipts) == 0


def test_edi_import_writes_the_997_next_to_the_file(ctx, floor, tmp_path):
    src = tmp_path / "SO-20481.edi"
    src.write_text(ORDER_940)
    out = edi_import(ctx, src)
    assert out["accepted"] and Path(out["ack_path"]).read_text().startswith("ISA*")


def test_the_watched_folder_files_each_document_and_answers_it(ctx, floor, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "order.edi").write_text(ORDER_940)
    (inbox / "broken.edi").write_text(ORDER_940.replace("SE*12", "SE*99"))
    (inbox / "late.edi.part").write_text(ORDER_940[:40])
    result = run_once(ctx, tmp_path)
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["order.edi"]
    assert sorted(p.name for p in (tmp_path / "rejected").iterdir()) == [
        "broken.edi", "broken.edi.errors.json"]
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
        "broken.997.edi", "order.997.edi"]
    assert (inbox / "late.edi.part").exists() and result["exported"] == []

    order_id = get_order(ctx, result["imported"][1]["created"][0]["id"], None)["id"]
    ship_everything(ctx, floor, order_id)
    exported = run_once(ctx, tmp_path)["exported"]
    assert [n[:3] for n in exported] == ["945", "856"]
    assert run_once(ctx, tmp_path)["exported"] == []


def test_an_846_snapshot_reports_on_hand_and_available_per_item(ctx, floor, tmp_path):
    snap = read_846(parse_interchange(
        edi_export(ctx, "846", "ACME", out_dir=tmp_path).read_text()).transactions[0])
    by_sku = {ln.product_ids[0].value: (ln.on_hand, ln.available) for ln in snap.lines}
    assert by_sku == {"GAS-230": (28, 28), "TENT-2P": (15, 15)}


def test_a_944_reports_what_was_received_against_the_943(ctx, floor, tmp_path):
    report = import_interchange(ctx, TRANSFER_943)
    rid = report.created[0]["id"]
    receiving.receive_scan(ctx, rid, location_scan="DOCK-01", item_scan=floor.tent_gtin,
                           qty=46, user="rui")
    receiving.receive_scan(ctx, rid, location_scan="DOCK-01",
                           item_scan=gas_scan(floor, "L2410C", date(2027, 10, 31)), qty=4,
                           user="rui")
    receiving.close_receipt(ctx, rid, user="rui")
    run = run_once(ctx, tmp_path)
    [name] = run["exported"]
    from shelfwise.integrations.edi import read_944

    advice = read_944(parse_interchange((tmp_path / "outbox" / name).read_text())
                      .transactions[0])
    assert advice.depositor_order_number == "TR-7741"
    assert [(ln.product_ids[0].value, ln.quantity_received) for ln in advice.lines] == [
        ("TENT-2P", 46), ("GAS-230", 4)]
