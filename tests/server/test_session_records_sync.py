"""Session records as the sync collection ``session_records`` (issue #4, guide §3.3),
and the wrap-up sent later through the desk's outbox (design §4-5).

The agent pulls its own records with their transcripts; a wrap-up retried
with the same ``Idempotency-Key`` makes one record; a wrap-up queued while
the backend was down goes through after the backend restarts and the agent
signs in again (back in ACW).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import delete, func, select

from csdesk.api.client import ApiClient
from csdesk.demo import free_port
from csdesk.domain.contact_schemas import WrapUpRequest
from csdesk.server.contacts import customer_says, session_record_docs
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.models import Change, SessionRecord
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.sync import backfill_session_records
from csdesk.services.sync import PULLED_COLLECTIONS, SyncService
from csdesk.store.local import LocalStore
from tests.conftest import make_settings
from tests.server.live_helpers import Desk, active_contact, desk

A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]
WRAP = WrapUpRequest(disposition="lost_card.card_freeze", notes="froze the card", business_types=["card"])


@pytest.fixture
def a(api: httpx.Client, sign_in, backend: BackgroundServer) -> Desk:
    return desk(api, sign_in, backend.context, A)


def record_count(backend: BackgroundServer) -> tuple[int, int]:
    """(session records, their change rows) in the backend's database."""
    with backend.context.db.read() as session:
        records = session.scalar(select(func.count()).select_from(SessionRecord))
        changes = session.scalar(select(func.count()).select_from(Change).where(
            Change.collection == "session_records"))
        return int(records or 0), int(changes or 0)


def handled(d: Desk, backend: BackgroundServer) -> str:
    """A chat contact accepted, a customer line with an escape sequence, ended: in ACW."""
    cid = active_contact(d, backend.context, words="我的卡丢了")
    customer_says(backend.context, cid, "card \x1b[31mred\x1b[0m ending 1234")
    assert d.post(f"/contacts/{cid}/messages", {"text": "I will freeze it now."}).status_code == 201
    assert d.post(f"/contacts/{cid}/end").status_code == 200
    return cid


def test_wrap_up_appears_in_the_agents_session_records_with_its_transcript(
    backend: BackgroundServer, api: httpx.Client, sign_in, a: Desk
) -> None:
    assert "session_records" in PULLED_COLLECTIONS
    cid = handled(a, backend)
    seen = a.call("GET", f"/contacts/{cid}").json()["transcript"]
    answer = a.post(f"/contacts/{cid}/wrap-up", WRAP.model_dump(mode="json"))
    assert answer.status_code == 200, answer.text
    page = a.call("GET", "/sync/session_records").json()
    assert page["deleted"] == [] and page["has_more"] is False
    [doc] = page["items"]
    assert {k: doc[k] for k in answer.json()} == answer.json()  # every SessionRecordView field
    assert doc["id"] == answer.json()["id"] and doc["contact_id"] == cid
    assert doc["customer_name"] == DEMO_CUSTOMERS[0]["name"]
    assert doc["transcript"] == seen  # the lines the agent saw, in order
    assert [line["seq"] for line in doc["transcript"]] == list(range(1, len(seen) + 1))
    assert any(line["text"] == "card red ending 1234" for line in doc["transcript"])  # cleaned
    assert doc["transcript"][-1]["speaker"] == "system" and set(doc["transcript"][0]) == {
        "seq", "at", "speaker", "kind", "text"}
    # The cursor moves on; another agent sees nothing of it.
    assert a.call("GET", "/sync/session_records", params={"since": page["cursor"]}).json()["items"] == []
    b = desk(api, sign_in, backend.context, B)
    assert b.call("GET", "/sync/session_records").json()["items"] == []
    with backend.context.db.read() as session:
        assert session_record_docs(session, B["employee_id"], [doc["id"]]) == {}


def test_a_wrap_up_retried_with_the_same_key_makes_one_record(backend: BackgroundServer, a: Desk) -> None:
    cid = handled(a, backend)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = WRAP.model_dump(mode="json")
    first = a.post(f"/contacts/{cid}/wrap-up", body, headers=key)
    again = a.post(f"/contacts/{cid}/wrap-up", body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert record_count(backend) == (1, 1)
    # A new key for the same contact applies nothing either: it is closed.
    other = a.post(f"/contacts/{cid}/wrap-up", body)
    assert other.status_code == 409 and other.json()["code"] == "contact-not-active"
    assert record_count(backend) == (1, 1)
    assert len(a.call("GET", "/sync/session_records").json()["items"]) == 1


def test_records_made_before_the_collection_are_backfilled_once(backend: BackgroundServer, a: Desk) -> None:
    cid = handled(a, backend)
    assert a.post(f"/contacts/{cid}/wrap-up", WRAP.model_dump(mode="json")).status_code == 200
    with backend.context.db.write() as session:
        session.execute(delete(Change).where(Change.collection == "session_records"))
    assert backfill_session_records(backend.context) == 1
    assert backfill_session_records(backend.context) == 0
    assert [d["contact_id"] for d in a.call("GET", "/sync/session_records").json()["items"]] == [cid]


# -- the outbox path (task: wrap-up queued offline, pushed after a backend restart) -----


def _code(secret: str, after_step: int) -> tuple[str, int]:
    """A TOTP code for a step after ``after_step`` that the server accepts now (±1 step)."""
    while True:
        now_step = int(time.time() // 30)
        step = max(now_step, after_step + 1)
        if step <= now_step + 1 and (step > now_step or 30 - time.time() % 30 > 2):
            return pyotp.TOTP(secret).at(step * 30), step
        time.sleep(30 - time.time() % 30 + 0.05)


async def _sign_in(api: ApiClient, after_step: int) -> tuple[str, int]:
    challenge = await api.login(A["employee_id"], A["password"])
    code, step = _code(A["totp_secret"], after_step)
    tokens = await api.verify_mfa(challenge.mfa_ticket, code)
    return tokens.agent.state.state.value, step


async def _until(probe, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while not (value := await probe()):
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.1)
    return value


async def test_wrap_up_queued_while_the_backend_is_down_goes_through_after_restart(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path / "db" / "csdesk.db")
    server = BackgroundServer(settings, port=port).start()
    api = ApiClient(server.url)
    store = LocalStore.open(tmp_path / "data", server.url, A["employee_id"])
    sync = SyncService(api, store)
    try:
        state, step = await _sign_in(api, -1)
        assert state == "not_ready"
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=10) as http:
            d = Desk(http, server.context, A["employee_id"], api.auth_headers(), [])
            cid = handled(d, server)
        server.stop()
        # The desk wraps up while the backend is down: queued, kept, retried later.
        item = await sync.enqueue("contact.wrap_up", "POST", f"/contacts/{cid}/wrap-up",
                                  WRAP.model_dump(mode="json"))
        assert await sync.push_once() is False
        assert [i.status for i in sync.outbox.items()] == ["pending"]
        assert (await sync.refresh_status()).online is False
        # The backend comes back (a new app on the same database); the agent signs in
        # again — in ACW, since a contact awaits its wrap-up.
        server = BackgroundServer(settings, port=port).start()
        state, step = await _sign_in(api, step)
        assert state == "acw"
        assert (await api.current_contact()).id == cid
        await _until(lambda: sync.push_once())
        assert sync.outbox.pending_count() == sync.outbox.failed_count() == 0
        assert record_count(server) == (1, 1)
        assert (await api.me()).state.state.value == "ready"
        # The answer was lost? The same key again replays it: still one record.
        replay = await api.send_mutation(item.method, item.path, item.body, item.key)
        assert replay["contact_id"] == cid and record_count(server) == (1, 1)
        # The record comes back to the local store by sync, transcript included.
        await sync.pull_all()
        [doc] = store.all("session_records").values()
        assert doc["contact_id"] == cid and doc["disposition"] == WRAP.disposition
        assert doc["id"] == replay["id"] and doc["transcript"][-1]["speaker"] == "system"
    finally:
        store.close()
        await api.aclose()
        server.stop()
