"""QA round 7, the backend's part (real HTTP on loopback).

4. A transfer's transcript line names the queue by its display name in both
   languages (not the raw id ``phone.cards``), and routing never offers a
   transferred contact back to the agent who transferred it: it waits for
   another agent (contacts behind it may go to that agent).
5. A wrap-up may carry ``submitted_at`` (a desk that queued it offline): the
   record's ACW seconds end there, clamped to [ACW start, arrival]; the
   field is left out of the idempotency fingerprint, so the queued copy of a
   send that did arrive replays the first answer.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from csdesk.domain.queues import QUEUE_NAMES
from csdesk.server.contacts import successor_of
from csdesk.server.models import Contact, SessionRecord
from csdesk.server.routing import RoutingEngine
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.server.live_helpers import active_contact, desk, enqueue

A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]


# -- 4. transfers ------------------------------------------------------------------------


def test_the_transfer_line_names_the_queue_by_its_display_names(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="phone")
    assert a.post(f"/contacts/{contact_id}/transfer", {"queue": "phone.cards"}).status_code == 200
    lines = [line["text"] for line in a.call("GET", f"/contacts/{contact_id}").json()["transcript"]]
    names = QUEUE_NAMES["phone.cards"]
    expected = f"转接至 {names['zh-CN']} · Transferred to {names['en']}"
    assert expected == "转接至 信用卡热线 · Transferred to Cards phone line"
    assert expected in lines
    assert not any("phone.cards" in line for line in lines)


def test_a_transferred_contact_is_not_offered_back_to_the_agent_who_transferred_it(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id = active_contact(a, ctx, channel="phone")
    assert a.post(f"/contacts/{contact_id}/transfer", {"queue": "phone.cards"}).status_code == 200
    successor = successor_of(ctx, contact_id)
    assert successor is not None
    assert a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "other.transferred"}).status_code == 200
    assert a.state()["state"] == "ready"
    # A is the only Ready agent: the transferred customer is not rung at A.
    engine = RoutingEngine(ctx)
    for _ in range(3):
        engine.run_once()
    assert a.call("GET", "/me/contact").status_code == 404
    with ctx.db.read() as session:
        assert session.get(Contact, successor).status == "queued"
    # A contact behind it may still go to A.
    behind = enqueue(ctx, channel="chat")
    assert a.wait_offer()["id"] == behind
    with ctx.db.read() as session:
        assert session.get(Contact, successor).status == "queued"
    # Another agent gets it.
    b = desk(api, sign_in, ctx, B)
    b.set_state("ready")
    assert b.wait_offer()["id"] == successor


# -- 5. submitted_at ---------------------------------------------------------------------


def _ended_contact(a, ctx) -> tuple[str, datetime]:
    contact_id = active_contact(a, ctx)
    ended = a.post(f"/contacts/{contact_id}/end").json()
    assert ended["status"] == "wrap_up"
    with ctx.db.read() as session:
        at = session.get(Contact, contact_id).ended_at
    assert at is not None
    return contact_id, at


def test_acw_seconds_end_at_submitted_at_clamped_to_acw_start_and_arrival(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)

    # Submitted 0.25 s after the end (the agent's time), arriving later.
    contact_id, ended = _ended_contact(a, ctx)
    time.sleep(0.6)
    submitted = ended + timedelta(seconds=0.25)
    record = a.post(f"/contacts/{contact_id}/wrap-up", {
        "disposition": "inquiry.balance", "not_ready_reason": "break", "submitted_at": submitted.isoformat(),
    }).json()
    assert record["acw_seconds"] == 0.25

    # Before the ACW start (a client clock behind): 0, never negative.
    contact_id, ended = _ended_contact(a, ctx)
    record = a.post(f"/contacts/{contact_id}/wrap-up", {
        "disposition": "inquiry.balance", "not_ready_reason": "break", "submitted_at": (ended - timedelta(hours=1)).isoformat(),
    }).json()
    assert record["acw_seconds"] == 0.0

    # In the future (a client clock ahead): no more than up to the arrival.
    contact_id, ended = _ended_contact(a, ctx)
    time.sleep(0.3)
    record = a.post(f"/contacts/{contact_id}/wrap-up", {
        "disposition": "inquiry.balance", "not_ready_reason": "break", "submitted_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }).json()
    with ctx.db.read() as session:
        row = session.scalar(select(SessionRecord).where(SessionRecord.contact_id == contact_id))
        arrival = row.wrapped_up_at
    assert record["acw_seconds"] == round((arrival - ended).total_seconds(), 3)
    assert record["acw_seconds"] < 3600

    # Without a zone: UTC.
    contact_id, ended = _ended_contact(a, ctx)
    time.sleep(0.3)
    naive = (ended + timedelta(seconds=0.1)).astimezone(UTC).replace(tzinfo=None)
    record = a.post(f"/contacts/{contact_id}/wrap-up", {
        "disposition": "inquiry.balance", "not_ready_reason": "break", "submitted_at": naive.isoformat(),
    }).json()
    assert record["acw_seconds"] == 0.1

    # Without submitted_at: up to the arrival, as before.
    contact_id, ended = _ended_contact(a, ctx)
    record = a.post(f"/contacts/{contact_id}/wrap-up", {"disposition": "inquiry.balance", "not_ready_reason": "break"}).json()
    with ctx.db.read() as session:
        row = session.scalar(select(SessionRecord).where(SessionRecord.contact_id == contact_id))
        assert record["acw_seconds"] == round((row.wrapped_up_at - ended).total_seconds(), 3)


def test_the_queued_copy_with_submitted_at_replays_a_send_that_did_arrive(
    api: httpx.Client, sign_in, backend: BackgroundServer
) -> None:
    ctx = backend.context
    a = desk(api, sign_in, ctx, A)
    contact_id, ended = _ended_contact(a, ctx)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"disposition": "inquiry.balance", "notes": "n"}
    first = a.post(f"/contacts/{contact_id}/wrap-up", body, headers=key)
    assert first.status_code == 200
    # The desk got no answer and queued the same wrap-up with the submit time.
    queued = {**body, "submitted_at": (ended + timedelta(seconds=1)).isoformat()}
    again = a.post(f"/contacts/{contact_id}/wrap-up", queued, headers=key)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # Another request under the same key is still refused.
    other = a.post(f"/contacts/{contact_id}/wrap-up", {**queued, "notes": "other"}, headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    with ctx.db.read() as session:
        rows = session.scalars(select(SessionRecord).where(SessionRecord.contact_id == contact_id)).all()
    assert len(rows) == 1
