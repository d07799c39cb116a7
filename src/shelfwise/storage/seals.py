"""Seals: a hash chain over the ledger, so tampering below the triggers is detectable.

A seal hashes every ledger line (with its movement's who/why/when) from the previous
seal's last line up to a horizon, chained to the previous seal's hash. On PostgreSQL the
horizon stays a grace period behind the newest posting, because line ids are handed out
before commit and a slow transaction could still commit a lower id.

Each seal also writes a **checkpoint**: the ledger's sum per (owner, item, location,
lot) up to the seal's last line (``ledger_checkpoint_sums``, updated in place from the
lines the seal covers), and an append-only header with a sha256 digest of those sums.
Sealed lines cannot change without breaking the chain, so ``verify`` may start from the
checkpoint and add only the lines posted since, instead of re-adding the whole ledger.
A seal builds on the previous checkpoint only if its sums still match its digest;
otherwise it recounts the ledger up to its last line (and says so in its result).

Sealing never serializes postings: it only reads ledger rows and writes its own tables.
:func:`prepare_seal` does the reading (the hashing) and :func:`write_seal` the short
write, so a caller may run them in two transactions; the write re-checks the chain head
and gives up (returns None) if another seal got there first. Two sealers are serialized
on PostgreSQL by an advisory lock, on SQLite by its single writer; a unique index on
``from_line_id`` makes a fork of the chain impossible either way.

The hash is built in the database (one text per line, aggregated per chunk of lines),
so Python only feeds ~4 MB strings to ``hashlib``. :func:`hash_range_rows` is the
reference definition, line by line in Python; it gives the same digest (and is the
fallback whenever the fast path disagrees, e.g. for seals written on PostgreSQL by a
session whose time zone was not UTC).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

GENESIS = "0" * 64
GRACE = timedelta(minutes=2)
CHUNK = 50_000
_LOCK = 0x5E11_5EA1  # pg advisory lock: sealers exclusive, verifiers shared

_LINE_FIELDS = (
    "l.id", "l.movement_id", "l.owner_id", "l.item_id", "l.lot", "l.from_location_id",
    "l.to_location_id", "l.qty", "m.type", "m.reason", "m.user_name", "m.device",
    "m.document_type", "m.document_id", "m.scans",
)
_KEY = ("owner_id", "item_id", "location_id", "lot")

_ROWS = sa.text(
    f"SELECT {', '.join(_LINE_FIELDS)}, m.created_at"
    " FROM movement_lines l JOIN movements m ON m.id = l.movement_id"
    " WHERE l.id > :lo AND l.id <= :hi ORDER BY l.id"
)


def _fmt(n: int) -> str:
    """printf format for n fields: unit-separated, record-separator terminated."""
    return "%s\x1f" * (n - 1) + "%s\x1e"


def _text(conn: Connection, fields: list[str]) -> str:
    """SQL for one record's canonical text: ``str(field)`` joined by \\x1f, then \\x1e."""
    if conn.dialect.name == "sqlite":
        return f"printf('{_fmt(len(fields))}', {', '.join(fields)})"
    return " || chr(31) || ".join(fields) + " || chr(30)"  # faster than concat_ws


def _created_at(conn: Connection) -> str:
    """``created_at`` as the reference writes it: naive ISO 8601 (UTC on PostgreSQL),
    microseconds only when non-zero; SQLite stores the text already."""
    if conn.dialect.name == "sqlite":
        return "m.created_at"
    return ("replace(to_char(m.created_at AT TIME ZONE 'UTC',"
            " 'YYYY-MM-DD\"T\"HH24\\:MI\\:SS.US'), '.000000', '')")


def _chunk_sql(conn: Connection) -> sa.TextClause:
    row = _text(conn, [*_LINE_FIELDS, _created_at(conn)])
    agg = "group_concat(r, '')" if conn.dialect.name == "sqlite" else \
        "string_agg(r, '' ORDER BY id)"
    return sa.text(
        f"SELECT count(*), {agg}, max(id) FROM (SELECT l.id AS id, {row} AS r"
        " FROM movement_lines l JOIN movements m ON m.id = l.movement_id"
        " WHERE l.id > :lo AND l.id <= :hi ORDER BY l.id LIMIT :n) t"
    )


def hash_range(conn: Connection, lo: int, hi: int, prev_hash: str) -> tuple[str, int]:
    """sha256(prev_hash, every line in (lo, hi] in id order); returns (hash, line count).

    The text of each chunk of lines is built by the database in id order."""
    h = hashlib.sha256(prev_hash.encode())
    n, at, sql = 0, lo, _chunk_sql(conn)
    while at < hi:
        count, text, last = conn.execute(sql, {"lo": at, "hi": hi, "n": CHUNK}).one()
        if not count:
            break
        h.update(text.encode())
        n, at = n + count, last
    return h.hexdigest(), n


def hash_range_rows(conn: Connection, lo: int, hi: int, prev_hash: str) -> tuple[str, int]:
    """The reference definition of :func:`hash_range`, one line at a time in Python."""
    h = hashlib.sha256(prev_hash.encode())
    n = 0
    result = conn.execute(
        _ROWS.execution_options(stream_results=True, yield_per=20_000), {"lo": lo, "hi": hi}
    )
    for part in result.partitions(20_000):
        # created_at is the last column; it alone needs a canonical (zone-free) form
        h.update("".join(
            "\x1f".join(map(str, row[:-1])) + "\x1f" + _canon(row[-1]) + "\x1e"
            for row in part).encode())
        n += len(part)
    return h.hexdigest(), n


def _canon(v: Any) -> str:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat()
    return str(v)


def last_seal(conn: Connection) -> dict[str, Any] | None:
    r = conn.execute(sa.text("SELECT * FROM ledger_seals ORDER BY id DESC LIMIT 1")).first()
    return dict(r._mapping) if r else None


def last_checkpoint(conn: Connection) -> dict[str, Any] | None:
    """The newest checkpoint, with ``seal_to_line_id`` of its seal (None if it is gone)."""
    r = conn.execute(sa.text(
        "SELECT c.*, s.to_line_id AS seal_to_line_id FROM ledger_checkpoints c"
        " LEFT JOIN ledger_seals s ON s.id = c.seal_id ORDER BY c.id DESC LIMIT 1")).first()
    return dict(r._mapping) if r else None


def lock(conn: Connection, *, shared: bool = False) -> None:
    """Until commit, keep other sealers (or, ``shared``, sealers but not verifiers) out.
    A no-op on SQLite, whose write transactions are serialized already."""
    if conn.dialect.name != "sqlite":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        conn.execute(sa.text(f"SELECT {fn}(:k)"), {"k": _LOCK})


def line_deltas(lo: str, hi: str | None) -> str:
    """SQL: each line in (lo, hi] as +qty at its destination and -qty at its source."""
    upto = f" AND id <= {hi}" if hi else ""
    return (f"SELECT owner_id, item_id, to_location_id AS location_id, lot, qty AS q"
            f" FROM movement_lines WHERE id > {lo}{upto} UNION ALL"
            f" SELECT owner_id, item_id, from_location_id, lot, -qty"
            f" FROM movement_lines WHERE id > {lo}{upto}")


def checkpoint_digest(conn: Connection) -> tuple[str, int]:
    """sha256 of ``ledger_checkpoint_sums`` in key order; returns (digest, keys).

    Walks the table in key order a chunk at a time, each chunk's text built by the
    database; the same digest as :func:`_digest_rows` over the whole table."""
    key = ", ".join(_KEY)
    agg = "group_concat(r, '')" if conn.dialect.name == "sqlite" else \
        f"string_agg(r, '' ORDER BY {key})"
    after = f"({key}) > (:o, :i, :l, :t)"
    h, n, last = hashlib.sha256(), 0, None
    while True:
        where = f"WHERE {after}" if last else ""
        params = dict(zip(("o", "i", "l", "t"), last, strict=True)) if last else {}
        bound = conn.execute(sa.text(
            f"SELECT {key} FROM ledger_checkpoint_sums {where} ORDER BY {key}"
            " LIMIT 1 OFFSET :n"), params | {"n": CHUNK - 1}).first()
        upto = f"({key}) <= (:o2, :i2, :l2, :t2)" if bound else "true"
        params |= dict(zip(("o2", "i2", "l2", "t2"), bound, strict=True)) if bound else {}
        count, text = conn.execute(sa.text(
            f"SELECT count(*), {agg} FROM (SELECT {key}, {_text(conn, [*_KEY, 'qty'])} AS r"
            f" FROM ledger_checkpoint_sums WHERE {after if last else 'true'} AND {upto}"
            f" ORDER BY {key}) t"), params).one()
        if count:
            h.update(text.encode())
            n += count
        if bound is None:
            return h.hexdigest(), n
        last = tuple(bound)


def checkpoint_intact(conn: Connection, cp: dict[str, Any]) -> bool:
    """Whether a checkpoint (from :func:`last_checkpoint`) can be built on: its seal
    exists and ends where it does, and the sums table still hashes to its digest."""
    if cp["seal_to_line_id"] != cp["through_line_id"]:
        return False
    want = (cp["digest"], cp["keys"])
    return checkpoint_digest(conn) == want or _digest_rows(conn, sa.text(
        f"SELECT {_text(conn, [*_KEY, 'qty'])} FROM ledger_checkpoint_sums"
        f" ORDER BY {', '.join(_KEY)}"), {}) == want


def _digest_rows(conn: Connection, sql: sa.TextClause, params: dict) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    result = conn.execute(sql.execution_options(stream_results=True, yield_per=CHUNK), params)
    for part in result.partitions(CHUNK):
        h.update("".join([r[0] for r in part]).encode())
        n += len(part)
    return h.hexdigest(), n


@dataclass(frozen=True)
class SealPlan:
    """Everything a seal needs, computed by reads alone."""

    prev_id: int | None
    prev_hash: str
    from_line_id: int
    to_line_id: int
    line_count: int
    hash: str
    base_checkpoint_id: int | None  # the checkpoint built on; None: rebuilt from line 0
    created_at: datetime
    replaces_broken_checkpoint: bool = False
    checkpoint: tuple[str, int] | None = None  # (digest, keys) of the next checkpoint


def prepare_seal(conn: Connection, now: datetime, *, digest: bool = True) -> SealPlan | None:
    """Hash the lines since the last seal and (``digest``) digest the next checkpoint,
    by reads alone; None when nothing new is old enough to seal."""
    prev = last_seal(conn)
    lo = prev["to_line_id"] if prev else 0
    prev_hash = prev["hash"] if prev else GENESIS
    if conn.dialect.name == "sqlite":
        hi = conn.execute(sa.text("SELECT MAX(id) FROM movement_lines")).scalar() or 0
    else:
        hi = conn.execute(
            sa.text(
                "SELECT MAX(l.id) FROM movement_lines l JOIN movements m ON m.id = l.movement_id"
                " WHERE m.created_at <= :h"
            ),
            {"h": now - GRACE},
        ).scalar() or 0
    if hi <= lo:
        return None
    line_hash, n = hash_range(conn, lo, hi, prev_hash)
    cp = last_checkpoint(conn)
    # never build on sums someone edited: start again from the ledger instead
    broken = cp is not None and not checkpoint_intact(conn, cp)
    base = cp["id"] if cp and not broken and prev and cp["seal_id"] == prev["id"] else None
    plan = SealPlan(prev["id"] if prev else None, prev_hash, lo, hi, n, line_hash, base, now,
                    broken)
    if not digest:
        return plan
    parts = line_deltas(":lo" if base else "0", ":hi")
    if base:
        parts += f" UNION ALL SELECT {', '.join(_KEY)}, qty FROM ledger_checkpoint_sums"
    sums = _text(conn, [*_KEY, "SUM(q)"])
    return replace(plan, checkpoint=_digest_rows(conn, sa.text(
        f"SELECT {sums} FROM ({parts}) t GROUP BY {', '.join(_KEY)} HAVING SUM(q) <> 0"
        f" ORDER BY {', '.join(_KEY)}"), {"lo": lo, "hi": hi}))


def write_seal(conn: Connection, plan: SealPlan | None) -> dict[str, Any] | None:
    """Append the planned seal and move the checkpoint to its last line; None if there
    is no plan or another seal was written since it was made. A plan without the next
    checkpoint's digest has it computed here, from the sums just written."""
    if plan is None:
        return None
    lock(conn)
    prev, cp = last_seal(conn), last_checkpoint(conn)
    if (prev["id"] if prev else None) != plan.prev_id or (
            plan.base_checkpoint_id and (cp or {}).get("id") != plan.base_checkpoint_id):
        return None
    row = {"from_line_id": plan.from_line_id, "to_line_id": plan.to_line_id,
           "line_count": plan.line_count, "hash": plan.hash, "prev_hash": plan.prev_hash,
           "created_at": plan.created_at}
    row["id"] = conn.execute(
        sa.text(
            "INSERT INTO ledger_seals (from_line_id, to_line_id, line_count, hash, prev_hash,"
            " created_at) VALUES (:from_line_id, :to_line_id, :line_count, :hash, :prev_hash,"
            " :created_at) RETURNING id"
        ),
        row,
    ).scalar_one()
    key = ", ".join(_KEY)
    if plan.base_checkpoint_id:
        conn.execute(sa.text(
            f"INSERT INTO ledger_checkpoint_sums ({key}, qty) SELECT {key}, SUM(q)"
            f" FROM ({line_deltas(':lo', ':hi')}) t WHERE true GROUP BY {key}"
            f" ON CONFLICT ({key}) DO UPDATE SET qty = ledger_checkpoint_sums.qty + excluded.qty"
        ), {"lo": plan.from_line_id, "hi": plan.to_line_id})
        conn.execute(sa.text(  # keys the seal emptied leave, as the digest has them
            f"DELETE FROM ledger_checkpoint_sums WHERE qty = 0 AND ({key}) IN"
            f" (SELECT {key} FROM ({line_deltas(':lo', ':hi')}) t)"
        ), {"lo": plan.from_line_id, "hi": plan.to_line_id})
    else:
        conn.execute(sa.text("DELETE FROM ledger_checkpoint_sums"))
        conn.execute(sa.text(
            f"INSERT INTO ledger_checkpoint_sums ({key}, qty) SELECT {key}, SUM(q)"
            f" FROM ({line_deltas('0', ':hi')}) t GROUP BY {key} HAVING SUM(q) <> 0"
        ), {"hi": plan.to_line_id})
    digest, keys = plan.checkpoint or checkpoint_digest(conn)
    conn.execute(sa.text(
        "INSERT INTO ledger_checkpoints (seal_id, through_line_id, keys, digest, created_at)"
        " VALUES (:s, :t, :k, :d, :c)"),
        {"s": row["id"], "t": plan.to_line_id, "k": keys, "d": digest, "c": plan.created_at})
    return row | {"checkpoint_keys": keys,
                  "replaced_broken_checkpoint": plan.replaces_broken_checkpoint}


def seal(conn: Connection, now: datetime) -> dict[str, Any] | None:
    """Write the next seal up to the horizon, in this one transaction; None when nothing
    new is old enough. (Run :func:`prepare_seal` in a read transaction and
    :func:`write_seal` in a write one to keep SQLite's write lock for the write alone.)"""
    lock(conn)
    return write_seal(conn, prepare_seal(conn, now, digest=False))


def check_seals(conn: Connection) -> dict[str, Any]:
    """Recompute every seal, oldest first, in one pass over the sealed lines; report how
    many are broken (and the first one)."""
    seals = [dict(r._mapping) for r in conn.execute(
        sa.text("SELECT * FROM ledger_seals ORDER BY id"))]
    broken = []
    prev_hash, prev_to = GENESIS, 0
    for s in seals:
        ok = s["prev_hash"] == prev_hash and s["from_line_id"] == prev_to
        if ok:
            want = (s["hash"], s["line_count"])
            got = hash_range(conn, s["from_line_id"], s["to_line_id"], prev_hash)
            if got != want:
                got = hash_range_rows(conn, s["from_line_id"], s["to_line_id"], prev_hash)
            ok = got == want
        if not ok:
            broken.append(s["id"])
        prev_hash, prev_to = s["hash"], s["to_line_id"]
    return {"seals": len(seals), "broken_seals": len(broken),
            "first_broken_seal": broken[0] if broken else None,
            "sealed_through_line": prev_to}
