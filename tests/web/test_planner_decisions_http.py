"""Planner and diagnosis pages over HTTP, without a browser, on SQLite and PostgreSQL:
who may read and decide, what a decision creates, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shelfwise.api.app import create_app
from shelfwise.auth import policy
from shelfwise.auth.roles import Perm
from shelfwise.services import planning, receiving
from shelfwise.services.context import Context
from tests.api.access_helpers import (  # noqa: F401  (cheap_hashing is a fixture)
    auth_client,
    cheap_hashing,
    login,
    make_user,
)
from tests.planning_world import PlanningWorld, seed_planning_world

HTMX = {"HX-Request": "true"}


@pytest.fixture
def pw(ctx: Context, clock) -> PlanningWorld:
    return seed_planning_world(ctx, clock)


@pytest.fixture
def run_id(ctx: Context, pw: PlanningWorld) -> int:
    return planning.run_plan(ctx, user="nightly")["run_id"]


@pytest.fixture
def client(ctx: Context, run_id: int) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as c:
        yield c


def _first(ctx: Context, run_id: int, kind: str) -> dict:
    return planning.list_suggestions(ctx, run_id=run_id, kind=kind)[0]


def _purchase_orders(ctx: Context) -> list[dict]:
    return [r for r in receiving.list_receipts(ctx, None) if r["type"] == "purchase_order"]


def test_decision_routes_need_the_plan_permission_and_pages_need_staff() -> None:
    for path in ("/planning/suggestions/{suggestion_id}/accept",
                 "/planning/suggestions/{suggestion_id}/reject", "/planning/groups/accept",
                 "/planning/runs"):
        assert policy.rule_for("POST", path, ["planning"]).perm is Perm.PLAN, path
    assert policy.rule_for("GET", "/planning", ["planning"]).perm is Perm.READ_OPS
    assert policy.rule_for("GET", "/diagnosis", ["diagnostics"]).perm is Perm.READ_OPS


@pytest.mark.usefixtures("cheap_hashing")
def test_only_planners_decide_and_clients_see_neither_page(ctx: Context, pw: PlanningWorld,
                                                           run_id: int) -> None:
    buy = _first(ctx, run_id, "purchase")
    make_user(ctx, "pia.planner", "planner")
    make_user(ctx, "sam.supervisor", "supervisor")
    make_user(ctx, "oli.operator", "operator")
    make_user(ctx, "acme.client", "client", [pw.w.owner])
    seen = {}
    for user in ("sam.supervisor", "oli.operator", "acme.client", "pia.planner"):
        c = auth_client(ctx)
        token = login(c, user)
        pages = [c.get(p).status_code for p in ("/planning", "/diagnosis")]
        decided = c.post(f"/planning/suggestions/{buy['id']}/accept", data={"qty": ""},
                         headers={**HTMX, "X-CSRF-Token": token})
        seen[user] = (pages, decided.status_code)
        if user == "pia.planner":
            assert 'data-action="approve"' not in decided.text  # decided: no more buttons
    assert seen == {"sam.supervisor": ([200, 200], 403), "oli.operator": ([200, 200], 403),
                    "acme.client": ([403, 403], 403), "pia.planner": ([200, 200], 200)}
    got = planning.get_suggestion(ctx, buy["id"])
    assert (got["state"], got["decided_by"]) == ("approved", "pia.planner")
    assert len(_purchase_orders(ctx)) == 1


@pytest.mark.usefixtures("cheap_hashing")
def test_a_decision_without_the_csrf_token_is_refused(ctx: Context, run_id: int) -> None:
    buy = _first(ctx, run_id, "purchase")
    make_user(ctx, "pia.planner", "planner")
    c = auth_client(ctx)
    login(c, "pia.planner")
    assert c.post(f"/planning/suggestions/{buy['id']}/accept", headers=HTMX).status_code == 403
    assert planning.get_suggestion(ctx, buy["id"])["state"] == "proposed"


def test_the_page_shows_each_suggestion_with_its_why(client: TestClient, ctx: Context,
                                                     run_id: int) -> None:
    r = client.get("/planning")
    assert r.status_code == 200
    buy, move = _first(ctx, run_id, "purchase"), _first(ctx, run_id, "transfer")
    for s in (buy, move):
        assert f'data-suggestion="{s["id"]}"' in r.text
        assert f'data-why-for="{s["id"]}"' in r.text
    assert "safety stock <b>" in r.text and "reorder point <b>" in r.text
    only_moves = client.get("/planning", params={"kind": "transfer", "state": ""}).text
    assert f'data-suggestion="{move["id"]}"' in only_moves
    assert f'data-suggestion="{buy["id"]}"' not in only_moves
    other = client.get("/planning", params={"facility_id": "999"}).text
    assert 'data-suggestion="' not in other


def test_bad_decisions_are_refused_and_change_nothing(client: TestClient, ctx: Context,
                                                      run_id: int) -> None:
    buy = _first(ctx, run_id, "purchase")
    for qty, code in (("abc", "invalid_quantity"), ("0", "invalid_quantity"),
                      ("-5", "invalid_quantity")):
        r = client.post(f"/planning/suggestions/{buy['id']}/accept", data={"qty": qty},
                        headers=HTMX)
        assert r.status_code == 422 and code in r.text, (qty, r.text)
    r = client.post("/planning/suggestions/987654/accept", headers=HTMX)
    assert r.status_code == 422 and "suggestion_not_found" in r.text
    assert planning.get_suggestion(ctx, buy["id"])["state"] == "proposed"
    assert _purchase_orders(ctx) == []

    assert client.post(f"/planning/suggestions/{buy['id']}/reject").status_code == 200
    again = client.post(f"/planning/suggestions/{buy['id']}/accept")
    assert again.status_code == 422 and "suggestion_decided" in again.text
    assert _purchase_orders(ctx) == []


def test_a_supplier_group_is_approved_as_one_purchase_order(client: TestClient, ctx: Context,
                                                            run_id: int) -> None:
    buy = _first(ctx, run_id, "purchase")
    r = client.post("/planning/groups/accept", data={"group_ref": buy["group_ref"]},
                    headers=HTMX)
    assert r.status_code == 200, r.text
    assert "Purchase order created" in r.text and 'data-state="approved"' in r.text
    (po,) = _purchase_orders(ctx)
    assert po["reference"] == f"PO-{buy['group_ref']}"
    again = client.post("/planning/groups/accept", data={"group_ref": buy["group_ref"]})
    assert again.status_code == 422 and "group_not_found" in again.text
    assert client.post("/planning/groups/accept").status_code == 422
    assert len(_purchase_orders(ctx)) == 1


def test_run_plan_sends_htmx_to_the_new_run_and_refuses_a_bad_level(client: TestClient,
                                                                    run_id: int) -> None:
    r = client.post("/planning/runs", data={"service_level": "0.98", "horizon": "21"},
                    headers=HTMX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/planning?run_id={run_id + 1}"
    page = client.get(r.headers["HX-Redirect"]).text
    assert f"Plan run {run_id + 1}" in page and "98%" in page
    for form, code in (({"service_level": "1.5", "horizon": "28"}, "invalid_service_level"),
                       ({"service_level": "lots", "horizon": "28"}, "invalid_request"),
                       ({}, "invalid_request")):
        bad = client.post("/planning/runs", data=form, headers=HTMX)
        assert bad.status_code == 422 and code in bad.text
    assert f"Plan run {run_id + 1}" in client.get("/planning").text


def test_diagnosis_page_renders_charts_and_explains_a_bad_period(client: TestClient,
                                                                 pw: PlanningWorld) -> None:
    r = client.get("/diagnosis", params={"facility_id": pw.w.facility, "call": ""})
    assert r.status_code == 200
    assert r.text.count("<svg") == 4
    assert 'data-item="TENT-2P"' in r.text
    bad = client.get("/diagnosis", params={"period": "2026-13"})
    assert bad.status_code == 422 and "invalid_period" in bad.text and "<svg" not in bad.text
