"""Diagnosis: is a problem one of inventory *control* (execution) or of inventory
*management* (planning)?

The rule of thumb of the field, made explicit and testable: if counts disagree with
the books often, or scans are refused often, the records cannot be trusted and the
problem is in control; if stockouts, excess or misplaced stock persist while counts are
accurate, the records are fine and the plan was wrong. When both show, the call is
*both*; when neither, *healthy*. Every call carries the evidence behind it, so a
supervisor can check it instead of trusting a label.

Pure: plain numbers in, calls and ranked actions out. The thresholds are a frozen
settings object, so a site can tune them without touching the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Call(StrEnum):
    HEALTHY = "healthy"  # neither records nor plan show a problem in the period
    CONTROL = "control"  # the records are wrong: execution (counts, scans, handling)
    MANAGEMENT = "management"  # the records are right, the plan was wrong
    BOTH = "both"  # records wrong and planning evidence on top


@dataclass(frozen=True)
class DiagnosisSettings:
    """Thresholds of the rules; defaults follow common practice (IRA within 5 %)."""

    count_tolerance_pct: float = 0.05  # a count is accurate within 5 % of the books...
    count_tolerance_units: int = 1  # ...or within this many units, whichever is larger
    # Fewer counts than this say nothing about accuracy, unless a recount confirmed the
    # variance (a second counter found the same: the record was wrong, not the counter).
    min_counts: int = 2
    inaccurate_share: float = 0.3  # share of counts off beyond tolerance that flags control
    scan_exceptions_per_1000: float = 15.0  # refused scans per 1,000 that flag control
    min_exceptions: int = 3  # fewer refused scans than this are noise
    short_picks_per_1000: float = 20.0
    stockout_days: int = 3  # days with unmet demand that flag a service problem
    min_fill_rate: float = 0.95
    bias_limit: float = 0.2  # |forecast bias| beyond 20 % is planning evidence...
    bias_min_z: float = 2.0  # ...when |bias| x sqrt(units demanded in the period) >= this
    wape_limit: float = 0.6
    excess_days: float = 90.0  # stock beyond this many days of supply is excess...
    min_excess_value_cents: int = 100_000  # ...when it is worth at least this at cost
    holding_rate: float = 0.25  # yearly carrying cost as a share of stock value
    price_to_cost: float = 1.6  # unit price over unit cost, to value lost sales
    zone_inaccurate_share: float = 0.3


@dataclass(frozen=True)
class ItemKpis:
    """Everything the rules look at for one owner x item x facility over a period."""

    owner_id: int
    item_id: int
    facility_id: int
    sku: str = ""
    facility_code: str = ""
    zones: tuple[str, ...] = ()
    unit_cost_cents: int = 0
    period_days: int = 30
    # control
    counts: int = 0
    counts_off: int = 0
    counts_confirmed_off: int = 0  # of counts_off, those a recount confirmed
    count_abs_units: int = 0
    count_net_units: int = 0
    count_abs_value_cents: int = 0
    scans: int = 0
    scan_exceptions: int = 0
    top_exception: str = ""
    short_picks: int = 0
    pick_lines: int = 0
    adjustment_units: int = 0
    adjustment_value_cents: int = 0
    # management
    ordered: int = 0
    backordered: int = 0
    stockout_days: int = 0
    forecast_bias: float | None = None
    forecast_wape: float | None = None
    forecast_mase: float | None = None
    on_hand: int = 0
    daily_demand: float = 0.0
    channel_miss_units: int = 0
    channel_miss_days: int = 0
    channel_starved: str = ""
    move_from_facility: str = ""
    move_qty: int = 0

    @property
    def fill_rate(self) -> float | None:
        return None if self.ordered <= 0 else 1 - self.backordered / self.ordered

    @property
    def days_of_supply(self) -> float | None:
        return None if self.daily_demand <= 0 else self.on_hand / self.daily_demand

    def excess_units(self, s: DiagnosisSettings) -> int:
        """Units beyond ``excess_days`` of supply; all of it when nothing sells."""
        if self.on_hand <= 0:
            return 0
        return max(0, int(self.on_hand - s.excess_days * self.daily_demand))

    def material_excess(self, s: DiagnosisSettings) -> int:
        """Excess units worth calling a problem: beyond ``excess_days`` of supply and
        worth at least ``min_excess_value_cents`` (a unit or two of a slow mover is
        noise, not a plan gone wrong)."""
        excess = self.excess_units(s)
        if excess <= 0 or (self.days_of_supply is not None
                           and self.days_of_supply <= s.excess_days):
            return 0
        if self.unit_cost_cents > 0 and excess * self.unit_cost_cents < s.min_excess_value_cents:
            return 0
        return excess

    def bias_is_significant(self, s: DiagnosisSettings) -> bool:
        """A forecast bias beyond ``bias_limit`` measured on enough demand to be more than
        noise: about ``bias_min_z`` standard errors for Poisson-like demand, so a -30 %
        bias needs ~45 units in the period and a -50 % one ~16."""
        if self.forecast_bias is None or abs(self.forecast_bias) < s.bias_limit:
            return False
        units = self.daily_demand * self.period_days
        return abs(self.forecast_bias) * units**0.5 >= s.bias_min_z

    @property
    def exception_rate(self) -> float:
        total = self.scans + self.scan_exceptions
        return 0.0 if total == 0 else 1000 * self.scan_exceptions / total


@dataclass(frozen=True)
class Diagnosis:
    """The call for one key, why, what it cost and what to do."""

    kpis: ItemKpis
    call: Call
    evidence: tuple[str, ...]
    cost_cents: int
    cost: dict[str, int] = field(default_factory=dict)
    action: str = ""

    def to_dict(self) -> dict:
        k = self.kpis
        return {
            "owner_id": k.owner_id, "item_id": k.item_id, "facility_id": k.facility_id,
            "sku": k.sku, "facility": k.facility_code, "zones": list(k.zones),
            "call": self.call.value, "evidence": list(self.evidence),
            "cost_cents": self.cost_cents, "cost": self.cost, "action": self.action,
        }


def pct(x: float) -> str:
    return f"{x * 100:+.0f}%".replace("-", "\u2212")


def control_evidence(k: ItemKpis, s: DiagnosisSettings) -> list[str]:
    """Signals that the records are wrong; empty when they look right."""
    out = []
    where = f" in zone {'/'.join(k.zones)}" if k.zones else ""
    enough = k.counts >= s.min_counts or k.counts_confirmed_off > 0
    if enough and k.counts_off and k.counts_off >= s.inaccurate_share * k.counts:
        confirmed = (f", {k.counts_confirmed_off} confirmed by a recount"
                     if k.counts_confirmed_off else "")
        out.append(f"{k.counts_off} of the last {k.counts} counts{where} off by "
                   f">{s.count_tolerance_pct * 100:.0f}% (net {k.count_net_units:+d} units"
                   f"{confirmed})")
    if k.scan_exceptions >= s.min_exceptions and k.exception_rate >= s.scan_exceptions_per_1000:
        kind = f" {k.top_exception.replace('_', '-')}" if k.top_exception else ""
        out.append(f"{k.exception_rate:.0f}{kind} scans refused per 1,000")
    if k.pick_lines and k.short_picks >= s.min_exceptions and \
            1000 * k.short_picks / k.pick_lines >= s.short_picks_per_1000:
        out.append(f"{1000 * k.short_picks / k.pick_lines:.0f} short picks per 1,000 lines")
    return out


def management_outcomes(k: ItemKpis, s: DiagnosisSettings) -> list[str]:
    """Service or stock outcomes a plan answers for: stockouts, excess, misses."""
    out = []
    fr = k.fill_rate
    if k.stockout_days >= s.stockout_days or (fr is not None and fr < s.min_fill_rate
                                              and k.backordered > 0 and k.stockout_days > 1):
        fill = f", fill rate {fr * 100:.0f}%" if fr is not None else ""
        out.append(f"{k.stockout_days} stockout days{fill}")
    excess = k.material_excess(s)
    if excess > 0:
        dos = "no demand" if k.days_of_supply is None else f"{k.days_of_supply:.0f} days of supply"
        out.append(f"{excess} units excess ({dos})")
    return out


def planning_causes(k: ItemKpis, s: DiagnosisSettings) -> tuple[list[str], list[str]]:
    """Evidence that the plan, not the floor, is off: ``(causes, notes)``.

    A significant forecast bias beyond ``bias_limit``, a channel miss and a positioning
    miss are causes (a biased forecast is a planning defect even before the buffer runs
    out); a bias on too little demand to tell from noise, or a high WAPE alone, is only a
    note, since intermittent demand always has both."""
    causes, notes = [], []
    if k.bias_is_significant(s):
        causes.append(f"forecast bias {pct(k.forecast_bias or 0.0)}")
    elif k.forecast_bias is not None and abs(k.forecast_bias) >= s.bias_limit:
        units = k.daily_demand * k.period_days
        notes.append(f"forecast bias {pct(k.forecast_bias)} on {units:.0f} units "
                     "(not significant)")
    elif k.forecast_wape is not None and k.forecast_wape >= s.wape_limit:
        notes.append(f"forecast WAPE {k.forecast_wape * 100:.0f}%")
    if k.channel_miss_days > 0:
        causes.append(f"{k.channel_starved or 'b2c'} short {k.channel_miss_units} units on "
                      f"{k.channel_miss_days} days while another channel's ring-fence held "
                      "stock")
    if k.move_qty > 0:
        causes.append(f"{k.move_from_facility} held excess of this item during the stockouts")
    return causes, notes


def costs(k: ItemKpis, s: DiagnosisSettings) -> dict[str, int]:
    """Lost sales at unit price, carrying cost of excess over the period, adjustment value."""
    return {
        "lost_sales": round(k.backordered * k.unit_cost_cents * s.price_to_cost),
        "excess_carrying": round(k.excess_units(s) * k.unit_cost_cents * s.holding_rate
                                 * k.period_days / 365),
        "adjustments": k.count_abs_value_cents + k.adjustment_value_cents,
    }


def action_for(k: ItemKpis, call: Call, s: DiagnosisSettings) -> str:
    """A suggested next step a supervisor or planner can act on."""
    steps = []
    if call in (Call.CONTROL, Call.BOTH):
        zone = f"zone {'/'.join(k.zones)}" if k.zones else "its locations"
        if k.scan_exceptions >= s.min_exceptions:
            steps.append(f"count {zone} at {k.facility_code} again and retrain on "
                         f"{(k.top_exception or 'scan').replace('_', '-')} scans")
        else:
            steps.append(f"count {zone} at {k.facility_code} again and check handling "
                         "(unrecorded damage or loss)")
    if call in (Call.MANAGEMENT, Call.BOTH):
        if k.channel_miss_days > 0:
            steps.append(f"re-split the channel ring-fence: release {k.channel_miss_units} "
                         f"units to {k.channel_starved or 'b2c'}")
        if k.move_qty > 0:
            steps.append(f"move {k.move_qty} units from {k.move_from_facility} to "
                         f"{k.facility_code}")
        if k.bias_is_significant(s) and (k.forecast_bias or 0.0) < 0:
            steps.append("correct the forecast and raise safety stock")
        elif k.material_excess(s) > 0 and k.stockout_days < s.stockout_days:
            steps.append(f"stop reordering; sell down or move {k.material_excess(s)} units")
        elif k.channel_miss_days == 0 and k.move_qty == 0:
            steps.append("raise safety stock and check the supplier's real lead time")
    return "; ".join(steps)


def diagnose_item(k: ItemKpis, s: DiagnosisSettings = DiagnosisSettings()) -> Diagnosis:
    """Classify one key.

    Records wrong (control evidence) and a planning cause too: *both*. Records wrong and
    only stockouts or excess: *control* (the books misled the plan). Records right and
    stockouts, excess or a planning cause: *management*. Nothing: *healthy*."""
    ctrl = control_evidence(k, s)
    outcomes = management_outcomes(k, s)
    causes, notes = planning_causes(k, s)
    if ctrl and causes:
        call, evidence = Call.BOTH, ctrl + outcomes + causes
    elif ctrl:
        call = Call.CONTROL
        evidence = ctrl + [f"{o} (records unreliable)" for o in outcomes]
    elif outcomes or causes:
        accurate = f"{k.counts} counts accurate" if k.counts else "no count variances"
        call, evidence = Call.MANAGEMENT, [accurate] + outcomes + causes
    else:
        call, evidence = Call.HEALTHY, []
    evidence += [f"note: {n}" for n in notes]
    c = costs(k, s)
    return Diagnosis(k, call, tuple(evidence), sum(c.values()), c, action_for(k, call, s))


def position(rows: Sequence[ItemKpis], s: DiagnosisSettings = DiagnosisSettings()
             ) -> list[ItemKpis]:
    """Positioning misses: a stockout at one facility while another facility held excess
    of the same owner's item. Fills ``move_from_facility``/``move_qty`` with the transfer
    that would have prevented it (at most the excess, at most the unmet demand)."""
    by_key: dict[tuple[int, int], list[ItemKpis]] = defaultdict(list)
    for r in rows:
        by_key[(r.owner_id, r.item_id)].append(r)
    out = []
    for r in rows:
        if r.stockout_days < s.stockout_days or r.backordered <= 0:
            out.append(r)
            continue
        donors = sorted((o for o in by_key[(r.owner_id, r.item_id)]
                         if o.facility_id != r.facility_id and o.excess_units(s) > 0),
                        key=lambda o: -o.excess_units(s))
        if donors:
            d = donors[0]
            r = replace(r, move_from_facility=d.facility_code or str(d.facility_id),
                        move_qty=min(d.excess_units(s), r.backordered))
        out.append(r)
    return out


@dataclass(frozen=True)
class ZoneKpis:
    """Control figures of one zone: where to send the counters."""

    facility_id: int
    zone: str
    facility_code: str = ""
    counts: int = 0
    counts_off: int = 0
    scans: int = 0
    scan_exceptions: int = 0
    abs_value_cents: int = 0


def zone_call(z: ZoneKpis, s: DiagnosisSettings = DiagnosisSettings()
              ) -> tuple[bool, list[str]]:
    """Whether a zone's records look wrong, with the evidence."""
    ev = []
    if z.counts >= s.min_counts and z.counts_off >= s.zone_inaccurate_share * z.counts:
        ev.append(f"{z.counts_off} of {z.counts} counts in zone {z.zone} off by "
                  f">{s.count_tolerance_pct * 100:.0f}%")
    total = z.scans + z.scan_exceptions
    rate = 0.0 if total == 0 else 1000 * z.scan_exceptions / total
    if z.scan_exceptions >= s.min_exceptions and rate >= s.scan_exceptions_per_1000:
        ev.append(f"{rate:.0f} refused scans per 1,000 in zone {z.zone}")
    return bool(ev), ev


def combine(has_control: bool, has_management: bool) -> Call:
    if has_control and has_management:
        return Call.BOTH
    if has_control:
        return Call.CONTROL
    return Call.MANAGEMENT if has_management else Call.HEALTHY


def rollup(diagnoses: Iterable[Diagnosis], key: str) -> dict[str, dict]:
    """Roll item calls up by ``owner``, ``facility`` or ``zone``: how many keys of each
    call, their cost, and the combined call."""
    groups: dict[str, list[Diagnosis]] = defaultdict(list)
    for d in diagnoses:
        k = d.kpis
        if key == "zone":
            for z in k.zones or ("-",):
                groups[f"{k.facility_code}/{z}"].append(d)
        else:
            groups[str(k.owner_id if key == "owner" else k.facility_code or k.facility_id)
                   ].append(d)
    out = {}
    for name, ds in sorted(groups.items()):
        n = {c.value: sum(1 for d in ds if d.call == c) for c in Call}
        ctrl = n["control"] + n["both"] > 0
        mgmt = n["management"] + n["both"] > 0
        out[name] = {"call": combine(ctrl, mgmt).value, "keys": len(ds), "calls": n,
                     "cost_cents": sum(d.cost_cents for d in ds if d.call != Call.HEALTHY)}
    return out


def where_to_look(diagnoses: Iterable[Diagnosis], zones: Iterable[tuple[ZoneKpis, list[str]]]
                  = (), limit: int = 20) -> list[dict]:
    """The biggest problems first, by cost, each with its call, evidence and action.
    Flagged zones come first within equal cost because one recount fixes many keys."""
    ranked = [d for d in diagnoses if d.call != Call.HEALTHY]
    ranked.sort(key=lambda d: (-d.cost_cents, d.kpis.facility_id, d.kpis.item_id))
    out: list[dict] = []
    for z, ev in zones:
        out.append({"scope": "zone", "label": f"{z.facility_code} zone {z.zone}",
                    "call": Call.CONTROL.value, "cost_cents": z.abs_value_cents,
                    "evidence": ev,
                    "action": f"count zone {z.zone} at {z.facility_code} again and retrain"})
    out.sort(key=lambda r: -r["cost_cents"])
    for d in ranked:
        out.append({"scope": "item", "label": f"{d.kpis.sku or d.kpis.item_id} @ "
                    f"{d.kpis.facility_code or d.kpis.facility_id}", **d.to_dict()})
    out.sort(key=lambda r: -r["cost_cents"])
    return out[:limit]
