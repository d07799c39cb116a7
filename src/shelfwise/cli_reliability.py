"""``shelfwise bench reliability``: crash, simulation, isolation, fuzz, load and audit
figures as one JSON object.

Wired into :mod:`shelfwise.cli` by ``bench_app.command("reliability")(reliability_command)``.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def reliability_command(
    postgres_url: Annotated[str | None, typer.Option(
        "--postgres-url",
        help="A scratch PostgreSQL database (it is emptied) for the PostgreSQL figures.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Smaller sizes (a few minutes).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON object.")] = False,
) -> None:
    """Run every reliability check and print its figures (see the README's reliability
    section): crash safety, the simulation, isolation, fuzzing, the load knee and the
    time to verify a sealed ledger of 1,000,000 lines."""
    from shelfwise.bench.reliability import run_reliability_bench

    def say(message: str) -> None:
        if not as_json:
            print(f"- {message}", file=sys.stderr, flush=True)

    result = run_reliability_bench(postgres_url, quick, say=say)
    if as_json:
        print(json.dumps(result, default=str))
        return
    for key, value in result.items():
        if key != "details":
            print(f"{key:28} {value}")
