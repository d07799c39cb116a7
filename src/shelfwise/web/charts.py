"""Server-side SVG charts: pure functions from numbers to markup.

Charts are drawn on the server so pages need no charting library (nothing to vendor,
nothing to load from a CDN) and so a test can read the numbers straight from the SVG.
Every text value is escaped; every number is rounded to one decimal for small output.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

W, H = 640, 220
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 24, 28


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, body: str, width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" data-chart="{escape(title)}">'
        f'<title>{escape(label)}</title>'
        f'<text x="{PAD_L}" y="16" class="chart-title">{escape(title)}</text>{body}</svg>'
    )


def _empty(title: str, width: int, height: int) -> str:
    return _frame(title, f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" '
                  'class="chart-empty">no data yet</text>', width, height, f"{title}: no data")


def _y_axis(lo: float, hi: float, height: int, width: int) -> str:
    out = []
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        y = height - PAD_B - (height - PAD_T - PAD_B) * frac
        out.append(f'<line x1="{PAD_L}" x2="{width - PAD_R}" y1="{_n(y)}" y2="{_n(y)}" '
                   'class="grid"/>'
                   f'<text x="{PAD_L - 6}" y="{_n(y + 4)}" text-anchor="end" class="tick">'
                   f"{_n(v)}</text>")
    return "".join(out)


def stock_series(current: int, deltas_newest_first: Sequence[tuple[datetime, int]]
                 ) -> list[tuple[datetime, int]]:
    """On-hand level after each movement, oldest first, walking back from ``current``.

    The ledger history comes newest first; the level before a movement is the level
    after it minus its change, so the series ends exactly at today's on-hand figure.
    """
    level = current
    points: list[tuple[datetime, int]] = []
    for at, delta in deltas_newest_first:
        points.append((at, level))
        level -= delta
    if deltas_newest_first:
        points.append((deltas_newest_first[-1][0], level))
    points.reverse()
    return points


def step_chart(title: str, points: Sequence[tuple[datetime, int]], *, width: int = W,
               height: int = H) -> str:
    """A step line of a level over time (stock on hand changes at movements)."""
    if not points:
        return _empty(title, width, height)
    t0 = points[0][0].timestamp()
    t1 = points[-1][0].timestamp()
    span = (t1 - t0) or 1.0
    values = [v for _, v in points]
    lo, hi = min(0, *values), max(values)
    hi = hi if hi > lo else lo + 1
    iw, ih = width - PAD_L - PAD_R, height - PAD_T - PAD_B

    def xy(t: float, v: float) -> tuple[float, float]:
        return PAD_L + iw * (t - t0) / span, height - PAD_B - ih * (v - lo) / (hi - lo)

    path: list[str] = []
    prev_y = None
    for at, v in points:
        x, y = xy(at.timestamp(), v)
        if prev_y is None:
            path.append(f"M{_n(x)},{_n(y)}")
        else:
            path.append(f"H{_n(x)}V{_n(y)}")
        prev_y = y
    path.append(f"H{_n(width - PAD_R)}")
    dots = "".join(
        f'<circle cx="{_n(xy(at.timestamp(), v)[0])}" cy="{_n(xy(at.timestamp(), v)[1])}" r="2.5"'
        f' class="dot"><title>{escape(at.strftime("%Y-%m-%d %H:%M"))}: {v}</title></circle>'
        for at, v in points)
    labels = (f'<text x="{PAD_L}" y="{height - 8}" class="tick">'
              f'{escape(points[0][0].strftime("%Y-%m-%d"))}</text>'
              f'<text x="{width - PAD_R}" y="{height - 8}" text-anchor="end" class="tick">'
              f'{escape(points[-1][0].strftime("%Y-%m-%d"))}</text>')
    body = (_y_axis(lo, hi, height, width) + f'<path d="{"".join(path)}" class="line"/>'
            + dots + labels)
    return _frame(title, body, width, height,
                  f"{title}: {len(points)} points, now {points[-1][1]}")


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, width: int = W,
              height: int = H, max_value: float | None = None, unit: str = "") -> str:
    """Vertical bars with a label under each (orders per day, accuracy per measure)."""
    if not bars:
        return _empty(title, width, height)
    hi = max_value if max_value is not None else max(max(v for _, v in bars), 1)
    iw, ih = width - PAD_L - PAD_R, height - PAD_T - PAD_B
    slot = iw / len(bars)
    bw = max(2.0, slot * 0.7)
    parts = [_y_axis(0, hi, height, width)]
    every = max(1, len(bars) // 8)
    for i, (label, v) in enumerate(bars):
        h = ih * (v / hi) if hi else 0
        x = PAD_L + slot * i + (slot - bw) / 2
        y = height - PAD_B - h
        parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bw)}" height="{_n(h)}" '
                     f'class="bar" data-label="{escape(label)}" data-value="{_n(v)}">'
                     f"<title>{escape(label)}: {_n(v)}{escape(unit)}</title></rect>")
        if i % every == 0:
            parts.append(f'<text x="{_n(x + bw / 2)}" y="{height - 8}" text-anchor="middle" '
                         f'class="tick">{escape(label)}</text>')
    total = sum(v for _, v in bars)
    return _frame(title, "".join(parts), width, height,
                  f"{title}: {len(bars)} bars, total {_n(total)}{unit}")


def share_chart(title: str, bars: Sequence[tuple[str, float | None, str]], *,
                width: int = W, height: int = H) -> str:
    """Percentages per period (0-100) as bars; a period with nothing measured (``None``)
    is a gap marked with a dash, never a bar of 0 %. The third value of each bar is a
    note for its tooltip (e.g. "14 of 15 counts")."""
    if not any(v is not None for _, v, _ in bars):
        return _empty(title, width, height)
    iw, ih = width - PAD_L - PAD_R, height - PAD_T - PAD_B
    slot = iw / len(bars)
    bw = max(2.0, slot * 0.7)
    parts = [_y_axis(0, 100, height, width)]
    every = max(1, len(bars) // 8)
    for i, (label, v, note) in enumerate(bars):
        x = PAD_L + slot * i + (slot - bw) / 2
        tip = f"{escape(label)}: " + (f"{_n(v)}% ({escape(note)})" if v is not None
                                      else "nothing measured")
        if v is None:
            parts.append(f'<text x="{_n(x + bw / 2)}" y="{height - PAD_B - 3}" '
                         f'text-anchor="middle" class="tick gap" data-label="{escape(label)}">'
                         f"–<title>{tip}</title></text>")
        else:
            h = ih * min(max(v, 0), 100) / 100
            parts.append(f'<rect x="{_n(x)}" y="{_n(height - PAD_B - h)}" width="{_n(bw)}" '
                         f'height="{_n(h)}" class="bar" data-label="{escape(label)}" '
                         f'data-value="{_n(v)}"><title>{tip}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{_n(x + bw / 2)}" y="{height - 8}" text-anchor="middle" '
                         f'class="tick">{escape(label)}</text>')
    measured = [v for _, v, _ in bars if v is not None]
    return _frame(title, "".join(parts), width, height,
                  f"{title}: {len(measured)} of {len(bars)} periods measured, "
                  f"latest {_n(measured[-1])}%")
