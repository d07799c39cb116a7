"""Receiving commands: create a receipt, receive by scanning, close, cancel.

Each command is one transaction. A receive scan changes the receipt line and posts the
ledger movement (supplier -> dock, or -> the damaged location) in that same
transaction, so the document and the stock can never disagree. A refused scan writes
nothing but a scan exception (in its own transaction), so supervisors see it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.barcodes import Scan, ScanError, WrongItem, match_item_scan, parse_scan
from shelfwise.barcodes.errors import ExpiryMismatch, WrongLot
from shelfwise.domain import receiving as rd
from shelfwise.domain.catalog import validate_lot_code
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound, ShelfwiseError
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger, scans
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import facilities, item_gtins, items, locations, lots, owners

Scope = frozenset[int] | None
T = TypeVar("T")
MAX_LINES = 1_000


class Refusal:
    """What a refused scan was expected to be, filled in as a command learns it, so the
    scan exception recorded after the rollback says where and what."""

    def __init__(self, task_type: str, task_id: int, user: str, device: str) -> None:
        self.task_type, self.task_id, self.user, self.device = task_type, task_id, user, device
        self.owner_id: int | None = None
        self.facility_id: int | None = None
        self.expected = ""
        self.scanned = ""
        self.is_scan = False

    def scan(self, expected: str, scanned: str) -> None:
        """From here on, an error is a refused scan (not, say, a closed receipt)."""
        self.expected, self.scanned, self.is_scan = expected, scanned, True

    def done(self) -> None:
        self.is_scan = False

    def record(self, ctx: Context, err: Exception) -> None:
        code = getattr(err, "code", "scan_error")
        msg = getattr(err, "message", None) or getattr(err, "detail", None) or str(err)
        scans.record_exception(
            ctx, code=code, message=msg, task_type=self.task_type, task_id=self.task_id,
            expected=self.expected, scanned=self.scanned, owner_id=self.owner_id,
            facility_id=self.facility_id, user=self.user, device=self.device,
        )


def run_scan_command(ctx: Context, refusal: Refusal,
                     body: Callable[[Connection, list[MovementCommand]], T]) -> T:
    """Run ``body(conn, posted)`` in one write transaction (:func:`ledger.write`); a
    refused scan is recorded after the rollback, then raised."""
    refused: list[Exception] = []

    def work(conn: Connection, posted: list[MovementCommand]) -> T:
        try:
            return body(conn, posted)
        except (ScanError, ShelfwiseError) as e:
            refused.append(e)
            raise

    try:
        return ledger.write(ctx, work)
    finally:
        if refused and refusal.is_scan:
            refusal.record(ctx, refused[-1])


def replay(conn: Connection, key: str | None, body: dict[str, Any]) -> dict[str, Any] | None:
    """The stored result of an earlier identical command, or ``None`` if the key is new."""
    if not key:
        return None
    prior = ls.existing_keys(conn, [key]).get(key)
    if prior is None:
        return None
    if prior[0] != ledger.request_hash(body):
        raise Conflict(f"idempotency key {key!r} was used for a different request",
                       code="idempotency_key_reused")
    return {**prior[1], "replayed": True}


def claim(ctx: Context, conn: Connection, key: str | None, body: dict[str, Any],
          result: dict[str, Any]) -> None:
    if key:
        ls.claim_keys(conn, [{"key": key, "request_hash": ledger.request_hash(body),
                              "response": json.dumps(result, default=str),
                              "created_at": ctx.now()}])


# ---------------------------------------------------------------- create / read


def create_receipt(
    ctx: Context,
    *,
    owner_id: int,
    facility_id: int,
    type: str,
    reference: str,
    lines: Sequence[dict[str, Any]],
    supplier: str = "",
    expected_date: date | None = None,
    scope: Scope = None,
    user: str = "",
) -> dict[str, Any]:
    """Create a purchase order or ASN with its expected lines, all or nothing.

    Each line: ``item_id``, ``expected_qty``, optional ``lot`` and ``expiry`` (an ASN
    often says which lot is coming). Items must belong to the owner.
    """
    try:
        rtype = rd.ReceiptType(type)
    except ValueError:
        raise InvalidInput(f"unknown receipt type {type!r}", code="invalid_receipt_type") from None
    if not reference or len(reference) > 64:
        raise InvalidInput("reference must be 1-64 characters", code="invalid_reference")
    if len(supplier) > 200:
        raise InvalidInput("supplier must be at most 200 characters", code="invalid_supplier")
    if not lines:
        raise InvalidInput("a receipt needs at least one line", code="empty_receipt")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines per receipt", code="too_many_lines")
    if scope is not None and owner_id not in scope:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    rows, seen = [], set()
    for n, ln in enumerate(lines):
        validate_quantity(ln.get("expected_qty"), f"lines[{n}].expected_qty")
        lot = ln.get("lot") or ""
        if lot:
            validate_lot_code(lot)
        if (ln.get("item_id"), lot) in seen:
            raise InvalidInput(f"lines[{n}] repeats an item and lot", code="duplicate_line")
        seen.add((ln.get("item_id"), lot))
        rows.append({"owner_id": owner_id, "item_id": ln.get("item_id"),
                     "expected_qty": ln["expected_qty"], "expected_lot": lot,
                     "expected_expiry": ln.get("expiry")})
    now = ctx.now()
    try:
        with ctx.write() as conn:
            if conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
                raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
            if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id)
                            ).first() is None:
                raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
            _check_line_items(conn, owner_id, rows)
            rid = conn.execute(sa.insert(receipts).returning(receipts.c.id), {
                "owner_id": owner_id, "facility_id": facility_id, "type": rtype.value,
                "reference": reference, "supplier": supplier, "expected_date": expected_date,
                "state": rd.ReceiptState.OPEN.value, "created_by": user[:64], "created_at": now,
            }).scalar_one()
            conn.execute(sa.insert(receipt_lines), [{**r, "receipt_id": rid} for r in rows])
            ls.insert_events(conn, [{
                "topic": "receipt.created", "owner_id": owner_id, "created_at": now,
                "payload": json.dumps({"receipt_id": rid, "reference": reference,
                                       "type": rtype.value, "facility_id": facility_id}),
            }])
    except IntegrityError:
        raise Conflict(f"{rtype} {reference!r} already exists for this owner",
                       code="duplicate_receipt") from None
    return get_receipt(ctx, rid, scope)


def _check_line_items(conn: Connection, owner_id: int, rows: list[dict[str, Any]]) -> None:
    ids = {r["item_id"] for r in rows}
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput("item_id must be an integer", code="invalid_item")
    found = {r.id: r for r in conn.execute(
        sa.select(items.c.id, items.c.lot_tracked).where(
            items.c.id.in_(ids), items.c.owner_id == owner_id))}
    for r in rows:
        item = found.get(r["item_id"])
        if item is None:
            raise NotFound(f"item {r['item_id']} does not exist", code="item_not_found")
        if (r["expected_lot"] or r["expected_expiry"]) and not item.lot_tracked:
            raise InvalidInput(f"item {r['item_id']} is not lot-tracked", code="lot_not_tracked")


def get_receipt(ctx: Context, receipt_id: int, scope: Scope = None) -> dict[str, Any]:
    """The receipt with its lines (expected, received, damaged, over, short)."""
    with ctx.read() as conn:
        head = _load(conn, receipt_id, scope)
        return _with_lines(conn, head)


def _with_lines(conn: Connection, head: dict[str, Any]) -> dict[str, Any]:
    counts = _line_counts(conn, head["id"])
    head = dict(head)
    head["discrepancy_report"] = (json.loads(head["discrepancy_report"])
                                  if head["discrepancy_report"] else None)
    head["lines"] = [c.to_dict() for c in counts]
    return head


def list_receipts(
    ctx: Context, scope: Scope, *, owner_id: int | None = None, facility_id: int | None = None,
    state: str | None = None, limit: int = 50, offset: int = 0,
) -> list[dict[str, Any]]:
    stmt = sa.select(receipts).order_by(receipts.c.id.desc()).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(receipts.c.owner_id.in_(list(scope)))
    for col, val in ((receipts.c.owner_id, owner_id), (receipts.c.facility_id, facility_id),
                     (receipts.c.state, state)):
        if val is not None:
            stmt = stmt.where(col == val)
    with ctx.read() as conn:
        out = cs.rows(conn, stmt)
    for r in out:
        r.pop("discrepancy_report", None)
    return out


def _load(conn: Connection, receipt_id: int, scope: Scope, lock: bool = False) -> dict[str, Any]:
    stmt = sa.select(receipts).where(receipts.c.id == receipt_id)
    if lock:
        stmt = stmt.with_for_update()  # scans of one receipt queue; a close waits for them
    row = cs.one(conn, stmt)
    if row is None or (scope is not None and row["owner_id"] not in scope):
        raise NotFound(f"receipt {receipt_id} does not exist", code="receipt_not_found")
    return row


def _line_counts(conn: Connection, receipt_id: int) -> list[rd.LineCount]:
    return [
        rd.LineCount(r.id, r.item_id, r.expected_qty, r.received_qty, r.damaged_qty,
                     r.expected_lot, r.expected_expiry)
        for r in conn.execute(sa.select(receipt_lines).where(
            receipt_lines.c.receipt_id == receipt_id).order_by(receipt_lines.c.id))
    ]


# ---------------------------------------------------------------- receive by scanning


def receive_scan(
    ctx: Context,
    receipt_id: int,
    *,
    location_scan: str,
    item_scan: str,
    qty: int,
    damaged: bool = False,
    lot: str | None = None,
    expiry: date | None = None,
    scope: Scope = None,
    user: str = "",
    device: str = "",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Count ``qty`` units of the scanned item in at the scanned dock.

    The location scan must be a receiving dock of the receipt's facility; the item scan
    a GTIN of one of the receipt owner's items on this receipt. Lot and expiry come
    from the GS1 AIs 10/17 in the scan, or the explicit fields (they must agree).
    Good units post supplier -> dock; damaged units supplier -> the damaged location.
    Over-receipt is accepted and shows as ``over`` on the line.
    """
    validate_quantity(qty)
    body = {"receipt_id": receipt_id, "location_scan": location_scan, "item_scan": item_scan,
            "qty": qty, "damaged": bool(damaged), "lot": lot, "expiry": expiry}
    key = f"rcv:{idempotency_key}" if idempotency_key else None
    refusal = Refusal("receipt", receipt_id, user, device)
    return run_scan_command(ctx, refusal, lambda conn, _posted: _receive_in(
        ctx, conn, body, key, scope, user, device, refusal))


def _receive_in(ctx: Context, conn: Connection, body: dict[str, Any], key: str | None,
                scope: Scope, user: str, device: str, refusal: Refusal) -> dict[str, Any]:
    rid = body["receipt_id"]
    head = _load(conn, rid, scope, lock=True)
    prior = replay(conn, key, body)
    if prior is not None:
        return prior
    refusal.owner_id, refusal.facility_id = head["owner_id"], head["facility_id"]
    new_state = rd.next_state(head["state"], rd.ReceiptEvent.RECEIVE, rid)

    refusal.scan("a receiving dock of this facility", body["location_scan"])
    dock = _dock(conn, body["location_scan"], head["facility_id"])
    refusal.scan("a GTIN on this receipt", body["item_scan"])
    scan = parse_scan(body["item_scan"])
    item = _item_for_scan(conn, scan, head["owner_id"])
    the_lot, the_expiry = _lot_and_expiry(conn, item, scan, body["lot"], body["expiry"])
    line = rd.pick_line(_line_counts(conn, rid), item["id"], the_lot)
    if line is None:
        on_receipt = [c for c in _line_counts(conn, rid) if c.item_id == item["id"]]
        if on_receipt:
            raise WrongLot(f"lot {the_lot!r} is not expected on this receipt")
        raise InvalidInput(f"item {item['sku']} is not on receipt {head['reference']}",
                           code="not_on_receipt")
    match_item_scan(replace(scan, lot=the_lot or None, expiry=the_expiry), {scan.gtin14 or ""},
                    line.lot or None, line.expiry, ctx.now().date())
    if the_lot:
        catalog.ensure_lot(ctx, conn, head["owner_id"], item["id"], the_lot, the_expiry)
    refusal.done()

    damaged = body["damaged"]
    dest = _damaged_location(conn, head["facility_id"]) if damaged else dock["id"]
    cmd = MovementCommand(
        owner_id=head["owner_id"], type=MovementType.RECEIPT,
        lines=(LineCommand(item["id"], catalog.virtual_location(
            ctx, head["facility_id"], LocationKind.SUPPLIER), dest, body["qty"], the_lot),),
        reason="damaged" if damaged else "", document_type="receipt", document_id=str(rid),
        user=user, device=device, scans=(body["location_scan"], body["item_scan"]),
        note=f"{head['type']} {head['reference']}",
    )
    mv = ledger.post_in(ctx, conn, [cmd])[0]
    conn.execute(sa.update(receipt_lines).where(receipt_lines.c.id == line.line_id).values(
        received_qty=receipt_lines.c.received_qty + body["qty"],
        damaged_qty=receipt_lines.c.damaged_qty + (body["qty"] if damaged else 0)))
    conn.execute(sa.update(receipts).where(receipts.c.id == rid).values(state=new_state.value))
    after = rd.received(line, body["qty"], damaged)
    result = {
        "receipt_id": rid, "state": new_state.value, "movement_id": mv["movement_id"],
        "item_id": item["id"], "lot": the_lot,
        "expiry": the_expiry.isoformat() if the_expiry else None, "qty": body["qty"],
        "damaged": damaged, "location_id": dest, "line": after.to_dict(),
        "over_receipt": after.over > 0, "replayed": False,
    }
    ls.insert_events(conn, [{"topic": "receipt.received", "owner_id": head["owner_id"],
                             "created_at": ctx.now(), "payload": json.dumps(result)}])
    claim(ctx, conn, key, body, result)
    return result


def _dock(conn: Connection, raw: str, facility_id: int) -> dict[str, Any]:
    scan = parse_scan(raw)
    code = scan.code if scan.kind == "code" else None
    row = cs.one(conn, sa.select(locations).where(locations.c.barcode == code)) if code else None
    if (row is None or row["facility_id"] != facility_id
            or row["kind"] != LocationKind.RECEIVING.value or not row["active"]):
        raise InvalidInput(f"{raw!r} is not a receiving dock of this facility",
                           code="wrong_location")
    return row


def _item_for_scan(conn: Connection, scan: Scan, owner_id: int) -> dict[str, Any]:
    """The owner's item with the scanned GTIN. Another owner's GTIN is unknown here: a
    3PL must never book one brand's stock to another."""
    if scan.gtin14 is None:
        raise WrongItem(f"scan {scan.raw!r} carries no GTIN; scan the product barcode")
    row = cs.one(conn, sa.select(items).join(item_gtins, item_gtins.c.item_id == items.c.id)
                 .where(item_gtins.c.gtin == scan.gtin14, item_gtins.c.owner_id == owner_id))
    if row is None:
        raise InvalidInput(f"GTIN {scan.gtin14} is not an item of this receipt's owner",
                           code="unknown_gtin")
    return row


def _lot_and_expiry(conn: Connection, item: dict[str, Any], scan: Scan, lot: str | None,
                    expiry: date | None) -> tuple[str, date | None]:
    """Lot and expiry of a received unit: the scan's AIs, else the typed fields."""
    if not item["lot_tracked"]:
        if lot:
            raise InvalidInput(f"item {item['sku']} is not lot-tracked", code="lot_not_tracked")
        return "", None
    if lot and scan.lot and lot != scan.lot:
        raise WrongLot(f"typed lot {lot!r} differs from scanned lot {scan.lot!r}")
    if expiry and scan.expiry and expiry != scan.expiry:
        raise ExpiryMismatch(f"typed expiry {expiry} differs from scanned {scan.expiry}")
    the_lot = scan.lot or lot or ""
    the_expiry = scan.expiry or expiry
    if not the_lot:
        raise InvalidInput(f"item {item['sku']} is lot-tracked: scan a label with the lot",
                           code="lot_required")
    validate_lot_code(the_lot)
    known = conn.execute(sa.select(lots.c.expiry).where(
        lots.c.item_id == item["id"], lots.c.code == the_lot)).first()
    if known is not None and known.expiry is not None:
        if the_expiry is not None and the_expiry != known.expiry:
            raise ExpiryMismatch(f"lot {the_lot!r} is recorded with expiry {known.expiry}")
        the_expiry = known.expiry
    if item["expiry_tracked"] and the_expiry is None:
        raise InvalidInput(f"item {item['sku']} is expiry-tracked: scan a label with expiry",
                           code="expiry_required")
    return the_lot, the_expiry


def _damaged_location(conn: Connection, facility_id: int) -> int:
    lid = conn.execute(sa.select(locations.c.id).where(
        locations.c.facility_id == facility_id, locations.c.kind == LocationKind.DAMAGED.value,
        locations.c.active.is_(True)).order_by(locations.c.id)).scalar()
    if lid is None:
        raise Conflict(f"facility {facility_id} has no damaged location",
                       code="no_damaged_location")
    return lid


# ---------------------------------------------------------------- close / cancel


def close_receipt(ctx: Context, receipt_id: int, scope: Scope = None,
                  user: str = "") -> dict[str, Any]:
    """Close the receipt: store its discrepancy report and create putaway tasks for the
    good units still at the dock, in one transaction."""
    from shelfwise.services import putaway  # putaway builds on receiving, not the reverse

    with ctx.write() as conn:
        head = _load(conn, receipt_id, scope, lock=True)
        rd.next_state(head["state"], rd.ReceiptEvent.CLOSE, receipt_id)
        report = rd.discrepancy_report(receipt_id, _line_counts(conn, receipt_id))
        now = ctx.now()
        conn.execute(sa.update(receipts).where(receipts.c.id == receipt_id).values(
            state=rd.ReceiptState.CLOSED.value, closed_at=now,
            discrepancy_report=json.dumps(report)))
        tasks = putaway.create_tasks_in(ctx, conn, head)
        ls.insert_events(conn, [{"topic": "receipt.closed", "owner_id": head["owner_id"],
                                 "created_at": now, "payload": json.dumps(
                                     {"receipt_id": receipt_id, "by": user,
                                      "totals": report["totals"], "clean": report["clean"]})}])
        out = _with_lines(conn, _load(conn, receipt_id, scope))
    out["putaway_task_ids"] = [t["id"] for t in tasks]
    return out


def cancel_receipt(ctx: Context, receipt_id: int, scope: Scope = None) -> dict[str, Any]:
    """Cancel a receipt nothing was received on (the delivery will not come)."""
    with ctx.write() as conn:
        head = _load(conn, receipt_id, scope, lock=True)
        target = rd.next_state(head["state"], rd.ReceiptEvent.CANCEL, receipt_id)
        conn.execute(sa.update(receipts).where(receipts.c.id == receipt_id).values(
            state=target.value, closed_at=ctx.now()))
        ls.insert_events(conn, [{"topic": "receipt.cancelled", "owner_id": head["owner_id"],
                                 "created_at": ctx.now(),
                                 "payload": json.dumps({"receipt_id": receipt_id})}])
    return get_receipt(ctx, receipt_id, scope)


def discrepancies(ctx: Context, receipt_id: int, scope: Scope = None) -> dict[str, Any]:
    """The stored report of a closed receipt, or the live one while it is still open."""
    with ctx.read() as conn:
        head = _load(conn, receipt_id, scope)
        if head["discrepancy_report"]:
            return json.loads(head["discrepancy_report"])
        return rd.discrepancy_report(receipt_id, _line_counts(conn, receipt_id))
