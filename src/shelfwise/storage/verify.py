"""Recompute every balance from the ledger and compare: the auditor's check.

All set-based SQL: balances from movement lines (GROUP BY), stock levels from balances
and location kinds, allocations from pending holds, conservation per item.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.locations import LocationKind, buckets_for

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


def verify(conn: Connection, sample_limit: int = 20) -> dict[str, Any]:
    """Return counts of every kind of mismatch (all zero when the books are right)."""
    report: dict[str, Any] = {}
    mism = conn.execute(
        sa.text(f"""
        WITH x AS ({_LEDGER_BALANCES})
        SELECT COALESCE(x.owner_id, b.owner_id) AS owner_id,
               COALESCE(x.item_id, b.item_id) AS item_id,
               COALESCE(x.location_id, b.location_id) AS location_id,
               COALESCE(x.lot, b.lot) AS lot, x.qty AS ledger_qty, b.qty AS balance_qty
        FROM x FULL OUTER JOIN balances b
          ON b.owner_id = x.owner_id AND b.item_id = x.item_id
         AND b.location_id = x.location_id AND b.lot = x.lot
        WHERE COALESCE(x.qty, 0) <> COALESCE(b.qty, 0)
    """)
    ).all()
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
    )
    report["ok"] = all(report[k] == 0 for k in problems)
    return report
