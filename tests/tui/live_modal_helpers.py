"""Helpers for the live-session modal tests: a real ContactService with an active contact.

:func:`live_contact` signs the first demo agent in with a real
:class:`ApiClient` (optionally over a fault-injecting transport), follows the
event stream into a :class:`ContactService`, puts a contact of a demo
customer in queue, goes Ready and accepts the offer. :class:`ModalHost` is a
bare Textual app that shows one modal and keeps what it was dismissed with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from textual.app import App
from textual.screen import Screen

from csdesk.api.client import ApiClient
from csdesk.api.events import EventFollower
from csdesk.domain.agent_state import AgentState
from csdesk.server.contacts import enqueue_contact
from csdesk.server.customers import DEMO_CUSTOMERS, DemoCustomer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.contact import ContactService
from tests.tui.helpers import fresh_code, screen_text

AGENT = DEMO_AGENTS[0]

#: A value the modal was never dismissed with.
PENDING = object()


async def until(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait in the loop until ``probe()`` is truthy; return it."""
    end = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)
    return value


@dataclass
class Live:
    """A signed-in desk with an active contact of ``customer``."""

    backend: Any
    service: ContactService
    contact_id: str
    customer: DemoCustomer
    task: asyncio.Task[None]

    @property
    def ctx(self) -> Any:
        return self.backend.context

    async def unfollow(self) -> None:
        """Stop following the event stream (events are missed from now on)."""
        await _cancel(self.task)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


@asynccontextmanager
async def live_contact(
    backend: Any, customer: int = 0, *, channel: str = "chat",
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Live]:
    """An active contact of demo customer number ``customer`` (0-based) for the
    first demo agent, with its ContactService fed by the event stream."""
    api = ApiClient(backend.url, transport=transport)
    service = ContactService(api, language="en")
    challenge = await api.login(AGENT["employee_id"], AGENT["password"])
    await api.verify_mfa(challenge.mfa_ticket, fresh_code(AGENT["totp_secret"], backend.url))
    follower = EventFollower(api, service.handle_event, backoff_min=0.1)
    task = asyncio.ensure_future(follower.run())
    try:
        await until(lambda: follower.connected)
        demo = DEMO_CUSTOMERS[customer]
        queue = "chat.general" if channel == "chat" else "phone.general"
        contact_id = await asyncio.to_thread(
            enqueue_contact, backend.context, channel, queue, demo["customer_ref"], "Hello"
        )
        await api.set_state(AgentState.READY)
        await until(lambda: service.offer and service.offer.contact_id == contact_id)
        await service.accept()
        yield Live(backend, service, contact_id, demo, task)
    finally:
        await _cancel(task)
        service.stop()
        await api.aclose()


class ModalHost(App[None]):
    """Shows ``modal`` at start; ``result`` is what it was dismissed with."""

    def __init__(self, modal: Screen[Any]) -> None:
        super().__init__()
        self.modal = modal
        self.result: Any = PENDING

    def on_mount(self) -> None:
        self.push_screen(self.modal, self._done)

    def _done(self, value: Any) -> None:
        self.result = value


def modal_text(app: App[Any]) -> str:
    """All Static text of the current screen (see ``tests.tui.helpers.screen_text``)."""
    return screen_text(app)  # type: ignore[arg-type]
