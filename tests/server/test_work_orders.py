"""Work orders and complaints against the real backend (issue #6, guide §2.4, §3.2).

HTTP on loopback for what the desk sends; the rule functions with an injected
clock for what time decides (SLA pauses and breaches, the reopen window):
nothing sleeps.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from csdesk.domain import sla
from csdesk.domain.work_order_schemas import (
    ClosingRecord,
    ComplaintExtend,
    ComplaintRecord,
    WorkOrderAssign,
    WorkOrderEdit,
)
from csdesk.server.context import ServerContext
from csdesk.server.models import WorkOrder
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN, seed_if_new
from csdesk.server.work_orders import (
    assign_work_order,
    clocks,
    edit_work_order,
    extend_complaint,
    sweep,
)
from tests.conftest import bearer, make_settings
from tests.server.work_order_helpers import move, new_order

A = DEMO_AGENTS[0]  # 零售客服一组, agent
LEAD = DEMO_AGENTS[1]  # 零售客服一组, supervisor
C = DEMO_AGENTS[2]  # 信用卡客服组, agent


def post(api: httpx.Client, auth: dict[str, str], path: str, body: dict[str, Any], key: str | None = None,
         method: str = "POST") -> httpx.Response:
    headers = {**auth, "Idempotency-Key": key or uuid.uuid4().hex}
    return api.request(method, f"/work-orders{path}", json=body, headers=headers)


def complaint_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    record = {
        "reason": "网点排队两小时无人处理", "demand": "道歉并说明改进措施", "contact_method": "phone",
        "contact_detail": "138****5678", "promised_at": (now + timedelta(days=5)).isoformat(),
        "told_via": "phone", "told_at": now.isoformat(),
    }
    return {"type": "complaint", "title": "网点服务投诉", "grade": "general", "customer_ref": "C-****-0042",
            "complaint": record, **overrides}


@pytest.fixture
def auth(api: httpx.Client, sign_in: Any) -> dict[str, str]:
    return bearer(sign_in(api, dict(A))["access_token"])


# -- create -------------------------------------------------------------------------------


def test_create_numbers_routes_and_records_the_history(api: httpx.Client, auth: dict[str, str]) -> None:
    answer = post(api, auth, "", {"type": "business_exception", "category": "cards", "title": "卡片挂失后无法补办",
                                  "priority": "P2", "description": "客户两次申请补卡失败\x1b[31m", "tags": ["补卡", "补卡"]})
    assert answer.status_code == 201, answer.text
    order = answer.json()
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert order["number"] == f"WO-{today}-0001"
    assert order["queue"] == "cards" and order["status"] == "new" and order["assignee_id"] is None
    assert order["description"] == "客户两次申请补卡失败" and order["tags"] == ["补卡"]  # cleaned
    assert order["sla"]["basis"] == "business" and order["sla"]["resolution_s"] == 2 * sla.BUSINESS_DAY_SECONDS
    assert [(h["seq"], h["kind"], h["to_status"], h["actor_id"]) for h in order["history"]] == [
        (1, "created", "new", A["employee_id"])]
    second = post(api, auth, "", {"type": "suggestion", "title": "希望增加夜间客服", "priority": "P4"}).json()
    assert second["number"] == f"WO-{today}-0002" and second["queue"] == "general"
    read = api.get(f"/work-orders/{second['number']}", headers=auth)
    assert read.status_code == 200 and read.json()["id"] == second["id"]


def test_the_same_create_retried_never_makes_two(api: httpx.Client, auth: dict[str, str], backend) -> None:
    body = {"type": "follow_up", "title": "回访补卡进度", "priority": "P3", "client_ref": "local-7f3a"}
    first = post(api, auth, "", body, key="k-1")
    again = post(api, auth, "", body, key="k-1")
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    # Sent again under a new key (the outbox lost the answer and the key): client_ref finds it.
    third = post(api, auth, "", body, key="k-2")
    assert third.json()["id"] == first.json()["id"]
    with backend.context.db.read() as session:
        assert session.query(WorkOrder).count() == 1


def test_bad_input_gets_field_level_messages(api: httpx.Client, auth: dict[str, str]) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    answer = post(api, auth, "", {"type": "follow_up", "title": "  ", "description": "x" * 10_001,
                                  "due_at": past, "queue": "nowhere", "assignee_id": "Z9999"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "validation-error"
    fields = {(e["field"], e["code"]) for e in problem["errors"]}
    assert fields == {("body.title", "required"), ("body.description", "too-long"), ("body.due_at", "in-past"),
                      ("body.queue", "unknown"), ("body.assignee_id", "unknown"), ("body.priority", "required")}
    complaint = post(api, auth, "", {"type": "complaint", "title": "投诉", "priority": "P1"})
    assert {(e["field"], e["code"]) for e in complaint.json()["errors"]} == {
        ("body.grade", "required"), ("body.priority", "not-allowed"), ("body.complaint", "required")}
    callback = post(api, auth, "", {"type": "callback", "title": "回电", "priority": "P2"})
    assert {e["field"] for e in callback.json()["errors"]} == {"body.scheduled_at"}
    late = complaint_body()
    late["complaint"]["promised_at"] = (datetime.now(UTC) + timedelta(days=16)).isoformat()
    assert {(e["field"], e["code"]) for e in post(api, auth, "", late).json()["errors"]} == {
        ("body.complaint.promised_at", "after-limit")}  # beyond the 15-day limit


# -- status flow --------------------------------------------------------------------------


def test_status_flow_history_and_illegal_moves(api: httpx.Client, auth: dict[str, str]) -> None:
    order = post(api, auth, "", {"type": "technical_fault", "title": "手机银行闪退", "priority": "P2"}).json()
    assert order["queue"] == "it_support"
    skip = post(api, auth, f"/{order['id']}/status", {"base_version": 1, "to": "resolved"})
    assert skip.status_code == 409 and skip.json()["code"] == "illegal-transition"
    steps = [("accepted", {}), ("in_progress", {}), ("pending_department", {"comment": "等待科技部排查"}),
             ("in_progress", {}), ("resolved", {"closing": {"resolution": "升级版本后恢复"}}), ("closed", {})]
    for to, extra in steps:
        answer = post(api, auth, f"/{order['id']}/status", {"base_version": order["version"], "to": to, **extra})
        assert answer.status_code == 200, (to, answer.text)
        order = answer.json()
    assert order["assignee_id"] == A["employee_id"]  # accepting from the queue took it
    moves = [(h["from_status"], h["to_status"]) for h in order["history"] if h["kind"] == "status"]
    assert moves == [("new", "accepted"), ("accepted", "in_progress"), ("in_progress", "pending_department"),
                     ("pending_department", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]
    assert order["history"][3]["comment"] == "等待科技部排查"
    assert order["closing"]["resolution"] == "升级版本后恢复" and order["closed_at"]
    assert order["sla"]["first_response_at"] is not None
    missing = post(api, auth, "", {"type": "follow_up", "title": "t", "priority": "P3"}).json()
    for to in ("accepted", "in_progress"):
        missing = post(api, auth, f"/{missing['id']}/status", {"base_version": missing["version"], "to": to}).json()
    refused = post(api, auth, f"/{missing['id']}/status", {"base_version": missing["version"], "to": "resolved"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.closing.resolution"


def test_reopen_within_the_window_only(backend: BackgroundServer) -> None:
    ctx, me = backend.context, A["employee_id"]
    t0 = datetime.now(UTC)
    order = new_order(ctx, me, now=t0)
    for i, step in enumerate(("accepted", "in_progress")):
        order = move(ctx, me, order, step, now=t0 + timedelta(minutes=i + 1))
    order = move(ctx, me, order, "resolved", now=t0 + timedelta(hours=1), closing=ClosingRecord(resolution="done"))
    reopened = move(ctx, me, order, "in_progress", now=t0 + timedelta(days=29))
    assert reopened.status == "in_progress" and reopened.resolved_at is None
    assert reopened.sla.pauses[-1] == (t0 + timedelta(hours=1), t0 + timedelta(days=29))  # resolved time not counted
    again = move(ctx, me, reopened, "resolved", now=t0 + timedelta(days=29, hours=1),
                 closing=ClosingRecord(resolution="done again"))
    closed = move(ctx, me, again, "closed", now=t0 + timedelta(days=29, hours=2))
    from csdesk.server.problems import ProblemError

    with pytest.raises(ProblemError) as refused:
        move(ctx, me, closed, "in_progress", now=t0 + timedelta(days=29, hours=1) + timedelta(days=30, seconds=1))
    assert refused.value.code == "illegal-transition" and "30 days" in str(refused.value.detail)


# -- SLA clocks ---------------------------------------------------------------------------


def test_business_hours_clock_and_pending_customer_pause(backend: BackgroundServer) -> None:
    ctx, me = backend.context, A["employee_id"]
    config = ctx.work_orders
    # A Monday 10:00 in Shanghai at least a week ahead (so the backend's own sweep,
    # on the real clock, never touches it); P1 follow-up: 8 business hours to resolve.
    soon = datetime.now(UTC) + timedelta(days=7)
    monday = (soon + timedelta(days=(7 - soon.weekday()) % 7)).date()
    if monday in ctx.work_orders.calendar.holidays:
        monday += timedelta(days=7)
    t0 = datetime(monday.year, monday.month, monday.day, 2, 0, tzinfo=UTC)
    order = new_order(ctx, me, now=t0, priority="P1")
    assert order.sla.basis == "business" and order.sla.resolution_s == 8 * 3600
    assert order.due_at == t0 + timedelta(hours=8)  # Monday 18:00 in Shanghai
    with ctx.db.read() as session:
        row = session.get(WorkOrder, order.id)
        _, at_six = clocks(row, config, t0 + timedelta(hours=6))  # 16:00: 6 h used, 2 h left (25 %)
        _, at_seven = clocks(row, config, t0 + timedelta(hours=7))  # 17:00: 1 h left
    assert at_six.state == "running" and at_six.left_seconds == 2 * 3600
    assert at_seven.state == "at_risk"
    order = move(ctx, me, order, "accepted", now=t0 + timedelta(hours=1))
    order = move(ctx, me, order, "in_progress", now=t0 + timedelta(hours=1))
    order = move(ctx, me, order, "pending_customer", now=t0 + timedelta(hours=2))  # 12:00
    with ctx.db.read() as session:
        row = session.get(WorkOrder, order.id)
        _, paused = clocks(row, config, t0 + timedelta(days=3))
    assert paused.state == "paused" and paused.used_seconds == 2 * 3600
    back = t0 + timedelta(days=1)  # Tuesday 10:00
    order = move(ctx, me, order, "in_progress", now=back)
    with ctx.db.read() as session:
        row = session.get(WorkOrder, order.id)
        _, running = clocks(row, config, back + timedelta(hours=1))
    assert running.used_seconds == 3 * 3600 and running.state == "running"
    assert order.due_at == back + timedelta(hours=6)  # Tuesday 16:00: 6 h left from 10:00


def test_a_breach_escalates_once_and_supervisors_see_it(api: httpx.Client, sign_in: Any,
                                                         backend: BackgroundServer) -> None:
    ctx, me = backend.context, A["employee_id"]
    t0 = datetime.now(UTC)
    order = new_order(ctx, me, now=t0, type="callback", priority="P1", scheduled_at=t0 + timedelta(hours=1),
                      assignee_id=me)
    assert order.queue == "callbacks" and order.sla.basis == "calendar"
    with ctx.db.write() as session:
        assert sweep(session, ctx.work_orders, t0 + timedelta(hours=3)) == []
    with ctx.db.write() as session:
        assert sweep(session, ctx.work_orders, t0 + timedelta(hours=4, seconds=1)) == [order.number]
    with ctx.db.write() as session:
        assert sweep(session, ctx.work_orders, t0 + timedelta(hours=5)) == []  # once
    lead = bearer(sign_in(api, dict(LEAD))["access_token"])
    seen = api.get(f"/work-orders/{order.id}", headers=lead).json()
    assert seen["queue"] == "escalation" and seen["escalated"] and seen["breached"]
    assert [(h["kind"], h["comment"], h["actor_id"]) for h in seen["history"]][-1] == (
        "escalated", "resolution SLA breached", "system")


def test_a_complaint_graded_major_escalates(backend: BackgroundServer, api: httpx.Client,
                                            auth: dict[str, str]) -> None:
    order = post(api, auth, "", complaint_body()).json()
    assert order["queue"] == "complaints" and order["grade"] == "general"
    assert order["sla"]["resolution_s"] == 15 * 86400 and order["sla"]["basis"] == "calendar"
    raised = post(api, auth, f"/{order['id']}", {"base_version": 1, "grade": "major"}, method="PATCH").json()
    assert raised["queue"] == "escalation" and raised["escalated"]
    assert [h["kind"] for h in raised["history"]] == ["created", "grade", "escalated"]
    assert raised["history"][1]["changes"] == {"grade": ["general", "major"]}


# -- complaints: extension and closing the loop -----------------------------------------------


def test_complaint_extension_rules(backend: BackgroundServer) -> None:
    from csdesk.server.problems import ProblemError

    ctx, me = backend.context, A["employee_id"]
    t0 = datetime.now(UTC)
    record = ComplaintRecord(reason="多扣年费", demand="退还年费", contact_method="phone",
                             promised_at=t0 + timedelta(days=10), told_via="phone", told_at=t0)
    order = new_order(ctx, me, now=t0, type="complaint", priority=None, grade="serious", complaint=record)

    def extend(total: int, *, complex_case: bool = False, supervisor: str | None = None,
               promised: int | None = None) -> Any:
        request = ComplaintExtend(base_version=order.version, total_days=total, complex_case=complex_case,
                                  reason="需调取历史账单", supervisor_id=supervisor,
                                  promised_at=t0 + timedelta(days=promised or total - 1), told_via="sms", told_at=t0)
        with ctx.db.write() as session:
            return extend_complaint(session, ctx.work_orders, me, order.id, request, t0 + timedelta(minutes=1))

    def refused(**kwargs: Any) -> set[tuple[str, str]]:
        with pytest.raises(ProblemError) as err:
            extend(**kwargs)
        return {(e["field"], e.get("code", "")) for e in err.value.errors or []}

    assert refused(total=30) == {("body.complex_case", "not-complex")}
    assert refused(total=15, complex_case=True) == {("body.total_days", "not-longer")}
    assert refused(total=30, complex_case=True, promised=31) == {("body.promised_at", "after-limit")}
    order = extend(30, complex_case=True)
    assert order.complaint.total_days == 30 and order.sla.resolution_s == 30 * 86400
    assert refused(total=45) == {("body.supervisor_id", "needs-supervisor")}
    assert refused(total=45, supervisor=C["employee_id"]) == {("body.supervisor_id", "unknown")}  # not a supervisor
    assert refused(total=61, supervisor=LEAD["employee_id"]) == {("body.total_days", "over-max")}
    order = extend(60, supervisor=LEAD["employee_id"])
    assert order.complaint.total_days == 60 and order.complaint.approved_by == LEAD["employee_id"]
    assert order.due_at == t0 + timedelta(days=60)
    extended = [h for h in order.history if h.kind == "extended"]
    assert [h.changes["total_days"] for h in extended] == [[15, 30], [30, 60]]


def test_a_complaint_cannot_close_without_feedback_and_satisfaction(api: httpx.Client, auth: dict[str, str]) -> None:
    order = post(api, auth, "", complaint_body()).json()
    for to, extra in (("accepted", {}), ("in_progress", {}), ("resolved", {"closing": {"resolution": "已道歉并致函"}})):
        order = post(api, auth, f"/{order['id']}/status", {"base_version": order["version"], "to": to, **extra}).json()
    bare = post(api, auth, f"/{order['id']}/status", {"base_version": order["version"], "to": "closed"})
    assert bare.status_code == 422
    assert {e["field"] for e in bare.json()["errors"]} == {
        "body.closing.feedback_via", "body.closing.feedback_at", "body.closing.satisfaction"}
    now = datetime.now(UTC).isoformat()
    unreachable = {"resolution": "已道歉并致函", "feedback_via": "phone", "feedback_at": now,
                   "satisfaction": "unreachable", "tries": 2}
    early = post(api, auth, f"/{order['id']}/status",
                 {"base_version": order["version"], "to": "closed", "closing": unreachable})
    assert {e["field"] for e in early.json()["errors"]} == {"body.closing.tries"}
    # QA: feedback "given" in 2020, before the complaint was received, was taken.
    before = post(api, auth, f"/{order['id']}/status", {"base_version": order["version"], "to": "closed",
                                                        "closing": {**unreachable, "tries": 3,
                                                                    "feedback_at": "2020-01-01T10:00:00+08:00"}})
    assert {(e["field"], e["code"]) for e in before.json()["errors"]} == {("body.closing.feedback_at",
                                                                          "before-receipt")}
    done = post(api, auth, f"/{order['id']}/status",
                {"base_version": order["version"], "to": "closed", "closing": {**unreachable, "tries": 3}})
    assert done.status_code == 200 and done.json()["closing"]["satisfaction"] == "unreachable"


# -- versions, assignment, visibility -----------------------------------------------------------


def test_a_stale_edit_is_a_conflict_carrying_theirs(api: httpx.Client, auth: dict[str, str], sign_in: Any) -> None:
    order = post(api, auth, "", {"type": "follow_up", "title": "原标题", "priority": "P3"}).json()
    other = bearer(sign_in(api, dict(LEAD))["access_token"])
    theirs = post(api, other, f"/{order['id']}", {"base_version": 1, "title": "主管改的标题"}, method="PATCH")
    assert theirs.status_code == 200 and theirs.json()["version"] == 2
    ours = post(api, auth, f"/{order['id']}", {"base_version": 1, "title": "我改的标题"}, method="PATCH")
    assert ours.status_code == 409
    problem = ours.json()
    assert problem["code"] == "version-conflict" and problem["current_version"] == 2
    assert problem["current"]["title"] == "主管改的标题"
    again = post(api, auth, f"/{order['id']}", {"base_version": 2, "title": "我改的标题"}, method="PATCH").json()
    assert again["title"] == "我改的标题" and again["history"][-1]["changes"] == {"title": ["主管改的标题", "我改的标题"]}


def test_assignment_rules_and_who_sees_an_order(api: httpx.Client, sign_in: Any, backend: BackgroundServer) -> None:
    from csdesk.server.problems import ProblemError

    ctx = backend.context
    me, lead, card_agent = A["employee_id"], LEAD["employee_id"], C["employee_id"]
    order = new_order(ctx, me, type="business_exception", category="cards", priority="P2")
    assert order.queue == "cards"  # worked by 信用卡客服组

    def assign(actor: str, doc: Any, **fields: Any) -> Any:
        with ctx.db.write() as session:
            return assign_work_order(session, ctx.work_orders, actor, doc.id,
                                     WorkOrderAssign(base_version=doc.version, **fields), datetime.now(UTC))

    taken = assign(card_agent, order, assignee_id=card_agent)  # taken from the team's queue
    assert taken.assignee_id == card_agent
    with pytest.raises(ProblemError) as err:
        assign(DEMO_FIRST_SIGN_IN["employee_id"], taken, assignee_id=me)  # not its holder, creator or team lead
    assert err.value.code == "forbidden"
    with pytest.raises(ProblemError) as err:
        assign(card_agent, taken, queue="nowhere")
    assert err.value.code == "validation-error"
    moved = assign(card_agent, taken, queue="accounts", assignee_id=None, comment="需账户部处理")
    assert moved.queue == "accounts" and moved.assignee_id is None
    assert moved.history[-1].changes == {"queue": ["cards", "accounts"], "assignee_id": [card_agent, None]}

    tokens = {who["employee_id"]: bearer(sign_in(api, dict(who))["access_token"]) for who in (A, LEAD, C)}

    def ids(agent_id: str) -> list[str]:
        page = api.get("/sync/work_orders", headers=tokens[agent_id]).json()
        return [item["id"] for item in page["items"]]

    assert order.id in ids(me) and order.id in ids(lead)  # creator; the accounts queue's team
    assert order.id not in ids(card_agent)  # passed on: gone from 信用卡客服组
    with ctx.db.write() as session:
        edit_work_order(session, ctx.work_orders, me, order.id,
                        WorkOrderEdit(base_version=moved.version, title="改题"), datetime.now(UTC))
    assert api.get(f"/work-orders/{order.id}", headers=tokens[card_agent]).status_code == 404


# -- database upgrade -------------------------------------------------------------------------


def test_an_old_work_orders_table_is_carried_into_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    ctx = ServerContext.open(make_settings(path))
    seed_if_new(ctx)
    ctx.close()
    created = datetime(2026, 11, 1, 8, 0)
    due = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=10)  # not yet breached
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE work_order_events")
        db.execute("DROP TABLE work_orders")
        db.execute("CREATE TABLE work_orders (id VARCHAR(64) PRIMARY KEY, number VARCHAR(32) UNIQUE, "
                   "kind VARCHAR(16), title VARCHAR(256), status VARCHAR(16), assignee_id VARCHAR(32), "
                   "due_at DATETIME, created_at DATETIME, updated_at DATETIME, version INTEGER)")
        db.execute("CREATE INDEX ix_work_orders_assignee ON work_orders (assignee_id, status, due_at)")
        db.execute("INSERT INTO work_orders VALUES ('wo-old1', 'WO-20261101-0001', 'complaint', '旧投诉', 'open', "
                   "'A1001', ?, ?, ?, 3)", (str(due), str(created), str(created)))
    with BackgroundServer(make_settings(path)) as server:
        with server.context.db.read() as session:
            row = session.get(WorkOrder, "wo-old1")
            assert row is not None
            assert (row.type, row.grade, row.status, row.number, row.version) == (
                "complaint", "general", "new", "WO-20261101-0001", 3)
            assert row.resolution_due_at == due.replace(tzinfo=UTC)
            assert row.sla["resolution_s"] == (due - created).total_seconds()
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
    assert "work_orders_v1" not in tables


def test_the_customer_card_counts_the_customers_open_orders(backend: BackgroundServer) -> None:
    from csdesk.server.customers import DEMO_CUSTOMERS, customer_card, seed_customers
    from csdesk.server.models import Customer

    ctx, me = backend.context, A["employee_id"]
    seed_customers(ctx)
    ref = DEMO_CUSTOMERS[0]["customer_ref"]
    first = new_order(ctx, me, customer_ref=ref)
    new_order(ctx, me, customer_ref=ref, type="suggestion", priority="P4")
    new_order(ctx, me, customer_ref="someone-else")
    for step in ("accepted", "in_progress"):
        first = move(ctx, me, first, step)
    move(ctx, me, first, "resolved", closing=ClosingRecord(resolution="done"))
    with ctx.db.read() as session:
        customer = session.query(Customer).filter_by(customer_ref=ref).one()
        assert customer_card(session, customer).open_work_orders == 1


def test_a_deadline_can_only_be_brought_forward(api: httpx.Client, auth: dict[str, str]) -> None:
    # QA: a later due time was taken and written to the history, and had no effect.
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    refused = post(api, auth, "", {"type": "follow_up", "title": "跟进", "priority": "P3", "due_at": far})
    assert refused.status_code == 422
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} == {("body.due_at", "after-policy")}
    order = post(api, auth, "", {"type": "follow_up", "title": "跟进", "priority": "P3"}).json()
    later = post(api, auth, f"/{order['id']}", {"base_version": 1, "due_at": far}, method="PATCH")
    assert {(e["field"], e["code"]) for e in later.json()["errors"]} == {("body.due_at", "after-policy")}
    sooner = datetime.fromisoformat(order["due_at"]) - timedelta(hours=1)
    edited = post(api, auth, f"/{order['id']}", {"base_version": 1, "due_at": sooner.isoformat()}, method="PATCH")
    assert edited.status_code == 200
    assert abs(datetime.fromisoformat(edited.json()["due_at"]) - sooner) < timedelta(minutes=1)
