"""Diagnostics over HTTP: KPIs and the diagnosis of a small warehouse, bad filters refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.api.routers.diagnostics import router
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import counting, ledger
from shelfwise.services.context import Context
from tests.factories import build_world, gtin


def test_kpis_and_diagnosis_show_a_count_shortage_as_control(ctx: Context, clock) -> None:
    w = build_world(ctx)
    ledger.post_movements(ctx, [MovementCommand(
        owner_id=w.owner, type=MovementType.RECEIPT,
        lines=(LineCommand(w.item, w.supplier, w.bins[0], 40),), reason="purchase",
        document_type="receipt", document_id="PO-1001", scans=(gtin(1),))])
    for qty in (31, 22):  # two counts, both far short of the books
        clock.advance(days=1)
        task = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]])[0]
        counting.submit_count(ctx, task["id"], location_scan=task["location_barcode"],
                              lines=[counting.CountedLine(gtin(1), qty)])
        t = counting.get_count_task(ctx, task["id"], None)
        if t["state"] == "recount_requested":
            continue
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    with TestClient(app) as c:
        k = c.get("/api/kpis", params={"by": "zone", "facility_id": w.facility})
        assert k.status_code == 200, k.text
        acc = k.json()["control"]["count_accuracy"]
        assert acc and acc[0]["zone"] == "A" and acc[0]["counts_off"] >= 1
        d = c.get("/api/diagnosis")
        assert d.status_code == 200, d.text
        body = d.json()
        tent = next(r for r in body["items"] if r["item_id"] == w.item)
        assert tent["call"] == "control"
        assert "off by >5%" in tent["evidence"][0]
        assert set(body["rollups"]) == {"owner", "facility", "zone"}
        assert c.get("/api/diagnosis", params={"period": "Q4"}).status_code == 422
        assert c.get("/api/kpis", params={"by": "planet"}).status_code == 422
        for by in ("item", "zone", "owner", "facility"):
            assert c.get("/api/kpis", params={"by": by, "period": "2026-10"}).status_code == 200


def test_a_recounted_bin_is_one_count_and_its_confirmed_variance_flags_control(
        ctx: Context, clock) -> None:
    """Record accuracy counts each item in a counted bin once: the first count that asked
    for a recount is superseded by the recount, and a variance the recount confirmed is
    evidence on its own (two counters found the same, so the record was wrong)."""
    w = build_world(ctx)
    ledger.post_movements(ctx, [MovementCommand(
        owner_id=w.owner, type=MovementType.RECEIPT,
        lines=(LineCommand(w.item, w.supplier, w.bins[0], 40),), reason="purchase",
        document_type="receipt", document_id="PO-1002", scans=(gtin(1),))])
    clock.advance(days=1)
    task = counting.create_count_tasks(ctx, owner_id=w.owner, location_ids=[w.bins[0]])[0]
    first = counting.submit_count(ctx, task["id"], location_scan=task["location_barcode"],
                                  lines=[counting.CountedLine(gtin(1), 30)])
    assert first["state"] == "recount_requested"
    recount = counting.get_count_task(ctx, first["recount_task_id"], None)
    assert counting.submit_count(ctx, recount["id"], location_scan=recount["location_barcode"],
                                 lines=[counting.CountedLine(gtin(1), 30)]
                                 )["state"] == "awaiting_approval"
    counting.approve_count(ctx, recount["id"], user="supervisor1")
    app = create_app(ctx)
    app.include_router(router, prefix="/api")
    with TestClient(app) as c:
        acc = c.get("/api/kpis", params={"by": "item"}).json()["control"]["count_accuracy"]
        row = next(r for r in acc if r["item_id"] == w.item)
        assert (row["counts"], row["counts_off"], row["counts_confirmed_off"]) == (1, 1, 1)
        assert row["net_units"] == -10 and row["ira_counts"] == 0.0
        tent = next(r for r in c.get("/api/diagnosis").json()["items"]
                    if r["item_id"] == w.item)
        assert tent["call"] == "control", tent
        assert "1 of the last 1 counts" in tent["evidence"][0]
        assert "confirmed by a recount" in tent["evidence"][0]
