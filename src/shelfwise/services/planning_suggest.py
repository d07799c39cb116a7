"""Turning a run's arrays into suggestions, each with its "why".

Decisions are array operations over every series; Python loops run only over the rows
that become suggestions (a few per cent of the panel), to round quantities to what a
supplier accepts and to write down the numbers behind each one.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.planning import policy as pol
from shelfwise.domain.planning.channels import ChannelPolicy, allocate
from shelfwise.domain.planning.classify import DEMAND_CLASSES
from shelfwise.domain.planning.positioning import TransferTerms, plan_transfers, surplus
from shelfwise.domain.planning.rounding import OrderConstraints, round_order_quantity
from shelfwise.domain.planning.suggestions import SuggestionKind, SuggestionState
from shelfwise.services.planning_inputs import Inputs
from shelfwise.storage.demand_history import DemandHistory
from shelfwise.storage.planning_tables import channel_allocations, suggestions


def _r(x: float, digits: int = 2) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, digits)


class Plan:
    """One run's series, their policy levels and projection, and the decisions on them."""

    def __init__(self, hist: DemandHistory, inputs: Inputs, out: dict[str, np.ndarray],
                 today: date, service_level: float, review_period: int,
                 terms: TransferTerms, policy: ChannelPolicy) -> None:
        self.hist, self.inputs, self.out, self.today = hist, inputs, out, today
        self.service_level, self.review_period = service_level, review_period
        self.terms, self.policy = terms, policy
        self.keys = hist.keys
        self.forecast = out["forecast"]
        self.position = inputs.position.copy()
        self.path, self.stockout_day = pol.project(inputs.usable, self._arrivals(), self.forecast)

    def _arrivals(self) -> np.ndarray:
        n, horizon = self.forecast.shape
        arrivals = np.zeros((n, horizon))
        transit_day = min(int(math.ceil(self.terms.lead_time_days)), horizon - 1)
        arrivals[:, transit_day] += self.inputs.in_transit
        lead = self.inputs.supply.lead_time
        for i, expected, qty in self.inputs.po_arrivals:
            day = (expected - self.today).days if expected else int(round(lead[i]))
            if day < horizon:
                arrivals[i, max(day, 0)] += qty
        return arrivals

    # ------------------------------------------------------------ decisions

    def suggestions(self) -> list[dict[str, Any]]:
        return self._transfers() + self._purchases() + self._channel_splits()

    def _transfers(self) -> list[dict[str, Any]]:
        o, inp = self.out, self.inputs
        n, horizon = self.forecast.shape
        lead = np.ceil(inp.supply.lead_time).astype(np.int64)
        reach = np.clip(lead, 1, horizon)
        within = np.arange(horizon)[None, :] < reach[:, None]
        short_units = np.maximum(-np.where(within, self.path, np.inf).min(axis=1), 0.0)
        early = (self.stockout_day >= 0) & (self.stockout_day < lead)
        need = np.where(early, np.maximum(o["reorder_point"] - self.position, 0.0), 0.0)
        if not need.any():
            return []
        spare = surplus(inp.usable, self.position, o["daily_mean"], o["order_up_to"], self.terms)
        group = np.unique(self.keys[:, :2], axis=0, return_inverse=True)[1].reshape(-1)
        moves = plan_transfers(group, need, short_units, inp.supply.lead_time, spare,
                               inp.supply.unit_cost, inp.case_pack, self.terms)
        rows = []
        for mv in moves:
            self.position[mv.dest] += mv.qty
            self.position[mv.source] -= mv.qty
            arrival = self.today + timedelta(days=math.ceil(self.terms.lead_time_days))
            why = self._why(mv.dest)
            why.update({
                "source": {"facility_id": int(self.keys[mv.source, 2]),
                           "usable": _r(inp.usable[mv.source]),
                           "position": _r(inp.position[mv.source]),
                           "order_up_to": _r(o["order_up_to"][mv.source]),
                           "days_of_supply": _r(inp.position[mv.source]
                                                / max(o["daily_mean"][mv.source], 1e-9), 1),
                           "excess_days_target": self.terms.excess_days},
                "short_before_purchase_arrives": _r(mv.short_units),
                "transfer_lead_time_days": self.terms.lead_time_days,
                "transfer_cost_cents": _r(mv.transfer_cost),
                "waiting_cost_cents": _r(mv.waiting_cost),
            })
            why["text"] = (
                f"Projected to run out on {why['projected_stockout']}, before a purchase "
                f"(lead time {why['lead_time']['days']} d) could arrive; facility "
                f"{why['source']['facility_id']} holds {why['source']['days_of_supply']} days "
                f"of supply. Moving {mv.qty} costs {mv.transfer_cost / 100:.2f}, waiting loses "
                f"about {mv.waiting_cost / 100:.2f} of sales.")
            rows.append(self._row(mv.dest, SuggestionKind.TRANSFER, mv.qty, self.today, arrival,
                                  why, source_facility_id=int(self.keys[mv.source, 2])))
        return rows

    def _purchases(self) -> list[dict[str, Any]]:
        o, inp = self.out, self.inputs
        day, raw = pol.order_points(self.position, self.forecast, o, self.review_period)
        rows = []
        for i in np.flatnonzero(raw > 0):
            rules = OrderConstraints(int(inp.moq[i]), int(inp.case_pack[i]),
                                     int(inp.order_multiple[i]))
            qty = round_order_quantity(float(raw[i]), rules)
            if qty <= 0:
                continue
            due = self.today + timedelta(days=int(day[i]))
            arrival = due + timedelta(days=math.ceil(inp.supply.lead_time[i]))
            drift = float(self.forecast[i, :int(day[i])].sum())
            why = self._why(int(i))
            why.update({
                "position_at_order": _r(self.position[i] - drift),
                "raw_qty": _r(raw[i]),
                "constraints": {"moq": int(inp.moq[i]), "case_pack": int(inp.case_pack[i]),
                                "order_multiple": int(inp.order_multiple[i])},
                "order_value_cents": _r(qty * inp.supply.unit_cost[i], 0),
            })
            why["text"] = (
                f"Forecast {why['forecast']['daily_mean']}/day ({why['forecast']['method']}, "
                f"{why['forecast']['demand_class']}). Lead time {why['lead_time']['days']} ± "
                f"{why['lead_time']['sd_days']} d ({why['lead_time']['text']}): demand over it "
                f"{why['lead_time_demand']} ± "
                f"{why['lead_time_demand_sd']}; {self.service_level:.0%} service needs safety "
                f"stock {why['safety_stock']}, reorder point {why['reorder_point']}. Position "
                f"{why['position_at_order']} on {due} is at or below it: order up to "
                f"{why['order_up_to']} → {why['raw_qty']}, rounded to {qty}.")
            rows.append(self._row(int(i), SuggestionKind.PURCHASE, qty, due, arrival, why))
        return rows

    def _channel_splits(self) -> list[dict[str, Any]]:
        hist, inp = self.hist, self.inputs
        observed = [c for k, c in enumerate(hist.channels) if hist.channel_demand[:, k].sum() > 0]
        chans = self.policy.channels(observed)
        if len(chans) < 2:
            return []
        cols = [hist.channels.index(c) if c in hist.channels else -1 for c in chans]

        def take(matrix: np.ndarray) -> np.ndarray:
            return np.stack([matrix[:, c] if c >= 0 else np.zeros(len(matrix)) for c in cols],
                            axis=1)

        recent, total = take(hist.channel_recent), take(hist.channel_demand)
        weights = np.where(recent.sum(axis=1, keepdims=True) > 0, recent, total)
        if self.policy.kind == "priority":
            share = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
            weights = share * (self.out["daily_mean"] * self.review_period)[:, None]
        available = np.floor(inp.available).astype(np.int64)
        split = allocate(available, weights, chans, self.policy)
        rows = []
        # a split that gives everything to one channel fences nothing off: not suggested
        for i in np.flatnonzero((available > 0) & ((split > 0).sum(axis=1) >= 2)):
            why = self._why(int(i))
            alloc = {c: int(split[i, k]) for k, c in enumerate(chans)}
            why.update({"policy": self.policy.to_dict(), "available": int(available[i]),
                        "channel_weights": {c: _r(weights[i, k]) for k, c in enumerate(chans)},
                        "ring_fenced": alloc})
            why["text"] = (f"{self.policy.kind.replace('_', ' ')} split of {available[i]} "
                           "available: " + ", ".join(f"{c} {q}" for c, q in alloc.items()))
            row = self._row(int(i), SuggestionKind.CHANNEL_SPLIT, int(available[i]), self.today,
                            None, why)
            row["_allocations"] = [(c, q, int(available[i])) for c, q in alloc.items()]
            rows.append(row)
        return rows

    # ------------------------------------------------------------ records

    def _why(self, i: int) -> dict[str, Any]:
        o, inp = self.out, self.inputs
        stockout = (self.today + timedelta(days=int(self.stockout_day[i]))
                    if self.stockout_day[i] >= 0 else None)
        return {
            "forecast": {"method": str(o["method"][i]),
                         "demand_class": DEMAND_CLASSES[int(o["demand_class"][i])],
                         "daily_mean": _r(o["daily_mean"][i]),
                         "next_7_days": [_r(x, 1) for x in self.forecast[i, :7]],
                         "error_sd": _r(o["error_sd"][i]), "wape": _r(o["wape"][i], 3),
                         "mase": _r(o["mase"][i], 3), "bias": _r(o["bias"][i], 3)},
            "lead_time": self._lead_time(i),
            "service_level": self.service_level, "z": _r(o["z"][i], 3),
            "review_period_days": self.review_period,
            "lead_time_demand": _r(o["lead_time_demand"][i]),
            "lead_time_demand_sd": _r(o["lead_time_demand_sd"][i]),
            "safety_stock": _r(o["safety_stock"][i]), "reorder_point": _r(o["reorder_point"][i]),
            "eoq": _r(o["eoq"][i]), "order_quantity": _r(o["order_quantity"][i]),
            "order_up_to": _r(o["order_up_to"][i]),
            "inventory_position": {"usable_on_hand": _r(inp.usable[i]),
                                   "in_transit": _r(inp.in_transit[i]),
                                   "on_order": _r(inp.on_order[i]),
                                   "allocated": _r(inp.allocated[i]),
                                   "position": _r(inp.position[i])},
            "projected_stockout": stockout.isoformat() if stockout else None,
            "unit_cost_cents": _r(inp.supply.unit_cost[i], 0),
        }

    def _lead_time(self, i: int) -> dict[str, Any]:
        """The lead time used and where it came from: learned from n receipts, or configured."""
        inp, learned = self.inputs, self.inputs.lead_times
        receipts = int(learned.receipts[i]) if learned is not None else 0
        if learned is not None and receipts:
            source = learned.source_name(i)
            basis = "item" if source == "item_receipts" else "all items of the supplier"
            text = f"learned from {receipts} receipts ({basis} at this facility)"
        else:
            source = "supply_terms" if inp.has_terms[i] else "default"
            text = ("configured in the supply terms" if inp.has_terms[i]
                    else "configured default")
        return {"days": _r(inp.supply.lead_time[i]), "sd_days": _r(inp.supply.lead_time_sd[i]),
                "source": source, "receipts": receipts, "text": text}

    def _row(self, i: int, kind: SuggestionKind, qty: int, due: date, arrival: date | None,
             why: dict[str, Any], source_facility_id: int | None = None) -> dict[str, Any]:
        owner, item, facility = (int(x) for x in self.keys[i])
        purchase = kind is SuggestionKind.PURCHASE
        code = str(self.inputs.supplier_code[i]) if purchase else ""
        return {
            "kind": kind.value, "owner_id": owner, "item_id": item, "facility_id": facility,
            "source_facility_id": source_facility_id, "supplier_code": code,
            "supplier_name": str(self.inputs.supplier_name[i]) if purchase else "",
            "group_ref": f"{owner}-{facility}-{code}" if purchase else "",
            "proposed_qty": int(qty), "qty": int(qty), "due_date": due, "arrival_date": arrival,
            "state": SuggestionState.PROPOSED.value, "why": why,
        }

    def forecast_rows(self, run_id: int) -> list[dict[str, Any]]:
        o = self.out
        stockout = [self.today + timedelta(days=int(d)) if d >= 0 else None
                    for d in self.stockout_day]
        cols = {k: o[k].tolist() for k in ("daily_mean", "error_sd", "wape", "mase", "bias",
                                            "safety_stock", "reorder_point", "order_up_to")}
        classes = [DEMAND_CLASSES[int(c)] for c in o["demand_class"]]
        methods = [str(m) for m in o["method"]]
        out_days = self.hist.stockout.sum(axis=1).tolist()
        position = self.inputs.position.tolist()
        return [{
            "run_id": run_id, "owner_id": int(k[0]), "item_id": int(k[1]),
            "facility_id": int(k[2]), "method": methods[i], "demand_class": classes[i],
            "daily_mean": cols["daily_mean"][i], "error_sd": cols["error_sd"][i],
            "wape": _r(cols["wape"][i], 4), "mase": _r(cols["mase"][i], 4),
            "bias": _r(cols["bias"][i], 4), "stockout_days": int(out_days[i]),
            "inventory_position": position[i], "safety_stock": cols["safety_stock"][i],
            "reorder_point": cols["reorder_point"][i], "order_up_to": cols["order_up_to"][i],
            "projected_stockout": stockout[i],
        } for i, k in enumerate(self.keys)]


def write(conn: Connection, run_id: int, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert the run's suggestions, then the ring-fences of its channel splits."""
    if not rows:
        return
    records = []
    for r in rows:
        rec = {k: v for k, v in r.items() if not k.startswith("_")}
        rec.update(run_id=run_id, why=json.dumps(r["why"]), created_at=now,
                   group_ref=f"R{run_id}-{r['group_ref']}"[:64] if r["group_ref"] else "")
        records.append(rec)
    ids = conn.execute(sa.insert(suggestions).returning(suggestions.c.id,
                                                        sort_by_parameter_order=True),
                       records).scalars().all()
    allocations = [
        {"run_id": run_id, "suggestion_id": sid, "owner_id": r["owner_id"],
         "item_id": r["item_id"], "facility_id": r["facility_id"], "channel": channel,
         "qty": qty, "available": available, "policy": r["why"]["policy"]["kind"],
         "active": False, "created_at": now}
        for sid, r in zip(ids, rows, strict=True) for channel, qty, available in
        r.get("_allocations", ())
    ]
    if allocations:
        conn.execute(sa.insert(channel_allocations), allocations)
