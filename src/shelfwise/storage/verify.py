"""Recompute every balance from the ledger and compare: the auditor's check.

All set-based SQL: balances from movement lines (GROUP BY), stock levels from balances
and location kinds, allocations from pending holds, conservation per item.

Two ways to get the ledger's sum per stock key, which agree whenever the books are
intact (a test holds them to it):

* ``full=True`` re-adds every ledger line. It trusts nothing but the ledger itself.
* by default, the newest **checkpoint** (the sums up to a seal, see
  :mod:`shelfwise.storage.seals`) plus the lines posted after it. The checkpoint is used
  only if its sums still hash to the digest recorded with it and its seal exists;
  otherwise verify says so (``broken_checkpoints``) and falls back to the full sum.

What the default guarantees, together with :func:`seals.check_seals` (``stock.verify``
runs both in one read transaction): every sealed line and its movement is exactly as
sealed (any edit, deletion or insertion among them breaks a seal), the checkpoint is
exactly as that seal wrote it, and every balance equals checkpoint + later lines, i.e.
the sum of the whole ledger. It assumes what the chain itself assumes: that the seal and
checkpoint headers (append-only, like the ledger) were not rewritten together with the
rows they vouch for; compare the newest seal's hash with a copy kept elsewhere to rule
that out, or run the full check. Lines after the last seal are not hashed by anyone:
an edit there shows only if it makes the ledger and the balances disagree.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.locations import LocationKind, buckets_for
from shelfwise.storage import seals

_LEDGER_BALANCES = """
SELECT owner_id, item_id, location_id, lot, SUM(q) AS qty FROM (
  SELECT owner_id, item_id, to_location_id AS location_id, lot, qty AS q FROM movement_lines
  UNION ALL
  SELECT owner_id, item_id, from_location_id AS location_id, lot, -qty AS q FROM movement_lines
) t GROUP BY owner_id, item_id, location_id, lot
"""


def _bucket_case(bucket: str) -> str:
    kinds = [k.value for k in LocationKind if bucket in buckets_for(k)]
    if not kinds:
        return "0"
    listed = ", ".join(f"'{k}'" for k in kinds)
    return f"SUM(CASE WHEN l.kind IN ({listed}) THEN b.qty ELSE 0 END)"


_KEY_MATCH = ("{a}.owner_id = {b}.owner_id AND {a}.item_id = {b}.item_id"
              " AND {a}.location_id = {b}.location_id AND {a}.lot = {b}.lot")

_FULL_MISMATCHES = f"""
    WITH x AS ({_LEDGER_BALANCES})
    SELECT COALESCE(x.owner_id, b.owner_id) AS owner_id,
           COALESCE(x.item_id, b.item_id) AS item_id,
           COALESCE(x.location_id, b.location_id) AS location_id,
           COALESCE(x.lot, b.lot) AS lot, x.qty AS ledger_qty, b.qty AS balance_qty
    FROM x FULL OUTER JOIN balances b
      ON b.owner_id = x.owner_id AND b.item_id = x.item_id
     AND b.location_id = x.location_id AND b.lot = x.lot
    WHERE COALESCE(x.qty, 0) <> COALESCE(b.qty, 0)
"""

_DELTA = f"""d AS MATERIALIZED (
      SELECT owner_id, item_id, location_id, lot, SUM(q) AS qty
      FROM ({seals.line_deltas(":through", None)}) t
      GROUP BY owner_id, item_id, location_id, lot)"""

# checkpoint c + lines after it (d) vs balances b. SQLite: walked from each side by key
# lookups (its FULL JOIN of a subquery has no index to use); PostgreSQL: hash full joins
# (it would otherwise pick 400k nested-loop probes).
_CHECKPOINT_MISMATCHES_SQLITE = f"""
    WITH {_DELTA}
    SELECT owner_id, item_id, location_id, lot, ledger_qty, balance_qty FROM (
      SELECT b.owner_id, b.item_id, b.location_id, b.lot,
             COALESCE(c.qty, 0) + COALESCE(d.qty, 0) AS ledger_qty, b.qty AS balance_qty
      FROM balances b
      LEFT JOIN ledger_checkpoint_sums c ON {_KEY_MATCH.format(a="c", b="b")}
      LEFT JOIN d ON {_KEY_MATCH.format(a="d", b="b")}
      UNION ALL
      SELECT c.owner_id, c.item_id, c.location_id, c.lot, c.qty + COALESCE(d.qty, 0), NULL
      FROM ledger_checkpoint_sums c LEFT JOIN d ON {_KEY_MATCH.format(a="d", b="c")}
      WHERE NOT EXISTS (SELECT 1 FROM balances b WHERE {_KEY_MATCH.format(a="b", b="c")})
      UNION ALL
      SELECT d.owner_id, d.item_id, d.location_id, d.lot, d.qty, NULL FROM d
      WHERE NOT EXISTS (SELECT 1 FROM balances b WHERE {_KEY_MATCH.format(a="b", b="d")})
        AND NOT EXISTS (SELECT 1 FROM ledger_checkpoint_sums c
                        WHERE {_KEY_MATCH.format(a="c", b="d")})
    ) t WHERE COALESCE(ledger_qty, 0) <> COALESCE(balance_qty, 0)
"""

_CHECKPOINT_MISMATCHES_POSTGRES = f"""
    WITH {_DELTA},
    x AS (
      SELECT COALESCE(c.owner_id, d.owner_id) AS owner_id,
             COALESCE(c.item_id, d.item_id) AS item_id,
             COALESCE(c.location_id, d.location_id) AS location_id,
             COALESCE(c.lot, d.lot) AS lot, COALESCE(c.qty, 0) + COALESCE(d.qty, 0) AS qty
      FROM ledger_checkpoint_sums c FULL JOIN d ON {_KEY_MATCH.format(a="d", b="c")})
    SELECT COALESCE(x.owner_id, b.owner_id) AS owner_id,
           COALESCE(x.item_id, b.item_id) AS item_id,
           COALESCE(x.location_id, b.location_id) AS location_id,
           COALESCE(x.lot, b.lot) AS lot, x.qty AS ledger_qty, b.qty AS balance_qty
    FROM x FULL JOIN balances b ON {_KEY_MATCH.format(a="b", b="x")}
    WHERE COALESCE(x.qty, 0) <> COALESCE(b.qty, 0)
"""


def _usable_checkpoint(conn: Connection) -> tuple[dict[str, Any] | None, bool]:
    """(the newest checkpoint if it can be trusted, whether one exists but cannot)."""
    cp = seals.last_checkpoint(conn)
    if cp is None:
        return None, False
    return (cp, False) if seals.checkpoint_intact(conn, cp) else (None, True)


def _ledger_mismatches(conn: Connection, full: bool, report: dict[str, Any]) -> list:
    cp, broken = (None, False) if full else _usable_checkpoint(conn)
    report["mode"] = "checkpoint" if cp else "full"
    report["checkpoint_through_line"] = cp["through_line_id"] if cp else None
    report["broken_checkpoints"] = int(broken)
    if cp is None:
        return conn.execute(sa.text(_FULL_MISMATCHES)).all()
    sql = _CHECKPOINT_MISMATCHES_SQLITE if conn.dialect.name == "sqlite" else \
        _CHECKPOINT_MISMATCHES_POSTGRES
    return conn.execute(sa.text(sql),
                        {"through": cp["through_line_id"]}).all()


def verify(conn: Connection, sample_limit: int = 20, *, full: bool = False) -> dict[str, Any]:
    """Return counts of every kind of mismatch (all zero when the books are right).

    By default the ledger side starts from the newest intact checkpoint (see the module
    docstring for what that guarantees); ``full`` re-adds the whole ledger."""
    report: dict[str, Any] = {}
    seals.lock(conn, shared=True)  # no seal may move the checkpoint while we read it
    mism = _ledger_mismatches(conn, full, report)
    report["balance_mismatches"] = len(mism)
    report["balance_mismatch_sample"] = [dict(r._mapping) for r in mism[:sample_limit]]
    report["negative_physical"] = conn.execute(
        sa.text("SELECT COUNT(*) FROM balances WHERE guarded = :t AND qty < 0"), {"t": True}
    ).scalar()
    report["conservation_violations"] = conn.execute(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT owner_id, item_id FROM balances"
            " GROUP BY owner_id, item_id HAVING SUM(qty) <> 0) t"
        )
    ).scalar()
    buckets = ("on_hand", "sellable", "receiving", "in_process", "held", "in_transit")
    sums = ", ".join(f"{_bucket_case(b)} AS {b}" for b in buckets)
    level_cmp = " OR ".join(f"COALESCE(r.{b}, 0) <> COALESCE(s.{b}, 0)" for b in buckets)
    recomputed = (
        f"SELECT b.owner_id, b.item_id, b.facility_id, {sums} FROM balances b"
        " JOIN locations l ON l.id = b.location_id"
        " GROUP BY b.owner_id, b.item_id, b.facility_id"
    )
    report["level_mismatches"] = (
        conn.execute(
            sa.text(f"""
        SELECT COUNT(*) FROM ({recomputed}) r
        LEFT JOIN stock_levels s ON s.owner_id = r.owner_id AND s.item_id = r.item_id
          AND s.facility_id = r.facility_id
        WHERE {level_cmp}
    """)
        ).scalar()
        + conn.execute(
            sa.text(f"""
        SELECT COUNT(*) FROM stock_levels s WHERE NOT EXISTS (
          SELECT 1 FROM balances b WHERE b.owner_id = s.owner_id AND b.item_id = s.item_id
          AND b.facility_id = s.facility_id) AND ({" OR ".join(f"s.{b} <> 0" for b in buckets)})
    """)
        ).scalar()
    )
    report["allocation_mismatches"] = (
        conn.execute(
            sa.text("""
        SELECT COUNT(*) FROM stock_levels s LEFT JOIN (
          SELECT owner_id, item_id, facility_id, SUM(qty) AS q FROM holds
          WHERE state = 'pending' GROUP BY owner_id, item_id, facility_id) h
        ON h.owner_id = s.owner_id AND h.item_id = s.item_id AND h.facility_id = s.facility_id
        WHERE s.allocated <> COALESCE(h.q, 0)
    """)
        ).scalar()
        + conn.execute(
            sa.text("""
        SELECT COUNT(*) FROM balances b LEFT JOIN (
          SELECT owner_id, item_id, location_id, lot, SUM(qty) AS q FROM holds
          WHERE state = 'pending' AND location_id IS NOT NULL
          GROUP BY owner_id, item_id, location_id, lot) h
        ON h.owner_id = b.owner_id AND h.item_id = b.item_id AND h.location_id = b.location_id
          AND h.lot = b.lot
        WHERE b.allocated <> COALESCE(h.q, 0)
    """)
        ).scalar()
    )
    report["oversold"] = conn.execute(
        sa.text("SELECT COUNT(*) FROM stock_levels WHERE allocated > sellable")
    ).scalar()
    report["movements"] = conn.execute(sa.text("SELECT COUNT(*) FROM movements")).scalar()
    report["ledger_lines"] = conn.execute(sa.text("SELECT COUNT(*) FROM movement_lines")).scalar()
    problems = (
        "balance_mismatches",
        "negative_physical",
        "conservation_violations",
        "level_mismatches",
        "allocation_mismatches",
        "oversold",
        "broken_checkpoints",
    )
    report["ok"] = all(report[k] == 0 for k in problems)
    return report
