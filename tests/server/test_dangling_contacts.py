"""Contacts of an agent who signs out, goes Offline or whose sign-in expires (issue #4).

The rules (``csdesk.server.presence``): a ringing offer goes back to the
queue head; an active contact is ended by the backend into wrap-up and
stays the agent's; a wrap-up is kept; the next sign-in comes back in ACW
with a fresh ACW timer, and the wrap-up works. ``PUT /me/state`` Offline
while On Contact is refused. Nothing is lost.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx
import pytest

from csdesk.server.models import Agent, AuditEvent, Contact
from csdesk.server.presence import SIGNED_OUT_LINE
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.server.live_helpers import Desk, active_contact, desk, enqueue, wait_for

A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]
WRAP = {"disposition": "inquiry.balance", "notes": "signed out mid-call"}


@pytest.fixture
def a(api: httpx.Client, sign_in, backend: BackgroundServer) -> Desk:
    return desk(api, sign_in, backend.context, A)


def row(backend: BackgroundServer, contact_id: str) -> Contact:
    with backend.context.db.read() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        session.expunge(contact)
        return contact


def audits(backend: BackgroundServer, type: str) -> list[str | None]:
    with backend.context.db.read() as session:
        return [e.detail for e in session.query(AuditEvent).filter(AuditEvent.type == type)]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.parametrize("how", ["logout", "offline"])
def test_a_ringing_offer_goes_back_to_the_queue_head(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk, how: str
) -> None:
    first = enqueue(backend.context, words="first")
    assert a.set_state("ready").status_code == 200
    assert a.wait_offer()["id"] == first
    second = enqueue(backend.context, words="second")  # waits behind the returned one
    answer = a.post("/auth/logout") if how == "logout" else a.set_state("offline")
    assert answer.status_code in (200, 204), answer.text
    contact = row(backend, first)
    assert (contact.status, contact.agent_id, contact.offered_at) == ("queued", None, None)
    assert audits(backend, "offer-returned") == [first] and audits(backend, "offer-missed") == []
    # The next Ready agent gets the returned offer first (queue head), at once.
    b = desk(api, sign_in, backend.context, B)
    assert b.set_state("ready").status_code == 200
    assert b.wait_offer()["id"] == first
    assert row(backend, second).status == "queued"
    if how == "offline":  # still signed in, Offline as asked: never Not Ready "missed offer"
        assert a.state()["state"] == "offline"


def test_sign_out_on_contact_ends_it_into_wrap_up_kept_for_the_next_sign_in(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk
) -> None:
    cid = active_contact(a, backend.context, channel="phone")
    assert a.post(f"/contacts/{cid}/hold").status_code == 200
    time.sleep(0.05)
    assert a.post("/auth/logout").status_code == 204
    contact = row(backend, cid)
    assert (contact.status, contact.agent_id, contact.on_hold) == ("wrap_up", A["employee_id"], False)
    assert contact.ended_at is not None and contact.hold_seconds > 0 and contact.acw_deadline is None
    assert audits(backend, "contact-ended-sign-out") == [cid]
    # Signed out: the old token is dead, the contact is not lost.
    assert a.call("GET", "/me/contact").status_code == 401
    again = desk(api, sign_in, backend.context, A)
    state = again.state()
    assert state["state"] == "acw"
    view = again.call("GET", "/me/contact").json()
    assert view["id"] == cid and view["status"] == "wrap_up"
    assert view["transcript"][-1]["speaker"] == "system" and view["transcript"][-1]["text"] == SIGNED_OUT_LINE
    # The ACW timer restarted from the sign-in.
    deadline = at(view["acw_deadline"]) - at(state["since"])
    assert abs(deadline - timedelta(seconds=backend.settings.acw_seconds)) < timedelta(seconds=1)
    record = again.post(f"/contacts/{cid}/wrap-up", WRAP)
    assert record.status_code == 200, record.text
    assert record.json()["contact_id"] == cid and again.state()["state"] == "ready"


def test_offline_by_hand_on_contact_is_refused_and_changes_nothing(
    backend: BackgroundServer, a: Desk
) -> None:
    cid = active_contact(a, backend.context)
    answer = a.set_state("offline")
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["code"] == "illegal-transition" and answer.headers["content-type"].startswith(
        "application/problem+json")
    assert "end it first" in problem["detail"] and "sign out" in problem["detail"]
    assert a.state()["state"] == "on_contact" and row(backend, cid).status == "active"


def test_offline_in_acw_keeps_the_wrap_up_and_sign_in_resumes_it(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk
) -> None:
    cid = active_contact(a, backend.context)
    assert a.post(f"/contacts/{cid}/end").status_code == 200
    assert a.set_state("offline").status_code == 200
    contact = row(backend, cid)
    assert (contact.status, contact.agent_id, contact.acw_deadline) == ("wrap_up", A["employee_id"], None)
    # Still signed in (a state change is not a sign-out): wrap-up needs ACW…
    refused = a.post(f"/contacts/{cid}/wrap-up", WRAP)
    assert refused.status_code == 409 and refused.json()["code"] == "illegal-transition"
    # …and asking for Ready from Offline brings the agent back to ACW, not to new contacts.
    enqueue(backend.context, words="next customer")
    back = a.set_state("ready")
    assert back.status_code == 200 and back.json()["state"] == "acw"
    assert a.call("GET", "/me/contact").json()["id"] == cid
    assert a.set_state("offline").status_code == 200
    assert a.post("/auth/logout").status_code == 204
    again = desk(api, sign_in, backend.context, A)
    assert again.state()["state"] == "acw"
    assert again.post(f"/contacts/{cid}/wrap-up", WRAP).status_code == 200


def test_signing_in_again_after_a_crash_keeps_the_live_contact(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk
) -> None:
    """No sign-out at all (the desk died): the next sign-in is On Contact with the same contact."""
    cid = active_contact(a, backend.context)
    again = desk(api, sign_in, backend.context, A)
    assert again.state()["state"] == "on_contact"
    view = again.call("GET", "/me/contact").json()
    assert (view["id"], view["status"]) == (cid, "active")
    assert again.post(f"/contacts/{cid}/messages", {"text": "Sorry, I am back."}).status_code == 201


@pytest.mark.backend_settings(refresh_ttl=2, access_ttl=2)
def test_an_expired_sign_in_is_signed_out_by_the_backend(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk
) -> None:
    cid = active_contact(a, backend.context)
    wait_for(lambda: row(backend, cid).status == "wrap_up", timeout=6)
    with backend.context.db.read() as session:
        assert session.get(Agent, A["employee_id"]).state == "offline"
    contact = row(backend, cid)
    assert (contact.status, contact.agent_id) == ("wrap_up", A["employee_id"])
    assert "expired" in audits(backend, "sign-out")
    again = desk(api, sign_in, backend.context, A)
    assert again.state()["state"] == "acw"
    assert again.post(f"/contacts/{cid}/wrap-up", WRAP).status_code == 200
