"""Fuzzed barcodes, quantities, dates and JSON bodies through the HTTP API: no response
is ever a 5xx, and a refused request writes nothing (refused scans are logged in
``scan_exceptions`` by design, so that table is not compared)."""

from __future__ import annotations

import pytest

from shelfwise.bench.fuzz import run_fuzz


def test_fuzzed_requests_never_get_a_server_error_and_refusals_write_nothing(ctx, backend):
    report = run_fuzz(ctx, examples=120 if backend == "sqlite" else 80)
    assert report["server_errors"] == 0, report["samples"]
    assert report["writes_by_refused"] == 0, report["samples"]
    assert report["refused"] > 0


@pytest.mark.slow
def test_many_fuzzed_requests_never_get_a_server_error(ctx):
    report = run_fuzz(ctx, examples=3_000, fuzz_seed=7)
    assert (report["server_errors"], report["writes_by_refused"]) == (0, 0), report["samples"]
