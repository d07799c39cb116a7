"""ERP files: CSV import and export of items, locations, on-hand snapshots, purchase
orders and supply terms.

An import is checked completely before anything is written: every row's every problem
(a missing column, an unknown owner or SKU, a bad GTIN check digit, a SKU repeated in
the file...) is listed with its row and column -- that list *is* the dry run. Only a
file with no error is written, in **one transaction** through the same service
commands a user would run, so it lands whole or not at all.

On-hand rows become adjustment movements from the facility's adjustment location with
reason ``opening_balance`` (the ledger stays the only source of stock); purchase
orders become receipts of type ``purchase_order``; supply terms (the planning tables)
are inserted or updated by owner, item and facility.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.catalog import ItemSpec, normalize_gtin, validate_code, validate_lot_code
from shelfwise.domain.errors import InvalidInput, ShelfwiseError
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import PHYSICAL_KINDS, LocationKind
from shelfwise.integrations.transaction import joined
from shelfwise.plugins import IntegrationInfo
from shelfwise.services import catalog, ledger, receiving
from shelfwise.services.context import Context
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import (
    balances,
    facilities,
    item_gtins,
    items,
    locations,
    lots,
    owners,
    zones,
)

PLUGIN = IntegrationInfo(
    "erp_csv", "ERP CSV files: items, locations, on-hand, purchase orders, supply terms; "
    "dry run lists every row's error; all-or-nothing import", ("erp import", "erp export"))

MAX_ROWS = 50_000
OPENING_BALANCE = "opening_balance"


@dataclass(frozen=True)
class RowError:
    row: int  # the file's line number (the header is line 1)
    column: str | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code,
                "message": self.message}


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _text(v: str) -> str:
    return v.strip()


def _int(v: str) -> int:
    try:
        n = int(v.strip())
    except ValueError:
        raise _Bad("invalid_number", f"{v!r} is not a whole number") from None
    if n < 0:
        raise _Bad("invalid_number", f"{v!r} is negative")
    return n


def _positive(v: str) -> int:
    n = _int(v)
    if n == 0:
        raise _Bad("invalid_quantity", "must be at least 1")
    return n


def _float(v: str) -> float:
    try:
        f = float(v.strip())
    except ValueError:
        raise _Bad("invalid_number", f"{v!r} is not a number") from None
    if f < 0 or f != f:
        raise _Bad("invalid_number", f"{v!r} must be zero or more")
    return f


def _bool(v: str) -> bool:
    t = v.strip().lower()
    if t in ("1", "true", "yes", "y"):
        return True
    if t in ("0", "false", "no", "n", ""):
        return False
    raise _Bad("invalid_boolean", f"{v!r} is not yes/no")


def _date(v: str) -> date:
    try:
        return date.fromisoformat(v.strip())
    except ValueError:
        raise _Bad("invalid_date", f"{v!r} is not a YYYY-MM-DD date") from None


Parser = Callable[[str], Any]
# kind -> column -> (required, parser)
COLUMNS: dict[str, dict[str, tuple[bool, Parser]]] = {
    "items": {"owner": (True, _text), "sku": (True, _text), "description": (True, _text),
              "gtins": (False, _text), "base_unit": (False, _text),
              "case_pack": (False, _positive), "lot_tracked": (False, _bool),
              "expiry_tracked": (False, _bool), "weight_g": (False, _int),
              "length_mm": (False, _int), "width_mm": (False, _int),
              "height_mm": (False, _int), "unit_cost_cents": (False, _int)},
    "locations": {"facility": (True, _text), "code": (True, _text), "kind": (True, _text),
                  "zone": (False, _text), "barcode": (False, _text),
                  "capacity_units": (False, _positive), "path_order": (False, _text)},
    "on_hand": {"owner": (True, _text), "facility": (True, _text), "location": (True, _text),
                "sku": (True, _text), "lot": (False, _text), "expiry": (False, _date),
                "qty": (True, _positive)},
    "purchase_orders": {"owner": (True, _text), "facility": (True, _text),
                        "reference": (True, _text), "supplier": (False, _text),
                        "expected_date": (False, _date), "sku": (True, _text),
                        "qty": (True, _positive), "lot": (False, _text)},
    "supply_terms": {"owner": (True, _text), "facility": (True, _text), "sku": (True, _text),
                     "supplier_code": (True, _text), "supplier_name": (False, _text),
                     "lead_time_days": (True, _float), "lead_time_sd_days": (False, _float),
                     "moq": (False, _int), "order_multiple": (False, _positive),
                     "case_pack": (False, _positive), "unit_cost_cents": (False, _int),
                     "ordering_cost_cents": (False, _int), "holding_rate": (False, _float)},
}
KINDS = tuple(COLUMNS)


def _check_kind(kind: str) -> None:
    if kind not in COLUMNS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_kind")


# -- import ------------------------------------------------------------------------------


def import_csv(ctx: Context, kind: str, text: str, *, dry_run: bool = False,
               user: str = "erp") -> dict[str, Any]:
    """Check every row; unless ``dry_run`` or any error, write them all at once.

    Returns ``{kind, rows, ok, dry_run, written, errors: [{row, column, code, message}]}``.
    """
    _check_kind(kind)
    errors: list[RowError] = []
    rows = _read(kind, text, errors)
    with ctx.read() as conn:
        work = _VALIDATORS[kind](conn, rows, errors) if rows else []
    errors.sort(key=lambda e: (e.row, e.column or ""))
    report = {"kind": kind, "rows": len(rows), "ok": not errors, "dry_run": dry_run,
              "written": 0, "errors": [e.to_dict() for e in errors]}
    if errors or dry_run or not work:
        return report
    with ctx.write() as conn:
        report["written"] = _WRITERS[kind](joined(ctx, conn), conn, work, user)
    return report


def _read(kind: str, text: str, errors: list[RowError]) -> list[tuple[int, dict[str, Any]]]:
    spec = COLUMNS[kind]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c, (req, _) in spec.items() if req and c not in header]
    unknown = [h for h in header if h not in spec]
    for c in missing:
        errors.append(RowError(1, c, "missing_column", f"column {c!r} is required"))
    for c in unknown:
        errors.append(RowError(1, c, "unknown_column", f"column {c!r} is not a {kind} column"))
    if missing or unknown:
        return []
    out = []
    for n, raw in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            errors.append(RowError(n, None, "too_many_rows", f"at most {MAX_ROWS} rows"))
            break
        if None in raw:
            errors.append(RowError(n, None, "extra_cells", "more cells than header columns"))
            continue
        row: dict[str, Any] = {}
        for col, (req, parse) in spec.items():
            value = (raw.get(col) or "").strip()
            if not value:
                if req:
                    errors.append(RowError(n, col, "missing_value", f"{col} is required"))
                continue
            try:
                row[col] = parse(value)
            except _Bad as b:
                errors.append(RowError(n, col, b.code, b.message))
        out.append((n, row))
    return out


def _ids(conn: Connection, col: Any, key: Any, values: set[str]) -> dict[str, int]:
    if not values:
        return {}
    return {r[0]: r[1] for r in conn.execute(sa.select(col, key).where(col.in_(sorted(values))))}


class _Lookups:
    """Codes in the file resolved to ids with one query per table."""

    def __init__(self, conn: Connection, rows: list[tuple[int, dict[str, Any]]]) -> None:
        def vals(k: str) -> set[str]:
            return {r[k] for _, r in rows if r.get(k)}

        self.conn = conn
        self.owners = _ids(conn, owners.c.code, owners.c.id, vals("owner"))
        self.facilities = _ids(conn, facilities.c.code, facilities.c.id, vals("facility"))
        skus = vals("sku")
        self.items = {(r.owner_id, r.sku): r for r in conn.execute(
            sa.select(items).where(items.c.sku.in_(sorted(skus))))} if skus else {}

    def owner(self, n: int, r: dict[str, Any], errors: list[RowError]) -> int | None:
        oid = self.owners.get(r.get("owner", ""))
        if oid is None and "owner" in r:
            errors.append(RowError(n, "owner", "owner_not_found", f"no owner {r['owner']!r}"))
        return oid

    def facility(self, n: int, r: dict[str, Any], errors: list[RowError]) -> int | None:
        fid = self.facilities.get(r.get("facility", ""))
        if fid is None and "facility" in r:
            errors.append(RowError(n, "facility", "facility_not_found",
                                   f"no facility {r['facility']!r}"))
        return fid

    def item(self, n: int, owner_id: int | None, r: dict[str, Any],
             errors: list[RowError]) -> Any:
        if owner_id is None or "sku" not in r:
            return None
        it = self.items.get((owner_id, r["sku"]))
        if it is None:
            errors.append(RowError(n, "sku", "item_not_found",
                                   f"owner {r['owner']} has no SKU {r['sku']!r}"))
        return it


def _validate_items(conn: Connection, rows: list, errors: list[RowError]) -> list:
    lk = _Lookups(conn, rows)
    seen_sku: dict[tuple[int, str], int] = {}
    seen_gtin: dict[tuple[int, str], int] = {}
    gtins_used = {(r.owner_id, r.gtin) for r in conn.execute(sa.select(item_gtins))}
    work = []
    for n, r in rows:
        oid = lk.owner(n, r, errors)
        if oid is None or "sku" not in r or "description" not in r:
            continue
        key = (oid, r["sku"])
        if key in lk.items:
            errors.append(RowError(n, "sku", "duplicate_sku", f"SKU {r['sku']!r} exists"))
        elif key in seen_sku:
            errors.append(RowError(n, "sku", "duplicate_sku",
                                   f"SKU {r['sku']!r} repeats row {seen_sku[key]}"))
        seen_sku.setdefault(key, n)
        gtins = []
        for g in (r.get("gtins") or "").replace("|", " ").split():
            try:
                g14 = normalize_gtin(g)
            except ShelfwiseError as e:
                errors.append(RowError(n, "gtins", e.code, e.detail))
                continue
            if (oid, g14) in gtins_used or (oid, g14) in seen_gtin:
                errors.append(RowError(n, "gtins", "duplicate_gtin", f"GTIN {g} is in use"))
            seen_gtin.setdefault((oid, g14), n)
            gtins.append(g14)
        fields = {k: r[k] for k in ("base_unit", "case_pack", "lot_tracked", "expiry_tracked",
                                    "weight_g", "length_mm", "width_mm", "height_mm",
                                    "unit_cost_cents") if k in r}
        try:
            spec = ItemSpec(oid, r["sku"], r["description"], tuple(gtins), **fields).validated()
        except ShelfwiseError as e:
            errors.append(RowError(n, None, e.code, e.detail))
            continue
        work.append(spec)
    return work


def _write_items(jctx: Context, conn: Connection, work: list, user: str) -> int:
    return len(catalog.create_items(jctx, work))


def _validate_locations(conn: Connection, rows: list, errors: list[RowError]) -> list:
    lk = _Lookups(conn, rows)
    existing = {(r.facility_id, r.code) for r in conn.execute(
        sa.select(locations.c.facility_id, locations.c.code))}
    barcodes = set(conn.execute(sa.select(locations.c.barcode)).scalars())
    zone_ids = {(r.facility_id, r.code): r.id for r in conn.execute(sa.select(zones))}
    work, seen = [], {}
    for n, r in rows:
        fid = lk.facility(n, r, errors)
        if fid is None or "code" not in r or "kind" not in r:
            continue
        try:
            validate_code(r["code"], "code")
        except ShelfwiseError as e:
            errors.append(RowError(n, "code", e.code, e.detail))
            continue
        try:
            kind = LocationKind(r["kind"])
        except ValueError:
            errors.append(RowError(n, "kind", "invalid_kind", f"no location kind {r['kind']!r}"))
            continue
        if kind not in PHYSICAL_KINDS:
            errors.append(RowError(n, "kind", "invalid_kind", f"{kind} locations are virtual"))
        barcode = r.get("barcode") or r["code"]
        if (fid, r["code"]) in existing or (fid, r["code"]) in seen:
            errors.append(RowError(n, "code", "duplicate_location",
                                   f"location {r['code']!r} exists in {r['facility']}"))
        elif barcode in barcodes:
            errors.append(RowError(n, "barcode", "duplicate_barcode",
                                   f"barcode {barcode!r} is in use"))
        seen[(fid, r["code"])] = n
        barcodes.add(barcode)
        zid = None
        if r.get("zone"):
            zid = zone_ids.get((fid, r["zone"]))
            if zid is None:
                errors.append(RowError(n, "zone", "zone_not_found", f"no zone {r['zone']!r}"))
        work.append({"facility_id": fid, "code": r["code"], "kind": kind.value, "zone_id": zid,
                     "barcode": barcode, "capacity_units": r.get("capacity_units"),
                     "path_order": r.get("path_order")})
    return work


def _write_locations(jctx: Context, conn: Connection, work: list, user: str) -> int:
    return len(catalog.create_locations(jctx, work))


def _validate_on_hand(conn: Connection, rows: list, errors: list[RowError]) -> list:
    lk = _Lookups(conn, rows)
    locs = {(r.facility_id, r.code): r for r in conn.execute(sa.select(locations))}
    adjust = {r.facility_id: r.id for r in conn.execute(sa.select(
        locations.c.facility_id, locations.c.id).where(
        locations.c.kind == LocationKind.ADJUSTMENT.value))}
    work = []
    for n, r in rows:
        oid, fid = lk.owner(n, r, errors), lk.facility(n, r, errors)
        item = lk.item(n, oid, r, errors)
        if fid is None or item is None or "qty" not in r:
            continue
        loc = locs.get((fid, r.get("location")))
        if loc is None or LocationKind(loc.kind) not in PHYSICAL_KINDS:
            errors.append(RowError(n, "location", "location_not_found",
                                   f"no physical location {r.get('location')!r}"))
            continue
        lot = r.get("lot", "")
        if item.lot_tracked and not lot:
            errors.append(RowError(n, "lot", "lot_required", f"{item.sku} is lot-tracked"))
            continue
        if lot and not item.lot_tracked:
            errors.append(RowError(n, "lot", "lot_not_tracked", f"{item.sku} has no lots"))
            continue
        if lot:
            try:
                validate_lot_code(lot)
            except ShelfwiseError as e:
                errors.append(RowError(n, "lot", e.code, e.detail))
                continue
        work.append({"owner_id": oid, "item_id": item.id, "facility_id": fid,
                     "from": adjust[fid], "to": loc.id, "lot": lot, "qty": r["qty"],
                     "expiry": r.get("expiry"), "row": n})
    return work


def _write_on_hand(jctx: Context, conn: Connection, work: list, user: str) -> int:
    for w in work:
        if w["lot"]:
            catalog.ensure_lot(jctx, conn, w["owner_id"], w["item_id"], w["lot"], w["expiry"])
    cmds = [MovementCommand(
        owner_id=w["owner_id"], type=MovementType.ADJUSTMENT,
        lines=(LineCommand(w["item_id"], w["from"], w["to"], w["qty"], w["lot"]),),
        reason=OPENING_BALANCE, document_type="erp_import", document_id=f"row-{w['row']}",
        user=user) for w in work]
    ledger.post_in(jctx, conn, cmds)
    return len(cmds)


def _validate_purchase_orders(conn: Connection, rows: list, errors: list[RowError]) -> list:
    lk = _Lookups(conn, rows)
    existing = {(r.owner_id, r.reference) for r in conn.execute(
        sa.select(receipts.c.owner_id, receipts.c.reference).where(
            receipts.c.type == "purchase_order"))}
    docs: dict[tuple[int, str], dict[str, Any]] = {}
    for n, r in rows:
        oid, fid = lk.owner(n, r, errors), lk.facility(n, r, errors)
        item = lk.item(n, oid, r, errors)
        if fid is None or item is None or "reference" not in r or "qty" not in r:
            continue
        key = (oid, r["reference"])
        if key in existing:
            errors.append(RowError(n, "reference", "duplicate_receipt",
                                   f"purchase order {r['reference']!r} exists"))
            continue
        doc = docs.setdefault(key, {"owner_id": oid, "facility_id": fid, "type":
                                    "purchase_order", "reference": r["reference"],
                                    "supplier": r.get("supplier", ""),
                                    "expected_date": r.get("expected_date"), "lines": []})
        if doc["facility_id"] != fid:
            errors.append(RowError(n, "facility", "inconsistent_header",
                                   "one purchase order, one facility"))
        lot = r.get("lot", "")
        if lot and not item.lot_tracked:
            errors.append(RowError(n, "lot", "lot_not_tracked", f"{item.sku} has no lots"))
        if any(ln["item_id"] == item.id and (ln["lot"] or "") == lot for ln in doc["lines"]):
            errors.append(RowError(n, "sku", "duplicate_line",
                                   f"{item.sku} repeats in {r['reference']}"))
        doc["lines"].append({"item_id": item.id, "expected_qty": r["qty"], "lot": lot or None})
    return list(docs.values())


def _write_purchase_orders(jctx: Context, conn: Connection, work: list, user: str) -> int:
    for doc in work:
        receiving.create_receipt(jctx, **doc, user=user)
    return len(work)


def _supply_terms_table() -> Any:
    from shelfwise.storage.planning_tables import supply_terms

    return supply_terms


_TERMS = ("supplier_code", "supplier_name", "lead_time_days", "lead_time_sd_days", "moq",
          "order_multiple", "case_pack", "unit_cost_cents", "ordering_cost_cents",
          "holding_rate")


def _validate_supply_terms(conn: Connection, rows: list, errors: list[RowError]) -> list:
    lk = _Lookups(conn, rows)
    work, seen = [], {}
    for n, r in rows:
        oid, fid = lk.owner(n, r, errors), lk.facility(n, r, errors)
        item = lk.item(n, oid, r, errors)
        if fid is None or item is None or "supplier_code" not in r:
            continue
        key = (oid, item.id, fid)
        if key in seen:
            errors.append(RowError(n, "sku", "duplicate_terms", f"repeats row {seen[key]}"))
        seen[key] = n
        work.append({"owner_id": oid, "item_id": item.id, "facility_id": fid,
                     **{k: r[k] for k in _TERMS if k in r}})
    return work


def _write_supply_terms(jctx: Context, conn: Connection, work: list, user: str) -> int:
    st = _supply_terms_table()
    for w in work:
        key = (st.c.owner_id == w["owner_id"], st.c.item_id == w["item_id"],
               st.c.facility_id == w["facility_id"])
        values = {**w, "updated_at": jctx.now()}
        if conn.execute(sa.update(st).where(*key).values(**values)).rowcount == 0:
            conn.execute(sa.insert(st).values(**values))
    return len(work)


_VALIDATORS = {"items": _validate_items, "locations": _validate_locations,
               "on_hand": _validate_on_hand, "purchase_orders": _validate_purchase_orders,
               "supply_terms": _validate_supply_terms}
_WRITERS = {"items": _write_items, "locations": _write_locations, "on_hand": _write_on_hand,
            "purchase_orders": _write_purchase_orders, "supply_terms": _write_supply_terms}


# -- export ------------------------------------------------------------------------------


def export_csv(ctx: Context, kind: str, owner: str | None = None) -> str:
    """The same columns an import takes, so an export can be edited and re-imported
    (on-hand exports one row per bin and lot, physical locations only)."""
    _check_kind(kind)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS[kind])
    with ctx.read() as conn:
        for row in _EXPORTERS[kind](conn, owner):
            w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def _owner_filter(stmt: Any, owner: str | None) -> Any:
    return stmt if owner is None else stmt.where(owners.c.code == owner)


def _export_items(conn: Connection, owner: str | None) -> list[list[Any]]:
    g: dict[int, list[str]] = {}
    for r in conn.execute(sa.select(item_gtins.c.item_id, item_gtins.c.gtin)
                          .order_by(item_gtins.c.id)):
        g.setdefault(r.item_id, []).append(r.gtin)
    stmt = _owner_filter(sa.select(items, owners.c.code.label("owner_code")).join(
        owners, owners.c.id == items.c.owner_id).order_by(owners.c.code, items.c.sku), owner)
    return [[r.owner_code, r.sku, r.description, "|".join(g.get(r.id, [])), r.base_unit,
             r.case_pack, _yes(r.lot_tracked), _yes(r.expiry_tracked), r.weight_g, r.length_mm,
             r.width_mm, r.height_mm, r.unit_cost_cents] for r in conn.execute(stmt)]


def _yes(b: bool) -> str:
    return "yes" if b else "no"


def _export_locations(conn: Connection, owner: str | None) -> list[list[Any]]:
    z = {r.id: r.code for r in conn.execute(sa.select(zones))}
    return [[r.facility_code, r.code, r.kind, z.get(r.zone_id, ""), r.barcode, r.capacity_units,
             r.path_order] for r in conn.execute(
        sa.select(locations, facilities.c.code.label("facility_code"))
        .join(facilities, facilities.c.id == locations.c.facility_id)
        .where(locations.c.kind.in_([k.value for k in PHYSICAL_KINDS]))
        .order_by(facilities.c.code, locations.c.code))]


def _export_on_hand(conn: Connection, owner: str | None) -> list[list[Any]]:
    exp = {(r.item_id, r.code): r.expiry for r in conn.execute(sa.select(lots))}
    stmt = _owner_filter(
        sa.select(balances, owners.c.code.label("owner_code"),
                  facilities.c.code.label("facility_code"), locations.c.code.label("loc"),
                  items.c.sku)
        .join(owners, owners.c.id == balances.c.owner_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .join(facilities, facilities.c.id == locations.c.facility_id)
        .join(items, items.c.id == balances.c.item_id)
        .where(balances.c.qty > 0,
               locations.c.kind.in_([k.value for k in PHYSICAL_KINDS]))
        .order_by(owners.c.code, facilities.c.code, locations.c.code, items.c.sku,
                  balances.c.lot), owner)
    return [[r.owner_code, r.facility_code, r.loc, r.sku, r.lot,
             exp.get((r.item_id, r.lot)) if r.lot else None, r.qty]
            for r in conn.execute(stmt)]


def _export_purchase_orders(conn: Connection, owner: str | None) -> list[list[Any]]:
    stmt = _owner_filter(
        sa.select(receipts.c.reference, receipts.c.supplier, receipts.c.expected_date,
                  receipt_lines.c.expected_qty, receipt_lines.c.expected_lot, items.c.sku,
                  owners.c.code.label("owner_code"), facilities.c.code.label("facility_code"))
        .join(receipts, receipts.c.id == receipt_lines.c.receipt_id)
        .join(owners, owners.c.id == receipts.c.owner_id)
        .join(facilities, facilities.c.id == receipts.c.facility_id)
        .join(items, items.c.id == receipt_lines.c.item_id)
        .where(receipts.c.type == "purchase_order")
        .order_by(owners.c.code, receipts.c.reference, receipt_lines.c.id), owner)
    return [[r.owner_code, r.facility_code, r.reference, r.supplier, r.expected_date, r.sku,
             r.expected_qty, r.expected_lot] for r in conn.execute(stmt)]


def _export_supply_terms(conn: Connection, owner: str | None) -> list[list[Any]]:
    st = _supply_terms_table()
    stmt = _owner_filter(
        sa.select(st, owners.c.code.label("owner_code"), facilities.c.code.label("fac"),
                  items.c.sku)
        .join(owners, owners.c.id == st.c.owner_id)
        .join(facilities, facilities.c.id == st.c.facility_id)
        .join(items, items.c.id == st.c.item_id)
        .order_by(owners.c.code, facilities.c.code, items.c.sku), owner)
    return [[r.owner_code, r.fac, r.sku, *(getattr(r, k) for k in _TERMS)]
            for r in conn.execute(stmt)]


_EXPORTERS = {"items": _export_items, "locations": _export_locations,
              "on_hand": _export_on_hand, "purchase_orders": _export_purchase_orders,
              "supply_terms": _export_supply_terms}
