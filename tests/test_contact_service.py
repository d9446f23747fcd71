"""The desk's live-session service against a real backend on loopback (issue #4).

An :class:`ApiClient` signs in, an :class:`EventFollower` feeds a
:class:`ContactService`, contacts are put in queue (and customers speak,
consent) with the backend's own functions on ``backend.context``, as the
training simulator does. Faults the backend cannot show (lost answers,
malformed replies) come from a lossy transport and ``GarbageServer``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from csdesk.api.client import ApiClient
from csdesk.api.errors import BadResponseError, OfflineError, ProblemError
from csdesk.api.events import EventFollower
from csdesk.domain import contact_schemas as cs
from csdesk.domain.agent_state import AgentState
from csdesk.domain.contacts import ContactStatus, Speaker
from csdesk.domain.schemas import Event
from csdesk.server.contacts import customer_says, enqueue_contact
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.disclosures import record_consent
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.contact import ContactChange, ContactService
from csdesk.services.session import DeskSession
from tests.garbage_server import GarbageServer
from tests.tui.helpers import fresh_code

AGENT = DEMO_AGENTS[0]
CUSTOMER = DEMO_CUSTOMERS[0]
CARD_LAST4 = CUSTOMER["cards"][0]["number"][-4:]


class LoseAnswers(httpx.AsyncBaseTransport):
    """Sends every request, but loses the answer of the first request whose path
    contains one of ``lose`` (the backend applied it; the client never hears)."""

    def __init__(self, *lose: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = list(lose)
        self.sent: list[tuple[str, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.sent.append((request.url.path, request.headers.get("Idempotency-Key")))
        for part in self.lose:
            if part in request.url.path:
                self.lose.remove(part)
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("answer lost")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def until(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait (in the loop) until ``probe()`` is truthy; return it."""
    end = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


class Desk:
    """A signed-in client, its service and the event stream feeding it."""

    def __init__(self, backend: Any, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.backend = backend
        self.ctx = backend.context
        self.api = ApiClient(backend.url, transport=transport)
        self.service = ContactService(self.api, language="en")
        self.changes: list[ContactChange] = []
        self.service.add_listener(self.changes.append)
        self.follower: EventFollower | None = None
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Desk":
        challenge = await self.api.login(AGENT["employee_id"], AGENT["password"])
        await self.api.verify_mfa(challenge.mfa_ticket, fresh_code(AGENT["totp_secret"], self.backend.url))
        self.follow()
        await until(lambda: self.follower and self.follower.connected)
        return self

    def follow(self, last_event_id: str | None = None) -> None:
        self.follower = EventFollower(
            self.api, self.service.handle_event, last_event_id=last_event_id, backoff_min=0.1
        )
        self.task = asyncio.ensure_future(self.follower.run())

    async def unfollow(self) -> str | None:
        assert self.follower and self.task
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        return self.follower.last_event_id

    async def __aexit__(self, *exc: object) -> None:
        await self.unfollow()
        self.service.stop()
        await self.api.aclose()

    async def enqueue(self, channel: str = "chat", words: str = "I lost my card") -> str:
        queue = "chat.general" if channel == "chat" else "phone.general"
        return await asyncio.to_thread(
            enqueue_contact, self.ctx, channel, queue, CUSTOMER["customer_ref"], words
        )

    async def says(self, contact_id: str, text: str, kind: str = "message") -> cs.TranscriptLine:
        return await asyncio.to_thread(customer_says, self.ctx, contact_id, text, kind)

    async def offered(self, contact_id: str) -> cs.OfferView:
        await self.api.set_state(AgentState.READY)
        return await until(lambda: self.service.offer and self.service.offer.contact_id == contact_id and self.service.offer)

    async def state(self) -> AgentState:
        return (await self.api.me()).state.state


async def test_chat_contact_from_offer_to_wrap_up(backend) -> None:
    lossy = LoseAnswers()
    async with Desk(backend, lossy) as desk:
        service = desk.service
        contact_id = await desk.enqueue(words="Hi, <b>where</b> is my card?")
        stats = await service.refresh_queues()
        assert {q.queue for q in stats} >= {"chat.general", "phone.general"}
        assert service.queue_depth == 1 and any(c.kind == "queues" for c in desk.changes)

        offer = await desk.offered(contact_id)
        assert offer.channel == "chat" and offer.first_words == "Hi, <b>where</b> is my card?"
        view = await service.accept()
        assert view.status is ContactStatus.ACTIVE and service.offer is None
        assert view.customer and view.customer.phone_masked.endswith(CUSTOMER["phone"][-4:])
        assert AGENT["employee_id"] in view.greeting
        assert [line.speaker for line in view.transcript][:2] == [Speaker.SYSTEM, Speaker.CUSTOMER]
        assert await desk.state() is AgentState.ON_CONTACT

        before = len(desk.changes)
        said = await desk.says(contact_id, "Can you freeze it?")
        await until(lambda: any(l.seq == said.seq for l in service.contact.transcript))
        # Said to the desk either as the line itself or, when the contact's own
        # event (with the whole transcript) came first, as a changed contact.
        assert any((c.kind == "transcript" and c.line and c.line.seq == said.seq)
                   or (c.kind == "contact" and c.contact_id == contact_id) for c in desk.changes[before:])
        mine = await service.send("Of course, let me check who you are.")
        assert mine.speaker is Speaker.AGENT
        note = await service.send("customer sounds calm", kind="note")
        await asyncio.sleep(0.3)  # the events of our own lines arrive too: no duplicates
        seqs = [line.seq for line in service.contact.transcript]
        assert seqs == sorted(set(seqs)) and {mine.seq, note.seq} <= set(seqs)

        # Event stream down: a line said meanwhile is fetched on reconnect.
        last_id = await desk.unfollow()
        missed = await desk.says(contact_id, "Are you still there?")
        await service.resync()
        assert any(l.seq == missed.seq for l in service.contact.transcript)
        desk.follow(last_id)  # the replay brings the same line again: kept once
        await until(lambda: desk.follower.connected)
        await asyncio.sleep(0.3)
        seqs = [line.seq for line in service.contact.transcript]
        assert seqs == sorted(set(seqs))

        # Verification: a failure, then L2; the level follows on the contact.
        info = await service.verification_info()
        assert info.level == 0 and "reserved_phone" in info.methods
        assert (await service.verify("reserved_phone", "13900000000")).passed is False
        assert (await service.verify("reserved_phone", CUSTOMER["phone"])).level == 1
        result = await service.verify("id_last6", CUSTOMER["id_number"][-6:])
        assert result.passed and result.level == 2 and service.verification_level == 2
        assert service.contact.failed_verifications == 1

        catalogue = {op.code: op for op in await service.operations()}
        assert catalogue["buy_wealth"].disclosure and catalogue["balance_inquiry"].level == 1
        assert {p.code for p in await service.products()} >= {"WM-R1-CASH"}
        done = await service.execute("balance_inquiry", {"account": CARD_LAST4})
        assert done.reference.startswith("OP-")

        # No consent, no execution; the consent arrives as a `disclosure` event.
        fields: dict[str, str | float | bool] = {
            "product": "WM-R1-CASH", "from_account": CARD_LAST4, "amount": "100.00"}
        with pytest.raises(ProblemError) as refused:
            await service.execute("buy_wealth", fields)
        assert refused.value.code == "disclosure-required"
        sent = await service.send_disclosure("buy_wealth", "en")
        assert sent.consent is None and service.consent(sent.id) is None
        await asyncio.to_thread(record_consent, desk.ctx, contact_id, sent.id, True)
        await until(lambda: service.consent(sent.id) is True)
        assert service.consented_disclosure("buy_wealth") == sent.id
        # The first answer is lost; the retry reuses the key: executed once.
        lossy.lose.append("/operations/buy_wealth")
        with pytest.raises(OfflineError):
            await service.execute("buy_wealth", fields, sent.id)
        bought = await service.execute("buy_wealth", fields, sent.id)
        keys = [key for path, key in lossy.sent if path.endswith("/buy_wealth")]
        assert len(keys) == 3 and keys[1] == keys[2] != keys[0]
        assert [op.code for op in service.contact.operations] == ["balance_inquiry", "buy_wealth"]
        assert service.consented_disclosure("buy_wealth") is None
        server_view = await desk.api.get_contact(contact_id)
        assert [op.reference for op in server_view.operations] == [done.reference, bought.reference]

        with pytest.raises(ProblemError) as chat_hold:
            await service.hold()
        assert chat_hold.value.code == "illegal-transition"

        ended = await service.end()
        assert ended.status is ContactStatus.WRAP_UP and ended.acw_deadline is not None
        assert await desk.state() is AgentState.ACW
        categories = await service.dispositions()
        code = categories[0].codes[0]["code"]
        with pytest.raises(ProblemError) as bad:
            await service.wrap_up(cs.WrapUpRequest(disposition="no.such-code"))
        assert bad.value.code == "validation-error"
        record = await service.wrap_up(cs.WrapUpRequest(disposition=code, notes="done"))
        assert record.contact_id == contact_id and record.verification_level == 2
        assert [op.code for op in record.operations] == ["balance_inquiry", "buy_wealth"]
        assert service.contact is None and service.last_record == record
        assert await desk.state() is AgentState.READY


@pytest.mark.backend_settings(acw_seconds=1.0)
async def test_phone_contact_hold_mute_and_acw_overdue(backend) -> None:
    async with Desk(backend) as desk:
        service = desk.service
        first = await desk.enqueue("phone", words="My card was swallowed")
        await desk.offered(first)
        await service.decline("break")
        assert service.offer is None
        assert (await desk.api.me()).state.reason == "break"
        offer = await desk.offered(first)  # back at the queue head
        assert offer.channel == "phone"
        view = await service.accept()
        assert view.transcript[1].kind == "caption"
        caption = await desk.says(first, "It was at the station", kind="caption")
        await until(lambda: service.contact.transcript[-1].seq == caption.seq)

        assert (await service.hold()).on_hold is True
        with pytest.raises(ProblemError) as twice:
            await service.hold()
        assert twice.value.code == "illegal-transition"
        await asyncio.sleep(0.2)
        resumed = await service.resume()
        assert resumed.on_hold is False and resumed.hold_seconds >= 0.2
        assert (await service.mute()).muted is True
        assert (await service.unmute()).muted is False

        await service.end()
        await until(lambda: service.acw_overdue, timeout=6.0)
        assert any(c.kind == "acw_overdue" for c in desk.changes)
        assert await desk.state() is AgentState.ACW  # only a wrap-up leaves ACW
        extended = await service.extend_acw()
        assert extended.acw_extended and service.acw_overdue is False
        with pytest.raises(ProblemError):
            await service.extend_acw()
        code = (await service.dispositions())[0].codes[0]["code"]
        record = await service.wrap_up(cs.WrapUpRequest(disposition=code, not_ready_reason="break"))
        assert record.channel == "phone" and record.hold_seconds >= 0.2
        assert (await desk.api.me()).state.state is AgentState.NOT_READY


def _json(data: Any) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(data).encode()


async def test_malformed_replies_raise_bad_response() -> None:
    routes = {
        "/api/v1/me/contact": _json({"id": 1, "status": "nonsense"}),
        "/api/v1/queues": (200, "application/json", b"{not json"),
        "/api/v1/contacts/c1/accept": _json([1, 2, 3]),
        "/api/v1/contacts/c1/messages": _json({"seq": "x"}),
        "/api/v1/contacts/c1/operations/balance_inquiry": _json({"code": "balance_inquiry"}),
        "/api/v1/contacts/c1/verify": (502, "text/html", b"<h1>bad gateway</h1>"),
    }
    with GarbageServer(routes) as garbage:
        api = ApiClient(garbage.url)
        api.access_token = "t"
        try:
            with pytest.raises(BadResponseError):
                await api.current_contact()
            with pytest.raises(BadResponseError):
                await api.queues()
            with pytest.raises(BadResponseError):
                await api.accept_contact("c1")
            with pytest.raises(BadResponseError):
                await api.send_message("c1", "hi")
            with pytest.raises(BadResponseError):
                await api.execute_operation("c1", "balance_inquiry", cs.OperationRequest())
            with pytest.raises(BadResponseError):
                await api.verify("c1", "reserved_phone", "13800000000")
        finally:
            await api.aclose()


async def test_desk_session_forwards_live_events(tmp_path: Path) -> None:
    session = DeskSession("http://127.0.0.1:9", tmp_path)
    states: list[Any] = []
    session.on_state = states.append
    offer = {
        "contact_id": "c1", "channel": "chat", "queue": "chat.general", "waited_seconds": 3.5,
        "first_words": "hi", "offered_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-01T00:00:20Z",
    }
    try:
        await session._on_event(Event(id="1", type="offer", data=offer))
        assert session.contact.offer is not None and session.contact.offer.contact_id == "c1"
        await session._on_event(Event(id="2", type="offer", data={"contact_id": 5}))  # ignored
        assert session.contact.offer.contact_id == "c1"
        ready = {"state": "ready", "reason": None, "since": "2026-01-01T00:00:30Z"}
        await session._on_event(Event(id="3", type="state", data=ready))
        assert states and states[-1].state is AgentState.READY  # still reaches the session
        assert session.contact.offer is None  # an agent back in Ready has no offer ringing
    finally:
        await session.close()
