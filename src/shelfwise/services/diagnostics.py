"""Diagnostics: control and management KPIs, and the diagnosis built on them.

Reads only (one snapshot per call): the KPI queries in
:mod:`shelfwise.storage.kpi_queries` gather figures per owner x item x facility and per
zone, :mod:`shelfwise.domain.diagnostics` turns them into calls with evidence and a
ranked list of where to look.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shelfwise.domain import diagnostics as dx
from shelfwise.domain.errors import InvalidInput
from shelfwise.services.context import Context
from shelfwise.storage import kpi_queries as kq
from shelfwise.storage.tables import items

Scope = frozenset[int] | None
Key = tuple[int, int, int]
DEFAULT_WINDOW_DAYS = 90
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def parse_period(period: str | None, now: datetime) -> tuple[datetime, datetime, str]:
    """``2026-10`` (a month), ``2026-10-01..2026-11-15`` (days, end exclusive) or None
    (the last 90 days up to now)."""
    if not period:
        start = now - timedelta(days=DEFAULT_WINDOW_DAYS)
        return start, now + timedelta(seconds=1), f"last {DEFAULT_WINDOW_DAYS} days"
    try:
        if m := _MONTH.match(period):
            y, mo = int(m[1]), int(m[2])
            start = datetime(y, mo, 1, tzinfo=UTC)
            end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
            return start, end, period
        if m := _RANGE.match(period):
            start = datetime.fromisoformat(m[1]).replace(tzinfo=UTC)
            end = datetime.fromisoformat(m[2]).replace(tzinfo=UTC)
            if end > start:
                return start, end, period
    except ValueError:
        pass
    raise InvalidInput(f"period {period!r}: use YYYY-MM or YYYY-MM-DD..YYYY-MM-DD",
                       code="invalid_period")


def _filter(ctx: Context, scope: Scope, facility_id: int | None, owner_id: int | None,
            period: str | None) -> tuple[kq.KpiFilter, str]:
    for name, v in (("facility_id", facility_id), ("owner_id", owner_id)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise InvalidInput(f"{name} must be an id", code="invalid_filter")
    start, end, label = parse_period(period, ctx.now())
    return kq.KpiFilter(start, end, scope, facility_id, owner_id), label


def kpis(ctx: Context, scope: Scope, facility_id: int | None = None,
         owner_id: int | None = None, period: str | None = None, by: str = "facility",
         settings: dx.DiagnosisSettings = dx.DiagnosisSettings()) -> dict[str, Any]:
    """Control and management KPIs grouped ``by`` item, zone, owner or facility."""
    _check_by(by)
    f, label = _filter(ctx, scope, facility_id, owner_id, period)
    with ctx.read() as conn:
        return _kpis(conn, f, label, by, settings, _item_kpis(conn, f, settings))


def diagnosis_with_kpis(ctx: Context, scope: Scope, facility_id: int | None = None,
                        owner_id: int | None = None, period: str | None = None,
                        by: str = "zone",
                        settings: dx.DiagnosisSettings = dx.DiagnosisSettings()
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`diagnose` and :func:`kpis` from one read, the per-item KPIs (most of the
    work) computed once: what the diagnosis page shows side by side."""
    _check_by(by)
    f, label = _filter(ctx, scope, facility_id, owner_id, period)
    with ctx.read() as conn:
        keys = _item_kpis(conn, f, settings)
        zone_rows = _zone_kpis(conn, f)
        k = _kpis(conn, f, label, by, settings, keys)
    return _diagnosis(f, label, settings, keys, zone_rows, 20), k


def _check_by(by: str) -> None:
    if by not in kq.GROUPINGS:
        raise InvalidInput(f"by must be one of {', '.join(kq.GROUPINGS)}", code="invalid_by")


def _kpis(conn: sa.Connection, f: kq.KpiFilter, label: str, by: str,
          settings: dx.DiagnosisSettings, keys: list[dx.ItemKpis]) -> dict[str, Any]:
    control = {
        "count_accuracy": _accuracy(kq.count_accuracy(
            conn, f, by, settings.count_tolerance_pct, settings.count_tolerance_units)),
        "scans": _rates(kq.scan_rates(conn, f, by)),
        "short_picks": [{**r, "per_1000": _per_1000(r["short_picks"], r["pick_lines"])}
                        for r in kq.short_picks(conn, f, by)],
        "adjustments": kq.adjustments(conn, f, by),
        **kq.flow_times(conn, f, by),
    }
    return {"period": label, "start": f.start.isoformat(), "end": f.end.isoformat(),
            "by": by, "control": control, "management": _management(keys, settings)}


def _per_1000(n: Any, d: Any) -> float | None:
    return None if not d else round(1000 * float(n or 0) / float(d), 2)


def _accuracy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["ira_counts"] = (round(1 - (r["counts_off"] or 0) / r["counts"], 4)
                           if r["counts"] else None)
        r["ira_units"] = (round((r["units_within"] or 0) / r["units_expected"], 4)
                          if r["units_expected"] else None)
        r["ira_value"] = (round((r["value_within_cents"] or 0) / r["value_expected_cents"], 4)
                          if r["value_expected_cents"] else None)
        r["variance_rate"] = round((r["counts_off"] or 0) / r["counts"], 4) if r["counts"] else None
    return rows


def _rates(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["per_1000"] = _per_1000(r["scan_exceptions"], r["scans"] + r["scan_exceptions"])
    return rows


def _management(keys: list[dx.ItemKpis], s: dx.DiagnosisSettings) -> list[dict[str, Any]]:
    out = []
    for k in keys:
        out.append({
            "owner_id": k.owner_id, "item_id": k.item_id, "facility_id": k.facility_id,
            "sku": k.sku, "facility": k.facility_code,
            "forecast": {"wape": k.forecast_wape, "mase": k.forecast_mase,
                         "bias": k.forecast_bias},
            "ordered": k.ordered, "backordered": k.backordered,
            "fill_rate": None if k.fill_rate is None else round(k.fill_rate, 4),
            "stockout_days": k.stockout_days, "on_hand": k.on_hand,
            "days_of_supply": None if k.days_of_supply is None else round(k.days_of_supply, 1),
            "excess_units": k.excess_units(s),
            "excess_value_cents": k.excess_units(s) * k.unit_cost_cents,
            "slow_moving": k.on_hand > 0 and k.daily_demand == 0,
            "turns": (None if k.on_hand <= 0 else
                      round(k.daily_demand * 365 / k.on_hand, 2)),
            "positioning_miss": ({"from": k.move_from_facility, "qty": k.move_qty}
                                 if k.move_qty else None),
            "channel_miss": ({"channel": k.channel_starved, "units": k.channel_miss_units,
                              "days": k.channel_miss_days} if k.channel_miss_days else None),
        })
    return out


def _period_days(conn: sa.Connection, f: kq.KpiFilter) -> int:
    first = kq.first_activity(conn, f)
    start = f.start
    if first is not None:
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
        start = max(start, first)
    return max(1, round((f.end - start).total_seconds() / 86400))


def _item_kpis(conn: sa.Connection, f: kq.KpiFilter, s: dx.DiagnosisSettings
               ) -> list[dx.ItemKpis]:
    """One :class:`ItemKpis` per owner x item x facility seen by any KPI."""
    days = _period_days(conn, f)
    acc = {_k(r): r for r in kq.count_accuracy(conn, f, "item", s.count_tolerance_pct,
                                               s.count_tolerance_units)}
    scans = {_k(r): r for r in kq.scan_rates(conn, f, "item") if r.get("item_id") is not None}
    shorts = {_k(r): r for r in kq.short_picks(conn, f, "item")}
    adj: dict[Key, int] = {}
    for r in kq.adjustments(conn, f, "item"):
        if r["type"] != "count":
            adj[_k(r)] = adj.get(_k(r), 0) + int(r["value_cents"] or 0)
    fc = {_k(r): r for r in kq.latest_forecasts(conn, f)}
    svc = {_k(r): r for r in kq.service(conn, f)}
    pos = {_k(r): r for r in kq.stock_position(conn, f)}
    zones = kq.item_zones(conn, f)
    codes = kq.facility_codes(conn)
    keys = sorted(set(acc) | set(scans) | set(shorts) | set(svc) | set(pos) | set(fc))
    facts = {r.id: r for r in conn.execute(sa.select(items.c.id, items.c.sku,
                                                     items.c.unit_cost_cents)
                                           .where(items.c.id.in_({k[1] for k in keys})))}
    out = []
    for key in keys:
        a, sc, sh, fo = acc.get(key, {}), scans.get(key, {}), shorts.get(key, {}), fc.get(key, {})
        sv, p = svc.get(key, {}), pos.get(key, {})
        ordered = int(sv.get("ordered") or 0)
        demand = max(ordered, int(p.get("shipped") or 0)) / days
        item = facts.get(key[1])
        out.append(dx.ItemKpis(
            owner_id=key[0], item_id=key[1], facility_id=key[2],
            sku=item.sku if item else "", facility_code=codes.get(key[2], ""),
            zones=tuple(zones.get(key, ())),
            unit_cost_cents=int(item.unit_cost_cents) if item else 0, period_days=days,
            counts=int(a.get("counts") or 0), counts_off=int(a.get("counts_off") or 0),
            counts_confirmed_off=int(a.get("counts_confirmed_off") or 0),
            count_abs_units=int(a.get("abs_units") or 0),
            count_net_units=int(a.get("net_units") or 0),
            count_abs_value_cents=int(a.get("abs_value_cents") or 0),
            scans=int(sc.get("scans") or 0), scan_exceptions=int(sc.get("scan_exceptions") or 0),
            top_exception=sc.get("top_exception") or "",
            short_picks=int(sh.get("short_picks") or 0), pick_lines=int(sh.get("pick_lines") or 0),
            adjustment_value_cents=adj.get(key, 0),
            ordered=ordered, backordered=int(sv.get("backordered") or 0),
            stockout_days=int(sv.get("stockout_days") or 0),
            forecast_bias=fo.get("bias"), forecast_wape=fo.get("wape"),
            forecast_mase=fo.get("mase"), on_hand=int(p.get("on_hand") or 0),
            daily_demand=demand,
            channel_miss_units=int(sv.get("channel_miss_units") or 0),
            channel_miss_days=int(sv.get("channel_miss_days") or 0),
            channel_starved=sv.get("channel_starved") or "",
        ))
    return dx.position(out, s)


def _k(r: dict[str, Any]) -> Key:
    return (r["owner_id"], r["item_id"], r["facility_id"])


def diagnose(ctx: Context, scope: Scope, facility_id: int | None = None,
             owner_id: int | None = None, period: str | None = None,
             settings: dx.DiagnosisSettings = dx.DiagnosisSettings(), limit: int = 20
             ) -> dict[str, Any]:
    """Calls per owner x item x facility, rollups per owner, zone and facility, and the
    ranked list of where to look (the ``limit`` costliest problems)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInput("limit must be a whole number from 1 to 1000", code="invalid_limit")
    f, label = _filter(ctx, scope, facility_id, owner_id, period)
    with ctx.read() as conn:
        keys = _item_kpis(conn, f, settings)
        zone_rows = _zone_kpis(conn, f)
    return _diagnosis(f, label, settings, keys, zone_rows, limit)


def _diagnosis(f: kq.KpiFilter, label: str, settings: dx.DiagnosisSettings,
               keys: list[dx.ItemKpis], zone_rows: list[dx.ZoneKpis], limit: int
               ) -> dict[str, Any]:
    diagnoses = [dx.diagnose_item(k, settings) for k in keys]
    flagged = [(z, ev) for z in zone_rows for ok, ev in [dx.zone_call(z, settings)] if ok]
    rollups = {by: dx.rollup(diagnoses, by) for by in ("owner", "facility", "zone")}
    for z, ev in flagged:
        r = rollups["zone"].setdefault(f"{z.facility_code}/{z.zone}", {
            "call": "healthy", "keys": 0, "calls": {}, "cost_cents": 0})
        r["call"] = dx.combine(True, r["call"] in ("management", "both")).value
        r["evidence"] = ev
    return {
        "period": label, "start": f.start.isoformat(), "end": f.end.isoformat(),
        "settings": {fl.name: getattr(settings, fl.name) for fl in fields(settings)},
        "items": [d.to_dict() for d in diagnoses],
        "rollups": rollups,
        "where_to_look": dx.where_to_look(diagnoses, flagged, limit),
    }


def _zone_kpis(conn: sa.Connection, f: kq.KpiFilter) -> list[dx.ZoneKpis]:
    codes = kq.facility_codes(conn)
    acc = {(r["facility_id"], r["zone"]): r for r in kq.count_accuracy(conn, f, "zone")}
    sc = {(r["facility_id"], r["zone"]): r for r in kq.scan_rates(conn, f, "zone")}
    out = []
    for key in sorted(set(acc) | set(sc), key=lambda k: (k[0] or 0, k[1] or "")):
        if key[1] in (None, "-") or key[0] is None:
            continue
        a, s = acc.get(key, {}), sc.get(key, {})
        out.append(dx.ZoneKpis(
            facility_id=key[0], zone=key[1], facility_code=codes.get(key[0], ""),
            counts=int(a.get("counts") or 0), counts_off=int(a.get("counts_off") or 0),
            scans=int(s.get("scans") or 0), scan_exceptions=int(s.get("scan_exceptions") or 0),
            abs_value_cents=int(a.get("abs_value_cents") or 0)))
    return out


def resolve(ctx: Context, facility_code: str | None = None, owner_code: str | None = None
            ) -> tuple[int | None, int | None]:
    """Facility and owner ids from their codes (for the CLI); NotFound when unknown."""
    from shelfwise.domain.errors import NotFound
    from shelfwise.storage.tables import facilities, owners

    out: list[int | None] = []
    with ctx.read() as conn:
        for table, code, what in ((facilities, facility_code, "facility"),
                                  (owners, owner_code, "owner")):
            if code is None:
                out.append(None)
                continue
            found = conn.execute(sa.select(table.c.id).where(table.c.code == code)).scalar()
            if found is None:
                raise NotFound(f"{what} {code!r} does not exist", code=f"{what}_not_found")
            out.append(int(found))
    return out[0], out[1]
