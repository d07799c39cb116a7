"""Supervisor desk screens without a browser: wave planning, transfers, returns and the
trend charts, on SQLite and PostgreSQL; refusals change nothing; the wave release goes
through the same access policy and CSRF check as every other supervisor POST."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.domain.counting import Tolerance
from shelfwise.domain.ledger import MovementType
from shelfwise.services import (
    catalog,
    counting,
    ledger,
    orders,
    picking,
    returns,
    shipping,
    stock,
    trends,
)
from shelfwise.services.context import Context
from shelfwise.services.counting import CountedLine
from shelfwise.web import charts
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    auth_client,
    cheap_hashing,
    login,
    make_user,
)
from tests.factories import World, gtin, move
from tests.outbound_world import Floor, build_floor, gas_scan, order

CUTOFF = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)


@pytest.fixture
def floor(ctx: Context) -> Floor:
    return build_floor(ctx)


@pytest.fixture
def client(ctx: Context, floor: Floor) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as c:
        yield c


def _allocated(ctx: Context, f: Floor, number: str, lines: list[tuple[int, int]], **kw) -> int:
    oid = order(ctx, f, number, lines, **kw)["id"]
    orders.allocate_order(ctx, oid)
    return oid


def _state(ctx: Context, oid: int) -> str:
    return orders.get_order(ctx, oid, None)["state"]


# -- every screen ------------------------------------------------------------------------


def test_every_desk_screen_renders_for_warehouse_staff(client: TestClient):
    for path in ("/supervisor/waves", "/supervisor/transfers", "/supervisor/returns",
                 "/trends", "/partials/trends", "/trends?days=7&weeks=4&facility_id=1"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["content-type"].startswith("text/html")


def test_the_dashboard_loads_the_two_trend_charts_as_svg(client: TestClient):
    page = client.get("/").text
    assert 'hx-get="/partials/trends"' in page
    charts = client.get("/partials/trends").text
    assert charts.count("<svg") == 2
    assert 'data-chart="Orders per day"' in charts
    assert 'data-chart="Counts within tolerance (% per week)"' in charts


# -- waves ---------------------------------------------------------------------------------


def test_the_board_groups_waiting_orders_by_cutoff_and_filters_them(ctx, floor, client):
    w = floor.w
    _allocated(ctx, floor, "SO-3001", [(w.item, 2)], carrier="ups", cutoff_at=CUTOFF,
               priority=5)
    _allocated(ctx, floor, "SO-3002", [(w.item, 1)], carrier="ups", cutoff_at=CUTOFF,
               channel="b2b")
    _allocated(ctx, floor, "SO-3003", [(w.item, 1)], carrier="dhl",
               cutoff_at=CUTOFF + timedelta(days=1))
    order(ctx, floor, "SO-3004", [(w.item, 1)])  # new: not allocated, not shown
    page = client.get("/supervisor/waves").text
    assert page.count('data-group="') == 2
    assert {"SO-3001", "SO-3002", "SO-3003"} == set(re.findall(r'data-order="([^"]+)"', page))
    assert page.index("SO-3001") < page.index("SO-3003")  # earliest cut-off first

    def shown(**q) -> set[str]:
        return set(re.findall(r'data-order="([^"]+)"',
                              client.get("/supervisor/waves", params=q).text))

    assert shown(channel="b2b") == {"SO-3002"}
    assert shown(priority="3") == {"SO-3001"}
    assert shown(carrier="dhl") == {"SO-3003"}
    assert shown(cutoff="2026-10-01") == {"SO-3001", "SO-3002"}
    zone = catalog.list_zones(ctx, w.facility)[0]["id"]  # zone A holds A-01-01-A
    assert shown(zone_id=str(zone)) and shown(zone_id=str(zone + 999)) == set()
    assert shown(channel="nonsense") == shown()  # an unknown filter value is ignored


def test_releasing_ticked_orders_makes_a_wave_with_their_pick_tasks(ctx, floor, client):
    w = floor.w
    o1 = _allocated(ctx, floor, "SO-3101", [(w.item, 2), (w.lot_item, 3)], carrier="ups",
                    cutoff_at=CUTOFF)
    o2 = _allocated(ctx, floor, "SO-3102", [(w.item, 1)], carrier="ups", cutoff_at=CUTOFF)
    o3 = _allocated(ctx, floor, "SO-3103", [(w.item, 1)], carrier="ups", cutoff_at=CUTOFF)
    r = client.post("/supervisor/waves/release", data={
        "facility_id": str(w.facility), "order_id": [str(o1), str(o2)], "mode": "selected"})
    assert r.status_code == 200, r.text
    assert 'data-result="good"' in r.text and "Wave released" in r.text
    [wave_id] = map(int, re.findall(r'data-wave-link="(\d+)"', r.text))
    assert (_state(ctx, o1), _state(ctx, o2), _state(ctx, o3)) == ("waved", "waved", "allocated")
    assert re.search(rf'data-wave="{wave_id}".*?data-progress>0/3<', r.text, re.S)
    assert set(re.findall(r'data-order="([^"]+)"', r.text)) == {"SO-3103"}

    detail = client.get(f"/supervisor/waves/{wave_id}").text
    assert detail.count('data-task="') == 3 and "A-01-01-A" in detail
    assert client.get("/supervisor/waves/987654").status_code == 404


def test_release_of_nothing_or_of_a_waved_order_is_refused_and_changes_nothing(ctx, floor,
                                                                             client):
    w = floor.w
    o1 = _allocated(ctx, floor, "SO-3201", [(w.item, 1)])
    empty = client.post("/supervisor/waves/release",
                        data={"facility_id": str(w.facility), "mode": "selected"})
    assert empty.status_code == 422 and "no_orders_selected" in empty.text
    assert client.post("/supervisor/waves/release", data={}).status_code == 422
    assert _state(ctx, o1) == "allocated"
    picking.create_waves(ctx, w.facility, order_ids=[o1])
    twice = client.post("/supervisor/waves/release", data={
        "facility_id": str(w.facility), "order_id": str(o1), "mode": "selected"})
    assert twice.status_code == 422 and "order_not_wavable" in twice.text
    assert len(picking.list_pick_tasks(ctx, orders.get_order(ctx, o1, None)["wave_id"])) == 1


def test_release_by_the_rules_cuts_waves_per_carrier_cutoff_and_size(ctx, floor, client):
    w = floor.w
    ids = [_allocated(ctx, floor, f"SO-33{n:02d}", [(w.item, 1)], carrier=c, cutoff_at=CUTOFF)
           for n, c in enumerate(["ups", "ups", "ups", "dhl"])]
    page = client.get("/supervisor/waves", params={"facility_id": w.facility}).text
    assert "makes 2 wave(s)" in page
    r = client.post("/supervisor/waves/release", data={
        "facility_id": str(w.facility), "mode": "all", "max_orders": "2"})
    assert r.status_code == 200 and "3 waves released" in r.text
    waves = {orders.get_order(ctx, i, None)["wave_id"] for i in ids}
    assert len(waves) == 3 and None not in waves


def test_one_cutoff_group_is_released_alone(ctx, floor, client):
    w = floor.w
    early = _allocated(ctx, floor, "SO-3401", [(w.item, 1)], carrier="ups", cutoff_at=CUTOFF)
    late = _allocated(ctx, floor, "SO-3402", [(w.item, 1)], carrier="ups",
                      cutoff_at=CUTOFF + timedelta(hours=4))
    page = client.get("/supervisor/waves").text
    first_group = re.findall(r'name="mode" value="(group:[^"]+)"', page)[0]
    r = client.post("/supervisor/waves/release", data={
        "facility_id": str(w.facility), "mode": first_group})
    assert r.status_code == 200, r.text
    assert (_state(ctx, early), _state(ctx, late)) == ("waved", "allocated")


def test_the_open_waves_show_progress_and_short_picks(ctx, floor, client):
    w = floor.w
    oid = _allocated(ctx, floor, "SO-3501", [(w.item, 12)])  # 10 in A-01-01-A, 2 far
    [wave] = picking.create_waves(ctx, w.facility, order_ids=[oid])
    tasks = picking.list_pick_tasks(ctx, wave["id"])
    near = next(t for t in tasks if t["location_code"] == "A-01-01-A")
    picking.confirm_pick(ctx, near["id"], near["location_barcode"], floor.tent_gtin, qty=9)
    page = client.get("/supervisor/waves").text
    row = re.search(rf'<tr data-wave="{wave["id"]}".*?</tr>', page, re.S).group(0)
    assert "data-short>1<" in row and re.search(r"data-progress>1/\d+<", row)


# -- access: the same policy and CSRF check as every supervisor POST -----------------------


@pytest.mark.usefixtures("cheap_hashing")
def test_wave_release_needs_the_approve_permission_and_the_csrf_token(ctx, floor):
    w = floor.w
    oid = _allocated(ctx, floor, "SO-3601", [(w.item, 1)])
    make_user(ctx, "sam", "supervisor")
    make_user(ctx, "olga", "operator")
    make_user(ctx, "cleo", "client", [w.owner])
    body = {"facility_id": str(w.facility), "order_id": str(oid), "mode": "selected"}

    operator = auth_client(ctx)
    op_csrf = login(operator, "olga")
    refused = operator.post("/supervisor/waves/release", data={**body, "csrf_token": op_csrf})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    client_user = auth_client(ctx)
    login(client_user, "cleo")
    assert client_user.get("/supervisor/waves").status_code == 403  # staff screen

    sam = auth_client(ctx)
    csrf = login(sam, "sam")
    page = sam.get("/supervisor/waves").text
    assert csrf in page  # the page hands htmx the token
    forged = sam.post("/supervisor/waves/release", data=body)
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    assert _state(ctx, oid) == "allocated"
    ok = sam.post("/supervisor/waves/release", data=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and _state(ctx, oid) == "waved"
    wave = picking.get_wave(ctx, orders.get_order(ctx, oid, None)["wave_id"])
    assert wave["created_by"] == "sam"


# -- transfers -----------------------------------------------------------------------------


def test_a_transfer_is_drafted_shipped_and_received_from_the_screen(ctx, floor, client):
    w = floor.w
    r = client.post("/supervisor/transfers", data={
        "source_facility_id": str(w.facility), "dest_facility_id": str(w.facility2),
        "reference": "TR-88", "item_id": [str(w.item), ""], "qty": ["4", ""],
        "lot": ["", ""], "key": "k-1"})
    assert r.status_code == 200 and "Transfer drafted" in r.text, r.text
    tid = int(re.search(r'data-transfer="(\d+)" data-state="draft"', r.text).group(1))
    again = client.post("/supervisor/transfers", data={
        "source_facility_id": str(w.facility), "dest_facility_id": str(w.facility2),
        "reference": "TR-88", "item_id": str(w.item), "qty": "4", "key": "k-1"})
    assert again.status_code == 200 and again.text.count('data-state="draft"') == 1

    line = re.search(r'name="line_id" value="(\d+)"', r.text).group(1)
    source = re.search(r'<option value="(\d+:)">A-01-01-A', r.text).group(1)
    shipped = client.post(f"/supervisor/transfers/{tid}/ship",
                          data={"line_id": line, "source": source})
    assert shipped.status_code == 200 and "Transfer shipped" in shipped.text, shipped.text
    for fac, direction in (("WH1", "outbound"), ("WH2", "inbound")):
        table = re.search(rf'data-table="in-transit" data-facility="{fac}".*?</table>',
                          shipped.text, re.S).group(0)
        assert re.search(rf'data-direction="{direction}" data-item="TENT-2P">.*?data-qty>4<',
                         table, re.S)
    assert stock.level(ctx, w.owner, w.item, w.facility2)["in_transit"] == 4

    dest = re.search(r'<option value="(\d+)">B-01-01-A', shipped.text).group(1)
    got = client.post(f"/supervisor/transfers/{tid}/receive", data={"to_location_id": dest})
    assert got.status_code == 200 and "Transfer received" in got.text
    assert "Nothing is on the road" in got.text
    assert stock.level(ctx, w.owner, w.item, w.facility2)["on_hand"] == 4
    assert stock.verify(ctx)["ok"]


def test_a_bad_transfer_form_is_refused_and_changes_nothing(ctx, floor, client):
    w = floor.w
    cases = [
        ({"item_id": str(w.item), "qty": "4"}, "facility_required"),
        ({"source_facility_id": str(w.facility), "dest_facility_id": str(w.facility),
          "item_id": str(w.item), "qty": "4"}, "same_facility"),
        ({"source_facility_id": str(w.facility), "dest_facility_id": str(w.facility2),
          "item_id": [str(w.item), str(w.other_item)], "qty": ["1", "1"]}, "mixed_owners"),
        ({"source_facility_id": str(w.facility), "dest_facility_id": str(w.facility2),
          "item_id": str(w.item), "qty": "-3"}, "invalid_quantity"),
    ]
    for data, code in cases:
        r = client.post("/supervisor/transfers", data=data)
        assert r.status_code == 422 and code in r.text, (code, r.text[:300])
    assert "No transfers." in client.get("/supervisor/transfers").text
    missing = client.post("/supervisor/transfers/987654/ship", data={})
    assert missing.status_code in (404, 422)


# -- returns -------------------------------------------------------------------------------


def _shipped_order(ctx: Context, f: Floor, number: str = "SO-3901") -> dict:
    """Three tents and two gas canisters (FEFO: the earlier lot), picked, packed and
    shipped."""
    w = f.w
    oid = _allocated(ctx, f, number, [(w.item, 3), (w.lot_item, 2)])
    [wave] = picking.create_waves(ctx, w.facility, order_ids=[oid])
    packed = []
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        scan = f.tent_gtin if t["item_id"] == w.item else gas_scan(f, t["lot"], t["expiry"])
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], scan)
        packed += [scan] * t["qty"]
    shipping.pack_carton(ctx, oid, packed)
    shipping.ship_order(ctx, oid)
    return orders.get_order(ctx, oid, None)


def test_an_rma_is_authorised_received_and_each_line_restocked_or_scrapped(ctx, floor,
                                                                          client):
    w = floor.w
    # the FEFO pick takes the gas canisters of the earlier lot; return that lot
    so = _shipped_order(ctx, floor)
    lot = next(t["lot"] for t in picking.list_pick_tasks(ctx, so["wave_id"], state=None)
               if t["item_id"] == w.lot_item)
    page = client.get("/supervisor/returns", params={"order": so["number"]}).text
    assert f'data-order="{so["number"]}"' in page and f'value="{lot}"' in page
    tent_line, gas_line = (ln["id"] for ln in so["lines"])
    too_many = client.post("/supervisor/returns", data={
        "order_id": str(so["id"]), "line_id": [str(tent_line), str(gas_line)],
        "qty": ["4", ""], "lot": ["", lot]})
    assert too_many.status_code == 422 and "more_than_shipped" in too_many.text
    r = client.post("/supervisor/returns", data={
        "order_id": str(so["id"]), "line_id": [str(tent_line), str(gas_line)],
        "qty": ["2", "1"], "lot": ["", lot], "key": "rma-1"})
    assert r.status_code == 200 and "Return authorised" in r.text, r.text
    rma = int(re.search(r'data-rma="(\d+)" data-state="authorised"', r.text).group(1))

    dock = re.search(r'<option value="(\d+)">DOCK-01', r.text).group(1)
    lines = {ln["item_id"]: ln["id"] for ln in returns.get_rma(ctx, rma, None)["lines"]}
    got = client.post(f"/supervisor/returns/{rma}/receive", data={
        "to_location_id": dock, "line_id": [str(i) for i in lines.values()],
        "received": ["", ""]})
    assert got.status_code == 200 and "Return received" in got.text, got.text
    before = stock.level(ctx, w.owner, w.item, w.facility)["available"]
    restock = client.post(f"/supervisor/returns/{rma}/lines/{lines[w.item]}/inspect", data={
        "disposition": "restock", "to_location_id": str(w.bins[1])})
    assert restock.status_code == 200 and "Line restock" in restock.text, restock.text
    assert stock.level(ctx, w.owner, w.item, w.facility)["available"] == before + 2
    no_reason = client.post(f"/supervisor/returns/{rma}/lines/{lines[w.lot_item]}/inspect",
                            data={"disposition": "scrap"})
    assert no_reason.status_code == 422 and "reason_required" in no_reason.text
    gas_before = stock.level(ctx, w.owner, w.lot_item, w.facility)["on_hand"]
    scrap = client.post(f"/supervisor/returns/{rma}/lines/{lines[w.lot_item]}/inspect",
                        data={"disposition": "scrap", "reason": "dented"})
    assert scrap.status_code == 200 and "RMA closed" in scrap.text
    assert stock.level(ctx, w.owner, w.lot_item, w.facility)["on_hand"] == gas_before - 1
    assert stock.verify(ctx)["ok"]


def test_only_a_shipped_order_can_be_returned(ctx, floor, client):
    w = floor.w
    oid = _allocated(ctx, floor, "SO-3951", [(w.item, 1)])
    page = client.get("/supervisor/returns", params={"order": "SO-3951"})
    assert page.status_code == 422 and "order_not_shipped" in page.text
    r = client.post("/supervisor/returns", data={"order_id": str(oid), "line_id": "1",
                                                 "qty": "1", "lot": ""})
    assert r.status_code == 422 and "order_not_shipped" in r.text
    assert "No returns." in client.get("/supervisor/returns").text


# -- trends --------------------------------------------------------------------------------


def test_orders_per_day_and_counts_within_tolerance_per_week(ctx, clock):
    w: World = build_floor(ctx).w
    for days_ago, n in ((0, 2), (3, 1), (40, 5)):
        clock.now = datetime(2026, 10, 1, 9, tzinfo=UTC) - timedelta(days=days_ago)
        for k in range(n):
            order(ctx, _floor_of(w), f"SO-T{days_ago}-{k}", [(w.item, 1)])
    clock.now = datetime(2026, 10, 1, 10, tzinfo=UTC)
    per_day = dict(trends.orders_per_day(ctx, None, days=30))
    assert len(per_day) == 30 and per_day[date(2026, 10, 1)] == 2
    assert per_day[date(2026, 9, 28)] == 1 and sum(per_day.values()) == 3
    assert sum(n for _, n in trends.orders_per_day(ctx, frozenset({w.other_owner}))) == 0

    code = catalog.get_location(ctx, w.bins[0])["barcode"]
    clock.now = datetime(2026, 9, 22, 9, tzinfo=UTC)  # a Tuesday, the week before
    [t1] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                       tolerance=Tolerance(units=1))
    counting.submit_count(ctx, t1["id"], location_scan=code,
                          lines=[CountedLine(gtin(1), 10)])  # exact
    clock.now = datetime(2026, 9, 30, 9, tzinfo=UTC)
    [t2] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]],
                                       tolerance=Tolerance(units=5))
    counting.submit_count(ctx, t2["id"], location_scan=code,
                          lines=[CountedLine(gtin(1), 8)])  # off by 2, inside 5
    [t3] = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[1]],
                                       tolerance=Tolerance(units=0))
    lot_code = catalog.get_location(ctx, w.bins[1])["barcode"]
    one_short = [CountedLine(gas_scan(_floor_of(w), "L2406A", date(2027, 6, 30)), 19)]
    first = counting.submit_count(ctx, t3["id"], location_scan=lot_code, lines=one_short)
    counting.submit_count(ctx, first["recount_task_id"], location_scan=lot_code,
                          lines=one_short)  # the recount replaces the first count
    clock.now = datetime(2026, 10, 1, 10, tzinfo=UTC)
    weeks = trends.count_accuracy_by_week(ctx, None, weeks=4)
    assert [x["week"] for x in weeks] == [date(2026, 9, 7), date(2026, 9, 14),
                                          date(2026, 9, 21), date(2026, 9, 28)]
    assert (weeks[2]["counts"], weeks[2]["within"], weeks[2]["share"]) == (1, 1, 1.0)
    assert (weeks[3]["counts"], weeks[3]["within"], weeks[3]["share"]) == (2, 1, 0.5)
    assert weeks[0]["share"] is None


def _floor_of(w: World) -> Floor:
    return Floor(w, 0, gtin(1), gtin(2), gtin(3))


def test_the_trend_charts_count_only_the_callers_owners(ctx):
    w = build_floor(ctx).w
    order(ctx, _floor_of(w), "SO-T1", [(w.item, 1)])
    ledger.post_movement(ctx, move(w.other_owner, w.other_item, w.supplier, w.bins[2], 3,
                                   type=MovementType.RECEIPT))
    app = create_app(ctx)

    class ScopeTo:
        def __init__(self, inner, owners):
            self.inner, self.owners = inner, owners

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http":
                scope.setdefault("state", {})["scope"] = self.owners
            await self.inner(scope, receive, send)

    with TestClient(ScopeTo(app, frozenset({w.other_owner}))) as c:
        page = c.get("/trends").text
        assert "0 in 30 days" in page
    with TestClient(app) as c:
        assert "1 in 30 days" in c.get("/trends").text


def test_the_share_chart_leaves_a_gap_for_a_period_without_counts():
    svg = charts.share_chart("Within <tolerance>", [("09-21", 100.0, "3 of 3"),
                                                    ("09-28", None, ""),
                                                    ("10-05", 50.0, "1 of <2>")])
    assert svg.count('class="bar"') == 2 and 'class="tick gap"' in svg
    assert 'data-value="50"' in svg and "1 of &lt;2&gt;" in svg and "<tolerance>" not in svg
    assert "no data yet" in charts.share_chart("Within", [("09-21", None, "")])
