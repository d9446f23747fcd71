"""Training simulator: the driver against a fake backend (the SimulatorBackend Protocol)."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

from csdesk.domain.contacts import Channel
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.simulator.driver import DriverConfig, SimulatorDriver, reply_delay, secrets_of
from csdesk.server.simulator.openings import load_openings
from csdesk.server.simulator.scenarios import load_scenarios
from tests.shared_data import BANKING77

CUSTOMERS = [secrets_of(c) for c in DEMO_CUSTOMERS]
SCENARIOS = load_scenarios()


class FakeBackend:
    """Records every call the driver makes (thread-safe: the driver calls in worker threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contacts: dict[str, dict] = {}
        self.said: list[tuple[str, str, str]] = []
        self.left: list[str] = []
        self.consents: list[tuple[str, str, bool]] = []
        self.keypads: dict[str, object] = {}

    def enqueue_contact(self, *, channel, queue, customer_ref, first_words, scenario):
        with self.lock:
            cid = f"C{len(self.contacts) + 1}"
            self.contacts[cid] = dict(channel=channel, queue=queue, customer_ref=customer_ref,
                                      first_words=first_words, scenario=scenario)
            return cid

    def customer_says(self, contact_id, text, kind):
        with self.lock:
            self.said.append((contact_id, text, kind))

    def customer_leaves(self, contact_id):
        with self.lock:
            self.left.append(contact_id)

    def record_consent(self, contact_id, disclosure_id, consent):
        with self.lock:
            self.consents.append((contact_id, disclosure_id, consent))

    def register_keypad(self, contact_id, keypad):
        with self.lock:
            if keypad is None:
                self.keypads.pop(contact_id, None)
            else:
                self.keypads[contact_id] = keypad

    def lines(self, cid):
        return [t for c, t, _ in self.said if c == cid]


def make(speed=math.inf, seed=11, openings=None, rate=600.0, **kw):
    kw.setdefault("patience", not math.isinf(speed))  # instant replies: no queue/hold timers
    backend = FakeBackend()
    config = DriverConfig(rate_per_minute=rate, speed=speed, lang="en", seed=seed, **kw)
    return backend, SimulatorDriver(backend, SCENARIOS, CUSTOMERS, openings=openings, config=config)


async def settle(driver, cid=None):
    for _ in range(50):
        await asyncio.sleep(0)
        sims = [driver.contacts.get(cid)] if cid else list(driver.contacts.values())
        tasks = [s.last for s in sims if s is not None and s.last is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.01)


async def test_lost_card_chat_happy_path():
    backend, driver = make()
    sim = await driver.spawn(scenario_id="lost_card_freeze")
    cid = sim.contact_id
    entry = backend.contacts[cid]
    assert entry["scenario"] == "lost_card_freeze"
    assert entry["queue"] == f"{entry['channel'].value}.cards" if entry["channel"] is Channel.PHONE \
        else entry["queue"] == "chat.general"
    assert entry["first_words"] and backend.keypads[cid] == driver.keypad
    driver.accepted(cid)
    driver.agent_said(cid, "Hello, agent 1001 here. How can I help you?")
    await settle(driver, cid)
    driver.agent_said(cid, "Please give me your ID number last 6 digits and your card's last four digits.")
    await settle(driver, cid)
    secrets = next(c for c in CUSTOMERS if c.customer_ref == entry["customer_ref"])
    assert secrets.id_number[-6:] in backend.lines(cid)[-1] and secrets.cards[0][-4:] in backend.lines(cid)[-1]
    driver.operation_done(cid, "freeze_card", "REF-42")
    driver.agent_said(cid, "Anything else I can help with?")
    driver.agent_said(cid, "Anything else?")
    await settle(driver, cid)
    lines = backend.lines(cid)
    assert "REF-42" in lines[-3] and "replacement" in lines[-2] and "that's all" in lines[-1].lower()
    kinds = {k for c, _, k in backend.said if c == cid}
    assert kinds == {"caption" if sim.channel is Channel.PHONE else "message"}
    driver.contact_ended(cid)
    assert cid not in driver.contacts and cid not in backend.keypads
    driver.agent_said(cid, "hello?")  # ignored after the end
    await settle(driver)
    assert backend.lines(cid) == lines
    await driver.stop()


async def test_disclosure_consent_and_refusal_are_recorded():
    backend, driver = make()
    yes = await driver.spawn(scenario_id="transfer_consent")
    no = await driver.spawn(scenario_id="transfer_refuse")
    for sim, did in ((yes, "D1"), (no, "D2")):
        driver.accepted(sim.contact_id)
        driver.disclosure_sent(sim.contact_id, did, "Risk disclosure text")
    await settle(driver)
    assert sorted(backend.consents) == sorted([(yes.contact_id, "D1", True), (no.contact_id, "D2", False)])
    await driver.stop()


async def test_fraudster_keypad_is_wrong_and_hook_works_from_a_thread():
    backend, driver = make()
    sim = await driver.spawn(scenario_id="verification_fraud")
    secrets = next(c for c in CUSTOMERS if c.customer_ref == backend.contacts[sim.contact_id]["customer_ref"])
    digits = await asyncio.to_thread(backend.keypads[sim.contact_id], sim.contact_id)
    assert digits and digits != secrets.transaction_password
    honest = await driver.spawn(scenario_id="balance_inquiry")
    secrets = next(c for c in CUSTOMERS if c.customer_ref == backend.contacts[honest.contact_id]["customer_ref"])
    assert driver.keypad(honest.contact_id) == secrets.transaction_password
    assert driver.keypad("unknown") is None
    await driver.stop()


async def test_hang_up_midway_leaves_the_contact():
    backend, driver = make()
    sim = await driver.spawn(scenario_id="hang_up_midway")
    cid = sim.contact_id
    driver.agent_said(cid, "Hello, how can I help?")
    driver.agent_said(cid, "Your reserved phone number, please?")
    driver.agent_said(cid, "Thanks, one second while I look.")
    await settle(driver, cid)
    await asyncio.sleep(0.05)
    assert backend.left == [cid]
    assert backend.lines(cid)[-1] == "Sorry, something came up, I have to go."
    assert cid not in driver.contacts and cid not in backend.keypads
    assert driver.keypad(cid) is None


async def test_queue_patience_abandons_unanswered_contacts():
    backend, driver = make(speed=1000.0)  # lost card patience 60 s → 0.06 s
    sim = await driver.spawn(scenario_id="lost_card_freeze")
    taken = await driver.spawn(scenario_id="lost_card_freeze")
    driver.accepted(taken.contact_id)
    await asyncio.sleep(0.3)
    assert backend.left == [sim.contact_id]
    assert taken.contact_id in driver.contacts
    await driver.stop()


async def test_hold_patience_hangs_up_a_forgotten_caller():
    backend, driver = make(speed=300.0)  # hold patience 180 s → 0.6 s
    sim = await driver.spawn(scenario_id="phone_hold_transactions")
    cid = sim.contact_id
    assert sim.channel is Channel.PHONE and sim.queue == "phone.general"
    driver.accepted(cid)
    driver.hold_changed(cid, True)
    await asyncio.sleep(0.1)
    assert backend.lines(cid) == ["Sure, I'll stay on the line."]
    assert backend.left == []
    await asyncio.sleep(0.9)
    assert backend.left == [cid] and "hanging up" in backend.lines(cid)[-1]


async def test_resumed_in_time_no_hang_up():
    backend, driver = make(speed=300.0)  # hold patience 0.6 s
    sim = await driver.spawn(scenario_id="phone_hold_transactions")
    cid = sim.contact_id
    driver.accepted(cid)
    driver.hold_changed(cid, True)
    await asyncio.sleep(0.1)
    driver.hold_changed(cid, False)
    await asyncio.sleep(0.8)
    assert backend.left == [] and "Did you find it?" in backend.lines(cid)[-1]
    await driver.stop()


async def test_run_loop_arrivals_with_real_openings_are_seeded():
    openings = load_openings(BANKING77 / "train.csv")

    async def run(seed):
        backend, driver = make(speed=1000.0, seed=seed, openings=openings, rate=60.0, max_waiting_or_active=8)
        task = driver.start()
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len(backend.contacts) >= 8:
                break
        await driver.stop()
        assert task.done()
        return [(v["first_words"], v["scenario"], v["customer_ref"]) for v in backend.contacts.values()][:8]

    first = await run(5)
    assert len(first) == 8 and first == await run(5)
    all_texts = {t for texts in openings.by_category.values() for t in texts}
    assert all(words in all_texts for words, _, _ in first)


def test_reply_delay_is_realistic_and_config_is_checked():
    import random

    rng = random.Random(1)
    short = reply_delay("OK.", Channel.CHAT, rng)
    long = reply_delay("x" * 500, Channel.CHAT, rng)
    assert 0.8 <= short < 2 and 9.6 <= long <= 14.4
    assert reply_delay("x" * 500, Channel.PHONE, rng) <= 9.6
    with pytest.raises(ValueError):
        DriverConfig(speed=0)
    with pytest.raises(ValueError):
        DriverConfig(rate_per_minute=-1)
