"""Billing over HTTP with authentication on: admins price and bill, a client reads only
its own owner's invoices (another owner's is a 404, and never listed)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.billing import router
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import ledger
from tests.api.access_helpers import auth_ctx, make_user, token_headers
from tests.factories import build_world

CARD = {"effective_from": "2026-01-01", "currency": "USD", "minimum_monthly_cents": 1_000,
        "rates": {"units_received": 25, "receipt_lines": 150, "storage_unit_days": "0.35"}}


def _client(ctx) -> TestClient:
    app = create_app(auth_ctx(ctx))
    app.include_router(router, prefix="/api")
    return TestClient(app)


def _receive(ctx, owner: int, item: int, src: int, dst: int, qty: int, doc: str) -> None:
    ledger.post_movement(ctx, MovementCommand(owner, MovementType.RECEIPT,
                                              (LineCommand(item, src, dst, qty),),
                                              document_type="receipt", document_id=doc))


def test_a_client_sees_only_its_own_owners_invoices(ctx):
    w = build_world(ctx)
    make_user(ctx, "root", "admin")
    make_user(ctx, "acme-finance", "client", [w.owner])
    admin, client = token_headers(ctx, "root"), token_headers(ctx, "acme-finance")
    api = _client(ctx)
    for owner in (w.owner, w.other_owner):
        r = api.put(f"/api/billing/rate-cards/{owner}", json=CARD, headers=admin)
        assert r.status_code == 200, r.text
    _receive(ctx, w.owner, w.item, w.supplier, w.bins[0], 40, "ASN-1")
    _receive(ctx, w.other_owner, w.other_item, w.supplier, w.bins[1], 100, "ASN-2")
    r = api.post("/api/billing/runs", json={"period": "2026-10"}, headers=admin)
    assert r.status_code == 201, r.text
    by_owner = {i["owner_id"]: i for i in r.json()["invoices"]}
    # Acme: 40 x 25 + 150 = 1150 (over the 1000 minimum); Nordic: 100 x 25 + 150 = 2650
    assert by_owner[w.owner]["total_cents"] == 1_150
    assert by_owner[w.other_owner]["total_cents"] == 2_650
    mine, theirs = by_owner[w.owner]["id"], by_owner[w.other_owner]["id"]

    listed = api.get("/api/invoices", headers=client)
    assert listed.status_code == 200 and [i["id"] for i in listed.json()] == [mine]
    assert api.get("/api/invoices", params={"owner_id": w.other_owner},
                   headers=client).json() == []
    assert api.get(f"/api/invoices/{mine}", headers=client).json()["total_cents"] == 1_150
    for fmt in ("json", "csv", "pdf"):
        assert api.get(f"/api/invoices/{theirs}", params={"format": fmt},
                       headers=client).status_code == 404
    assert api.get(f"/api/invoices/{theirs}/events", headers=client).status_code == 404
    pdf = api.get(f"/api/invoices/{mine}", params={"format": "pdf"}, headers=client)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = api.get(f"/api/invoices/{mine}", params={"format": "csv"}, headers=client)
    assert csv.headers["content-type"].startswith("text/csv") and "ACME" in csv.text
    events = api.get(f"/api/invoices/{mine}/events", headers=client).json()
    assert {e["owner_id"] for e in events} == {w.owner} and len(events) == 2


def test_only_admins_price_and_bill(ctx):
    w = build_world(ctx)
    make_user(ctx, "root", "admin")
    make_user(ctx, "acme-finance", "client", [w.owner])
    make_user(ctx, "ana", "operator")
    api = _client(ctx)
    admin = token_headers(ctx, "root")
    assert api.put(f"/api/billing/rate-cards/{w.owner}", json=CARD,
                   headers=admin).status_code == 200
    for user in ("acme-finance", "ana"):
        h = token_headers(ctx, user)
        assert api.get("/api/billing/rate-cards", headers=h).status_code == 403
        assert api.put(f"/api/billing/rate-cards/{w.owner}", json=CARD,
                       headers=h).status_code == 403
        assert api.post("/api/billing/runs", json={"period": "2026-10"},
                        headers=h).status_code == 403
    cards = api.get(f"/api/billing/rate-cards/{w.owner}", headers=admin).json()
    assert cards[0]["rates"] == {"receipt_lines": "150", "storage_unit_days": "0.35",
                                 "units_received": "25"}


def test_bad_billing_input_is_a_named_422_and_changes_nothing(ctx):
    w = build_world(ctx)
    make_user(ctx, "root", "admin")
    api = _client(ctx)
    admin = token_headers(ctx, "root")
    bad = {**CARD, "rates": {"units_received": "0.123456"}}
    r = api.put(f"/api/billing/rate-cards/{w.owner}", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "invalid_rate"
    r = api.put(f"/api/billing/rate-cards/{w.owner}", json={**CARD, "rates": {"x": 1}},
                headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "unknown_activity"
    assert api.get("/api/billing/rate-cards", headers=admin).json() == []
    r = api.post("/api/billing/runs", json={"period": "2026-13"}, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "invalid_period"
    assert api.get("/api/invoices/999", headers=admin).status_code == 404
    r = api.post("/api/billing/vas", json={"owner_id": w.owner, "facility_id": w.facility,
                                           "task": "kitting", "qty": "3"}, headers=admin)
    assert r.status_code == 422
    r = api.post("/api/billing/vas", json={"owner_id": w.owner, "facility_id": w.facility,
                                           "task": "kitting", "qty": 3}, headers=admin)
    assert r.status_code == 201 and r.json()["activity"] == "vas.kitting"
    r = api.post("/api/billing/storage-snapshots", json={"day": "2026-10-05"}, headers=admin)
    assert r.status_code == 201 and r.json()["day"] == "2026-10-05"
