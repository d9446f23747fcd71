"""A contact from accept to wrap-up over the real backend (issue #4, operating guide §2.1-§3.3)."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.contacts import customer_leaves, customer_says, successor_of
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.models import AuditEvent, Contact, SessionRecord
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.server.live_helpers import active_contact, clear_secrets, desk, enqueue, wait_for
from tests.server.test_server_events import Reader

A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]


def test_chat_messages_both_ways_with_events(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    reader = Reader(f"{backend.url}/api/v1/events", a.headers).start()
    contact_id = enqueue(ctx, words="hi")
    a.set_state("ready")

    def next_event(kind: str) -> dict:
        while True:
            item = reader.items.get(timeout=5)
            assert item is not None, "stream ended"
            if item.event == kind:
                return item.data

    offer = next_event("offer")
    assert offer["contact_id"] == contact_id
    a.post(f"/contacts/{contact_id}/accept")
    sent = a.post(f"/contacts/{contact_id}/messages", {"text": "您好，请讲"})
    assert sent.status_code == 201 and sent.json()["speaker"] == "agent"
    note = a.post(f"/contacts/{contact_id}/messages", {"text": "客户语气急", "kind": "note"})
    assert note.json()["kind"] == "note"
    line = customer_says(ctx, contact_id, "[bold]卡\x1b[31m丢了\x07")
    assert line.text == "[bold]卡丢了"  # escapes and controls gone, markup left as text
    texts = []
    while len(texts) < 5:
        texts.append(next_event("transcript")["line"]["text"])
    assert texts[2:] == ["您好，请讲", "客户语气急", "[bold]卡丢了"]
    reader.stop.set()
    view = a.call("GET", f"/contacts/{contact_id}").json()
    assert [(l["speaker"], l["kind"]) for l in view["transcript"]] == [
        ("system", "event"), ("customer", "message"), ("agent", "message"),
        ("agent", "note"), ("customer", "message"),
    ]
    assert [l["seq"] for l in view["transcript"]] == [1, 2, 3, 4, 5]
    assert a.events("contact")[-1]["status"] == "active"
    with pytest.raises(ValueError):
        customer_says(ctx, contact_id, "\x1b[0m")


def test_hold_and_resume_accumulate_hold_seconds(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="phone")
    for _ in range(2):
        held = a.post(f"/contacts/{contact_id}/hold")
        assert held.status_code == 200 and held.json()["on_hold"] is True
        assert a.post(f"/contacts/{contact_id}/hold").status_code == 409
        time.sleep(0.15)
        resumed = a.post(f"/contacts/{contact_id}/resume").json()
        assert resumed["on_hold"] is False
    assert 0.3 <= resumed["hold_seconds"] < 1.5
    assert a.post(f"/contacts/{contact_id}/resume").status_code == 409
    muted = a.post(f"/contacts/{contact_id}/mute").json()
    assert muted["muted"] is True
    assert a.post(f"/contacts/{contact_id}/unmute").json()["muted"] is False
    # A hold still running at the end counts too.
    a.post(f"/contacts/{contact_id}/hold")
    time.sleep(0.1)
    ended = a.post(f"/contacts/{contact_id}/end").json()
    assert ended["hold_seconds"] >= resumed["hold_seconds"] + 0.1 and ended["on_hold"] is False


def test_hold_is_for_phone_only(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="chat")
    answer = a.post(f"/contacts/{contact_id}/hold")
    assert answer.status_code == 409 and answer.json()["code"] == "illegal-transition"


@pytest.mark.backend_settings(acw_seconds=0.4, routing_tick=0.1)
def test_end_acw_extend_overdue_and_wrap_up(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="chat", customer=4)
    a.post(f"/contacts/{contact_id}/messages", {"text": "已为您查询"})
    ended = a.post(f"/contacts/{contact_id}/end")
    assert ended.status_code == 200
    view = ended.json()
    assert view["status"] == "wrap_up" and a.state()["state"] == "acw"
    deadline = datetime.fromisoformat(view["acw_deadline"])
    assert (deadline - datetime.fromisoformat(view["ended_at"])).total_seconds() == pytest.approx(0.4)
    assert a.post(f"/contacts/{contact_id}/messages", {"text": "late"}).status_code == 409
    assert a.post(f"/contacts/{contact_id}/messages", {"text": "备注", "kind": "note"}).status_code == 201
    overdue = wait_for(lambda: a.events("acw_overdue"), timeout=3)
    assert overdue[0]["contact_id"] == contact_id
    assert a.state()["state"] == "acw"  # a wrap-up code is required to leave ACW
    extended = a.post(f"/contacts/{contact_id}/acw/extend")
    assert extended.status_code == 200 and extended.json()["acw_extended"] is True
    assert datetime.fromisoformat(extended.json()["acw_deadline"]) > deadline
    again = a.post(f"/contacts/{contact_id}/acw/extend")
    assert again.status_code == 409 and again.json()["code"] == "illegal-transition"
    # Wrap-up needs a code of the list.
    lists = a.call("GET", "/dispositions").json()
    codes = {c["code"] for cat in lists for c in cat["codes"]}
    assert "inquiry.balance" in codes and {"zh-CN", "en"} <= set(lists[0]["label"])
    for bad in ({"disposition": "nonsense"}, {"disposition": "inquiry"}, {}):
        refused = a.post(f"/contacts/{contact_id}/wrap-up", bad)
        assert refused.status_code == 422, bad
    assert a.state()["state"] == "acw"
    done = a.post(
        f"/contacts/{contact_id}/wrap-up",
        {"disposition": "inquiry.balance", "notes": "余额已告知", "business_types": ["balance"],
         "missed_steps": ["confirm"]},
    )
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["contact_id"] == contact_id and record["disposition"] == "inquiry.balance"
    assert record["channel"] == "chat" and record["customer_ref"] == DEMO_CUSTOMERS[4]["customer_ref"]
    assert record["missed_steps"] == ["confirm"] and record["verification_level"] == 0
    assert record["acw_seconds"] > 0.4 and record["talk_seconds"] >= 0 and record["ring_seconds"] >= 0
    assert a.state()["state"] == "ready"
    assert a.call("GET", "/me/contact").status_code == 404
    with ctx.db.read() as session:
        row = session.scalar(select(SessionRecord).where(SessionRecord.contact_id == contact_id))
        assert row is not None and row.agent_id == "A1001" and row.notes == "余额已告知"
        assert session.get(Contact, contact_id).status == "closed"
        assert session.scalar(select(AuditEvent).where(AuditEvent.type == "wrap-up"))
    # The card lists the contact as the customer's last one.
    next_id = enqueue(ctx, customer=4)
    offer = a.wait_offer()
    assert offer["id"] == next_id
    assert offer["customer"]["last_contacts"][0]["disposition"] == "inquiry.balance"


def test_wrap_up_to_not_ready(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx)
    a.post(f"/contacts/{contact_id}/end")
    bad = a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "other.no_need", "not_ready_reason": "nap"})
    assert bad.status_code == 422
    ok = a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "other.no_need", "not_ready_reason": "meal"})
    assert ok.status_code == 200
    assert a.state() == {**a.state(), "state": "not_ready", "reason": "meal"}


def test_customer_hang_up_moves_to_wrap_up(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="phone")
    assert customer_leaves(ctx, contact_id) == "wrap_up"
    view = a.call("GET", "/me/contact").json()
    assert view["customer_left"] is True and view["status"] == "wrap_up"
    assert view["transcript"][-1]["speaker"] == "system"
    assert view["acw_deadline"] is not None
    assert a.state()["state"] == "acw"
    assert a.events("contact")[-1]["customer_left"] is True
    assert a.post(f"/contacts/{contact_id}/end").status_code == 409
    record = a.post(
        f"/contacts/{contact_id}/wrap-up", {"disposition": "other.dropped", "callback_needed": True}
    ).json()
    assert record["customer_left"] is True and record["callback_needed"] is True
    assert customer_leaves(ctx, contact_id) == "closed"


def test_transfer_sends_the_customer_to_the_other_queue(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    b = desk(api, sign_in, ctx, B)
    contact_id = active_contact(a, ctx, channel="phone", words="信用卡的问题")
    for bad in ("chat.general", "phone.general", "nowhere"):
        assert a.post(f"/contacts/{contact_id}/transfer", {"queue": bad}).status_code == 422
    moved = a.post(f"/contacts/{contact_id}/transfer", {"queue": "phone.cards"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "wrap_up" and a.state()["state"] == "acw"
    successor = successor_of(ctx, contact_id)
    assert successor is not None
    b.set_state("ready")
    offer = b.wait_offer()
    assert offer["id"] == successor and offer["queue"] == "phone.cards"
    accepted = b.post(f"/contacts/{successor}/accept").json()
    assert any("Transferred to Cards phone line" in line["text"] for line in accepted["transcript"])
    record = a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "other.transferred"}).json()
    assert record["transferred_to"] == "phone.cards"
    # A's old contact is not B's, and B's is not A's.
    assert b.call("GET", f"/contacts/{contact_id}").status_code == 404
    assert a.call("GET", f"/contacts/{successor}").status_code == 404
    with ctx.db.read() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.type == "transfer"))


def test_no_clear_personal_data_leaves_the_backend(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    index = 4  # three cards, 16 and 19 digits
    demo = DEMO_CUSTOMERS[index]
    reader = Reader(f"{backend.url}/api/v1/events", a.headers).start()
    contact_id = active_contact(a, ctx, channel="phone", customer=index)
    view = a.call("GET", f"/contacts/{contact_id}").json()
    card = view["customer"]
    assert card["name"] == demo["name"] and card["segment"] == demo["segment"]
    assert card["phone_masked"] == demo["phone"][:3] + "****" + demo["phone"][-4:]
    assert card["id_number_masked"] == demo["id_number"][:3] + "*" * 11 + demo["id_number"][-4:]
    assert [c["number_masked"] for c in card["cards"]] == [
        n["number"][:6] + "*" * (len(n["number"]) - 10) + n["number"][-4:] for n in demo["cards"]
    ]
    a.post(f"/contacts/{contact_id}/hold")
    a.post(f"/contacts/{contact_id}/resume")
    a.post(f"/contacts/{contact_id}/end")
    a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "inquiry.balance"})
    a.call("GET", "/me/contact")
    time.sleep(0.3)
    reader.stop.set()
    streamed = []
    while not reader.items.empty():
        item = reader.items.get()
        if item is not None and item.data is not None:
            streamed.append(str(item.data))
    assert streamed
    for body in a.bodies + streamed:
        for secret in clear_secrets(index):
            assert secret not in body, secret


def test_another_agents_contact_is_not_found(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    b = desk(api, sign_in, ctx, B)
    contact_id = active_contact(a, ctx)
    for path in ("messages", "end", "hold", "acw/extend"):
        body = {"text": "x"} if path == "messages" else {}
        assert b.post(f"/contacts/{contact_id}/{path}", body).status_code == 404
    assert b.call("GET", f"/contacts/{contact_id}").status_code == 404
    assert b.call("GET", "/me/contact").status_code == 404
    assert b.post(f"/contacts/{contact_id}/accept").status_code == 409
