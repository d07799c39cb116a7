"""Rebuild balances and stock levels from the ledger, set-based.

Used after bulk loads (benchmarks, imports of history) — the ledger is the truth and
these tables are derived from it; ``verify`` checks they agree.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from shelfwise.domain.locations import LocationKind, buckets_for, is_guarded
from shelfwise.storage.verify import _LEDGER_BALANCES, _bucket_case


def rebuild_balances(conn: Connection) -> None:
    guarded = ", ".join(f"'{k.value}'" for k in LocationKind if is_guarded(k))
    conn.exec_driver_sql("DELETE FROM balances")
    conn.exec_driver_sql(f"""
        INSERT INTO balances (owner_id, item_id, location_id, lot, facility_id, qty, allocated,
                              guarded)
        SELECT x.owner_id, x.item_id, x.location_id, x.lot, l.facility_id, x.qty,
               COALESCE(h.q, 0), l.kind IN ({guarded})
        FROM ({_LEDGER_BALANCES}) x JOIN locations l ON l.id = x.location_id
        LEFT JOIN (SELECT owner_id, item_id, location_id, lot, SUM(qty) AS q FROM holds
                   WHERE state = 'pending' AND location_id IS NOT NULL
                   GROUP BY owner_id, item_id, location_id, lot) h
          ON h.owner_id = x.owner_id AND h.item_id = x.item_id AND h.location_id = x.location_id
          AND h.lot = x.lot
        WHERE x.qty <> 0 OR h.q IS NOT NULL
    """)
    buckets = ("on_hand", "sellable", "receiving", "in_process", "held", "in_transit")
    assert all(any(b in buckets_for(k) for k in LocationKind) for b in buckets)
    conn.exec_driver_sql("DELETE FROM stock_levels")
    conn.exec_driver_sql(f"""
        INSERT INTO stock_levels (owner_id, item_id, facility_id, {", ".join(buckets)}, allocated)
        SELECT r.owner_id, r.item_id, r.facility_id, {", ".join("r." + b for b in buckets)},
               COALESCE(h.q, 0)
        FROM (SELECT b.owner_id, b.item_id, b.facility_id,
                     {", ".join(f"{_bucket_case(b)} AS {b}" for b in buckets)}
              FROM balances b JOIN locations l ON l.id = b.location_id
              GROUP BY b.owner_id, b.item_id, b.facility_id) r
        LEFT JOIN (SELECT owner_id, item_id, facility_id, SUM(qty) AS q FROM holds
                   WHERE state = 'pending' GROUP BY owner_id, item_id, facility_id) h
          ON h.owner_id = r.owner_id AND h.item_id = r.item_id AND h.facility_id = r.facility_id
    """)
