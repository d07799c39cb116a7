"""Named domain errors.

Every refusal is a named result with a stable ``code`` that clients can match on;
the HTTP layer maps each class to a status (``application/problem+json``).
Assertions are for programmer errors only.

    ShelfwiseError
     ├── InvalidInput        bad values in an otherwise well-formed request (400/422)
     ├── NotFound            unknown id, or another owner's object (404, ids don't leak)
     ├── Conflict            duplicate code, wrong state, idempotency key reused (409)
     └── InsufficientStock   a movement or hold would break a stock invariant (409)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ShelfwiseError(Exception):
    """Base of every refusal a user can cause. ``code`` is stable; ``detail`` is for people."""

    code: str = "error"
    status: int = 400

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class InvalidInput(ShelfwiseError):
    code = "invalid_input"
    status = 422


class NotFound(ShelfwiseError):
    code = "not_found"
    status = 404


class Conflict(ShelfwiseError):
    code = "conflict"
    status = 409


@dataclass(frozen=True)
class Shortfall:
    """One stock key that cannot give what was asked: ``needed`` vs ``present``."""

    owner_id: int
    item_id: int
    location_id: int | None
    lot: str
    needed: int
    present: int
    facility_id: int | None = None

    @property
    def short_by(self) -> int:
        return self.needed - self.present


def _where(s: Shortfall) -> str:
    return f"location {s.location_id}" if s.location_id else f"facility {s.facility_id}"


class InsufficientStock(ShelfwiseError):
    """A posting or hold would take physical stock (or availability) below zero.

    Lists every short key at once so an operator sees the whole problem.
    """

    code = "insufficient_stock"
    status = 409

    def __init__(self, shortfalls: list[Shortfall], *, code: str | None = None) -> None:
        self.shortfalls = shortfalls
        parts = "; ".join(
            f"item {s.item_id} at {_where(s)}{' lot ' + s.lot if s.lot else ''}: "
            f"needs {s.needed}, has {s.present}"
            for s in shortfalls
        )
        super().__init__(
            f"not enough stock: {parts}" if parts else "not enough stock",
            code=code,
            shortfalls=[
                {
                    "item_id": s.item_id,
                    "location_id": s.location_id,
                    "facility_id": s.facility_id,
                    "lot": s.lot,
                    "needed": s.needed,
                    "present": s.present,
                    "short_by": s.short_by,
                }
                for s in shortfalls
            ],
        )
