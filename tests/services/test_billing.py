"""Usage billing told as a month at a 3PL: Acme's stock is received, picked, packed,
shipped and stored; the invoice's every cent is computed here by hand, and each line
traces back to the metering events of the work behind it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shelfwise.domain.billing import parse_period, parse_rate_card, price
from shelfwise.domain.errors import InsufficientStock, InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import billing, catalog, ledger, metering, picking, shipping, stock
from shelfwise.services.orders import OrderSpec, allocate_order, create_order
from tests.factories import World, build_world, gtin, move

SHIP_TO = {"name": "Jane Doe", "lines": ["12 Elm Street"], "city": "Reno",
           "postcode": "89501", "country": "US"}
# Acme's price list, in cents per unit: fractions of a cent are allowed for storage.
RATES = {
    "receipt_lines": 150, "units_received": 25, "units_picked": 30, "cartons_packed": 125,
    "orders_shipped": 200, "lines_shipped": 40, "units_shipped": 10,
    "storage_unit_days": "0.3333", "storage_location_days": "12.5", "vas.kitting": 75,
}


def _card(ctx, owner: int, minimum: int = 5_000, rates=None) -> dict:
    return billing.put_rate_card(ctx, owner, effective_from=date(2026, 1, 1), currency="USD",
                                 minimum_monthly_cents=minimum, rates=rates or RATES,
                                 actor="finance")


def _gas(lot: str, expiry: date) -> str:
    return f"01{gtin(2).zfill(14)}17{expiry:%y%m%d}10{lot}"


def _receive(ctx, w: World) -> None:
    """ASN-1001: 60 tents (counted in two goes) and 40 gas canisters = 100 units, 2 lines."""
    catalog.create_lot(ctx, w.lot_item, "L2406A", date(2027, 6, 30), None)

    def rcv(item: int, bin_: int, qty: int, lot: str = "") -> MovementCommand:
        return MovementCommand(w.owner, MovementType.RECEIPT,
                               (LineCommand(item, w.supplier, bin_, qty, lot),),
                               document_type="receipt", document_id="ASN-1001", user="ana")

    ledger.post_movements(ctx, [rcv(w.item, w.bins[0], 40), rcv(w.lot_item, w.bins[1], 40,
                                                                  "L2406A")])
    ledger.post_movement(ctx, rcv(w.item, w.bins[0], 20))


def _fulfil(ctx, w: World) -> None:
    """Two orders, three lines, 30 units: picked, packed into 3 cartons, shipped."""
    o1 = create_order(ctx, OrderSpec(w.owner, w.facility, "SO-2001",
                                     ((w.item, 10), (w.lot_item, 12)), SHIP_TO))["id"]
    o2 = create_order(ctx, OrderSpec(w.owner, w.facility, "SO-2002", ((w.item, 8),),
                                     SHIP_TO))["id"]
    for oid in (o1, o2):
        allocate_order(ctx, oid)
    wave = picking.create_waves(ctx, w.facility, order_ids=[o1, o2], user="lead")[0]
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        scan = gtin(1) if t["item_id"] == w.item else _gas(t["lot"], t["expiry"])
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], scan, user="ana")
    gas = _gas("L2406A", date(2027, 6, 30))
    shipping.pack_cartons(ctx, [shipping.CartonRequest(o1, (gtin(1),) * 10),
                                shipping.CartonRequest(o1, (gas,) * 12)], user="bo")
    shipping.pack_carton(ctx, o2, [gtin(1)] * 8, user="bo")
    shipping.ship_orders(ctx, [o1, o2], user="bo")


def _store(ctx, w: World, clock, days: int = 10) -> None:
    """20 damaged tents are written off, leaving 50 units in 2 bins; 10 nightly snapshots."""
    ledger.post_movement(ctx, move(w.owner, w.item, w.bins[0], w.adjustment, 20,
                                   type=MovementType.ADJUSTMENT, reason="damaged"))
    for n in range(days):
        metering.meter_storage(ctx, date(2026, 10, 21) + timedelta(days=n))


@pytest.fixture
def month(ctx, clock) -> World:
    w = build_world(ctx)
    _card(ctx, w.owner)
    _receive(ctx, w)
    clock.advance(days=2)
    _fulfil(ctx, w)
    clock.advance(days=1)
    metering.record_vas(ctx, w.owner, w.facility, "kitting", 4, reference="WO-77")
    _store(ctx, w, clock)
    assert stock.verify(ctx)["ok"]
    return w


def _lines(inv: dict) -> dict[str, tuple[int, str, int]]:
    return {ln["activity"]: (ln["quantity"], ln["rate"], ln["amount_cents"])
            for ln in inv["lines"]}


def test_a_month_of_known_activity_is_invoiced_to_the_cent(ctx, month):
    run = billing.run_billing(ctx, "2026-10", month.owner)
    (head,) = run["invoices"]
    inv = billing.get_invoice(ctx, head["id"])
    assert _lines(inv) == {
        "receipt_lines": (2, "150", 300),            # 2 lines, though counted in 3 goes
        "units_received": (100, "25", 2_500),
        "units_picked": (30, "30", 900),
        "cartons_packed": (3, "125", 375),
        "orders_shipped": (2, "200", 400),
        "lines_shipped": (3, "40", 120),
        "units_shipped": (30, "10", 300),
        "storage_unit_days": (500, "0.3333", 167),   # 50 units x 10 days x 0.3333 = 166.65
        "storage_location_days": (20, "12.5", 250),  # 2 bins x 10 days
        "vas.kitting": (4, "75", 300),
    }
    assert inv["subtotal_cents"] == 5_612 and inv["minimum_topup_cents"] == 0
    assert inv["total_cents"] == 5_612 and inv["state"] == "draft"
    assert inv["number"] == "INV-ACME-2026-10"


def test_every_invoice_line_traces_to_its_metering_events(ctx, month):
    inv_id = billing.run_billing(ctx, "2026-10")["invoices"][0]["id"]
    inv = billing.get_invoice(ctx, inv_id)
    for ln in inv["lines"]:
        events = billing.invoice_events(ctx, inv_id, activity=ln["activity"], limit=500)
        assert len(events) == ln["event_count"]
        assert sum(e["quantity"] for e in events) == ln["quantity"]
        assert {e["invoice_line_id"] for e in events} == {ln["id"]}
    picked = billing.invoice_events(ctx, inv_id, activity="units_picked")
    moves = {stock.get_movement(ctx, int(e["source_id"]), None)["type"] for e in picked}
    assert moves == {"pick"}
    assert not metering.list_events(ctx, owner_id=month.owner, unbilled=True)


def test_a_small_month_is_topped_up_to_the_minimum(ctx, month):
    _card(ctx, month.other_owner, minimum=5_000)
    ledger.post_movement(ctx, MovementCommand(
        month.other_owner, MovementType.RECEIPT,
        (LineCommand(month.other_item, month.supplier, month.bins[2], 5),),
        document_type="receipt", document_id="ASN-9"))
    run = billing.run_billing(ctx, "2026-10", month.other_owner)
    inv = billing.get_invoice(ctx, run["invoices"][0]["id"])
    assert _lines(inv) == {"receipt_lines": (1, "150", 150), "units_received": (5, "25", 125),
                           "minimum_monthly_topup": (1, "4725", 4_725)}
    assert (inv["subtotal_cents"], inv["minimum_topup_cents"], inv["total_cents"]) == (
        275, 4_725, 5_000)


def test_running_a_period_again_is_the_same_invoice_and_bills_nothing_twice(ctx, month, clock):
    first = billing.run_billing(ctx, "2026-10")
    again = billing.run_billing(ctx, "2026-10")
    assert [i["id"] for i in again["invoices"]] == [i["id"] for i in first["invoices"]]
    assert again["invoices"][0]["total_cents"] == first["invoices"][0]["total_cents"] == 5_612
    assert again["invoices"][0]["events_added"] == 0
    # the storage snapshot of the 31st arrives late: it joins the same draft
    metering.meter_storage(ctx, date(2026, 10, 31))
    metering.meter_storage(ctx, date(2026, 10, 31))  # a scheduler firing twice meters once
    late = billing.run_billing(ctx, "2026-10")["invoices"][0]
    assert late["id"] == first["invoices"][0]["id"] and late["events_added"] == 2
    lines = _lines(billing.get_invoice(ctx, late["id"]))
    assert lines["storage_unit_days"] == (550, "0.3333", 183)   # 183.315
    assert lines["storage_location_days"] == (22, "12.5", 275)
    # issued is final: November's activity and re-runs leave it alone
    billing.issue_invoice(ctx, late["id"])
    assert billing.run_billing(ctx, "2026-10")["invoices"][0]["changed"] is False
    with ctx.read() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM invoices")).scalar_one()
    assert n == 1


def test_next_months_activity_waits_for_next_months_invoice(ctx, month, clock):
    billing.run_billing(ctx, "2026-10")
    metering.meter_storage(ctx, date(2026, 11, 1))
    assert len(metering.list_events(ctx, owner_id=month.owner, unbilled=True)) == 2
    nov = billing.run_billing(ctx, "2026-11")["invoices"][0]
    assert nov["subtotal_cents"] == 17 + 25  # 50 x 0.3333 = 16.665 -> 17; 2 bins x 12.5
    assert nov["total_cents"] == 5_000


def test_a_failed_movement_leaves_no_metering_event(ctx):
    w = build_world(ctx)
    good = MovementCommand(w.owner, MovementType.RECEIPT,
                           (LineCommand(w.item, w.supplier, w.bins[0], 10),))
    bad = move(w.owner, w.item, w.bins[1], w.staging, 5, type=MovementType.PICK)
    with pytest.raises(InsufficientStock):
        ledger.post_movements(ctx, [good, bad])
    assert metering.list_events(ctx) == []
    ledger.post_movements(ctx, [good])
    assert [e["activity"] for e in metering.list_events(ctx)] == [
        "units_received", "receipt_lines"]


def test_a_refused_carton_meters_nothing(ctx, month):
    before = len(metering.list_events(ctx, limit=1_000))
    with pytest.raises(NotFound):
        shipping.pack_carton(ctx, 999_999, [gtin(1)])
    assert len(metering.list_events(ctx, limit=1_000)) == before


def test_value_added_tasks_replay_by_reference(ctx):
    w = build_world(ctx)
    a = metering.record_vas(ctx, w.owner, w.facility, "gift_wrap", 3, reference="WO-1")
    b = metering.record_vas(ctx, w.owner, w.facility, "gift_wrap", 3, reference="WO-1")
    assert a["id"] == b["id"] and a["activity"] == "vas.gift_wrap"
    with pytest.raises(InvalidInput) as e:
        metering.record_vas(ctx, w.owner, w.facility, "gift_wrap", 5, reference="WO-1")
    assert e.value.code == "reference_reused"
    with pytest.raises(InvalidInput) as e:
        metering.record_vas(ctx, w.owner, w.facility, "Gift Wrap!", 1)
    assert e.value.code == "invalid_task"
    with pytest.raises(NotFound):
        metering.record_vas(ctx, w.owner, w.facility, "kitting", 1,
                            scope=frozenset({w.other_owner}))


def test_an_owner_without_a_rate_card_is_skipped_not_guessed(ctx, month):
    ledger.post_movement(ctx, MovementCommand(
        month.other_owner, MovementType.RECEIPT,
        (LineCommand(month.other_item, month.supplier, month.bins[2], 5),)))
    run = billing.run_billing(ctx, "2026-10")
    assert [s["owner_code"] for s in run["skipped"]] == ["NORDIC"]
    assert len(metering.list_events(ctx, owner_id=month.other_owner, unbilled=True)) == 2
    with pytest.raises(InvalidInput) as e:
        billing.run_billing(ctx, "2026-10", month.other_owner)
    assert e.value.code == "no_rate_card"


def test_invoices_render_as_json_csv_and_pdf(ctx, month):
    inv_id = billing.run_billing(ctx, "2026-10")["invoices"][0]["id"]
    body, media = billing.render_invoice(ctx, inv_id, "csv")
    rows = body.decode().splitlines()
    assert media.startswith("text/csv") and rows[0].startswith("invoice,owner,period")
    assert rows[-1].split(",")[-2] == "5612"
    pdf, media = billing.render_invoice(ctx, inv_id, "pdf")
    assert media == "application/pdf" and pdf.startswith(b"%PDF")
    js, _ = billing.render_invoice(ctx, inv_id, "json")
    assert b'"total_cents": 5612' in js
    with pytest.raises(InvalidInput):
        billing.render_invoice(ctx, inv_id, "xlsx")


def test_bad_rate_cards_and_periods_are_refused_and_change_nothing(ctx):
    w = build_world(ctx)
    for rates, code in (({"units_received": -1}, "invalid_rate"),
                        ({"units_received": "0.00001"}, "invalid_rate"),
                        ({"teleporting": 5}, "unknown_activity"),
                        ({"units_received": True}, "invalid_rate")):
        with pytest.raises(InvalidInput) as e:
            _card(ctx, w.owner, rates=rates)
        assert e.value.code == code
    with pytest.raises(InvalidInput):
        billing.put_rate_card(ctx, w.owner, effective_from=date(2026, 1, 1), currency="usd",
                              minimum_monthly_cents=0, rates={})
    with pytest.raises(NotFound):
        _card(ctx, 424242)
    assert billing.list_rate_cards(ctx) == []
    for bad in ("2026-13", "Oct 2026", "2026-1"):
        with pytest.raises(InvalidInput):
            billing.run_billing(ctx, bad)


def test_pricing_rounds_half_up_per_line_and_applies_the_minimum():
    card = parse_rate_card(date(2026, 1, 1), "EUR", 1_000, {"units_picked": "0.5",
                                                             "storage_unit_days": "0.125"})
    priced = price({"units_picked": 3, "storage_unit_days": 4, "vas.labelling": 2}, card)
    assert [(ln.activity, ln.amount_cents) for ln in priced.lines] == [
        ("units_picked", 2), ("storage_unit_days", 1), ("vas.labelling", 0)]
    assert (priced.subtotal_cents, priced.minimum_topup_cents, priced.total_cents) == (
        3, 997, 1_000)
    assert parse_period("2026-12").end.year == 2027
