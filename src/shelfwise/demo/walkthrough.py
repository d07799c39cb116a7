"""Today's walkthrough: the commands of the README's tour with the ids of *this* demo.

The demo's history ends today, so which receipt is open, which wave is half picked and
which bin waits for a count depend on the day it was seeded. Rather than print ids that
are right on one day only, ``shelfwise demo`` looks them up and prints commands that
work as they are.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.storage.counting_tables import count_tasks
from shelfwise.storage.outbound_tables import pick_tasks, waves
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import item_gtins, locations


def _gtin(conn: sa.Connection, item_id: int) -> str:
    """The item's unit GTIN as a handheld reads it off the retail label (GTIN-13)."""
    codes = sorted(conn.execute(sa.select(item_gtins.c.gtin)
                                .where(item_gtins.c.item_id == item_id)).scalars())
    unit = next((c for c in codes if c.startswith("0")), codes[0] if codes else "")
    return unit[1:] if unit.startswith("0") else unit


def find(ctx: Context) -> dict[str, Any]:
    """Ids and scans for each step of the tour (a step is missing when the demo has no
    such document open)."""
    out: dict[str, Any] = {}
    with ctx.read() as conn:
        rc = conn.execute(
            sa.select(receipts.c.id, receipts.c.reference, receipts.c.facility_id,
                      receipt_lines.c.item_id, receipt_lines.c.expected_qty)
            .join(receipt_lines, receipt_lines.c.receipt_id == receipts.c.id)
            .where(receipts.c.state == "open")
            .order_by(receipts.c.id, receipt_lines.c.id).limit(1)).first()
        if rc is not None:
            dock = conn.execute(sa.select(locations.c.barcode).where(
                locations.c.facility_id == rc.facility_id, locations.c.kind == "receiving")
                .order_by(locations.c.code).limit(1)).scalar()
            out["receipt"] = {"id": rc.id, "reference": rc.reference, "dock": dock,
                              "gtin": _gtin(conn, rc.item_id), "qty": int(rc.expected_qty)}
        pt = conn.execute(
            sa.select(pick_tasks.c.id, pick_tasks.c.wave_id, pick_tasks.c.item_id,
                      locations.c.barcode)
            .join(waves, waves.c.id == pick_tasks.c.wave_id)
            .join(locations, locations.c.id == pick_tasks.c.location_id)
            .where(pick_tasks.c.state == "open", waves.c.state == "picking")
            .order_by(pick_tasks.c.wave_id, pick_tasks.c.id).limit(1)).first()
        if pt is not None:
            out["pick"] = {"wave_id": pt.wave_id, "task_id": pt.id, "bin": pt.barcode,
                           "gtin": _gtin(conn, pt.item_id)}
        ct = conn.execute(
            sa.select(count_tasks.c.id, locations.c.barcode)
            .join(locations, locations.c.id == count_tasks.c.location_id)
            .where(count_tasks.c.state == "open")
            .order_by(count_tasks.c.id).limit(1)).first()
        if ct is not None:
            out["count"] = {"task_id": ct.id, "bin": ct.barcode}
    return out


def commands(found: dict[str, Any]) -> list[str]:
    """The tour as shell commands, with today's ids."""
    lines = []
    if r := found.get("receipt"):
        lines += [f"shelfwise receive {r['id']} --location-scan {r['dock']} "
                  f"--item-scan {r['gtin']} --qty {r['qty']}    # {r['reference']}",
                  f"shelfwise receive {r['id']} --close"]
    if p := found.get("pick"):
        lines += [f"curl -s -H \"Authorization: Bearer $SHELFWISE_TOKEN\" "
                  f"http://127.0.0.1:8000/api/waves/{p['wave_id']}/tasks",
                  f"shelfwise pick {p['task_id']} --location-scan {p['bin']} "
                  f"--item-scan {p['gtin']}"]
    if c := found.get("count"):
        lines.append(f"shelfwise count {c['task_id']} --location-scan {c['bin']} "
                     "--line <product scan>=<qty found>")
    return lines
