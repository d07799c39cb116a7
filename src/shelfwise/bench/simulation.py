"""Model-based deterministic simulation of the whole warehouse, with injected faults.

Many simulated operators drive the real service layer with seeded random commands
(receive, put away, allocate, pick, short-pick, pack, ship, cancel, count, adjust,
transfer, return). Faults are injected on a seeded schedule:

- ``commit``: the transaction fails just before COMMIT (it rolls back); the operator
  then tries again;
- ``serialization``: COMMIT raises SQLSTATE 40001 once; the service must retry it;
- ``lost_response``: the command commits but its answer is lost; the handheld sends
  it again (same idempotency key, same body) and must get a replay or a refusal,
  never a second effect;
- ``crash``: between steps the process "dies": engine and caches are dropped and a new
  context is built on the same database.

After every step the database must agree with an in-memory model of where stock
should be (balances per owner x item x location x lot, stock figures and allocation
per facility, pending holds) and ``stock.verify`` must be clean. The first
disagreement stops the run and prints the seed and the step, so
``run_simulation(url, seed, steps)`` replays it exactly.
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from shelfwise.barcodes import ScanError
from shelfwise.domain.errors import ShelfwiseError
from shelfwise.services import stock
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade

from . import sim_world
from .sim_commands import Commands, Divergence, Op
from .sim_model import Model, compare, describe

#: How often each command is tried (relative weights).
WEIGHTS = {
    "receipt": 3, "receive": 10, "close": 3, "put_away": 9, "order": 6, "allocate": 6,
    "wave": 4, "pick": 14, "pack": 5, "ship": 4, "cancel": 2, "count": 4, "approve": 3,
    "adjust": 4, "transfer": 2, "transfer_ship": 2, "transfer_receive": 2, "rma": 2,
    "rma_receive": 2, "rma_inspect": 3,
}
FAULT_RATES = {"commit": 0.05, "serialization": 0.05, "lost_response": 0.07, "crash": 0.03}


class InjectedCommitFailure(RuntimeError):
    """The simulated failure of a transaction at COMMIT (it was rolled back)."""


class _SerializationFailure(Exception):
    sqlstate = "40001"


@dataclass
class Faults:
    armed: str | None = None
    fired: Counter = field(default_factory=Counter)


@dataclass
class FaultyContext(Context):
    """A context whose write transactions fail before COMMIT when a fault is armed."""

    faults: Faults = field(default_factory=Faults)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn
            kind, self.faults.armed = self.faults.armed, None
            if kind == "commit":
                raise InjectedCommitFailure("injected failure before COMMIT")
            if kind == "serialization":
                raise OperationalError("COMMIT", None, _SerializationFailure(
                    "could not serialize access due to concurrent update"))


class SimClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SimReport:
    seed: int
    steps: int
    divergences: int
    faults_injected: dict[str, int]
    commands_by_kind: dict[str, int]
    refused_as_expected: int = 0
    failure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Simulation:
    def __init__(self, url: str, seed: int) -> None:
        self.url, self.seed = url, seed
        self.rng = random.Random(seed)
        self.clock = SimClock()
        self.faults = Faults()
        self.ctx = self._context()
        world = sim_world.build(self.ctx)
        kinds, facility_of = sim_world.location_facts(self.ctx)
        self.model = Model(kinds, facility_of)
        self.commands = Commands(self, world, self.model, random.Random(seed * 7919 + 1))
        self.by_kind: Counter = Counter()
        self.refused = 0

    def _context(self) -> FaultyContext:
        engine = make_engine(self.url, synchronous="OFF", pool_size=2)
        return FaultyContext(engine=engine, settings=Settings(database_url=self.url, auth=False),
                             clock=self.clock, faults=self.faults)

    def crash(self) -> None:
        """The process dies between steps: connections and caches go, the data stays."""
        self.ctx.engine.dispose()
        self.ctx = self._context()

    def check(self, step: int, what: str) -> None:
        with self.ctx.read() as conn:
            problems = compare(self.model, conn)
        report = stock.verify(self.ctx)
        if not report["ok"]:
            problems.append(f"stock.verify failed: {describe(report)}")
        if problems:
            raise Divergence(f"after {what}: " + "; ".join(problems[:6]))

    def next_op(self) -> Op:
        kinds = sorted(WEIGHTS)
        while True:
            kind = self.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
            op = getattr(self.commands, kind)()
            if op is not None:
                return op

    def run_step(self, step: int) -> None:
        self.clock.now += timedelta(minutes=self.rng.randint(1, 6))
        if self.rng.random() < FAULT_RATES["crash"]:
            self.faults.fired["crash"] += 1
            self.crash()
        op = self.next_op()
        fault = None
        roll = self.rng.random()
        for name in ("commit", "serialization", "lost_response"):
            if roll < FAULT_RATES[name]:
                fault = name
                break
            roll -= FAULT_RATES[name]
        if op.refuse or (fault == "serialization" and not op.retries) or (
                fault == "lost_response" and not op.replayable):
            fault = None
        label = f"{op.kind} ({op.detail})" if op.detail else op.kind
        self.by_kind[op.kind] += 1
        if op.refuse:
            self._expect_refusal(op)
            self.refused += 1
            self.check(step, f"refused {label}")
            return
        if fault == "commit":
            self.faults.armed = "commit"
            try:
                op.call()
            except InjectedCommitFailure:
                self.faults.fired["commit"] += 1
            else:
                raise Divergence(f"{label}: an injected commit failure was swallowed")
            finally:
                self.faults.armed = None
            self.check(step, f"failed commit of {label}")
            result = op.call()
        elif fault == "serialization":
            self.faults.armed = "serialization"
            result = op.call()
            if self.faults.armed is None:
                self.faults.fired["serialization"] += 1
            self.faults.armed = None
        elif fault == "lost_response":
            result = op.call()
            self.faults.fired["lost_response"] += 1
            self._retry(op, label)
        else:
            result = op.call()
        op.apply(result)
        self.check(step, label)

    def _expect_refusal(self, op: Op) -> None:
        try:
            op.call()
        except op.refuse:
            return
        except Exception as e:  # noqa: BLE001 - any other outcome is the divergence
            raise Divergence(f"{op.kind}: expected {[c.__name__ for c in op.refuse]}, "
                             f"got {e!r}") from e
        raise Divergence(f"{op.kind} ({op.detail}) should have been refused; it succeeded")

    def _retry(self, op: Op, label: str) -> None:
        """The handheld resends a command whose answer was lost: a replay or a 409."""
        try:
            again = op.call()
        except (ShelfwiseError, ScanError) as e:
            if getattr(e, "status", 409) != 409:
                raise Divergence(f"retry of {label} refused with {e!r}") from e
            return
        replayed = again.get("replayed") if isinstance(again, dict) else None
        if isinstance(again, list) and again and isinstance(again[0], dict):
            replayed = all(x.get("replayed", True) for x in again)
        if replayed is False:
            raise Divergence(f"retry of {label} was posted again: {again}")


def prepare_database(url: str) -> None:
    """Empty the database and migrate it (SQLite: a new file; PostgreSQL: a new schema)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        engine = make_engine(url, synchronous="OFF")
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    engine.dispose()


def run_simulation(url: str, seed: int, steps: int, *, reset: bool = True,
                   quiet: bool = False) -> dict[str, Any]:
    """Run ``steps`` seeded steps on the database at ``url``; deterministic per seed.

    With ``reset`` the database is emptied first (pass ``False`` for one a test fixture
    already prepared). Stops at the first divergence, printing seed and step.
    """
    if reset:
        prepare_database(url)
    sim = Simulation(url, seed)
    failure = None
    done = 0
    try:
        for step in range(1, steps + 1):
            sim.run_step(step)
            done = step
    except Exception as e:  # noqa: BLE001 - every failure is reported with its replay
        failure = (f"SIMULATION DIVERGED seed={seed} step={done + 1}: {e}\n"
                   + "".join(traceback.format_exception(e)[-6:]))
        if not quiet:
            print(failure, file=sys.stderr)
    finally:
        sim.ctx.engine.dispose()
    return SimReport(
        seed=seed, steps=done, divergences=1 if failure else 0,
        faults_injected=dict(sorted(sim.faults.fired.items())),
        commands_by_kind=dict(sorted(sim.by_kind.items())),
        refused_as_expected=sim.refused, failure=failure,
    ).as_dict()


def run_many(url: str, seeds: list[int], steps: int) -> dict[str, Any]:
    """Several seeds on one database URL (reset for each); totals for the bench."""
    total: dict[str, Any] = {"steps": 0, "divergences": 0, "faults_injected": Counter(),
                             "commands_by_kind": Counter(), "failures": []}
    for seed in seeds:
        r = run_simulation(url, seed, steps)
        total["steps"] += r["steps"]
        total["divergences"] += r["divergences"]
        total["faults_injected"].update(r["faults_injected"])
        total["commands_by_kind"].update(r["commands_by_kind"])
        if r["failure"]:
            total["failures"].append(r["failure"].splitlines()[0])
    total["faults_injected"] = dict(sorted(total["faults_injected"].items()))
    total["commands_by_kind"] = dict(sorted(total["commands_by_kind"].items()))
    return total

