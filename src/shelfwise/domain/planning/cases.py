"""Evaluate planning reference cases: named inputs in, named results checked against expectations.

A case is a dict ``{"id", "kind", "inputs", "expected", "tolerance", ...}`` as in
``tests/data/planning/cases.json``. ``KINDS`` maps each kind to a function from the
case's ``inputs`` to a dict of results named like its ``expected``. A result passes
when |got - expected| <= max(tolerance.abs, tolerance.rel * |expected|); results the
policy computes as integers (reorder points and order-up-to levels of discrete
demand, price-break regions) must match exactly. Whenever an input is a list (other
than a price schedule) the kind is evaluated elementwise and its results are lists.

Problems with a case (unknown kind, missing or unexpected input, invalid value) are
reported in ``CaseResult.error``, never raised, so a whole file can always be checked.
This module does no I/O and no formatting.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from shelfwise.domain.planning import (
    base_stock,
    eoq,
    newsvendor,
    normal,
    rq,
    safety_stock,
    ss,
)

Value = int | float | list[Any]

# Inputs whose list value is one structured parameter, not a batch of cases.
_STRUCTURED_INPUTS = frozenset({"breakpoints", "unit_costs"})


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Allowed error: |got - expected| <= max(abs, rel * |expected|)."""

    abs: float = 1e-9
    rel: float = 1e-9

    def allows(self, got: float, expected: float) -> bool:
        return math.isfinite(got) and abs(got - expected) <= max(self.abs, self.rel * abs(expected))


@dataclass(frozen=True, slots=True)
class ResultCheck:
    """One named result: what was computed, what was expected, and the verdict.

    ``got`` is None when the kind did not produce the result (see ``message``).
    """

    name: str
    got: Value | None
    expected: Value
    tolerance: Tolerance
    passed: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The verdict on one case: passed only if it ran and every expected result passed."""

    case_id: str
    kind: str
    passed: bool
    checks: tuple[ResultCheck, ...]
    error: str | None = None


def _matches(got: object, expected: object, tolerance: Tolerance) -> bool:
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(_matches(g, e, tolerance) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(got, bool) or isinstance(expected, bool):
        return False
    if not isinstance(got, int | float) or not isinstance(expected, int | float):
        return False
    if isinstance(got, int):
        return got == expected  # an integer policy parameter must match exactly
    return tolerance.allows(got, float(expected))


# --- kinds -------------------------------------------------------------------------------------
# A kind is a public policy function whose parameter names are the case's input names and
# whose result dataclass fields are the result names; the few whose names differ are adapted.


def _named(result_name: str, function: Callable[..., Value]) -> Callable[..., dict[str, Value]]:
    """A kind for a function returning one number, reported under ``result_name``."""

    def kind(**inputs: Any) -> dict[str, Value]:
        return {result_name: function(**inputs)}

    kind.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    kind.__doc__ = function.__doc__
    return kind


def _safety_stock_type1(
    alpha: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    lead_time_sd: float = 0.0,
    review_period: float = 1.0,
) -> dict[str, Value]:
    """Type-1 base-stock level over R + L periods (R = 1 by default, as in Snyder & Shen)."""
    level = safety_stock.order_up_to_level(
        alpha, demand_mean, demand_sd, lead_time, review_period, lead_time_sd
    )
    return {"base_stock_level": level.level, "safety_stock": level.safety_stock, "z": level.z}


def _rq_reorder_point_for_fill_rate(
    target_fill_rate: float,
    order_quantity: float,
    demand_mean: float,
    demand_sd: float,
    lead_time: float,
    lead_time_sd: float = 0.0,
) -> dict[str, Value]:
    """Type-2 (r, Q) reorder point; see ``safety_stock.fill_rate_reorder_point``."""
    level = safety_stock.fill_rate_reorder_point(
        target_fill_rate, order_quantity, demand_mean, demand_sd, lead_time, lead_time_sd
    )
    return {"reorder_point": level.level, "safety_stock": level.safety_stock}


def _standard_normal_loss(z: float) -> dict[str, Value]:
    """L(z) and its complement; see ``normal.loss``."""
    return {"loss": normal.loss(z), "complementary_loss": normal.complementary_loss(z)}


def _kind(function: Callable[..., Any]) -> Callable[[dict], dict]:
    """Adapt a policy function into a kind: check input names, evaluate (elementwise over
    list inputs), and return its results as a dict named like the result's fields."""
    signature = inspect.signature(function)

    def call(inputs: dict) -> dict[str, Value]:
        result = function(**inputs)
        return result if isinstance(result, dict) else asdict(result)

    def run(inputs: dict) -> dict:
        known = set(signature.parameters)
        unknown = sorted(set(inputs) - known)
        if unknown:
            raise TypeError(f"unexpected input(s) {unknown}; this kind takes {sorted(known)}")
        missing = [
            name
            for name, parameter in signature.parameters.items()
            if parameter.default is inspect.Parameter.empty and name not in inputs
        ]
        if missing:
            raise TypeError(f"missing input(s) {missing}")
        batched = {
            k: v for k, v in inputs.items() if isinstance(v, list) and k not in _STRUCTURED_INPUTS
        }
        if not batched:
            return call(inputs)
        lengths = {len(v) for v in batched.values()}
        if len(lengths) != 1:
            raise ValueError(f"list inputs {sorted(batched)} must have the same length")
        rows = [
            call({**inputs, **{k: v[i] for k, v in batched.items()}}) for i in range(lengths.pop())
        ]
        return {name: [row[name] for row in rows] for name in (rows[0] if rows else {})}

    run.__doc__ = function.__doc__
    return run


KINDS: dict[str, Callable[[dict], dict]] = {
    "eoq": _kind(eoq.economic_order_quantity),
    "eoq_cost": _kind(_named("cost", eoq.eoq_cost)),
    "eoq_all_units_discount": _kind(eoq.eoq_all_units_discount),
    "eoq_incremental_discount": _kind(eoq.eoq_incremental_discount),
    "eoq_backorders": _kind(eoq.eoq_with_backorders),
    "newsvendor_normal": _kind(newsvendor.newsvendor_normal),
    "newsvendor_normal_cost": _kind(_named("cost", newsvendor.newsvendor_normal_cost)),
    "base_stock_normal": _kind(base_stock.base_stock_normal),
    "newsvendor_normal_explicit": _kind(newsvendor.newsvendor_normal_explicit),
    "newsvendor_poisson": _kind(newsvendor.newsvendor_poisson),
    "base_stock_poisson": _kind(base_stock.base_stock_poisson),
    "newsvendor_discrete": _kind(newsvendor.newsvendor_discrete_pmf),
    "newsvendor_continuous_lognormal": _kind(newsvendor.newsvendor_lognormal),
    "rq_cost_normal": _kind(_named("cost", rq.rq_cost_normal)),
    "rq_optimal_r_for_q": _kind(_named("reorder_point", rq.rq_optimal_r_for_q)),
    "rq_eil_approximation": _kind(rq.rq_eil_approximation),
    "rq_eoqb_approximation": _kind(rq.rq_eoqb_approximation),
    "rq_eoqss_approximation": _kind(rq.rq_eoqss_approximation),
    "rq_loss_function_approximation": _kind(rq.rq_loss_function_approximation),
    "rq_poisson_exact": _kind(rq.rq_poisson_exact),
    "rq_optimal_normal": _kind(rq.rq_optimal_normal),
    "ss_power_approximation": _kind(ss.ss_power_approximation),
    "ss_exact_poisson": _kind(ss.ss_exact_poisson),
    "ss_exact_poisson_batch": _kind(ss.ss_exact_poisson),
    "safety_stock_type1": _kind(_safety_stock_type1),
    "fill_rate_rq_normal": _kind(rq.rq_fill_rate_normal),
    "rq_reorder_point_for_fill_rate": _kind(_rq_reorder_point_for_fill_rate),
    "fill_rate_base_stock_normal": _kind(base_stock.base_stock_fill_rate_normal),
    "standard_normal_loss": _kind(_standard_normal_loss),
}


def _tolerance(raw: object) -> Tolerance:
    if raw is None:
        return Tolerance()
    if not isinstance(raw, Mapping):
        raise ValueError("tolerance must be an object with 'abs' and/or 'rel'")
    default = Tolerance()
    return Tolerance(float(raw.get("abs", default.abs)), float(raw.get("rel", default.rel)))


def _failed(case_id: str, kind: str, error: str) -> CaseResult:
    return CaseResult(case_id, kind, False, (), error)


def _check(
    kind: str, name: str, expected: Value, results: Mapping[str, Value], tolerance: Tolerance
) -> ResultCheck:
    if name not in results:
        message = f"kind {kind!r} has no result {name!r}"
        return ResultCheck(name, None, expected, tolerance, False, message)
    got = results[name]
    return ResultCheck(name, got, expected, tolerance, _matches(got, expected, tolerance))


def evaluate_case(case: dict) -> CaseResult:
    """Run one case's kind on its inputs and check every expected result."""
    if not isinstance(case, Mapping):
        return _failed("", "", "a case must be an object")
    case_id, kind = str(case.get("id", "")), str(case.get("kind", ""))
    inputs, expected = case.get("inputs"), case.get("expected")
    if kind not in KINDS:
        return _failed(case_id, kind, f"unknown kind {kind!r}; known kinds: {sorted(KINDS)}")
    if not isinstance(inputs, Mapping) or not isinstance(expected, Mapping) or not expected:
        return _failed(
            case_id, kind, "a case needs an 'inputs' object and a non-empty 'expected' object"
        )
    try:
        tolerance = _tolerance(case.get("tolerance"))
        results = KINDS[kind](dict(inputs))
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        return _failed(case_id, kind, f"{type(exc).__name__}: {exc}")
    checks = tuple(_check(kind, name, want, results, tolerance) for name, want in expected.items())
    return CaseResult(case_id, kind, all(check.passed for check in checks), checks)


def evaluate_file_data(cases: list[dict]) -> list[CaseResult]:
    """Evaluate every case of a parsed cases file, in order."""
    if not isinstance(cases, list):
        return [_failed("", "", "a cases file must hold a list of cases")]
    return [evaluate_case(case) for case in cases]
