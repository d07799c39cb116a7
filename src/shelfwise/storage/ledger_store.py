"""Writing the ledger: movements, balances, stock levels, holds, outbox, idempotency keys.

Locking lives here, in one place. Every multi-row write goes in a fixed key order, and
every availability check is a conditional UPDATE (``... WHERE sellable - allocated >=
:qty``) so the check and the reservation are one atomic step in the database, on SQLite
and on PostgreSQL alike. CHECK constraints on the tables back the same invariants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.ledger import Deltas, LocationFacts, MovementCommand
from shelfwise.domain.locations import BUCKETS, is_guarded
from shelfwise.storage.tables import (
    TS,
    holds,
    idempotency_keys,
    movement_lines,
    movements,
    outbox,
)

_BALANCE_UPSERT = sa.text(
    "INSERT INTO balances (owner_id, item_id, location_id, lot, facility_id, qty, allocated,"
    " guarded) VALUES (:owner_id, :item_id, :location_id, :lot, :facility_id, :qty, 0, :guarded)"
    " ON CONFLICT (owner_id, item_id, location_id, lot)"
    " DO UPDATE SET qty = balances.qty + excluded.qty"
)

_LEVEL_COLS = ", ".join(BUCKETS)
_LEVEL_UPSERT = sa.text(
    f"INSERT INTO stock_levels (owner_id, item_id, facility_id, {_LEVEL_COLS}, allocated)"
    f" VALUES (:owner_id, :item_id, :facility_id, {', '.join(':' + b for b in BUCKETS)}, 0)"
    " ON CONFLICT (owner_id, item_id, facility_id) DO UPDATE SET "
    + ", ".join(f"{b} = stock_levels.{b} + excluded.{b}" for b in BUCKETS)
)


_KEYS_SELECT = sa.text(
    "SELECT key, request_hash, response FROM idempotency_keys WHERE key IN :keys"
).bindparams(sa.bindparam("keys", expanding=True))
_INSERT_MOVEMENT = sa.insert(movements).returning(movements.c.id)
_INSERT_MOVEMENTS = sa.insert(movements).returning(movements.c.id, sort_by_parameter_order=True)
_INSERT_LINES = sa.insert(movement_lines)
_INSERT_KEYS = sa.insert(idempotency_keys)
_INSERT_EVENTS = sa.insert(outbox)


_DRIVER_SQL: dict[tuple[str, str], str] = {}
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def executemany(conn: Connection, sql: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run one write for many rows with the driver's own ``executemany``; returns the
    rows it changed.

    For the per-line writes of busy workflows: SQLAlchemy spends ~15 µs a row
    processing parameters in Python, the driver a third of that. ``sql`` names its
    parameters ``:name`` (and has no ``:word`` inside a string literal); values must be
    numbers, strs or None (pass times through :func:`db_time`). Same statement, same
    transaction, same locks as ``conn.execute``.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    key = (sql, dialect.name)
    text = _DRIVER_SQL.get(key)
    if text is None:
        if dialect.driver == "pysqlite":
            text = sql  # sqlite3 takes :name with dicts as it is
        elif dialect.paramstyle == "pyformat":
            text = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
        else:
            return conn.execute(sa.text(sql), list(rows)).rowcount
        _DRIVER_SQL[key] = text
    return conn.exec_driver_sql(text, list(rows)).rowcount


def db_time(conn: Connection, at: datetime | None) -> Any:
    """A timestamp as the driver stores it in a ``TS`` column (for :func:`executemany`)."""
    process = _TIME_BIND.get(conn.dialect.name, False)
    if process is False:
        process = TS.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        _TIME_BIND[conn.dialect.name] = process
    return process(at) if process is not None and at is not None else at


_TIME_BIND: dict[str, Any] = {}
_INSERT_IDS: dict[str, Any] = {}
_BINDS: dict[tuple[str, str, tuple[str, ...]], list[tuple[int, Any]]] = {}
_ROWS_PER_INSERT = 500


def insert_ids(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` (all with the same keys) and return their new ids in row order.

    PostgreSQL: SQLAlchemy's ordered RETURNING batches the rows. SQLite cannot order
    RETURNING, so SQLAlchemy would send one INSERT per row; here the rows go as
    multi-row ``INSERT ... RETURNING id`` statements and the ids are sorted. That is
    exact on SQLite: a writer holds the database lock (``BEGIN IMMEDIATE``) and each new
    rowid is one above the largest, so ids grow in the order the rows are inserted.
    """
    if not rows:
        return []
    dialect = conn.dialect
    if dialect.name != "sqlite":
        stmt = _INSERT_IDS.get(table.name)
        if stmt is None:
            stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
            _INSERT_IDS[table.name] = stmt
        if len(rows) == 1:
            return [conn.execute(stmt, rows[0]).scalar_one()]
        return [r[0] for r in conn.execute(stmt, list(rows))]
    cols = tuple(rows[0])
    binds = _bind_processors(dialect, table, cols)
    quote = dialect.identifier_preparer.quote
    head = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) VALUES ")
    marks = "(" + ", ".join("?" * len(cols)) + ")"
    # bound parameters per statement: 999, or 32766 from SQLite 3.32 (SQLAlchemy knows which)
    per = max(1, min(_ROWS_PER_INSERT, dialect.insertmanyvalues_max_parameters // len(cols)))
    ids: list[int] = []
    for n in range(0, len(rows), per):
        chunk = rows[n:n + per]
        flat: list[Any] = []
        for row in chunk:
            values = [row[c] for c in cols]
            for i, process in binds:
                values[i] = process(values[i])
            flat += values
        sql = head + ", ".join([marks] * len(chunk)) + " RETURNING id"
        ids += [r[0] for r in conn.exec_driver_sql(sql, tuple(flat))]
    if len(ids) != len(rows):
        raise AssertionError(f"inserted {len(rows)} rows into {table.name}, got {len(ids)} ids")
    ids.sort()
    return ids


def _bind_processors(dialect: Any, table: sa.Table, cols: tuple[str, ...]
                     ) -> list[tuple[int, Any]]:
    """Per column position, the dialect's conversion of a Python value (times, bytes)."""
    key = (dialect.name, table.name, cols)
    found = _BINDS.get(key)
    if found is None:
        found = []
        for i, c in enumerate(cols):
            process = table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                found.append((i, process))
        _BINDS[key] = found
    return found


def as_dicts(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    """A result's rows as plain dicts (a third of the cost of ``dict(row._mapping)``,
    which matters when a workflow reads hundreds of task or line rows per command)."""
    keys = list(result.keys())
    return [dict(zip(keys, r, strict=True)) for r in result]


def existing_keys(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[str, Any]]:
    """Idempotency keys already used: key -> (request hash, stored response)."""
    if not keys:
        return {}
    rows = conn.execute(_KEYS_SELECT, {"keys": list(keys)})
    return {r.key: (r.request_hash, json.loads(r.response or "null")) for r in rows}


def claim_keys(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert idempotency keys with their response. A concurrent twin of the same key
    blocks here until the first commits, then fails on the primary key and replays."""
    if rows:
        conn.execute(_INSERT_KEYS, list(rows))


def insert_movements(conn: Connection, cmds: Sequence[MovementCommand], now: datetime) -> list[int]:
    rows = [
        {
            "owner_id": c.owner_id,
            "type": str(c.type),
            "reason": c.reason,
            "document_type": c.document_type,
            "document_id": c.document_id,
            "user_name": c.user,
            "device": c.device,
            "scans": json.dumps(list(c.scans)) if c.scans else "[]",
            "note": c.note,
            "created_at": now,
        }
        for c in cmds
    ]
    if len(rows) == 1:
        return [conn.execute(_INSERT_MOVEMENT, rows[0]).scalar_one()]
    result = conn.execute(_INSERT_MOVEMENTS, rows)
    return [r[0] for r in result]


def insert_lines(
    conn: Connection, cmds: Sequence[MovementCommand], movement_ids: Sequence[int]
) -> None:
    rows = [
        {
            "movement_id": mid,
            "owner_id": c.owner_id,
            "item_id": ln.item_id,
            "lot": ln.lot,
            "from_location_id": ln.from_location_id,
            "to_location_id": ln.to_location_id,
            "qty": ln.qty,
        }
        for c, mid in zip(cmds, movement_ids, strict=True)
        for ln in c.lines
    ]
    conn.execute(_INSERT_LINES, rows)


class MissingStock(Exception):
    """A decrement found no row to take from: the stock key holds nothing."""


_BALANCE_TAKE = sa.text(
    "UPDATE balances SET qty = qty + :qty"
    " WHERE owner_id = :owner_id AND item_id = :item_id AND location_id = :location_id"
    " AND lot = :lot"
)
_LEVEL_TAKE = sa.text(
    "UPDATE stock_levels SET "
    + ", ".join(f"{b} = {b} + :{b}" for b in BUCKETS)
    + " WHERE owner_id = :owner_id AND item_id = :item_id AND facility_id = :facility_id"
)


def lock_rows(conn: Connection, deltas: Deltas) -> None:
    """PostgreSQL: lock every existing row the movement touches, in key order, first.

    After this the writes below cannot deadlock with another posting however their
    keys interleave. SQLite needs nothing: ``BEGIN IMMEDIATE`` already serialises writers.
    """
    if conn.dialect.name == "sqlite":
        return
    bkeys = sorted(k for k, q in deltas.balances.items() if q != 0)
    if bkeys:
        conn.execute(
            sa.text(
                "SELECT 1 FROM balances WHERE (owner_id, item_id, location_id, lot) IN ("
                + ", ".join(f"(:o{n}, :i{n}, :l{n}, :t{n})" for n in range(len(bkeys)))
                + ") ORDER BY owner_id, item_id, location_id, lot FOR UPDATE"
            ),
            {f"{p}{n}": v for n, k in enumerate(bkeys) for p, v in zip("oilt", k, strict=True)},
        )
    lkeys = sorted(deltas.levels)
    if lkeys:
        conn.execute(
            sa.text(
                "SELECT 1 FROM stock_levels WHERE (owner_id, item_id, facility_id) IN ("
                + ", ".join(f"(:o{n}, :i{n}, :f{n})" for n in range(len(lkeys)))
                + ") ORDER BY owner_id, item_id, facility_id FOR UPDATE"
            ),
            {f"{p}{n}": v for n, k in enumerate(lkeys) for p, v in zip("oif", k, strict=True)},
        )


def apply_deltas(conn: Connection, deltas: Deltas, locations: Mapping[int, LocationFacts]) -> None:
    """Add the movement's deltas to balances and stock levels, in key order.

    Takes (negative deltas on guarded stock) are UPDATEs that must find their row; a
    CHECK constraint refuses any that would go below zero. Everything else is an
    upsert. Either failure makes the caller roll back and explain the shortfall.
    """
    lock_rows(conn, deltas)
    takes, puts = [], []
    for k, q in sorted(deltas.balances.items()):
        if q == 0:
            continue
        guarded = is_guarded(locations[k[2]].kind)
        row = {
            "owner_id": k[0],
            "item_id": k[1],
            "location_id": k[2],
            "lot": k[3],
            "facility_id": locations[k[2]].facility_id,
            "qty": q,
            "guarded": guarded,
        }
        (takes if guarded and q < 0 else puts).append(row)
    if takes and conn.execute(_BALANCE_TAKE, takes).rowcount != len(takes):
        raise MissingStock()
    if puts:
        conn.execute(_BALANCE_UPSERT, puts)
    ltakes, lputs = [], []
    for k, figures in sorted(deltas.levels.items()):
        if not any(figures.values()):
            continue
        row = {"owner_id": k[0], "item_id": k[1], "facility_id": k[2]}
        row.update({b: figures.get(b, 0) for b in BUCKETS})
        (ltakes if any(v < 0 for v in figures.values()) else lputs).append(row)
    if ltakes and conn.execute(_LEVEL_TAKE, ltakes).rowcount != len(ltakes):
        raise MissingStock()
    if lputs:
        conn.execute(_LEVEL_UPSERT, lputs)


def insert_events(conn: Connection, events: Iterable[dict[str, Any]]) -> None:
    rows = list(events)
    if rows:
        conn.execute(_INSERT_EVENTS, rows)


def reserve_level(
    conn: Connection, owner_id: int, item_id: int, facility_id: int, qty: int
) -> bool:
    """Atomically add ``qty`` to allocated if that much is available. True on success."""
    res = conn.execute(
        sa.text(
            "UPDATE stock_levels SET allocated = allocated + :qty"
            " WHERE owner_id = :o AND item_id = :i AND facility_id = :f"
            " AND sellable - allocated >= :qty"
        ),
        {"qty": qty, "o": owner_id, "i": item_id, "f": facility_id},
    )
    return res.rowcount == 1


_RESERVE_LEVEL = (
    "UPDATE stock_levels SET allocated = allocated + :qty"
    " WHERE owner_id = :o AND item_id = :i AND facility_id = :f"
    " AND sellable - allocated >= :qty"
)
_RESERVE_BALANCE = (
    "UPDATE balances SET allocated = allocated + :qty"
    " WHERE owner_id = :o AND item_id = :i AND location_id = :l AND lot = :lot"
    " AND qty - allocated >= :qty"
)


def reserve_levels(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Conditional reservations of many facility figures; returns how many fitted."""
    return executemany(conn, _RESERVE_LEVEL, rows)


def reserve_balances(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Conditional reservations of many bins/lots; returns how many fitted."""
    return executemany(conn, _RESERVE_BALANCE, rows)


def unreserved_at(conn: Connection, owner_id: int, item_id: int, location_id: int,
                  lot: str) -> int:
    return int(conn.execute(sa.text(
        "SELECT qty - allocated FROM balances WHERE owner_id = :o AND item_id = :i"
        " AND location_id = :l AND lot = :lot"),
        {"o": owner_id, "i": item_id, "l": location_id, "lot": lot}).scalar() or 0)


def reserve_balance(
    conn: Connection, owner_id: int, item_id: int, location_id: int, lot: str, qty: int
) -> bool:
    """Atomically reserve ``qty`` at one bin (and lot) if that much is unreserved there."""
    res = conn.execute(
        sa.text(
            "UPDATE balances SET allocated = allocated + :qty"
            " WHERE owner_id = :o AND item_id = :i AND location_id = :l AND lot = :lot"
            " AND qty - allocated >= :qty"
        ),
        {"qty": qty, "o": owner_id, "i": item_id, "l": location_id, "lot": lot},
    )
    return res.rowcount == 1


def release(
    conn: Connection,
    owner_id: int,
    item_id: int,
    facility_id: int,
    location_id: int | None,
    lot: str,
    qty: int,
) -> None:
    """Give back reserved units (a hold posted, voided or expired)."""
    conn.execute(
        sa.text(
            "UPDATE stock_levels SET allocated = allocated - :qty"
            " WHERE owner_id = :o AND item_id = :i AND facility_id = :f"
        ),
        {"qty": qty, "o": owner_id, "i": item_id, "f": facility_id},
    )
    if location_id is not None:
        conn.execute(
            sa.text(
                "UPDATE balances SET allocated = allocated - :qty"
                " WHERE owner_id = :o AND item_id = :i AND location_id = :l AND lot = :lot"
            ),
            {"qty": qty, "o": owner_id, "i": item_id, "l": location_id, "lot": lot},
        )


_RELEASE_LEVEL = (
    "UPDATE stock_levels SET allocated = allocated - :qty"
    " WHERE owner_id = :owner_id AND item_id = :item_id AND facility_id = :facility_id"
)
_RELEASE_BALANCE = (
    "UPDATE balances SET allocated = allocated - :qty"
    " WHERE owner_id = :owner_id AND item_id = :item_id AND location_id = :location_id"
    " AND lot = :lot"
)


def release_many(conn: Connection, held: Sequence[Mapping[str, Any]]) -> None:
    """Give back the reservations of many holds at once, in key order."""
    levels: dict[tuple, int] = {}
    bins: dict[tuple, int] = {}
    for h in held:
        k = (h["owner_id"], h["item_id"], h["facility_id"])
        levels[k] = levels.get(k, 0) + h["qty"]
        if h["location_id"] is not None:
            b = (h["owner_id"], h["item_id"], h["location_id"], h["lot"])
            bins[b] = bins.get(b, 0) + h["qty"]
    if levels:
        executemany(
            conn,
            _RELEASE_LEVEL,
            [
                {"owner_id": k[0], "item_id": k[1], "facility_id": k[2], "qty": q}
                for k, q in sorted(levels.items())
            ],
        )
    if bins:
        executemany(
            conn,
            _RELEASE_BALANCE,
            [
                {"owner_id": k[0], "item_id": k[1], "location_id": k[2], "lot": k[3], "qty": q}
                for k, q in sorted(bins.items())
            ],
        )


def close_hold(
    conn: Connection,
    hold_id: int,
    state: str,
    now: datetime,
    posted_qty: int = 0,
    movement_id: int | None = None,
) -> bool:
    """Move a pending hold to a final state; False if it was no longer pending (a
    concurrent post/void won), so a hold can never be released twice."""
    res = conn.execute(
        sa.update(holds)
        .where(holds.c.id == hold_id, holds.c.state == "pending")
        .values(state=state, closed_at=now, posted_qty=posted_qty, movement_id=movement_id)
    )
    return res.rowcount == 1


def expire_due_holds(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    """Expire every pending hold past its time, releasing its units; returns them."""
    due = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(holds)
            .where(holds.c.state == "pending", holds.c.expires_at.is_not(None))
            .where(holds.c.expires_at <= now)
            .order_by(holds.c.owner_id, holds.c.item_id, holds.c.facility_id, holds.c.id)
        )
    ]
    expired = []
    for h in due:
        if close_hold(conn, h["id"], "expired", now):
            release(
                conn,
                h["owner_id"],
                h["item_id"],
                h["facility_id"],
                h["location_id"],
                h["lot"],
                h["qty"],
            )
            expired.append(h)
    return expired
