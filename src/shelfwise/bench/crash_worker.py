"""A worker that posts a numbered batch of movements, one per transaction, each with the
idempotency key ``crash-<n>``, printing ``ack <n> <movement_id>`` after each commit.

The crash test kills it with SIGKILL at random moments and starts it again over the
same range: replays must post nothing, and every acknowledged movement must survive.
"""

from __future__ import annotations

import sys

from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import ledger
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine


def command(n: int, owner: int, item: int, a: int, b: int) -> MovementCommand:
    src, dst = (a, b) if n % 2 == 0 else (b, a)
    return MovementCommand(owner, MovementType.MOVE, (LineCommand(item, src, dst, 1),),
                           user="crash", device="RF-99", idempotency_key=f"crash-{n}")


def main(argv: list[str]) -> None:
    url, start, end, owner, item, a, b = argv[0], *map(int, argv[1:7])
    engine = make_engine(url, synchronous="FULL", pool_size=1)
    ctx = Context(engine=engine, settings=Settings(database_url=url))
    out = sys.stdout
    for n in range(start, end):
        res = ledger.post_movement(ctx, command(n, owner, item, a, b))
        out.write(f"ack {n} {res['movement_id']}\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
