"""No web page shows a client another client's data.

A client user of Acme, logged in with a session cookie as in a browser, requests every
GET page the app serves (enumerated from ``app.routes``, so a page added later is covered
without touching this file) with every id, barcode and filter pointed at Nordic's
objects. Not one response may carry a trace of Nordic (codes, SKUs, names, document
numbers, tracking numbers, SSCCs), none may fail with a 5xx, and a page of one of
Nordic's documents answers 404 — as if it did not exist, not 403.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.auth import policy
from shelfwise.services import outbox_feed, portal_queries, stock
from shelfwise.services.context import Context
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    auth_ctx,
    cheap_hashing,
    login,
    make_user,
)
from tests.web.portal_world import Tenants, build_tenants

pytestmark = pytest.mark.usefixtures("cheap_hashing")

NOT_PAGES = ("/api", "/docs", "/redoc", "/openapi.json", "/static", "/favicon.ico")
STREAMS = {"/events"}


@pytest.fixture
def tenants(ctx: Context) -> Tenants:
    return build_tenants(ctx)


@pytest.fixture
def app_ctx(ctx: Context) -> Context:
    return auth_ctx(ctx, rate_limit_burst=100_000, rate_limit_per_minute=100_000)


def _client(app_ctx: Context, username: str, role: str, owners: list[int]) -> TestClient:
    make_user(app_ctx, username, role, owners)
    client = TestClient(create_app(app_ctx), raise_server_exceptions=False)
    login(client, username)
    return client


@pytest.fixture
def acme_client(app_ctx: Context, tenants: Tenants) -> TestClient:
    return _client(app_ctx, "acme-portal", "client", [tenants.w.owner])


def web_get_routes(app: Any) -> list[Any]:
    """Every GET route of the web app (not the API, docs or static files)."""
    return [r for r in policy.routes_of(app)
            if "GET" in (getattr(r, "methods", None) or ())
            and not r.path.startswith(NOT_PAGES) and hasattr(r, "dependant")]


def _params(route: Any) -> tuple[list[str], list[str]]:
    """Names of the route's path and query parameters, its dependencies' included."""
    path: list[str] = []
    query: list[str] = []
    todo = [route.dependant]
    while todo:
        d = todo.pop()
        path += [p.alias for p in d.path_params if p.alias not in path]
        query += [p.alias for p in d.query_params if p.alias not in query]
        todo += d.dependencies
    return path, query


def _path_values(t: Tenants, path: str, name: str) -> tuple[list[int], bool]:
    """Nordic's ids for a path parameter, and whether the page must then be a 404.

    A parameter this test does not know (a page added later) is tried with each of
    Nordic's ids; such a page is held to "shows nothing of Nordic's" only.
    """
    o = t.other
    if name == "task_id":
        ids = [o["count_task_id"], o["review_task_id"]] if "count" in path else \
            [o["putaway_task_id"]]
        return ids, True
    known = {"item_id": [o["item_id"], o["lot_item_id"]],
             "order_id": [o["order_id"], o["waved_order_id"], o["new_order_id"]],
             "receipt_id": [o["receipt_id"]], "invoice_id": [o["invoice_id"]],
             "wave_id": [o["wave_id"]], "shipment_id": [o["shipment_id"]],
             "owner_id": [o["owner_id"]]}
    if name in known:
        return known[name], True
    if name == "location_id":  # a bin both clients use: Acme may see it, not Nordic's stock
        return [o["location_id"]], False
    return sorted({v for k, v in o.items() if k not in ("location_id", "mixed_wave_id")}), False


def _query_values(t: Tenants) -> dict[str, Any]:
    """Filters and search boxes, all aimed at Nordic."""
    o, c = t.other, t.other_codes
    return {"owner": o["owner_id"], "owner_id": o["owner_id"], "item_id": o["item_id"],
            "location_id": o["location_id"], "order_id": o["order_id"],
            "receipt_id": o["receipt_id"], "invoice_id": o["invoice_id"],
            "wave_id": o["wave_id"], "sku": c["sku"], "number": "SO-NORDIC",
            "reference": "ASN-NORDIC", "code": c["gtin"], "barcode": c["gtin"],
            "lot": c["lot"], "gtin": c["gtin"], "sscc": c["sscc"],
            "tracking": c["tracking"], "q": "NORDIC", "search": "LAMP", "period": "2026-10",
            "format": "csv"}


def _requests(t: Tenants, route: Any) -> list[tuple[str, dict[str, Any], bool]]:
    """(url, query, must be 404) for every combination of Nordic's ids in the path."""
    path_names, query_names = _params(route)
    values = _query_values(t)
    choices, owned = [], False
    for name in path_names:
        ids, must_404 = _path_values(t, route.path, name)
        choices.append(ids)
        owned = owned or must_404
    queries = [{}, {n: values.get(n, t.other_codes["sku"]) for n in query_names
                    if n not in ("offset", "limit", "before_id")}]
    if route.path.startswith("/invoices/") and "format" in query_names:
        queries.append({"format": "pdf"})
    out = []
    for combo in itertools.product(*choices):
        url = route.path
        for name, v in zip(path_names, combo, strict=True):
            url = url.replace("{" + name + "}", str(v))
        for q in queries:
            out.append((url, q, owned))
    return out


def _leaked(text: str, t: Tenants, sent: dict[str, Any] | None = None) -> list[str]:
    """Nordic's markers in a response, but for those the request itself carried (a
    search box showing what was typed into it is no leak)."""
    echoed = [str(v) for v in (sent or {}).values()]
    return [m for m in t.other_markers if m in text and not any(m in e for e in echoed)]


def _events_seen(client: TestClient, ctx: Context, scope: frozenset[int]) -> list[dict]:
    """The event stream from the start of the outbox, up to the last event the caller
    may see (read through the service that the stream itself uses)."""
    _, visible = outbox_feed.rows_after(ctx, 0, scope, limit=10_000)
    assert visible, "the world should have events the client may see"
    last = str(visible[-1]["id"])
    seen: list[dict] = []
    with client.stream("GET", "/events", headers={"Last-Event-ID": "0"}) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: {}":
                seen.append(json.loads(line[6:]))
                if str(seen[-1]["id"]) == last:
                    break
    return seen


def test_the_world_has_nordic_data_an_admin_can_see(app_ctx: Context, tenants: Tenants):
    """The markers are real: the same pages show them to warehouse staff."""
    admin = _client(app_ctx, "boss", "admin", [])
    o = tenants.other
    for url in ("/orders", "/receipts", "/invoices", f"/orders/{o['order_id']}",
                f"/items/{o['item_id']}", f"/locations/{o['location_id']}"):
        r = admin.get(url)
        assert r.status_code == 200, url
        assert _leaked(r.text, tenants), f"{url} should show Nordic's data to an admin"


def test_a_client_sees_its_own_orders_receipts_and_invoices(acme_client: TestClient,
                                                             tenants: Tenants):
    pages = {"/orders": ("SO-ACME-2001", "SO-ACME-2002"),
             "/receipts": ("ASN-ACME-1001", "PO-ACME-1002"),
             "/invoices": tuple(tenants.invoices)}
    for url, numbers in pages.items():
        r = acme_client.get(url)
        assert r.status_code == 200
        for n in numbers:
            assert n in r.text, (url, n)
        assert _leaked(r.text, tenants) == [], url
        assert 'name="owner"' not in r.text  # one owner: no owner filter to show
    shipped = acme_client.get(f"/orders/{tenants.orders['SO-ACME-2001']}").text
    assert "TENT-2P" in shipped and tenants.own_markers[-1] in shipped  # tracking number
    receipt = acme_client.get(f"/receipts/{tenants.receipts['ASN-ACME-1001']}").text
    assert 'data-status="short"' in receipt and 'data-total="short">2<' in receipt
    inv = tenants.invoices["INV-ACME-2026-10"]
    assert "50.00 USD" in acme_client.get(f"/invoices/{inv}").text
    pdf = acme_client.get(f"/invoices/{inv}/download", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert 'filename="INV-ACME-2026-10.pdf"' in pdf.headers["content-disposition"]


@pytest.mark.parametrize("role", ["client", "supervisor"])
def test_no_web_page_shows_a_client_another_owners_data(role: str, app_ctx: Context,
                                                         tenants: Tenants):
    """As a client, and as floor staff limited to Acme (who reach the floor and
    supervisor screens a client may not)."""
    acme_client = _client(app_ctx, f"acme-{role}", role, [tenants.w.owner])
    routes = web_get_routes(acme_client.app)
    assert {"/", "/items/{item_id}", "/orders/{order_id}", "/invoices/{invoice_id}/download",
            "/scan/pick/{wave_id}", "/supervisor/counts"} <= {r.path for r in routes}
    leaks: list[tuple[str, dict, int, list[str]]] = []
    errors: list[tuple[str, dict, int]] = []
    revealed: list[tuple[str, int]] = []
    requests = 0
    for route in routes:
        if route.path in STREAMS:
            continue
        for url, query, must_404 in _requests(tenants, route):
            for headers in ({"accept": "text/html"}, {"HX-Request": "true"}):
                r = acme_client.get(url, params=query, headers=headers)
                requests += 1
                if r.status_code >= 500:
                    errors.append((url, query, r.status_code))
                if found := _leaked(r.content.decode("latin-1"), tenants, query):
                    leaks.append((url, query, r.status_code, found))
                if must_404 and r.status_code not in (404, 403):
                    revealed.append((url, r.status_code))
    print(f"\n{len(routes)} web GET routes, {requests} requests as Acme aimed at Nordic")
    for leak in leaks:
        print("LEAK", leak)
    assert errors == []
    assert leaks == []
    # Another client's document is "not found"; a 403 only ever means the whole page is
    # beyond a client's role, whoever's data it would show.
    assert revealed == []


def test_a_client_gets_404_not_403_for_another_owners_documents(acme_client: TestClient,
                                                                 tenants: Tenants):
    o = tenants.other
    pages = (("/items/{}", o["item_id"]), ("/orders/{}", o["order_id"]),
             ("/receipts/{}", o["receipt_id"]), ("/invoices/{}", o["invoice_id"]),
             ("/invoices/{}/download?format=pdf", o["invoice_id"]),
             ("/scan/receive/{}", o["receipt_id"]), ("/scan/pack/{}", o["order_id"]),
             ("/scan/pick/{}", o["wave_id"]), ("/scan/putaway/{}", o["putaway_task_id"]),
             ("/scan/count/{}", o["count_task_id"]))
    for template, nordic_id in pages:
        theirs = acme_client.get(template.format(nordic_id))
        never_used = acme_client.get(template.format(987_654))
        assert theirs.status_code == never_used.status_code == 404, template
        assert _leaked(theirs.text, tenants) == [], template


def test_a_wave_shared_with_another_client_shows_only_ones_own_picks(
        acme_client: TestClient, tenants: Tenants):
    r = acme_client.get(f"/scan/pick/{tenants.other['mixed_wave_id']}")
    assert r.status_code == 200
    assert "TENT-2P" in r.text and _leaked(r.text, tenants) == []


def test_the_event_stream_sends_a_client_only_its_own_owners_events(
        acme_client: TestClient, app_ctx: Context, tenants: Tenants):
    mine = frozenset({tenants.w.owner})
    seen = _events_seen(acme_client, app_ctx, mine)
    assert seen and {e["owner_id"] for e in seen} <= {tenants.w.owner, None}
    assert all(_leaked(json.dumps(e), tenants) == [] for e in seen)


def test_staff_filter_portal_lists_by_owner(app_ctx: Context, tenants: Tenants):
    admin = _client(app_ctx, "boss", "admin", [])
    nordic = tenants.other["owner_id"]
    everyone = admin.get("/orders").text
    assert 'name="owner"' in everyone and "SO-ACME-2001" in everyone
    only = admin.get("/orders", params={"owner": nordic}).text
    assert "SO-NORDIC-9001" in only and "SO-ACME" not in only
    acme_only = admin.get("/invoices", params={"owner": tenants.w.owner}).text
    assert "INV-ACME-2026-10" in acme_only and "INV-NORDIC" not in acme_only


def test_looking_up_another_owners_barcodes_finds_nothing_of_theirs(app_ctx: Context,
                                                                     tenants: Tenants):
    """The scanner's "what is this?" screen, used by floor staff limited to Acme."""
    staff = _client(app_ctx, "acme-floor", "operator", [tenants.w.owner])
    csrf = login(staff, "acme-floor")
    c = tenants.other_codes
    for code in (c["gtin"], f"00{c['sscc']}", c["lot"], c["order"], "SO-NORDIC-9002"):
        r = staff.post("/scan/lookup", data={"code": code, "csrf_token": csrf})
        assert r.status_code == 422, code
        assert _leaked(r.text, tenants, {"code": code}) == [], code
    shared_bin = staff.post("/scan/lookup", data={"code": "A-01-01-A", "csrf_token": csrf})
    assert shared_bin.status_code == 200 and "TENT-2P" in shared_bin.text
    assert _leaked(shared_bin.text, tenants) == []


def test_a_mis_scan_of_another_owners_product_shows_without_its_barcode(
        acme_client: TestClient, app_ctx: Context, tenants: Tenants):
    """The picker scanned a Nordic lamp on Acme's pick: Acme sees the refusal, not the
    lamp's GTIN; warehouse staff see everything that was scanned."""
    lamp = tenants.other_codes["gtin"]
    mine = acme_client.get("/supervisor/exceptions").text
    assert 'data-code="wrong_item"' in mine and "not one of your labels" in mine
    assert lamp not in mine
    admin = _client(app_ctx, "boss", "admin", [])
    assert lamp in admin.get("/supervisor/exceptions").text


def test_dashboard_figures_of_a_client_are_its_own_owners_only(
        acme_client: TestClient, app_ctx: Context, tenants: Tenants):
    mine = stock.facility_totals(app_ctx, frozenset({tenants.w.owner}))
    everyone = stock.facility_totals(app_ctx, None)
    own_on_hand = sum(r["on_hand"] for r in mine)
    assert own_on_hand != sum(r["on_hand"] for r in everyone)
    for url in ("/", "/partials/dashboard"):
        page = acme_client.get(url).text
        assert f'data-grand="on_hand">{own_on_hand:,}<' in page, url
        assert "data-exceptions>1<" in page  # Acme's mis-scan, not Nordic's exception


def test_pages_of_a_clients_lists_hold_its_own_documents_only(app_ctx: Context,
                                                              tenants: Tenants):
    """Paging through Acme's orders one at a time finds each of its orders once, newest
    first, and none of Nordic's (the scope is applied before limit and offset)."""
    acme = frozenset({tenants.w.owner})
    seen, offset = [], 0
    while offset is not None:
        page = portal_queries.order_page(app_ctx, acme, offset=offset, limit=1)
        seen += [r["number"] for r in page.rows]
        offset = page.next
    assert seen == ["SO-ACME-2002", "SO-ACME-2001"]
    nordic_filter = portal_queries.order_page(app_ctx, acme, owner_id=tenants.w.other_owner)
    assert nordic_filter.rows == [] and nordic_filter.next is None
    receipts = portal_queries.receipt_page(app_ctx, acme, limit=1)
    assert [r["reference"] for r in receipts.rows] == ["PO-ACME-1002"] and receipts.next == 1
    assert receipts.rows[0]["short"] == 6
    invoices = portal_queries.invoice_page(app_ctx, acme)
    assert [i["number"] for i in invoices.rows] == ["INV-ACME-2026-10"]
