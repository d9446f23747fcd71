"""Training simulator end to end: the driver against the real backend (HTTP desk side).

The agent's side goes through the real endpoints (in worker threads, so the
driver's event loop keeps running); the customer's side is the simulator
driver wired with :class:`ServerBackend` (enqueue, says, leaves, consent,
keypad, agent-line and disclosure hooks, row watcher).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.simulator.driver import DriverConfig, ServerBackend, Simulation, SimulatorDriver, secrets_of
from csdesk.server.simulator.scenarios import load_scenarios
from tests.server.live_helpers import Desk, desk
from tests.shared_data import BANKING77

BANKING77_CSV = BANKING77 / "train.csv"

SCENARIOS = load_scenarios()
CUSTOMERS = [secrets_of(c) for c in DEMO_CUSTOMERS]


async def until(probe, timeout: float = 8.0):
    end = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(probe)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


class Sim:
    """A driver on the real backend, and an agent desk."""

    def __init__(self, backend: BackgroundServer, d: Desk) -> None:
        self.ctx = backend.context
        self.d = d
        self.server = ServerBackend(self.ctx)
        config = DriverConfig(speed=200.0, lang="en", seed=4, patience=False,
                              queues=self.ctx.settings.queues)
        self.driver = SimulatorDriver(self.server, SCENARIOS, CUSTOMERS, config=config)

    async def __aenter__(self) -> Sim:
        self.server.attach(self.driver, poll_seconds=0.05)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.driver.stop()
        await self.server.detach()

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await asyncio.to_thread(self.d.post, path, body)

    async def accept(self, scenario_id: str):
        sim = await self.driver.spawn(scenario_id=scenario_id)
        assert (await asyncio.to_thread(self.d.set_state, "ready")).status_code == 200
        offer = await asyncio.to_thread(self.d.wait_offer)
        assert offer["id"] == sim.contact_id and offer["first_words"] == sim.customer.first_words
        assert (await self.post(f"/contacts/{sim.contact_id}/accept")).status_code == 200
        return sim

    def customer_lines(self, cid: str) -> list[str]:
        view = self.d.call("GET", f"/contacts/{cid}").json()
        return [l["text"] for l in view["transcript"] if l["speaker"] == "customer"]

    async def say(self, cid: str, text: str, expect: int) -> list[str]:
        """The agent says ``text``; wait until the customer has said ``expect`` lines in all."""
        assert (await self.post(f"/contacts/{cid}/messages", {"text": text})).status_code == 201
        return await until(lambda: (lines := self.customer_lines(cid)) and len(lines) >= expect and lines)


@pytest.fixture
def agent(api: httpx.Client, sign_in, backend: BackgroundServer) -> Desk:
    return desk(api, sign_in, backend.context, DEMO_AGENTS[0])


async def test_lost_card_with_l3_keypad_operation_and_thats_all(backend: BackgroundServer, agent: Desk) -> None:
    async with Sim(backend, agent) as s:
        sim = await s.accept("lost_card_freeze")
        cid, secrets = sim.contact_id, sim.customer.secrets
        lines = await s.say(cid, "Hello, this is agent 1001. How may I help you today?", 2)
        assert lines[0] == sim.customer.first_words and any(w in lines[1] for w in ("freeze", "block"))
        lines = await s.say(cid, "Please tell me the last 6 digits of your ID number and your card's last four digits.", 3)
        assert secrets.id_number[-6:] in lines[2] and secrets.cards[0][-4:] in lines[2]
        for method, answer in (("id_last6", secrets.id_number[-6:]), ("card_last4", secrets.cards[0][-4:]),
                               ("transaction_password", "")):  # the keypad hook answers the last one
            result = (await s.post(f"/contacts/{cid}/verify", {"method": method, "answer": answer})).json()
            assert result["passed"] is True, (method, result)
        assert result["level"] == 3
        done = await s.post(f"/contacts/{cid}/operations/freeze_card",
                            {"fields": {"card": secrets.cards[0][-4:], "reason": "lost"}})
        assert done.status_code == 200, done.text
        reference = done.json()["reference"]
        lines = await until(lambda: (ls := s.customer_lines(cid)) and any(reference in l for l in ls) and ls)
        lines = await s.say(cid, "Is there anything else I can help you with?", len(lines) + 1)
        assert "replacement" in lines[-1]
        lines = await s.say(cid, "Anything else?", len(lines) + 1)
        assert "that's all" in lines[-1].lower()
        assert (await s.post(f"/contacts/{cid}/end")).status_code == 200
        await until(lambda: cid not in s.driver.contacts)


async def test_transfer_refused_disclosure_is_recorded(backend: BackgroundServer, agent: Desk) -> None:
    async with Sim(backend, agent) as s:
        sim = await s.accept("transfer_refuse")
        cid = sim.contact_id
        sent = await s.post(f"/contacts/{cid}/disclosures", {"operation": "transfer_own"})
        assert sent.status_code in (200, 201), sent.text
        did = sent.json()["id"]
        answer = await until(lambda: (r := agent.call("GET", f"/contacts/{cid}/disclosures/{did}").json())
                             ["consent"] is not None and r)
        assert answer["consent"] is False
        assert "don't agree" in s.customer_lines(cid)[-1]


async def test_fraudster_fails_three_times_and_locks_verification(backend: BackgroundServer, agent: Desk) -> None:
    async with Sim(backend, agent) as s:
        sim = await s.accept("verification_fraud")
        cid = sim.contact_id
        await s.say(cid, "Hello, how can I help?", 2)
        results = []
        for _ in range(3):
            lines = await s.say(cid, "What is your reserved phone number?", len(s.customer_lines(cid)) + 1)
            said = "".join(ch for ch in lines[-1] if ch.isdigit())
            results.append((await s.post(f"/contacts/{cid}/verify",
                                         {"method": "reserved_phone", "answer": said})).json())
        assert [r["passed"] for r in results] == [False, False, False] and results[-1]["locked"] is True
        view = agent.call("GET", f"/contacts/{cid}").json()
        assert view["verification_locked"] and view["customer"]["possible_fraud"]



async def test_customer_hangs_up_mid_contact(backend: BackgroundServer, agent: Desk) -> None:
    async with Sim(backend, agent) as s:
        sim = await s.accept("hang_up_midway")
        cid = sim.contact_id
        await s.say(cid, "Hello, how can I help?", 2)
        await s.say(cid, "Your reserved phone number, please?", 3)
        await s.post(f"/contacts/{cid}/messages", {"text": "Thanks, one second while I look."})
        view = await until(lambda: (v := agent.call("GET", f"/contacts/{cid}").json())["customer_left"] and v)
        assert view["status"] == "wrap_up"
        assert "have to go" in s.customer_lines(cid)[-1]
        await until(lambda: cid not in s.driver.contacts)


async def test_simulation_fills_the_real_queues_with_banking77_customers(backend: BackgroundServer) -> None:
    ctx = backend.context
    config = DriverConfig(rate_per_minute=600.0, speed=100.0, seed=9, max_waiting_or_active=4, patience=False,
                          queues=tuple(ctx.settings.queues))
    simulation = Simulation(ctx, customers_csv=BANKING77_CSV, config=config)
    await simulation.start()
    try:
        await until(lambda: len(simulation.driver.contacts) >= 4)
    finally:
        await simulation.stop()
    from sqlalchemy import select

    from csdesk.server.models import Contact

    with ctx.db.read() as session:
        rows = list(session.scalars(select(Contact)))
    # The simulator stopped, so its waiting customers left with it: nobody plays them any more.
    assert len(rows) == 4 and all(r.simulated and r.status == "abandoned" and r.customer_left for r in rows)
    assert {r.scenario for r in rows} <= {s.id for s in SCENARIOS}
    assert all(r.queue in {name for name, _ in ctx.settings.queues} for r in rows)
    assert all(r.first_words and r.first_words.isascii() for r in rows)  # Banking77 openings
