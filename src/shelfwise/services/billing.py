"""Billing: rate cards per owner, and one invoice per owner per month from metering events.

``run_billing`` claims an owner's unbilled events of the period for its invoice with one
conditional UPDATE (``... AND billed_invoice_id IS NULL``), then prices the invoice from
*all* events it holds. Running a period again therefore finds the same invoice, adds only
events that arrived since (late storage snapshots, say) and never bills an event twice.
A draft is recomputed on every run; an issued invoice is final and left alone.
Every line keeps the ids of its events (``metering_events.invoice_line_id``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shelfwise.domain import billing as rules
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.services import invoice_documents, metering
from shelfwise.services.context import Context
from shelfwise.services.orders import transact
from shelfwise.storage.billing_tables import invoice_lines, invoices, metering_events, rate_cards
from shelfwise.storage.tables import owners

Scope = frozenset[int] | None
DRAFT, ISSUED = "draft", "issued"  # draft: recomputed by each run; issued: sent, final
FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "pdf": "application/pdf"}


def _owner(conn: Connection, owner_id: int, scope: Scope) -> Any:
    row = conn.execute(sa.select(owners).where(owners.c.id == owner_id)).first()
    if row is None or (scope is not None and owner_id not in scope):
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    return row


# -- rate cards -------------------------------------------------------------------------


def put_rate_card(ctx: Context, owner_id: int, *, effective_from: date, currency: str,
                  minimum_monthly_cents: int, rates: dict[str, Any], actor: str = "",
                  scope: Scope = None) -> dict[str, Any]:
    """Create or replace an owner's rate card starting ``effective_from``. Invoices already
    issued keep the rates they were priced with (lines store their rate)."""
    card = rules.parse_rate_card(effective_from, currency, minimum_monthly_cents, rates)
    now = ctx.now()
    values = {"currency": card.currency, "minimum_monthly_cents": card.minimum_monthly_cents,
              "rates": json.dumps(card.rates_json()), "updated_by": actor[:64],
              "updated_at": now}

    def run(conn: Connection) -> dict[str, Any]:
        _owner(conn, owner_id, scope)
        n = conn.execute(sa.update(rate_cards).where(
            rate_cards.c.owner_id == owner_id,
            rate_cards.c.effective_from == card.effective_from).values(**values)).rowcount
        if n == 0:
            conn.execute(sa.insert(rate_cards).values(
                owner_id=owner_id, effective_from=card.effective_from, created_at=now, **values))
        return _card_out(conn.execute(sa.select(rate_cards).where(
            rate_cards.c.owner_id == owner_id,
            rate_cards.c.effective_from == card.effective_from)).one())

    return transact(ctx, run)


def _card_out(r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    d["rates"] = json.loads(d["rates"])
    return d


def _card(r: Any) -> rules.RateCard:
    return rules.RateCard(r.effective_from, r.currency, r.minimum_monthly_cents,
                          {a: Decimal(v) for a, v in json.loads(r.rates).items()})


def list_rate_cards(ctx: Context, scope: Scope = None, owner_id: int | None = None
                    ) -> list[dict[str, Any]]:
    stmt = sa.select(rate_cards).order_by(rate_cards.c.owner_id, rate_cards.c.effective_from)
    if scope is not None:
        stmt = stmt.where(rate_cards.c.owner_id.in_(sorted(scope)))
    with ctx.read() as conn:
        if owner_id is not None:
            _owner(conn, owner_id, scope)
            stmt = stmt.where(rate_cards.c.owner_id == owner_id)
        return [_card_out(r) for r in conn.execute(stmt)]


# -- billing runs -----------------------------------------------------------------------


def run_billing(ctx: Context, period: str = "2026-10", owner_id: int | None = None, *,
                issue: bool = False, scope: Scope = None) -> dict[str, Any]:
    """Invoice every owner (or one) for ``period``: one invoice per owner with a rate card
    in force, even with no activity (the monthly minimum still applies). Owners with
    activity but no rate card are listed under ``skipped``, their events left unbilled.
    Each owner is its own transaction, so one owner's bill never waits on another's."""
    p = rules.parse_period(period)
    with ctx.read() as conn:
        if owner_id is not None:
            _owner(conn, owner_id, scope)
        cards: dict[int, list[Any]] = {}
        for r in conn.execute(sa.select(rate_cards).order_by(rate_cards.c.id)):
            cards.setdefault(r.owner_id, []).append(r)
        active = set(conn.execute(sa.select(metering_events.c.owner_id).distinct().where(
            metering_events.c.occurred_at >= p.start, metering_events.c.occurred_at < p.end,
            metering_events.c.billed_invoice_id.is_(None))).scalars())
        codes = dict(conn.execute(sa.select(owners.c.id, owners.c.code)).all())
    wanted = [owner_id] if owner_id is not None else sorted(set(cards) | active)
    if scope is not None:
        wanted = [o for o in wanted if o in scope]
    out, skipped = [], []
    for oid in wanted:
        in_force = _in_force(cards.get(oid, []), p)
        if in_force is None:
            if owner_id is not None:
                raise InvalidInput(f"owner {codes[oid]} has no rate card in force on "
                                   f"{p.first_day}", code="no_rate_card")
            skipped.append({"owner_id": oid, "owner_code": codes[oid], "reason": "no_rate_card"})
            continue
        out.append(_bill_with_retry(ctx, oid, codes[oid], p, in_force, issue))
    return {"period": p.name, "invoices": out, "skipped": skipped}


def _in_force(rows: Sequence[Any], p: rules.Period) -> Any | None:
    cards = {r.effective_from: r for r in rows}
    card = rules.card_in_force([_card(r) for r in rows], p)
    return None if card is None else cards[card.effective_from]


def _bill_with_retry(ctx: Context, owner_id: int, code: str, p: rules.Period, card: Any,
                     issue: bool) -> dict[str, Any]:
    try:
        return transact(ctx, lambda conn: _bill_owner(ctx, conn, owner_id, code, p, card, issue))
    except IntegrityError:
        # A concurrent run created this invoice first: bill into it.
        return transact(ctx, lambda conn: _bill_owner(ctx, conn, owner_id, code, p, card, issue))


def _bill_owner(ctx: Context, conn: Connection, owner_id: int, code: str, p: rules.Period,
                card_row: Any, issue: bool) -> dict[str, Any]:
    now = ctx.now()
    inv = conn.execute(sa.select(invoices).where(invoices.c.owner_id == owner_id,
                                                 invoices.c.period == p.name)).first()
    if inv is not None and inv.state == ISSUED:
        return {**_invoice_head(inv), "changed": False}
    if inv is None:
        inv_id = conn.execute(sa.insert(invoices).returning(invoices.c.id).values(
            owner_id=owner_id, period=p.name, number=f"INV-{code}-{p.name}", state=DRAFT,
            rate_card_id=card_row.id, currency=card_row.currency, created_at=now,
            updated_at=now)).scalar_one()
    else:
        inv_id = inv.id
        # Take the draft's row lock first: concurrent runs of one owner queue here.
        if not conn.execute(sa.update(invoices).where(
                invoices.c.id == inv_id, invoices.c.state == DRAFT).values(
                updated_at=now)).rowcount:
            raise Conflict(f"invoice {inv_id} was issued meanwhile", code="invoice_issued")
    claimed = conn.execute(sa.update(metering_events).where(
        metering_events.c.owner_id == owner_id, metering_events.c.billed_invoice_id.is_(None),
        metering_events.c.occurred_at >= p.start, metering_events.c.occurred_at < p.end,
    ).values(billed_invoice_id=inv_id)).rowcount
    priced = _price_invoice(conn, inv_id, _card(card_row))
    conn.execute(sa.update(invoices).where(invoices.c.id == inv_id).values(
        rate_card_id=card_row.id, currency=card_row.currency,
        subtotal_cents=priced.subtotal_cents, minimum_topup_cents=priced.minimum_topup_cents,
        total_cents=priced.total_cents, updated_at=now,
        **({"state": ISSUED, "issued_at": now} if issue else {})))
    head = conn.execute(sa.select(invoices).where(invoices.c.id == inv_id)).one()
    return {**_invoice_head(head), "changed": inv is None or claimed > 0 or issue,
            "events_added": claimed}


def _price_invoice(conn: Connection, inv_id: int, card: rules.RateCard) -> rules.Priced:
    """(Re)write an invoice's lines from every event it holds; line ids stay stable."""
    sums = conn.execute(
        sa.select(metering_events.c.activity, sa.func.sum(metering_events.c.quantity),
                  sa.func.count())
        .where(metering_events.c.billed_invoice_id == inv_id)
        .group_by(metering_events.c.activity)).all()
    priced = rules.price({a: int(q) for a, q, _ in sums}, card)
    counts = {a: int(n) for a, _, n in sums}
    rows = [{"activity": ln.activity, "unit": ln.unit, "quantity": ln.quantity,
             "rate": rules.format_rate(ln.rate), "amount_cents": ln.amount_cents,
             "event_count": counts[ln.activity]} for ln in priced.lines]
    if priced.minimum_topup_cents:
        rows.append({"activity": rules.MINIMUM_TOPUP, "unit": "month", "quantity": 1,
                     "rate": str(priced.minimum_topup_cents),
                     "amount_cents": priced.minimum_topup_cents, "event_count": 0})
    for n, r in enumerate(rows, 1):
        r["line_no"] = n
    have = dict(conn.execute(sa.select(invoice_lines.c.activity, invoice_lines.c.id)
                             .where(invoice_lines.c.invoice_id == inv_id)).all())
    keep = {r["activity"] for r in rows}
    gone = [i for a, i in have.items() if a not in keep]
    if gone:  # only the minimum top-up can disappear (activity grew past the minimum)
        conn.execute(sa.delete(invoice_lines).where(invoice_lines.c.id.in_(gone)))
    updates = [{**{f"b_{k}": v for k, v in r.items()}, "b_id": have[r["activity"]]}
               for r in rows if r["activity"] in have]
    if updates:
        conn.execute(sa.update(invoice_lines).where(invoice_lines.c.id == sa.bindparam("b_id"))
                     .values({k: sa.bindparam(f"b_{k}") for k in rows[0]}), updates)
    inserts = [{**r, "invoice_id": inv_id} for r in rows if r["activity"] not in have]
    if inserts:
        conn.execute(sa.insert(invoice_lines), inserts)
    line_ids = dict(conn.execute(sa.select(invoice_lines.c.activity, invoice_lines.c.id)
                                 .where(invoice_lines.c.invoice_id == inv_id)).all())
    conn.execute(
        sa.update(metering_events).where(
            metering_events.c.billed_invoice_id == inv_id,
            metering_events.c.activity == sa.bindparam("b_activity"),
            metering_events.c.invoice_line_id.is_(None)).values(
            invoice_line_id=sa.bindparam("b_line")),
        [{"b_activity": a, "b_line": line_ids[a]} for a in sorted(counts)])
    return priced


def issue_invoice(ctx: Context, invoice_id: int, scope: Scope = None) -> dict[str, Any]:
    """Mark a draft final (it is sent to the client); issuing again replays."""
    now = ctx.now()

    def run(conn: Connection) -> dict[str, Any]:
        inv = _load(conn, invoice_id, scope)
        if inv.state == DRAFT:
            conn.execute(sa.update(invoices).where(invoices.c.id == invoice_id,
                                                   invoices.c.state == DRAFT)
                         .values(state=ISSUED, issued_at=now, updated_at=now))
        return _invoice_head(conn.execute(
            sa.select(invoices).where(invoices.c.id == invoice_id)).one())

    return transact(ctx, run)


# -- reading ----------------------------------------------------------------------------


def _load(conn: Connection, invoice_id: int, scope: Scope) -> Any:
    inv = conn.execute(sa.select(invoices).where(invoices.c.id == invoice_id)).first()
    if inv is None or (scope is not None and inv.owner_id not in scope):
        raise NotFound(f"invoice {invoice_id} does not exist", code="invoice_not_found")
    return inv


def _invoice_head(r: Any) -> dict[str, Any]:
    return {k: v for k, v in r._mapping.items()}


def list_invoices(ctx: Context, scope: Scope = None, *, period: str | None = None,
                  owner_id: int | None = None, state: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[dict[str, Any]]:
    stmt = sa.select(invoices).order_by(invoices.c.period.desc(), invoices.c.owner_id)
    if scope is not None:
        stmt = stmt.where(invoices.c.owner_id.in_(sorted(scope)))
    if period is not None:
        stmt = stmt.where(invoices.c.period == rules.parse_period(period).name)
    if owner_id is not None:
        stmt = stmt.where(invoices.c.owner_id == owner_id)
    if state is not None:
        if state not in (DRAFT, ISSUED):
            raise InvalidInput(f"state must be {DRAFT} or {ISSUED}", code="invalid_state")
        stmt = stmt.where(invoices.c.state == state)
    with ctx.read() as conn:
        return [_invoice_head(r) for r in conn.execute(stmt.limit(limit).offset(offset))]


def get_invoice(ctx: Context, invoice_id: int, scope: Scope = None) -> dict[str, Any]:
    """An invoice with its owner and lines (each line names its unit, rate and events)."""
    with ctx.read() as conn:
        inv = _load(conn, invoice_id, scope)
        owner = conn.execute(sa.select(owners.c.code, owners.c.name)
                             .where(owners.c.id == inv.owner_id)).one()
        lines = [dict(r._mapping) for r in conn.execute(
            sa.select(invoice_lines).where(invoice_lines.c.invoice_id == invoice_id)
            .order_by(invoice_lines.c.line_no))]
    p = rules.parse_period(inv.period)
    return {**_invoice_head(inv), "owner_code": owner.code, "owner_name": owner.name,
            "period_start": p.start.date().isoformat(),
            "period_end": (p.end.date()).isoformat(), "lines": lines}


def invoice_events(ctx: Context, invoice_id: int, scope: Scope = None, *,
                   activity: str | None = None, limit: int = 100, offset: int = 0
                   ) -> list[dict[str, Any]]:
    """The metering events behind an invoice (or one of its activities): its audit trail."""
    with ctx.read() as conn:
        _load(conn, invoice_id, scope)
    return metering.list_events(ctx, None, invoice_id=invoice_id, activity=activity,
                                limit=limit, offset=offset)


def render_invoice(ctx: Context, invoice_id: int, fmt: str = "json", scope: Scope = None
                   ) -> tuple[bytes, str]:
    """An invoice as ``(content, media type)``: JSON, CSV or a printable PDF."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    inv = get_invoice(ctx, invoice_id, scope)
    if fmt == "json":
        body = json.dumps(inv, default=str, indent=2).encode()
    elif fmt == "csv":
        body = invoice_documents.to_csv(inv).encode()
    else:
        body = invoice_documents.to_pdf(inv)
    return body, FORMATS[fmt]
