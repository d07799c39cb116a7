"""A planner's decisions on suggestions, and the supply terms plans are built on.

Approving a purchase suggestion creates a real purchase order through the receiving
service (the document the dock receives against); approving a transfer creates a real
transfer order through the transfers service; approving a channel split makes its
ring-fences the active ones. The suggestion's state changes only if it is still
proposed (a conditional update): if two planners approve at once, one wins and the
other's freshly created document is cancelled again, so nothing is ordered twice.
The document reference is derived from the suggestion id, so a retried approval after
a crash finds the document it already created instead of making another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.planning import suggestions as rules
from shelfwise.domain.planning.suggestions import SuggestionKind, SuggestionState
from shelfwise.services import receiving, transfers
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.planning_tables import channel_allocations as ca
from shelfwise.storage.planning_tables import suggestions as sg
from shelfwise.storage.planning_tables import supply_terms
from shelfwise.storage.receiving_tables import receipts
from shelfwise.storage.tables import facilities, items

Scope = frozenset[int] | None


class _DecidedMeanwhile(Exception):
    """Rolls back a partly applied group decision."""


def _load(conn: Connection, suggestion_id: int, scope: Scope) -> dict[str, Any]:
    row = cs.one(conn, sa.select(sg).where(sg.c.id == suggestion_id))
    if row is None or (scope is not None and row["owner_id"] not in scope):
        raise NotFound(f"suggestion {suggestion_id} does not exist", code="suggestion_not_found")
    row["why"] = json.loads(row["why"])
    return row


def get_suggestion(ctx: Context, suggestion_id: int, scope: Scope = None) -> dict[str, Any]:
    with ctx.read() as conn:
        return _load(conn, suggestion_id, scope)


def list_suggestions(
    ctx: Context, scope: Scope = None, *, run_id: int | None = None, kind: str | None = None,
    state: str | None = None, owner_id: int | None = None, item_id: int | None = None,
    facility_id: int | None = None, group_ref: str | None = None, limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Suggestions, newest run first, with SKU and facility codes; filters combine."""
    if kind is not None and kind not in {k.value for k in SuggestionKind}:
        raise InvalidInput(f"unknown suggestion kind {kind!r}", code="invalid_kind")
    if state is not None and state not in {s.value for s in SuggestionState}:
        raise InvalidInput(f"unknown suggestion state {state!r}", code="invalid_state")
    stmt = (sa.select(sg, items.c.sku, facilities.c.code.label("facility_code"))
            .join(items, items.c.id == sg.c.item_id)
            .join(facilities, facilities.c.id == sg.c.facility_id)
            .order_by(sg.c.run_id.desc(), sg.c.kind, sg.c.id).limit(limit).offset(offset))
    if scope is not None:
        stmt = stmt.where(sg.c.owner_id.in_(list(scope)))
    for col, val in ((sg.c.run_id, run_id), (sg.c.kind, kind), (sg.c.state, state),
                     (sg.c.owner_id, owner_id), (sg.c.item_id, item_id),
                     (sg.c.facility_id, facility_id), (sg.c.group_ref, group_ref)):
        if val is not None:
            stmt = stmt.where(col == val)
    with ctx.read() as conn:
        out = cs.rows(conn, stmt)
    for r in out:
        r["why"] = json.loads(r["why"])
    return out


def _create_document(ctx: Context, row: dict[str, Any], qty: int, scope: Scope,
                     user: str) -> tuple[str, str]:
    kind = SuggestionKind(row["kind"])
    if kind is SuggestionKind.PURCHASE:
        reference = f"PO-{row['run_id']}-{row['id']}"
        return "receipt", str(_purchase_order(ctx, row, [(row["item_id"], qty)], reference,
                                              scope, user))
    if kind is SuggestionKind.TRANSFER:
        t = transfers.create_transfer(
            ctx, owner_id=row["owner_id"], source_facility_id=row["source_facility_id"],
            dest_facility_id=row["facility_id"],
            lines=[transfers.TransferLine(item_id=row["item_id"], qty=qty)],
            reference=f"TR-{row['run_id']}-{row['id']}", scope=scope)
        return "transfer", str(t["id"])
    return "channel_allocation", str(row["id"])


def _purchase_order(ctx: Context, head: dict[str, Any], lines: list[tuple[int, int]],
                    reference: str, scope: Scope, user: str) -> int:
    """Create the PO receipt (or find the one an interrupted approval already made)."""
    try:
        return receiving.create_receipt(
            ctx, owner_id=head["owner_id"], facility_id=head["facility_id"],
            type="purchase_order", reference=reference,
            lines=[{"item_id": i, "expected_qty": q} for i, q in lines],
            supplier=(head["supplier_name"] or head["supplier_code"])[:200],
            expected_date=head["arrival_date"], scope=scope, user=user)["id"]
    except Conflict as e:
        if e.code != "duplicate_receipt":
            raise
        with ctx.read() as conn:
            rid = conn.execute(sa.select(receipts.c.id).where(
                receipts.c.owner_id == head["owner_id"], receipts.c.reference == reference,
                receipts.c.type == "purchase_order")).scalar_one()
        return int(rid)


def _undo(ctx: Context, doc_type: str, doc_id: str, scope: Scope) -> None:
    """Cancel a document whose suggestion another planner decided meanwhile."""
    if doc_type == "receipt":
        receiving.cancel_receipt(ctx, int(doc_id), scope)
    elif doc_type == "transfer":
        transfers.cancel_transfer(ctx, int(doc_id), scope=scope)


def _decide(conn: Connection, ids: list[int], target: SuggestionState, qty: dict[int, int],
            doc: tuple[str, str], user: str, now: Any) -> bool:
    """Conditionally move ``ids`` from proposed to ``target``; False if any was decided."""
    changed = 0
    for sid in ids:
        values = {"state": target.value, "decided_by": user[:64], "decided_at": now,
                  "document_type": doc[0], "document_id": doc[1]}
        if sid in qty:
            values["qty"] = qty[sid]
        changed += conn.execute(sa.update(sg).where(
            sg.c.id == sid, sg.c.state == SuggestionState.PROPOSED.value).values(**values)
        ).rowcount
    return changed == len(ids)


def approve(ctx: Context, suggestion_id: int, qty: int | None = None, *, scope: Scope = None,
            user: str = "") -> dict[str, Any]:
    """Approve (``qty`` None) or adjust (``qty`` = the planner's quantity) one suggestion,
    creating its real document."""
    with ctx.read() as conn:
        row = _load(conn, suggestion_id, scope)
    event, final = rules.approval_event(row["kind"], row["proposed_qty"], qty)
    target = rules.next_state(row["state"], event, suggestion_id)
    doc = _create_document(ctx, row, final, scope, user)
    with ctx.write() as conn:
        ok = _decide(conn, [suggestion_id], target, {suggestion_id: final}, doc, user, ctx.now())
        if ok and row["kind"] == SuggestionKind.CHANNEL_SPLIT.value:
            _activate_split(conn, row)
        if ok:
            ls.insert_events(conn, [{"topic": f"suggestion.{target.value}",
                                     "owner_id": row["owner_id"], "created_at": ctx.now(),
                                     "payload": json.dumps({"suggestion_id": suggestion_id,
                                                            "kind": row["kind"], "qty": final,
                                                            "document_type": doc[0],
                                                            "document_id": doc[1]})}])
    if not ok:
        _undo(ctx, doc[0], doc[1], scope)
        raise Conflict(f"suggestion {suggestion_id} was decided meanwhile",
                       code="suggestion_decided")
    return get_suggestion(ctx, suggestion_id, scope)


def _activate_split(conn: Connection, row: dict[str, Any]) -> None:
    key = (ca.c.owner_id == row["owner_id"], ca.c.item_id == row["item_id"],
           ca.c.facility_id == row["facility_id"])
    conn.execute(sa.update(ca).where(*key, ca.c.active.is_(True)).values(active=False))
    conn.execute(sa.update(ca).where(ca.c.suggestion_id == row["id"]).values(active=True))


def approve_group(ctx: Context, group_ref: str, *, scope: Scope = None, user: str = ""
                  ) -> dict[str, Any]:
    """Approve every proposed purchase line of one supplier x facility group as ONE PO."""
    rows = list_suggestions(ctx, scope, group_ref=group_ref, kind="purchase",
                            state=SuggestionState.PROPOSED.value, limit=500)
    if not rows:
        raise NotFound(f"no proposed purchase suggestions in group {group_ref!r}",
                       code="group_not_found")
    reference = f"PO-{group_ref}"[:64]
    rid = _purchase_order(ctx, rows[0], [(r["item_id"], r["qty"]) for r in rows], reference,
                          scope, user)
    ids = [r["id"] for r in rows]
    try:
        with ctx.write() as conn:
            if not _decide(conn, ids, SuggestionState.APPROVED, {}, ("receipt", str(rid)), user,
                           ctx.now()):
                raise _DecidedMeanwhile
    except _DecidedMeanwhile:
        _undo(ctx, "receipt", str(rid), scope)
        raise Conflict(f"a suggestion of group {group_ref!r} was decided meanwhile",
                       code="suggestion_decided") from None
    return {"group_ref": group_ref, "receipt_id": rid, "reference": reference,
            "suggestion_ids": ids}


def reject(ctx: Context, suggestion_id: int, *, scope: Scope = None, user: str = ""
           ) -> dict[str, Any]:
    with ctx.write() as conn:
        row = _load(conn, suggestion_id, scope)
        target = rules.next_state(row["state"], rules.SuggestionEvent.REJECT, suggestion_id)
        if not _decide(conn, [suggestion_id], target, {}, ("", ""), user, ctx.now()):
            raise Conflict(f"suggestion {suggestion_id} was decided meanwhile",
                           code="suggestion_decided")
    return get_suggestion(ctx, suggestion_id, scope)


def channel_allocations(ctx: Context, scope: Scope = None, *, owner_id: int | None = None,
                        item_id: int | None = None, facility_id: int | None = None,
                        active: bool | None = True, limit: int = 100, offset: int = 0
                        ) -> list[dict[str, Any]]:
    """Ring-fenced quantity (available-to-promise) per channel; active ones by default."""
    stmt = sa.select(ca).order_by(ca.c.owner_id, ca.c.item_id, ca.c.facility_id, ca.c.id
                                  ).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(ca.c.owner_id.in_(list(scope)))
    for col, val in ((ca.c.owner_id, owner_id), (ca.c.item_id, item_id),
                     (ca.c.facility_id, facility_id), (ca.c.active, active)):
        if val is not None:
            stmt = stmt.where(col == val)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


# ---------------------------------------------------------------- supply terms

TERM_FIELDS: dict[str, type | tuple[type, ...]] = {
    "supplier_code": str, "supplier_name": str, "lead_time_days": (int, float),
    "lead_time_sd_days": (int, float), "moq": int, "order_multiple": int, "case_pack": int,
    "unit_cost_cents": int, "ordering_cost_cents": int, "holding_rate": (int, float),
}


def list_supply_terms(ctx: Context, scope: Scope = None, *, owner_id: int | None = None,
                      item_id: int | None = None, facility_id: int | None = None,
                      limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    st = supply_terms
    stmt = sa.select(st).order_by(st.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(st.c.owner_id.in_(list(scope)))
    for col, val in ((st.c.owner_id, owner_id), (st.c.item_id, item_id),
                     (st.c.facility_id, facility_id)):
        if val is not None:
            stmt = stmt.where(col == val)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def _validate_terms(body: Mapping[str, Any]) -> dict[str, Any]:
    values = {}
    for name, kind in TERM_FIELDS.items():
        if name not in body:
            continue
        v = body[name]
        if isinstance(v, bool) or not isinstance(v, kind):
            raise InvalidInput(f"{name} has the wrong type", code="invalid_supply_terms")
        if isinstance(v, int | float) and v < 0:
            raise InvalidInput(f"{name} must not be negative", code="invalid_supply_terms")
        values[name] = v
    if not str(values.get("supplier_code", "x")).strip() or \
            len(str(values.get("supplier_code", ""))) > 64:
        raise InvalidInput("supplier_code must be 1-64 characters", code="invalid_supply_terms")
    for name in ("order_multiple", "case_pack"):
        if name in values and values[name] < 1:
            raise InvalidInput(f"{name} must be at least 1", code="invalid_supply_terms")
    if values.get("holding_rate", 0) > 5 or values.get("lead_time_days", 0) > 730:
        raise InvalidInput("holding_rate or lead time out of range", code="invalid_supply_terms")
    return values


def put_supply_terms(ctx: Context, *, owner_id: int, item_id: int, facility_id: int,
                     terms: Mapping[str, Any], scope: Scope = None) -> dict[str, Any]:
    """Create or update the supply terms of one item at one facility (all or nothing)."""
    values = _validate_terms(terms)
    if scope is not None and owner_id not in scope:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    st = supply_terms
    key = (st.c.owner_id == owner_id, st.c.item_id == item_id, st.c.facility_id == facility_id)
    try:
        with ctx.write() as conn:
            item = conn.execute(sa.select(items.c.case_pack).where(
                items.c.id == item_id, items.c.owner_id == owner_id)).first()
            if item is None:
                raise NotFound(f"item {item_id} does not exist", code="item_not_found")
            if conn.execute(sa.select(facilities.c.id).where(
                    facilities.c.id == facility_id)).first() is None:
                raise NotFound(f"facility {facility_id} does not exist",
                               code="facility_not_found")
            values["updated_at"] = ctx.now()
            if conn.execute(sa.update(st).where(*key).values(**values)).rowcount == 0:
                if "supplier_code" not in values or "lead_time_days" not in values:
                    raise InvalidInput("new supply terms need supplier_code and lead_time_days",
                                       code="invalid_supply_terms")
                values.setdefault("case_pack", item.case_pack)
                values.setdefault("moq", values["case_pack"])
                conn.execute(sa.insert(st).values(owner_id=owner_id, item_id=item_id,
                                                  facility_id=facility_id, **values))
            return cs.one(conn, sa.select(st).where(*key))
    except IntegrityError:
        raise Conflict("supply terms were changed meanwhile; retry",
                       code="supply_terms_conflict") from None
