"""EDI in: a partner's interchange becomes outbound orders (940) or expected receipts
(943, 856), and every interchange is answered with a 997.

An interchange is applied **whole or not at all**: envelope problems (counts, control
numbers), mapping problems (a missing W05, a fractional quantity) and warehouse
problems (an unknown product, a lot on an item that has none) are all collected first,
each located at its segment and element, and any of them rejects the interchange --
nothing is created and the 997 names every fault. Otherwise the orders/receipts, the
links back to the partner's ids (so the 945/944 can echo them) and the control numbers
that mark the interchange as seen are written in **one transaction**: a resent
interchange (same ISA13, or same GS06/ST02, from the same sender) is rejected as a
duplicate and creates nothing, even when two copies arrive at the same instant.

The partner is found by its ISA06 id among the owner's ``edi`` channels, which also say
which facility ships and receives for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.domain.catalog import validate_code
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.integrations import cursors
from shelfwise.integrations.edi.envelope import Interchange, TransactionSet, parse_interchange
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.parties import Party
from shelfwise.integrations.edi.receipts import ExpectedReceipt
from shelfwise.integrations.edi.t856 import read_856
from shelfwise.integrations.edi.t940 import ShippingOrder, read_940
from shelfwise.integrations.edi.t943 import read_943
from shelfwise.integrations.edi.t997 import (
    AckStatus,
    FunctionalAcknowledgment,
    SetAcknowledgment,
    acknowledge,
    write_997,
)
from shelfwise.integrations.edi.tokenizer import Segment, tokenize
from shelfwise.integrations.edi.writer import TradingPartner
from shelfwise.integrations.transaction import joined
from shelfwise.plugins import IntegrationInfo
from shelfwise.services import orders as order_service
from shelfwise.services import receiving
from shelfwise.services.context import Context
from shelfwise.storage.integration_tables import channel_configs as cc
from shelfwise.storage.integration_tables import inbound_messages as im
from shelfwise.storage.integration_tables import integration_links as links
from shelfwise.storage.tables import item_gtins, items

PLUGIN = IntegrationInfo(
    "edi", "EDI X12 for 3PL partners: 940/943/856 in (997 back), 945/944/846/856 out; "
    "watched folder", ("edi import", "edi export"))

EACH_UNITS = frozenset({"EA", "UN", "PC", "EACH"})
CASE_UNITS = frozenset({"CA", "CS", "CT"})
_LINE_SEGMENT = {"940": "W01", "943": "W04", "856": "LIN"}
_UNIT_ELEMENT = {"940": ("W01", 2), "943": ("W04", 2), "856": ("SN1", 3)}


@dataclass
class ImportReport:
    """What happened to one interchange; ``ack`` is the 997 to send back (None only when
    the file is not even an interchange: no ISA to answer)."""

    sender: str = ""
    control_number: str = ""
    accepted: bool = False
    duplicate: bool = False
    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    ack: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sender": self.sender, "control_number": self.control_number,
                "accepted": self.accepted, "duplicate": self.duplicate,
                "created": self.created, "errors": self.errors}


@dataclass
class _Mapped:
    """One transaction set mapped to a service command, not yet applied."""

    tx: TransactionSet
    kind: str  # order, receipt
    spec: Any
    link: dict[str, Any]


# -- entry points ------------------------------------------------------------------------


def edi_import(ctx: Context, path: str | Path, ack_dir: str | Path | None = None,
               user: str = "edi") -> dict[str, Any]:
    """``shelfwise edi import FILE``: import one file, write its 997 next to it (or into
    ``ack_dir``) and return the report (with ``ack_path``)."""
    path = Path(path)
    report = import_interchange(ctx, path.read_bytes(), user=user)
    out = report.to_dict() | {"file": str(path), "ack_path": None}
    if report.ack is not None:
        target = Path(ack_dir) if ack_dir is not None else path.parent
        target.mkdir(parents=True, exist_ok=True)
        ack_path = target / f"{path.stem}.997.edi"
        ack_path.write_text(report.ack)
        out["ack_path"] = str(ack_path)
    return out


def import_interchange(ctx: Context, raw: bytes | str, user: str = "edi") -> ImportReport:
    """Validate, map and apply one interchange (see the module docstring)."""
    try:
        ic = parse_interchange(raw, strict=False)
    except EdiError as e:
        return ImportReport(errors=[e.as_problem()], ack=_fallback_ack(ctx, raw, e))
    report = ImportReport(sender=ic.sender_id, control_number=ic.control_number)
    errors: list[EdiError] = list(ic.problems)
    with ctx.read() as conn:
        channel = _partner(conn, ic)
        if channel is None:
            errors += [_set_error(tx, EdiErrorCode.BAD_ELEMENT, 2,
                                  f"sender {ic.sender_id!r} is not a configured EDI partner")
                       for tx in ic.transactions]
        elif _seen(conn, ic):
            report.duplicate = True
            errors += [_duplicate(tx) for tx in ic.transactions]
        mapped = [] if errors and (channel is None or report.duplicate) else \
            _map_all(conn, ic, channel, errors)
    if not errors:
        try:
            report.created = _apply(ctx, ic, channel, mapped, user)
        except _Duplicate:
            report.duplicate = True
            errors += [_duplicate(tx) for tx in ic.transactions]
        except _Refused as r:
            errors.append(r.error)
    report.accepted = not errors
    report.errors = [e.as_problem() for e in errors]
    report.ack = _ack(ctx, ic, errors)
    return report


# -- mapping -----------------------------------------------------------------------------


def _partner(conn: Connection, ic: Interchange) -> dict[str, Any] | None:
    r = conn.execute(sa.select(cc).where(cc.c.channel == "edi", cc.c.active.is_(True),
                                         cc.c.partner_id == ic.sender_id)
                     .order_by(cc.c.id)).first()
    return None if r is None else dict(r._mapping)


def _source(ic: Interchange) -> str:
    return f"edi:{ic.sender_qualifier}:{ic.sender_id}"


def _keys(ic: Interchange) -> list[str]:
    """ISA13 per sender, GS06 per sender, ST02 within its group: what a resend repeats."""
    keys = [f"ISA13:{_num(ic.control_number)}"]
    for g in ic.groups:
        keys.append(f"GS06:{_num(g.control_number)}")
        keys += [f"ST02:{_num(g.control_number)}:{_num(tx.control_number)}"
                 for tx in g.transactions]
    return keys


def _num(value: str) -> str:
    v = value.strip()
    return str(int(v)) if v.isdigit() else v


def _seen(conn: Connection, ic: Interchange) -> bool:
    return conn.execute(sa.select(im.c.id).where(
        im.c.source == _source(ic), im.c.message_id.in_(_keys(ic)))).first() is not None


def _map_all(conn: Connection, ic: Interchange, channel: dict[str, Any],
             errors: list[EdiError]) -> list[_Mapped]:
    out: list[_Mapped] = []
    for tx in ic.transactions:
        try:
            if tx.id == "940":
                out.append(_map_940(conn, tx, read_940(tx), channel))
            elif tx.id in ("943", "856"):
                doc = read_943(tx) if tx.id == "943" else read_856(tx)
                out.append(_map_receipt(conn, tx, doc, channel))
            elif tx.id != "997":
                raise _set_error(tx, EdiErrorCode.UNKNOWN_TRANSACTION_SET, 1,
                                 f"a warehouse does not accept inbound {tx.id}s")
        except _LineErrors as le:
            errors.extend(le.errors)
        except EdiError as e:
            errors.append(e)
    return out


class _LineErrors(Exception):
    def __init__(self, errors: list[EdiError]) -> None:
        self.errors = errors


def _resolve(conn: Connection, tx: TransactionSet, owner_id: int,
             lines: Sequence[Any]) -> list[dict[str, Any]]:
    """Item, base-unit quantity and lot for every line; all unknown products at once."""
    segs = [s for s in tx.body if s.id == _LINE_SEGMENT[tx.id]]
    unit_segs = [s for s in tx.body if s.id == _UNIT_ELEMENT[tx.id][0]]
    values = {p.value for ln in lines for p in ln.product_ids}
    by_sku = {r.sku: r for r in conn.execute(sa.select(items).where(
        items.c.owner_id == owner_id, items.c.sku.in_(sorted(values))))}
    gtins = {v.zfill(14): v for v in values if v.isdigit() and len(v) in (8, 12, 13, 14)}
    by_gtin: dict[str, Any] = {}
    if gtins:
        for r in conn.execute(sa.select(item_gtins.c.gtin, items).join(
                items, items.c.id == item_gtins.c.item_id).where(
                item_gtins.c.owner_id == owner_id, item_gtins.c.gtin.in_(sorted(gtins)))):
            by_gtin[gtins[r.gtin]] = r
    out, errors = [], []
    for n, ln in enumerate(lines):
        seg = segs[n] if n < len(segs) and len(segs) == len(lines) else tx.segments[0]
        item = next((by_sku.get(p.value) or by_gtin.get(p.value) for p in ln.product_ids
                     if p.value in by_sku or p.value in by_gtin), None)
        if item is None:
            ids = ", ".join(f"{p.qualifier} {p.value}" for p in ln.product_ids) or "none"
            errors.append(_at(seg, _element_of(seg, [p.value for p in ln.product_ids]),
                              EdiErrorCode.BAD_ELEMENT, f"unknown product ({ids})"))
            continue
        useg = unit_segs[n] if len(unit_segs) == len(lines) else seg
        unit = ln.unit.upper()
        if unit in EACH_UNITS:
            qty = ln.quantity
        elif unit in CASE_UNITS:
            qty = ln.quantity * item.case_pack
        else:
            errors.append(_at(useg, _UNIT_ELEMENT[tx.id][1], EdiErrorCode.BAD_ELEMENT,
                              f"unit {ln.unit!r} cannot be converted to {item.base_unit}"))
            continue
        if qty <= 0:
            errors.append(_at(useg, _UNIT_ELEMENT[tx.id][1] - 1, EdiErrorCode.BAD_ELEMENT,
                              "quantity must be positive"))
            continue
        lot = getattr(ln, "lot", None) or ""
        if lot and not item.lot_tracked:
            errors.append(_at(seg, _element_of(seg, [lot]), EdiErrorCode.BAD_ELEMENT,
                              f"item {item.sku} is not lot-tracked (lot {lot!r})"))
            continue
        out.append({"item_id": item.id, "sku": item.sku, "qty": qty, "lot": lot,
                    "product_ids": [[p.qualifier, p.value] for p in ln.product_ids],
                    "unit": ln.unit, "partner_qty": ln.quantity,
                    "line_number": ln.line_number})
    if errors:
        raise _LineErrors(errors)
    return out


def _map_940(conn: Connection, tx: TransactionSet, so: ShippingOrder,
             channel: dict[str, Any]) -> _Mapped:
    w05 = next(s for s in tx.body if s.id == "W05")
    try:
        validate_code(so.depositor_order_number, "number")
    except ShelfwiseError as e:
        raise _at(w05, 2, EdiErrorCode.BAD_ELEMENT, e.detail) from None
    ship_to = _ship_to(tx, so.ship_to)
    lines = _resolve(conn, tx, channel["owner_id"], so.lines)
    merged: dict[int, int] = {}
    for ln in lines:
        merged[ln["item_id"]] = merged.get(ln["item_id"], 0) + ln["qty"]
    spec = order_service.OrderSpec(
        owner_id=channel["owner_id"], facility_id=channel["facility_id"],
        number=so.depositor_order_number, lines=tuple(merged.items()), ship_to=ship_to,
        channel=channel["order_channel"])
    link = {"external_ref": so.depositor_order_number, "data": {
        "set": "940", "control_number": so.control_number, "po": so.purchase_order_number,
        "carrier_scac": so.carrier_scac, "lines": lines,
        "ship_to": _party_dict(so.ship_to)}}
    return _Mapped(tx, "order", spec, link)


def _ship_to(tx: TransactionSet, party: Party | None) -> dict[str, Any]:
    if party is None:
        raise EdiError(EdiErrorCode.MISSING_SEGMENT, "a 940 needs a ship-to party (N1*ST)",
                       segment_id="N1", segment_position=tx.segments[-1].position)
    n1 = next(s for s in tx.body if s.id == "N1" and s.element(1) == "ST")
    if not party.name or not party.city or not party.postal_code:
        n4 = next((s for s in tx.body if s.id == "N4" and s.position > n1.position), n1)
        missing = 1 if not party.city else 3
        raise _at(n4 if party.name else n1, missing if party.name else 2,
                  EdiErrorCode.MISSING_ELEMENT, "ship-to needs a name, city and postal code")
    return {"name": party.name, "lines": list(party.address_lines), "city": party.city,
            "postcode": party.postal_code, "country": party.country or "US"}


def _map_receipt(conn: Connection, tx: TransactionSet, doc: ExpectedReceipt,
                 channel: dict[str, Any]) -> _Mapped:
    lines = _resolve(conn, tx, channel["owner_id"], doc.lines)
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for ln, src in zip(lines, doc.lines, strict=True):
        key = (ln["item_id"], ln["lot"])
        if key in merged:
            merged[key]["expected_qty"] += ln["qty"]
        else:
            merged[key] = {"item_id": ln["item_id"], "expected_qty": ln["qty"],
                           "lot": ln["lot"] or None, "expiry": src.expiry_date}
    head = tx.segments[1]
    reference = doc.shipment_id
    if not reference or len(reference) > 64:
        raise _at(head, 2, EdiErrorCode.BAD_ELEMENT, "shipment id must be 1-64 characters")
    spec = {"owner_id": channel["owner_id"], "facility_id": channel["facility_id"],
            "type": "asn", "reference": reference,
            "supplier": (doc.ship_from.name if doc.ship_from else "")[:200],
            "expected_date": doc.expected_delivery_date, "lines": list(merged.values())}
    link = {"external_ref": reference, "data": {
        "set": tx.id, "control_number": doc.control_number,
        "depositor_order_number": doc.depositor_order_number, "shipment_id": doc.shipment_id,
        "po": list(doc.purchase_order_numbers), "lines": lines}}
    return _Mapped(tx, "receipt", spec, link)


def _party_dict(p: Party | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"role": p.role, "name": p.name, "id_qualifier": p.id_qualifier, "id": p.id,
            "address_lines": list(p.address_lines), "city": p.city, "state": p.state,
            "postal_code": p.postal_code, "country": p.country}


# -- apply -------------------------------------------------------------------------------


class _Duplicate(Exception):
    pass


class _Refused(Exception):
    def __init__(self, error: EdiError) -> None:
        self.error = error


def _apply(ctx: Context, ic: Interchange, channel: dict[str, Any], mapped: list[_Mapped],
           user: str) -> list[dict[str, Any]]:
    now = ctx.now()
    try:
        with ctx.write() as conn:
            ids = _claim(conn, ic, channel, now)
            jctx = joined(ctx, conn)
            created = []
            for m in mapped:
                try:
                    created.append(_create(jctx, conn, channel, m, user))
                except ShelfwiseError as e:
                    raise _Refused(_set_error(m.tx, EdiErrorCode.BAD_ELEMENT, 2,
                                              f"{e.code}: {e.detail}")) from None
            conn.execute(sa.update(im).where(im.c.id == ids[0])
                         .values(result=json.dumps({"created": created}, default=str)))
            return created
    except IntegrityError:
        with ctx.read() as conn:
            if _seen(conn, ic):
                raise _Duplicate() from None
        raise


def _claim(conn: Connection, ic: Interchange, channel: dict[str, Any], now: Any) -> list[int]:
    """Mark the control numbers seen; a concurrent twin makes this raise IntegrityError."""
    return [conn.execute(sa.insert(im).returning(im.c.id), {
        "source": _source(ic), "message_id": key, "owner_id": channel["owner_id"],
        "result": "{}", "created_at": now}).scalar_one() for key in _keys(ic)]


def _create(jctx: Context, conn: Connection, channel: dict[str, Any], m: _Mapped,
            user: str) -> dict[str, Any]:
    if m.kind == "order":
        res = order_service.create_orders(jctx, [m.spec], None, user=user)[0]
        if res["replayed"]:
            raise _Refused(_set_error(m.tx, EdiErrorCode.BAD_ELEMENT, 2,
                                      f"order {m.spec.number} was already received"))
        doc_id, ref = res["id"], m.spec.number
    else:
        doc_id = receiving.create_receipt(jctx, **m.spec, user=user)["id"]
        ref = m.spec["reference"]
    conn.execute(sa.insert(links), {
        "owner_id": channel["owner_id"], "channel_id": channel["id"], "document_type": m.kind,
        "document_id": doc_id, "external_ref": m.link["external_ref"],
        "data": json.dumps(m.link["data"], default=str), "created_at": jctx.now()})
    return {"kind": m.kind, "id": doc_id, "reference": ref, "set": m.tx.id,
            "control_number": m.tx.control_number}


# -- errors and acknowledgments ----------------------------------------------------------


def _at(segment: Segment, element: int | None, code: EdiErrorCode, message: str) -> EdiError:
    return EdiError(code, message, segment_id=segment.id, segment_position=segment.position,
                    element_position=element)


def _set_error(tx: TransactionSet, code: EdiErrorCode, element: int | None,
               message: str) -> EdiError:
    """An error about a whole set, located at its ST (so the 997 rejects that set)."""
    return _at(tx.segments[0], element, code, message)


def _duplicate(tx: TransactionSet) -> EdiError:
    return _set_error(tx, EdiErrorCode.DUPLICATE_CONTROL_NUMBER, 2,
                      "this interchange was already received (ISA13/GS06/ST02 repeat)")


def _element_of(segment: Segment, values: Sequence[str]) -> int | None:
    for n, v in enumerate(segment.elements, start=1):
        if v.strip() and v.strip() in values:
            return n
    return None


def _ack(ctx: Context, ic: Interchange, errors: list[EdiError]) -> str:
    acks = []
    for g in ic.groups:
        ack = acknowledge(g, errors)
        if errors:  # applied whole or not at all: no set was accepted
            ack = replace(ack, status=AckStatus.REJECTED, sets_accepted=0, sets=tuple(
                s if s.status is AckStatus.REJECTED else replace(s, status=AckStatus.REJECTED)
                for s in ack.sets))
        acks.append(ack)
    return "".join(_write(ctx, ic.receiver_id, ic.receiver_qualifier, ic.sender_id,
                          ic.sender_qualifier, a) for a in acks)


def _write(ctx: Context, me: str, my_q: str, them: str, their_q: str,
           ack: FunctionalAcknowledgment) -> str:
    with ctx.write() as conn:
        number = cursors.next_number(conn, f"edi.control.{them}", ctx.now())
    return write_997(ack, sender=TradingPartner(me or "SHELFWISE", my_q or "ZZ"),
                     receiver=TradingPartner(them, their_q or "ZZ"),
                     control_number=number, clock=ctx.now())


def _fallback_ack(ctx: Context, raw: bytes | str, error: EdiError) -> str | None:
    """A 997 for a document too broken to validate (truncated, a segment out of place):
    every set found is rejected, the group with "trailer missing" when it was cut off.
    Without a readable ISA and GS there is nobody to answer (that would be a TA1)."""
    try:
        doc = tokenize(raw)
    except EdiError:
        return None
    isa = doc.segments[0]
    gs = next((s for s in doc.segments if s.id == "GS"), None)
    if isa.id != "ISA" or len(isa.elements) < 16 or gs is None:
        return None
    sets = tuple(SetAcknowledgment(s.element(1), s.element(2), AckStatus.REJECTED,
                                   ("2",) if error.code is EdiErrorCode.TRUNCATED else ())
                 for s in doc.segments if s.id == "ST")
    group_codes = ("3",) if error.code is EdiErrorCode.TRUNCATED else ()
    ack = FunctionalAcknowledgment(gs.element(1), gs.element(6), AckStatus.REJECTED, len(sets),
                                   len(sets), 0, sets, group_codes, gs.element(8) or None)
    return _write(ctx, isa.element(8).strip(), isa.element(7), isa.element(6).strip(),
                  isa.element(5), ack)


def edi_export(ctx: Context, kind: str, owner: int | str, **kw: Any) -> Path:
    """``shelfwise edi export KIND``: see :func:`shelfwise.integrations.edi.exports.export`."""
    from shelfwise.integrations.edi.exports import export

    return export(ctx, kind, owner, **kw)
