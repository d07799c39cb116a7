"""One outer transaction around several service commands.

An inbound message (a Shopify webhook, an EDI interchange, an ERP file) must be applied
whole or not at all, *together with* the row that records it was seen, so a redelivery
can never create a second order. Services open their own unit of work with
``ctx.write()``; :func:`joined` hands them a context whose ``write()`` is a SAVEPOINT
inside the caller's transaction and whose ``read()`` sees its uncommitted rows. The
services stay unchanged and the caller's commit (or rollback) decides for everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from shelfwise.services.context import Context


@dataclass
class JoinedContext(Context):
    """A :class:`Context` bound to an open connection (see the module docstring)."""

    conn: Connection | None = None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        assert self.conn is not None
        with self.conn.begin_nested():
            yield self.conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        assert self.conn is not None
        yield self.conn


def joined(ctx: Context, conn: Connection) -> JoinedContext:
    """``ctx`` with its units of work running inside ``conn``'s transaction."""
    return JoinedContext(engine=ctx.engine, settings=ctx.settings, clock=ctx.clock,
                         cache=ctx.cache, conn=conn)
