"""Helpers for the live-session tests (issue #4): agents at the desk, offers, events.

Contacts are put in queue with ``csdesk.server.contacts.enqueue_contact`` on
``backend.context`` (as the simulator does); everything else goes through
the real HTTP endpoints. Events are read from the backend's ``events`` table
(the rows the SSE stream sends), so tests need not hold a stream open.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from csdesk.server.context import ServerContext
from csdesk.server.contacts import enqueue_contact
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.models import EventRow
from tests.conftest import bearer

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 5.0, step: float = 0.05) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(step)


@dataclass
class Desk:
    """One signed-in agent: ``call`` sends with its token and keeps every answer's body."""

    api: httpx.Client
    ctx: ServerContext
    agent_id: str
    headers: dict[str, str]
    bodies: list[str]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the token (and a fresh Idempotency-Key on POST unless given)."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if method == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        response = self.api.request(method, path, headers=headers, **kwargs)
        self.bodies.append(response.text)
        return response

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """POST ``body`` as JSON (``{}`` when None)."""
        return self.call("POST", path, json={} if body is None else body, **kwargs)

    def state(self) -> dict[str, Any]:
        """The agent's state (``GET /me``)."""
        state: dict[str, Any] = self.call("GET", "/me").json()["state"]
        return state

    def set_state(self, state: str, reason: str | None = None) -> httpx.Response:
        """``PUT /me/state``."""
        return self.call("PUT", "/me/state", json={"state": state, "reason": reason})

    def wait_state(self, state: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the agent is in ``state``; return the state view."""
        return wait_for(lambda: (s := self.state())["state"] == state and s, timeout)

    def wait_offer(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for an offer at this agent; return the ``GET /me/contact`` view."""

        def probe() -> dict[str, Any] | None:
            answer = self.call("GET", "/me/contact")
            if answer.status_code == 200 and answer.json()["status"] == "offered":
                view: dict[str, Any] = answer.json()
                return view
            return None

        return wait_for(probe, timeout)

    def events(self, type: str) -> list[dict[str, Any]]:
        """Data of this agent's stored events of ``type``, oldest first."""
        with self.ctx.db.read() as session:
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.agent_id == self.agent_id, EventRow.type == type)
                .order_by(EventRow.id)
            )
            return [dict(row.data) for row in rows]


def desk(api: httpx.Client, sign_in: Any, ctx: ServerContext, agent: dict[str, Any]) -> Desk:
    """Sign ``agent`` in (Not Ready ``sign_in``)."""
    token = sign_in(api, dict(agent))["access_token"]
    return Desk(api, ctx, agent["employee_id"], bearer(token), [])


def enqueue(
    ctx: ServerContext,
    *,
    channel: str = "chat",
    queue: str | None = None,
    customer: int = 0,
    words: str = "我的卡丢了",
) -> str:
    """A new contact of demo customer ``customer`` (index) in ``queue`` (default by channel)."""
    queue = queue or ("chat.general" if channel == "chat" else "phone.general")
    return enqueue_contact(ctx, channel, queue, DEMO_CUSTOMERS[customer]["customer_ref"], words)


def active_contact(d: Desk, ctx: ServerContext, **kwargs: Any) -> str:
    """Enqueue a contact, make ``d`` Ready, accept the offer; return the contact id."""
    contact_id = enqueue(ctx, **kwargs)
    assert d.set_state("ready").status_code == 200
    offer = d.wait_offer()
    assert offer["id"] == contact_id
    answer = d.post(f"/contacts/{contact_id}/accept")
    assert answer.status_code == 200, answer.text
    return contact_id


def clear_secrets(customer: int) -> list[str]:
    """The clear phone, ID and card numbers, answer and password of demo customer ``customer``."""
    demo = DEMO_CUSTOMERS[customer]
    return [
        demo["phone"],
        demo["id_number"],
        demo["id_number"][3:-4],
        demo["security_answer"],
        demo["transaction_password"],
        *(card["number"] for card in demo["cards"]),
    ]
