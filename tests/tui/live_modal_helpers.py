"""Helpers for the live-session modal tests: a real ContactService with an active contact.

:func:`live_contact` signs the first demo agent in with a real
:class:`ApiClient` (optionally over a fault-injecting transport), follows the
event stream into a :class:`ContactService`, puts a contact of a demo
customer in queue, goes Ready and accepts the offer. :class:`ModalHost` is a
bare Textual app that shows one modal and keeps what it was dismissed with;
:func:`burst` queues keys the way a fast terminal delivers them;
:func:`assert_in_view` checks that a modal's parts are all on the screen;
:func:`operation_modal` opens F7 at a verification level.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from csdesk.api.client import ApiClient
from csdesk.api.events import EventFollower
from csdesk.domain.agent_state import AgentState
from csdesk.server.contacts import enqueue_contact
from csdesk.server.customers import DEMO_CUSTOMERS, DemoCustomer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.contact import ContactService
from tests.test_contact_service import until
from tests.tui.helpers import fresh_code, screen_text, wait_for

AGENT = DEMO_AGENTS[0]

#: A value the modal was never dismissed with.
PENDING = object()


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


#: The demo customer's answer for each verification method typed by the agent.
ANSWERS = {
    "reserved_phone": lambda c: c["phone"],
    "id_last6": lambda c: c["id_number"][-6:],
    "card_last4": lambda c: c["cards"][0]["number"][-4:],
    "security_question": lambda c: c["security_answer"],
}


async def verify_to(live: Live, level: int) -> None:
    """Pass the typed methods in order (phone, ID digits, security question)
    until the contact is at ``level`` (1–3)."""
    for method in ("reserved_phone", "id_last6", "security_question")[:level]:
        await live.service.verify(method, ANSWERS[method](live.customer))


@asynccontextmanager
async def operation_modal(
    backend: Any, customer: int, level: int, *, language: str = "en", size: tuple[int, int] = (80, 24)
) -> AsyncIterator[tuple[Live, ModalHost, Pilot[Any]]]:
    """The F7 modal on an active contact of demo customer ``customer``
    verified to ``level``, its catalogue loaded: ``(live, app, pilot)``."""
    from csdesk.screens.operation import OperationScreen

    async with live_contact(backend, customer) as live:
        await verify_to(live, level)
        app = ModalHost(OperationScreen(live.service, language=language))
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: bool(getattr(app.screen, "catalogue", None)))
            yield live, app, pilot


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


def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Queue ``keys`` all at once, as a terminal delivers a fast burst (tmux
    send-keys, a paste without bracketed paste): none is handled before the
    next is queued (``pilot.press`` waits for each, which hides races).
    Single characters are typed as themselves; longer items are key names."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


def assert_in_view(screen: Screen[Any], *targets: str | Widget, inside: str = "#dialog") -> None:
    """Each of ``targets`` (a widget or a selector) is shown whole inside the
    content of ``inside`` (the modal's window) on the screen: not clipped,
    not scrolled off, not hidden."""
    box = screen.query_one(inside).content_region
    for target in targets:
        widget = screen.query_one(target) if isinstance(target, str) else target
        selector = target if isinstance(target, str) else repr(widget)
        region = widget.region
        assert widget.display and region.height > 0, f"{selector} is not shown"
        assert box.contains_region(region), f"{selector} at {region} is outside {inside} {box}"
        assert screen.region.contains_region(region), f"{selector} at {region} is off the screen"


def modal_text(app: App[Any]) -> str:
    """All Static text of the current screen (see ``tests.tui.helpers.screen_text``)."""
    return screen_text(app)  # type: ignore[arg-type]
