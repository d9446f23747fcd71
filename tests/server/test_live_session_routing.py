"""Agent states and routing over the real backend (issue #4, operating guide §2.1)."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.contacts import customer_leaves
from csdesk.server.models import AuditEvent, Contact
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.server.live_helpers import active_contact, desk, enqueue, wait_for

A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]


def test_offer_goes_to_the_longest_idle_ready_agent(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    b = desk(api, sign_in, ctx, B)
    assert b.set_state("ready").status_code == 200
    time.sleep(0.02)
    assert a.set_state("ready").status_code == 200  # B has been Ready longer
    first = enqueue(ctx, words="hello")
    offer = b.wait_offer()
    assert offer["id"] == first
    assert a.state()["state"] == "ready"
    assert b.state()["state"] == "offered"
    [event] = b.events("offer")
    assert event["contact_id"] == first
    assert event["queue"] == "chat.general" and event["channel"] == "chat"
    assert event["first_words"] == "hello"
    ringing = datetime.fromisoformat(event["expires_at"]) - datetime.fromisoformat(event["offered_at"])
    assert ringing.total_seconds() == pytest.approx(20.0)
    second = enqueue(ctx, customer=1)
    assert a.wait_offer()["id"] == second
    assert a.events("offer")[0]["contact_id"] == second


def test_accept_starts_the_contact_with_the_greeting(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = enqueue(ctx, words="我想查余额")
    a.set_state("ready")
    a.wait_offer()
    answer = a.post(f"/contacts/{contact_id}/accept")
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["status"] == "active" and view["agent_id"] == "A1001"
    assert "A1001" in view["greeting"] and A["name"] in view["greeting"]
    assert view["greeting"].startswith("您好")
    lines = view["transcript"]
    assert lines[0]["speaker"] == "system" and lines[0]["kind"] == "event"
    assert lines[1] == {**lines[1], "speaker": "customer", "text": "我想查余额", "kind": "message"}
    assert a.state()["state"] == "on_contact"
    english = a.call("GET", f"/contacts/{contact_id}", params={"lang": "en"}).json()
    assert english["greeting"].startswith("Hello") and "A1001" in english["greeting"]
    by_header = a.call("GET", "/me/contact", headers={"Accept-Language": "en-GB,zh;q=0.5"}).json()
    assert by_header["greeting"] == english["greeting"]
    # Accepting again (new key): the offer is gone.
    again = a.post(f"/contacts/{contact_id}/accept")
    assert again.status_code == 409 and again.json()["code"] == "illegal-transition"
    with ctx.db.read() as session:
        types = list(session.scalars(select(AuditEvent.type).where(AuditEvent.agent_id == "A1001")))
    assert "offer-accepted" in types


def test_accept_with_the_same_key_replays(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = enqueue(ctx)
    a.set_state("ready")
    a.wait_offer()
    key = {"Idempotency-Key": "accept-1"}
    first = a.post(f"/contacts/{contact_id}/accept", headers=key)
    second = a.post(f"/contacts/{contact_id}/accept", headers=key)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()


def test_decline_puts_the_contact_back_at_the_head(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    b = desk(api, sign_in, ctx, B)
    first = enqueue(ctx, customer=0)
    a.set_state("ready")
    assert a.wait_offer()["id"] == first
    second = enqueue(ctx, customer=1)  # waits behind; A is busy with the offer
    answer = a.post(f"/contacts/{first}/decline", {"reason": "break"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "queued"
    assert a.state() == {**a.state(), "state": "not_ready", "reason": "break"}
    queues = {q["queue"]: q for q in a.call("GET", "/queues").json()}
    assert queues["chat.general"]["waiting"] == 2
    b.set_state("ready")
    assert b.wait_offer()["id"] == first  # the declined one is next, not the newer one
    with ctx.db.read() as session:
        assert session.get(Contact, second).status == "queued"
    # A free-text reason is kept in the audit trail; the state reason is "declined".
    b.post(f"/contacts/{first}/decline", {"reason": "wrong skill"})
    assert b.state()["reason"] == "declined"
    with ctx.db.read() as session:
        details = list(session.scalars(select(AuditEvent.detail).where(AuditEvent.type == "offer-declined")))
    assert any(d.endswith(":wrong skill") for d in details)


@pytest.mark.backend_settings(offer_timeout=0.6, routing_tick=0.1)
def test_an_unanswered_offer_is_missed_and_requeued_at_the_head(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    first = enqueue(ctx, customer=0)
    a.set_state("ready")
    assert a.wait_offer()["id"] == first
    second = enqueue(ctx, customer=1)
    state = a.wait_state("not_ready", timeout=3)
    assert state["reason"] == "missed_offer"
    assert a.events("state")[-1]["reason"] == "missed_offer"
    assert a.events("contact")[-1] == {**a.events("contact")[-1], "id": first, "status": "queued"}
    with ctx.db.read() as session:
        head, behind = session.get(Contact, first), session.get(Contact, second)
        assert head.status == "queued" and head.agent_id is None
        assert head.queue_rank < behind.queue_rank
        assert session.scalar(select(AuditEvent).where(AuditEvent.type == "offer-missed"))
    late = a.post(f"/contacts/{first}/accept")
    assert late.status_code == 409
    # The agent comes back: the missed contact is offered first.
    a.set_state("ready")
    assert a.wait_offer()["id"] == first


def test_illegal_transitions_are_refused(api: httpx.Client, sign_in, backend: BackgroundServer) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx)
    for state, reason in (("ready", None), ("not_ready", "break")):
        answer = a.set_state(state, reason)
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "illegal-transition"
    # Not Ready "missed_offer" is the server's reason, never the agent's.
    assert a.set_state("not_ready", "missed_offer").status_code == 422
    # Wrap-up before the contact ended; ACW cannot be left by hand.
    early = a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "inquiry.balance"})
    assert early.status_code == 409 and early.json()["code"] == "contact-not-active"
    assert a.post(f"/contacts/{contact_id}/end").status_code == 200
    answer = a.set_state("ready")
    assert answer.status_code == 409 and answer.json()["code"] == "illegal-transition"
    assert a.state()["state"] == "acw"


def test_queues_report_depth_and_longest_wait(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    enqueue(ctx, channel="phone", queue="phone.cards")
    enqueue(ctx, channel="phone", queue="phone.cards", customer=2)
    gone = enqueue(ctx, customer=3)
    assert customer_leaves(ctx, gone) == "abandoned"
    time.sleep(0.05)
    stats = {q["queue"]: q for q in a.call("GET", "/queues").json()}
    assert set(stats) == {"chat.general", "phone.general", "phone.cards"}
    assert stats["phone.cards"]["waiting"] == 2 and stats["phone.cards"]["channel"] == "phone"
    assert stats["phone.cards"]["longest_wait_seconds"] >= 0.05
    assert stats["chat.general"] == {**stats["chat.general"], "waiting": 0, "longest_wait_seconds": 0.0}
    assert api.get("/queues").status_code == 401


def test_an_offer_whose_customer_leaves_frees_the_agent(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = enqueue(ctx)
    a.set_state("ready")
    a.wait_offer()
    assert customer_leaves(ctx, contact_id) == "abandoned"
    assert a.state()["state"] == "ready"
    assert a.call("GET", "/me/contact").status_code == 404
    wait_for(lambda: any(e["status"] == "abandoned" for e in a.events("contact")))
