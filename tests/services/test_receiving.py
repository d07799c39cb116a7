"""Receiving by scanning: receipts as state machines, scans validated against the
receipt's owner, every refused scan recorded and nothing moved."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa

from shelfwise.barcodes import ScanError
from shelfwise.domain.catalog import ItemSpec
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound, ShelfwiseError
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger, receiving, stock
from shelfwise.services.context import Context
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import lots, movements, scan_exceptions
from tests.factories import World, build_world, gtin, move

TENT = gtin(1)
GAS = gtin(2)
LAMP = gtin(3)  # Nordic's lamp: another owner's GTIN


def gs1(gtin14: str, lot: str, expiry: str) -> str:
    """A GS1-128 scan as a handheld sends it: GTIN, expiry (YYMMDD), then the lot last."""
    return f"]C101{gtin14}17{expiry}10{lot}"


@pytest.fixture
def w(ctx: Context) -> World:
    world = build_world(ctx)
    catalog.create_locations(ctx, [
        {"facility_id": world.facility, "code": "DMG-01", "kind": "damaged"},
    ])
    return world


def damaged_loc(ctx: Context, w: World) -> int:
    return next(loc["id"] for loc in catalog.list_locations(ctx, w.facility, kind="damaged"))


def po(ctx: Context, w: World, ref: str = "PO-4500012345", **lines: int) -> dict:
    spec = [{"item_id": w.item, "expected_qty": lines.get("tent", 30)},
            {"item_id": w.lot_item, "expected_qty": lines.get("gas", 24)}]
    return receiving.create_receipt(ctx, owner_id=w.owner, facility_id=w.facility,
                                    type="purchase_order", reference=ref,
                                    supplier="Alpine Gear Ltd", lines=spec, user="buyer")


def counts(ctx: Context) -> tuple[int, int, list]:
    with ctx.read() as conn:
        mv = conn.execute(sa.select(sa.func.count()).select_from(movements)).scalar()
        ex = conn.execute(sa.select(sa.func.count()).select_from(scan_exceptions)).scalar()
        lines = [tuple(r) for r in conn.execute(sa.select(receipt_lines).order_by(
            receipt_lines.c.id))]
    return mv, ex, lines


def refused_scan(ctx: Context, receipt_id: int, code: str, **kw) -> None:
    """The scan is refused with ``code``, one scan exception is recorded, nothing moves."""
    mv, ex, lines = counts(ctx)
    args = {"location_scan": "DOCK-01", "item_scan": TENT, "qty": 1, "user": "maria",
            "device": "HH-07", **kw}
    with pytest.raises((ScanError, ShelfwiseError)) as err:
        receiving.receive_scan(ctx, receipt_id, **args)
    assert err.value.code == code
    mv2, ex2, lines2 = counts(ctx)
    assert (mv2, lines2) == (mv, lines)
    assert ex2 == ex + 1
    with ctx.read() as conn:
        last = conn.execute(sa.select(scan_exceptions).order_by(
            scan_exceptions.c.id.desc())).first()
    assert (last.code, last.task_type, last.task_id) == (code, "receipt", str(receipt_id))
    assert (last.user_name, last.device) == ("maria", "HH-07")


def test_a_purchase_order_starts_open_with_its_expected_lines(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    assert r["state"] == "open" and r["type"] == "purchase_order"
    assert [(ln["item_id"], ln["expected"], ln["received"]) for ln in r["lines"]] == [
        (w.item, 30, 0), (w.lot_item, 24, 0)]


def test_a_receipt_for_another_owners_item_is_refused_and_nothing_is_written(
        ctx: Context, w: World) -> None:
    with pytest.raises(NotFound) as err:
        receiving.create_receipt(ctx, owner_id=w.owner, facility_id=w.facility, type="asn",
                                 reference="ASN-1", lines=[
                                     {"item_id": w.item, "expected_qty": 5},
                                     {"item_id": w.other_item, "expected_qty": 5}])
    assert err.value.code == "item_not_found"
    with ctx.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(receipts)).scalar() == 0


def test_the_same_reference_twice_is_a_duplicate_receipt(ctx: Context, w: World) -> None:
    po(ctx, w)
    with pytest.raises(Conflict) as err:
        po(ctx, w)
    assert err.value.code == "duplicate_receipt"


def test_a_scan_posts_supplier_to_dock_and_counts_on_the_line(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    res = receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=6,
                                 user="maria", device="HH-07")
    assert res["state"] == "receiving" and res["location_id"] == w.dock
    assert res["line"]["received"] == 6 and res["line"]["short"] == 24
    mv = stock.get_movement(ctx, res["movement_id"], None)
    assert mv["type"] == "receipt" and mv["document_type"] == "receipt"
    assert mv["document_id"] == str(r["id"])
    assert stock.level(ctx, w.owner, w.item, w.facility)["receiving"] == 6


def test_a_gs1_scan_creates_the_lot_with_its_expiry(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    res = receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01",
                                 item_scan=gs1(GAS, "L2406A", "271231"), qty=12)
    assert (res["lot"], res["expiry"]) == ("L2406A", "2027-12-31")
    with ctx.read() as conn:
        lot = conn.execute(sa.select(lots).where(lots.c.code == "L2406A")).one()
    assert lot.expiry == date(2027, 12, 31) and lot.item_id == w.lot_item


def test_lot_and_expiry_may_be_typed_when_the_label_has_only_a_gtin(
        ctx: Context, w: World) -> None:
    r = po(ctx, w)
    res = receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=GAS, qty=2,
                                 lot="L2406B", expiry=date(2027, 6, 30))
    assert (res["lot"], res["expiry"]) == ("L2406B", "2027-06-30")


def test_damaged_units_go_to_the_damaged_location(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    res = receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=1,
                                 damaged=True)
    assert res["location_id"] == damaged_loc(ctx, w)
    assert res["line"]["damaged"] == 1 and res["line"]["received"] == 1
    lvl = stock.level(ctx, w.owner, w.item, w.facility)
    assert (lvl["held"], lvl["receiving"], lvl["available"]) == (1, 0, 0)


def test_over_receipt_is_accepted_and_flagged(ctx: Context, w: World) -> None:
    r = po(ctx, w, tent=4)
    res = receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=6)
    assert res["over_receipt"] is True and res["line"]["over"] == 2
    assert res["line"]["status"] == "over"


def test_a_replayed_scan_posts_once(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    kw = {"location_scan": "DOCK-01", "item_scan": TENT, "qty": 3, "idempotency_key": "hh7-001"}
    first = receiving.receive_scan(ctx, r["id"], **kw)
    again = receiving.receive_scan(ctx, r["id"], **kw)
    assert again["replayed"] is True and again["movement_id"] == first["movement_id"]
    assert receiving.get_receipt(ctx, r["id"])["lines"][0]["received"] == 3
    with pytest.raises(Conflict) as err:
        receiving.receive_scan(ctx, r["id"], **{**kw, "qty": 4})
    assert err.value.code == "idempotency_key_reused"


def test_a_scan_at_a_bin_that_is_not_a_dock_is_wrong_location(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "wrong_location", location_scan="A-01-01-A")
    refused_scan(ctx, r["id"], "wrong_location", location_scan="NO-SUCH-BIN")


def test_a_dock_of_another_facility_is_wrong_location(ctx: Context, w: World) -> None:
    catalog.create_locations(ctx, [{"facility_id": w.facility2, "code": "DOCK-02",
                                    "kind": "receiving"}])
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "wrong_location", location_scan="DOCK-02")


def test_another_owners_gtin_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "unknown_gtin", item_scan=LAMP)


def test_a_gtin_with_a_bad_check_digit_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    bad = TENT[:-1] + str((int(TENT[-1]) + 1) % 10)
    refused_scan(ctx, r["id"], "bad_check_digit", item_scan=bad)


def test_an_unknown_gtin_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "unknown_gtin", item_scan=gtin(999))


def test_an_expired_lot_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "expired_lot", item_scan=gs1(GAS, "L2406A", "260630"))
    with ctx.read() as conn:
        assert conn.execute(sa.select(lots)).first() is None  # the lot was not created


def test_an_item_not_on_the_receipt_is_refused(ctx: Context, w: World) -> None:
    stove = catalog.create_item(ctx, ItemSpec(w.owner, "STOVE-1", "Camping stove",
                                              (gtin(4),)))
    assert stove["owner_id"] == w.owner
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "not_on_receipt", item_scan=gtin(4))


def test_a_lot_tracked_item_without_a_lot_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "lot_required", item_scan=GAS)


def test_a_lot_other_than_the_asn_announced_is_refused(ctx: Context, w: World) -> None:
    r = receiving.create_receipt(ctx, owner_id=w.owner, facility_id=w.facility, type="asn",
                                 reference="ASN-778", lines=[
                                     {"item_id": w.lot_item, "expected_qty": 10,
                                      "lot": "L2406A"}])
    refused_scan(ctx, r["id"], "wrong_lot", item_scan=gs1(GAS, "L2407C", "271231"))


def test_an_unreadable_scan_is_refused(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    refused_scan(ctx, r["id"], "empty_scan", item_scan="   ")


def test_closing_stores_the_discrepancy_report(ctx: Context, w: World) -> None:
    r = po(ctx, w, tent=10, gas=5)
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=8)
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=1,
                           damaged=True)
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01",
                           item_scan=gs1(GAS, "L2406A", "271231"), qty=7)
    closed = receiving.close_receipt(ctx, r["id"], user="lead")
    assert closed["state"] == "closed" and closed["closed_at"] is not None
    rep = closed["discrepancy_report"]
    assert [(x["expected"], x["received"], x["damaged"], x["over"], x["short"], x["status"])
            for x in rep["lines"]] == [(10, 9, 1, 0, 1, "short"), (5, 7, 0, 2, 0, "over")]
    assert rep["clean"] is False and rep["totals"]["received"] == 16
    assert receiving.discrepancies(ctx, r["id"]) == rep
    assert len(closed["putaway_task_ids"]) == 2


def test_a_closed_receipt_takes_no_more_scans(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    receiving.close_receipt(ctx, r["id"])
    mv, ex, _ = counts(ctx)
    with pytest.raises(Conflict) as err:
        receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=1)
    assert err.value.code == "invalid_state"
    assert counts(ctx)[:2] == (mv, ex)  # not a scan problem: no scan exception
    with pytest.raises(Conflict):
        receiving.close_receipt(ctx, r["id"])


def test_only_a_receipt_with_nothing_received_can_be_cancelled(ctx: Context, w: World) -> None:
    r1, r2 = po(ctx, w, ref="PO-1"), po(ctx, w, ref="PO-2")
    assert receiving.cancel_receipt(ctx, r1["id"])["state"] == "cancelled"
    receiving.receive_scan(ctx, r2["id"], location_scan="DOCK-01", item_scan=TENT, qty=1)
    with pytest.raises(Conflict) as err:
        receiving.cancel_receipt(ctx, r2["id"])
    assert err.value.code == "invalid_state"


def test_another_owner_cannot_see_or_scan_the_receipt(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    nordic = frozenset({w.other_owner})
    with pytest.raises(NotFound):
        receiving.get_receipt(ctx, r["id"], nordic)
    with pytest.raises(NotFound):
        receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=1,
                               scope=nordic)
    assert receiving.list_receipts(ctx, nordic) == []


def test_a_zero_quantity_is_refused_before_anything_happens(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    with pytest.raises(InvalidInput) as err:
        receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=0)
    assert err.value.code == "invalid_quantity"


def test_receipts_keep_the_ledger_balanced(ctx: Context, w: World) -> None:
    r = po(ctx, w)
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT, qty=5)
    ledger.post_movement(ctx, move(w.owner, w.item, w.dock, w.bins[0], 5))
    assert stock.verify(ctx)["ok"]
    assert catalog.virtual_location(ctx, w.facility, LocationKind.SUPPLIER) == w.supplier


def test_a_label_expiry_that_differs_from_the_recorded_lot_is_refused(
        ctx: Context, w: World) -> None:
    r = po(ctx, w)
    receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01",
                           item_scan=gs1(GAS, "L2406A", "271231"), qty=1)
    refused_scan(ctx, r["id"], "expiry_mismatch", item_scan=gs1(GAS, "L2406A", "280101"))


def test_concurrent_scans_of_one_receipt_all_count_and_a_twin_counts_once(
        ctx: Context, w: World) -> None:
    r = po(ctx, w)
    keys = [f"hh-{n}" for n in range(8)] + ["hh-0", "hh-1"]  # two retried twins

    def scan(key: str) -> dict:
        return receiving.receive_scan(ctx, r["id"], location_scan="DOCK-01", item_scan=TENT,
                                      qty=1, idempotency_key=key)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(scan, keys))
    assert sum(not x["replayed"] for x in results) == 8
    assert receiving.get_receipt(ctx, r["id"])["lines"][0]["received"] == 8
    assert stock.level(ctx, w.owner, w.item, w.facility)["receiving"] == 8
    assert stock.verify(ctx)["ok"]
