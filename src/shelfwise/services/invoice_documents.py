"""An invoice as a document: CSV for a client's accounts system, PDF for people.

Both are drawn from the dict :func:`shelfwise.services.billing.get_invoice` returns, so
the three formats can never disagree. Amounts are integer cents, shown as money here only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

CSV_COLUMNS = ("invoice", "owner", "period", "line", "activity", "unit", "quantity",
               "rate_cents", "amount_cents", "events")


def money(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{frac:02d} {currency}"


def label(activity: str) -> str:
    """``units_received`` -> ``Units received``; ``vas.kitting`` -> ``VAS: kitting``."""
    if activity.startswith("vas."):
        return f"VAS: {activity[4:].replace('_', ' ')}"
    return activity.replace("_", " ").capitalize()


def to_csv(inv: dict[str, Any]) -> str:
    """One row per line, then subtotal / minimum top-up / total rows (cents)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    head = (inv["number"], inv["owner_code"], inv["period"])
    for ln in inv["lines"]:
        w.writerow((*head, ln["line_no"], ln["activity"], ln["unit"], ln["quantity"],
                    ln["rate"], ln["amount_cents"], ln["event_count"]))
    for name in ("subtotal_cents", "minimum_topup_cents", "total_cents"):
        w.writerow((*head, "", name.removesuffix("_cents"), "", "", "", inv[name], ""))
    return buf.getvalue()


def to_pdf(inv: dict[str, Any]) -> bytes:
    """A one-or-more page A4 invoice: header, line table, totals."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(f"Invoice {inv['number']}")
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    cur = inv["currency"]

    def header() -> float:
        c.setFont("Helvetica-Bold", 16)
        c.drawString(left, height - 25 * mm, f"Invoice {inv['number']}")
        c.setFont("Helvetica", 10)
        y = height - 33 * mm
        for text in (f"Client: {inv['owner_name']} ({inv['owner_code']})",
                     f"Period: {inv['period']} ({inv['period_start']} to before "
                     f"{inv['period_end']})",
                     f"State: {inv['state']}"):
            c.drawString(left, y, text)
            y -= 5 * mm
        y -= 4 * mm
        c.setFont("Helvetica-Bold", 9)
        for x, text, align in _columns(left, right):
            _draw(c, x, y, text, align)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        c.setFont("Helvetica", 9)
        return y - 7 * mm

    y = header()
    for ln in inv["lines"]:
        if y < 40 * mm:
            c.showPage()
            y = header()
        cells = (str(ln["line_no"]), label(ln["activity"]), f"{ln['quantity']:,} {ln['unit']}",
                 f"{ln['rate']}c", money(ln["amount_cents"], cur))
        for (x, _, align), text in zip(_columns(left, right), cells, strict=True):
            _draw(c, x, y, text, align)
        y -= 6 * mm
    c.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 4 * mm
    for name, key, bold in (("Subtotal", "subtotal_cents", False),
                            ("Minimum top-up", "minimum_topup_cents", False),
                            ("Total", "total_cents", True)):
        c.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
        c.drawRightString(right - 45 * mm, y, name)
        c.drawRightString(right, y, money(inv[key], cur))
        y -= 6 * mm
    c.setFont("Helvetica", 8)
    c.drawString(left, 15 * mm, "Every line traces to metering events: GET "
                 f"/api/invoices/{inv['id']}/events")
    c.save()
    return buf.getvalue()


def _columns(left: float, right: float) -> list[tuple[float, str, str]]:
    return [(left, "#", "l"), (left + 10 * mm, "Activity", "l"),
            (right - 75 * mm, "Quantity", "r"), (right - 45 * mm, "Rate", "r"),
            (right, "Amount", "r")]


def _draw(c: Canvas, x: float, y: float, text: str, align: str) -> None:
    if align == "r":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)
