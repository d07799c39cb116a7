"""Seals: a hash chain over the ledger, so tampering below the triggers is detectable.

A seal hashes every ledger line (with its movement's who/why/when) from the previous
seal's last line up to a horizon, chained to the previous seal's hash. Sealing only
reads committed rows and writes one seal row, so it never blocks postings; on
PostgreSQL the horizon stays a grace period behind the newest posting, because line
ids are handed out before commit and a slow transaction could still commit a lower id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

GENESIS = "0" * 64
GRACE = timedelta(minutes=2)

_ROWS = sa.text(
    "SELECT l.id, l.movement_id, l.owner_id, l.item_id, l.lot, l.from_location_id,"
    " l.to_location_id, l.qty, m.type, m.reason, m.user_name, m.device, m.document_type,"
    " m.document_id, m.scans, m.created_at"
    " FROM movement_lines l JOIN movements m ON m.id = l.movement_id"
    " WHERE l.id > :lo AND l.id <= :hi ORDER BY l.id"
)


def hash_range(conn: Connection, lo: int, hi: int, prev_hash: str) -> tuple[str, int]:
    """sha256(prev_hash, every line in (lo, hi] in id order); returns (hash, line count)."""
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


def seal(conn: Connection, now: datetime) -> dict[str, Any] | None:
    """Write the next seal up to the horizon; None when nothing new is old enough."""
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
    digest, n = hash_range(conn, lo, hi, prev_hash)
    row = {"from_line_id": lo, "to_line_id": hi, "line_count": n, "hash": digest,
           "prev_hash": prev_hash, "created_at": now}
    conn.execute(
        sa.text(
            "INSERT INTO ledger_seals (from_line_id, to_line_id, line_count, hash, prev_hash,"
            " created_at) VALUES (:from_line_id, :to_line_id, :line_count, :hash, :prev_hash,"
            " :created_at)"
        ),
        row,
    )
    return row


def check_seals(conn: Connection) -> dict[str, Any]:
    """Recompute every seal; report how many are broken (and the first one)."""
    seals = [dict(r._mapping) for r in conn.execute(
        sa.text("SELECT * FROM ledger_seals ORDER BY id"))]
    broken = []
    prev_hash, prev_to = GENESIS, 0
    for s in seals:
        digest, n = hash_range(conn, s["from_line_id"], s["to_line_id"], prev_hash)
        if (s["prev_hash"] != prev_hash or s["from_line_id"] != prev_to or digest != s["hash"]
                or n != s["line_count"]):
            broken.append(s["id"])
        prev_hash, prev_to = s["hash"], s["to_line_id"]
    return {"seals": len(seals), "broken_seals": len(broken),
            "first_broken_seal": broken[0] if broken else None,
            "sealed_through_line": prev_to}
