"""The EDI exchange folder: partners (or an SFTP sync) drop files in ``inbox/``; each is
imported, its 997 is written to ``outbox/`` and the file moves to ``processed/`` or
``rejected/`` (with a ``.errors.json`` saying what was wrong, segment and element).
Outbound 945/856 (order shipped) and 944 (receipt closed) for documents that came in by
EDI are written to ``outbox/`` as the events appear in the outbox table.

Files whose name starts with ``.`` or ends in ``.tmp``/``.part`` are still being written
and are left alone. A file is moved only after its import committed; if the process
dies in between, the next run sees the same control numbers and files it as a duplicate
(nothing is created twice).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shelfwise.integrations import cursors
from shelfwise.integrations.edi.adapters import import_interchange
from shelfwise.integrations.edi.exports import (
    OUTBOUND_CURSOR,
    render_944,
    render_shipment,
)
from shelfwise.services.context import Context
from shelfwise.storage.integration_tables import integration_links as links
from shelfwise.storage.tables import outbox

FOLDERS = ("inbox", "processed", "rejected", "outbox")
_PARTIAL = (".tmp", ".part")


def folders(root: str | Path) -> dict[str, Path]:
    base = Path(root)
    out = {name: base / name for name in FOLDERS}
    for p in out.values():
        p.mkdir(parents=True, exist_ok=True)
    return out


def run_once(ctx: Context, root: str | Path, user: str = "edi") -> dict[str, Any]:
    """Process every complete file in ``inbox/`` and write pending outbound documents."""
    f = folders(root)
    imported = []
    for path in sorted(p for p in f["inbox"].iterdir() if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(_PARTIAL):
            continue
        report = import_interchange(ctx, path.read_bytes(), user=user)
        if report.ack is not None:
            (f["outbox"] / f"{path.stem}.997.edi").write_text(report.ack)
        target = f["processed" if report.accepted else "rejected"] / path.name
        if not report.accepted:
            (f["rejected"] / f"{path.name}.errors.json").write_text(
                json.dumps(report.to_dict(), indent=2, default=str))
        path.replace(target)
        imported.append({"file": path.name, **report.to_dict()})
    return {"imported": imported, "exported": export_pending(ctx, f["outbox"])}


def export_pending(ctx: Context, out_dir: Path) -> list[str]:
    """945 + 856 for every EDI order shipped, 944 for every EDI receipt closed, since the
    last run (a cursor over the outbox, advanced after the files are written)."""
    with ctx.write() as conn:
        position, _ = cursors.read(conn, OUTBOUND_CURSOR)
    with ctx.read() as conn:
        events = conn.execute(sa.select(outbox.c.id, outbox.c.topic, outbox.c.owner_id,
                                        outbox.c.payload)
                              .where(outbox.c.id > position,
                                     outbox.c.topic.in_(("order.shipped", "receipt.closed")))
                              .order_by(outbox.c.id)).all()
        top = conn.execute(sa.select(sa.func.max(outbox.c.id))).scalar() or position
        linked = {(r.document_type, r.document_id) for r in conn.execute(
            sa.select(links.c.document_type, links.c.document_id))} if events else set()
    written = []
    for e in events:
        p = json.loads(e.payload)
        if e.topic == "order.shipped" and ("order", p["order_id"]) in linked:
            for kind in ("945", "856"):
                text, name = render_shipment(ctx, kind, e.owner_id, p["order_id"])
                (out_dir / name).write_text(text)
                written.append(name)
        elif e.topic == "receipt.closed" and ("receipt", p.get("receipt_id")) in linked:
            text, name = render_944(ctx, e.owner_id, p["receipt_id"])
            (out_dir / name).write_text(text)
            written.append(name)
    with ctx.write() as conn:
        cursors.advance(conn, OUTBOUND_CURSOR, max(top, position), ctx.now(),
                        last_run_at=ctx.now())
    return written


def watch(ctx: Context, root: str | Path, interval_s: float = 5.0,
          should_stop: Callable[[], bool] = lambda: False) -> None:
    """Poll the folder until ``should_stop()`` (Ctrl-C from the CLI)."""
    while not should_stop():
        run_once(ctx, root)
        time.sleep(interval_s)
