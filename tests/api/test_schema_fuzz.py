"""Schema fuzzing with schemathesis, authenticated as an admin: every operation in the
OpenAPI document gets generated requests; none may answer 5xx or break its own schema.

CI runs a bounded number of examples per operation (10); ``-m slow`` runs a longer soak.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from shelfwise.api.app import create_app
from shelfwise.services.context import Context
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    auth_ctx,
    cheap_hashing,
    make_user,
    token_headers,
)
from tests.factories import build_world

CHECKS = [not_a_server_error, response_schema_conformance]
#: Logging out or revoking the fuzzer's own token would turn the rest into 401s.
EXCLUDED = ("/api/auth/logout", "/api/auth/tokens/{token_id}/revoke", "/api/auth/users/{user_id}")


@pytest.fixture
def fuzz_app(ctx: Context, request: pytest.FixtureRequest) -> tuple[Any, dict[str, str]]:
    request.getfixturevalue("cheap_hashing")
    build_world(ctx)
    make_user(ctx, "fuzz-admin", "admin")
    actx = auth_ctx(ctx, rate_limit_burst=1_000_000)
    return create_app(actx), token_headers(ctx, "fuzz-admin")


def _fuzz(app: Any, headers: dict[str, str], max_examples: int) -> list[str]:
    """Run every operation; return the failures (empty when all is well)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path in EXCLUDED:
            continue
        operations += 1

        @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as e:  # noqa: BLE001 — collected, reported together below
            failures.append(f"{op.method.upper()} {op.path}: {str(e)[:600]}")
    print(f"\nfuzzed {operations} operations, up to {max_examples} examples each; "
          f"{len(failures)} failing")
    return failures


def test_no_operation_answers_5xx_or_breaks_its_schema(
        fuzz_app: tuple[Any, dict[str, str]]) -> None:
    assert _fuzz(*fuzz_app, max_examples=10) == []


@pytest.mark.slow
def test_a_long_fuzz_run_finds_no_5xx_or_schema_violation(
        fuzz_app: tuple[Any, dict[str, str]]) -> None:
    assert _fuzz(*fuzz_app, max_examples=300) == []
