"""What every scanner screen shares: running a command, turning a refusal into a red
result with its code, and answering with the screen's panel.

A scan screen posts a form with htmx and swaps the panel it gets back. A good scan
answers 200 with a green result; a refused one answers 422 with the problem's message
and code in red (htmx is configured to swap 422 too), and the service has written
nothing but, for refused scans, a scan exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from shelfwise.barcodes import ScanError, parse_scan
from shelfwise.domain.errors import InvalidInput, NotFound, ShelfwiseError
from shelfwise.domain.locations import PHYSICAL_KINDS, LocationKind
from shelfwise.services import catalog, scans
from shelfwise.services.context import Context
from shelfwise.web.templating import render

MAX_QTY = 1_000_000_000


@dataclass
class Outcome:
    """The result line a screen shows after a submit (green or red)."""

    ok: bool
    title: str
    message: str = ""
    code: str = ""
    details: list[tuple[str, Any]] = field(default_factory=list)


def refused(err: Exception) -> Outcome:
    if isinstance(err, ScanError):
        return Outcome(False, "Scan refused", err.message, err.code)
    if isinstance(err, ShelfwiseError):
        return Outcome(False, "Refused", err.detail, err.code)
    raise err


def attempt(fn: Callable[[], Any]) -> tuple[Any, Outcome | None]:
    """Run a command; a refusal becomes a red outcome instead of an exception."""
    try:
        return fn(), None
    except (ScanError, ShelfwiseError) as e:
        return None, refused(e)


def panel(request: Request, template: str, result: Outcome | None, **values: Any
          ) -> HTMLResponse:
    status = 422 if result is not None and not result.ok else 200
    return render(request, template, status=status, result=result, **values)


def parse_qty(raw: str, default: int | None = None) -> int:
    """A typed or scanned quantity: a whole number from 1 up, or the default if blank."""
    raw = (raw or "").strip()
    if not raw and default is not None:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= MAX_QTY:
        raise InvalidInput(f"quantity {raw!r} must be a whole number of at least 1",
                           code="invalid_quantity")
    return int(raw)


def optional_qty(raw: str) -> int | None:
    return parse_qty(raw) if (raw or "").strip() else None


def location_for_scan(ctx: Context, raw: str, *, physical: bool = True) -> dict[str, Any]:
    """The location whose barcode was scanned; a product label here is a wrong scan."""
    scan = parse_scan(raw)
    if scan.kind != "code" or not scan.code:
        raise InvalidInput(f"{raw!r} is a product or carton label, not a location",
                           code="wrong_location")
    try:
        loc = catalog.find_location_by_barcode(ctx, scan.code)
    except NotFound:
        raise InvalidInput(f"no location has barcode {scan.code!r}",
                           code="unknown_location") from None
    if physical and LocationKind(loc["kind"]) not in PHYSICAL_KINDS:
        raise InvalidInput(f"{loc['code']} is a virtual location", code="wrong_location")
    return loc


def record_refusal(ctx: Context, err: Exception, *, task_type: str, task_id: str | int,
                   scanned: str, expected: str = "", owner_id: int | None = None,
                   facility_id: int | None = None, user: str = "", device: str = "") -> None:
    """Write a scan exception for a refusal the screen (not a service) detected."""
    code = getattr(err, "code", "scan_error")
    message = getattr(err, "message", None) or getattr(err, "detail", None) or str(err)
    scans.record_exception(ctx, code=code, message=message, task_type=task_type,
                           task_id=task_id, expected=expected, scanned=scanned,
                           owner_id=owner_id, facility_id=facility_id, user=user,
                           device=device)
