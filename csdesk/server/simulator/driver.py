"""The simulator's driver: simulated customers arriving and talking in the backend.

:class:`SimulatorDriver` is an asyncio task. At the configured rate
(:class:`~csdesk.server.simulator.customer.ArrivalSchedule`) it creates a
customer (a demo customer, an opening, a scenario for the opening's
category), puts the contact in a queue through the backend, and then reacts
to what happens in the contact, after a short realistic delay scaled by
``DriverConfig.speed``:

- inbound hooks (call them from the backend, any thread):
  :meth:`~SimulatorDriver.accepted`, :meth:`~SimulatorDriver.agent_said`,
  :meth:`~SimulatorDriver.hold_changed`, :meth:`~SimulatorDriver.disclosure_sent`,
  :meth:`~SimulatorDriver.verification_result`,
  :meth:`~SimulatorDriver.operation_done`, :meth:`~SimulatorDriver.contact_ended`,
  and the synchronous keypad :meth:`~SimulatorDriver.keypad`;
- outbound: the small :class:`SimulatorBackend` Protocol (enqueue, say, leave,
  consent, keypad registration). :class:`ServerBackend` binds it to the real
  backend functions of a :class:`~csdesk.server.context.ServerContext`.

The customer's behaviour itself is the pure
:class:`~csdesk.server.simulator.customer.SimulatedCustomer`; this module only
owns time (queue patience, hold patience, reply delays) and I/O.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from csdesk.domain.contacts import Channel
from csdesk.server.simulator.customer import ArrivalSchedule, CustomerSecrets, Reply, SimulatedCustomer
from csdesk.server.simulator.openings import Opening, Openings
from csdesk.server.simulator.scenarios import Scenario, pick_channel, pick_scenario

_log = logging.getLogger(__name__)

#: A keypad as the backend calls it: ``fn(contact_id)`` → digits, or None.
Keypad = Callable[[str], str | None]


class SimulatorBackend(Protocol):
    """What the driver needs from the backend (all synchronous; the driver calls
    them in a worker thread, so they may use the database).

    - ``enqueue_contact``: create a simulated contact in ``queue`` and return
      its id;
    - ``customer_says``: add the customer's words to the transcript
      (``kind`` ``"message"`` for chat, ``"caption"`` for phone speech);
    - ``customer_leaves``: the customer hangs up / closes the chat / abandons
      the queue;
    - ``record_consent``: the customer's answer to risk disclosure
      ``disclosure_id``;
    - ``register_keypad``: route the contact's transaction-password requests
      to ``keypad`` (None removes it).
    """

    def enqueue_contact(self, *, channel: Channel, queue: str, customer_ref: str, first_words: str,
                        scenario: str) -> str:
        """Queue a simulated contact; return its id. ValueError for a bad queue/customer."""
        ...

    def customer_says(self, contact_id: str, text: str, kind: str) -> None:
        """The customer's words (``kind`` ``message``/``caption``) in an active contact."""
        ...

    def customer_leaves(self, contact_id: str) -> None:
        """The customer hangs up, closes the chat or abandons the queue."""
        ...

    def record_consent(self, contact_id: str, disclosure_id: str, consent: bool) -> None:
        """The customer's yes/no to risk disclosure ``disclosure_id``."""
        ...

    def register_keypad(self, contact_id: str, keypad: Keypad | None) -> None:
        """Route transaction-password requests of the contact to ``keypad`` (None removes)."""
        ...


@dataclass
class DriverConfig:
    """How the simulator runs.

    ``rate_per_minute`` mean arrivals per minute (Poisson); ``speed`` divides
    every delay (1 = real time, 100 = a hundred times faster, ``math.inf`` =
    no delay); ``lang`` of the scenarios' lines (``zh``/``en``; None: ``en``
    when the openings come from a CSV such as Banking77, which is English,
    else ``zh``);
    ``queues`` the backend's ``(name, channel)`` pairs (a customer joins
    ``<channel>.<topic>`` when it exists, else the channel's first queue);
    ``max_waiting_or_active`` no new arrival while this many simulated
    contacts are open; ``seed`` for the driver's random generator;
    ``patience`` False: customers never abandon the queue nor hang up on a
    long hold (tests and benchmarks that drive contacts at their own pace);
    ``channels`` the channels customers may arrive on (None: every channel
    a scenario takes; see :func:`~csdesk.server.simulator.scenarios.pick_channel`).
    """

    rate_per_minute: float = 2.0
    speed: float = 1.0
    lang: str | None = None
    queues: Sequence[tuple[str, str]] = (("chat.general", "chat"), ("phone.general", "phone"),
                                         ("phone.cards", "phone"))
    max_waiting_or_active: int = 50
    seed: int | None = None
    patience: bool = True
    channels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError("speed must be > 0")
        if not self.rate_per_minute > 0:
            raise ValueError("rate_per_minute must be > 0")


def reply_delay(text: str, channel: Channel, rng: random.Random) -> float:
    """Seconds a customer takes to answer with ``text`` (real time, before ``speed``).

    Chat: 1 s to read + typing at ~12 characters/s, at most 12 s; phone: 0.5 s
    + speech at ~16 characters/s, at most 8 s; ±20 % jitter.
    """
    if channel is Channel.CHAT:
        base = min(12.0, 1.0 + len(text) / 12.0)
    else:
        base = min(8.0, 0.5 + len(text) / 16.0)
    return base * rng.uniform(0.8, 1.2)


def secrets_of(demo: Mapping[str, Any]) -> CustomerSecrets:
    """:class:`CustomerSecrets` from a ``csdesk.server.customers.DEMO_CUSTOMERS`` entry
    (active cards first)."""
    cards = sorted(demo["cards"], key=lambda c: c.get("status") != "active")
    return CustomerSecrets(
        customer_ref=demo["customer_ref"], name=demo["name"], phone=demo["phone"],
        id_number=demo["id_number"], cards=tuple(c["number"] for c in cards),
        security_question=demo["security_question"], security_answer=demo["security_answer"],
        transaction_password=demo["transaction_password"],
    )


@dataclass
class SimContact:
    """One simulated customer's contact, as the driver tracks it."""

    contact_id: str
    customer: SimulatedCustomer
    channel: Channel
    queue: str
    accepted: bool = False
    ended: bool = False
    on_hold: bool = False
    holds: int = 0
    disclosure_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last: asyncio.Task[None] | None = None
    timers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def scenario(self) -> Scenario:
        """The scenario the customer follows."""
        return self.customer.scenario


class SimulatorDriver:
    """Runs simulated customers against ``backend``.

    ``scenarios`` loaded scenario list; ``customers`` demo customers to draw
    from; ``openings`` real first words (None: the scenarios' own
    ``first_words``); ``config`` see :class:`DriverConfig`. Use
    :meth:`start`/:meth:`stop` in the backend's event loop, or call
    :meth:`spawn` yourself (tests). ``contacts`` maps open contact ids to
    :class:`SimContact`; ``history`` keeps ``(contact_id, scenario_id)`` of
    every customer created.
    """

    def __init__(self, backend: SimulatorBackend, scenarios: Sequence[Scenario],
                 customers: Sequence[CustomerSecrets], *, openings: Openings | None = None,
                 config: DriverConfig | None = None) -> None:
        if not scenarios:
            raise ValueError("no scenarios")
        if not customers:
            raise ValueError("no customers")
        self.backend = backend
        self.scenarios = list(scenarios)
        self.customers = list(customers)
        self.openings = openings
        self.config = config or DriverConfig()
        self.rng = random.Random(self.config.seed)
        self.schedule = ArrivalSchedule(self.config.rate_per_minute, self.rng)
        self.contacts: dict[str, SimContact] = {}
        self.history: list[tuple[str, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------

    def _scaled(self, seconds: float) -> float:
        return 0.0 if math.isinf(self.config.speed) else seconds / self.config.speed

    def start(self) -> asyncio.Task[None]:
        """Start the arrival loop in the running event loop; returns its task."""
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self.run(), name="csdesk-simulator")
        return self._task

    async def run(self) -> None:
        """Create customers for ever at the configured rate (cancel to stop)."""
        self._loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._scaled(self.schedule.next_delay()))
            if len(self.contacts) >= self.config.max_waiting_or_active:
                continue
            try:
                await self.spawn()
            except Exception:
                _log.exception("simulator: could not create a customer")

    async def stop(self) -> None:
        """Stop arrivals, cancel pending replies and timers, unregister keypads."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for sim in list(self.contacts.values()):
            self._close(sim)
            tasks = [t for t in [sim.last, *sim.timers] if t is not None]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- arrivals ----------------------------------------------------------------

    def _queue_for(self, channel: Channel, scenario: Scenario) -> str:
        names = [name for name, ch in self.config.queues if ch == channel.value]
        wanted = f"{channel.value}.{scenario.topic}"
        if wanted in names:
            return wanted
        return names[0] if names else f"{channel.value}.general"

    def choose(self, *, scenario_id: str | None = None) -> tuple[Scenario, Opening | None, CustomerSecrets, Channel]:
        """Draw (scenario, opening, customer, channel) for the next arrival (pure, seeded).

        With openings: a random opening, then a scenario serving its category
        (:func:`pick_scenario`). Without: a scenario by weight. ``scenario_id``
        forces the scenario (an opening of one of its categories is used when
        there is one). Raises KeyError for an unknown ``scenario_id``.
        """
        opening: Opening | None = None
        if scenario_id is not None:
            scenario = next((s for s in self.scenarios if s.id == scenario_id), None)
            if scenario is None:
                raise KeyError(scenario_id)
            if self.openings is not None and scenario.categories:
                category = self.rng.choice(scenario.categories)
                opening = self.openings.pick_in(category, self.rng)
        elif self.openings is not None and self.openings.rows:
            opening = self.openings.pick(self.rng)
            scenario = pick_scenario(opening.category, self.scenarios, self.rng)
        else:
            scenario = pick_scenario(None, self.scenarios, self.rng)
        customer = self.rng.choice(self.customers)
        allowed = None if self.config.channels is None else [Channel(c) for c in self.config.channels]
        channel = pick_channel(scenario, self.rng, allowed)
        return scenario, opening, customer, channel

    async def spawn(self, *, scenario_id: str | None = None) -> SimContact:
        """Create one customer now, enqueue its contact, register its keypad and start
        its queue-patience timer. Returns the :class:`SimContact`. Errors of the
        backend's ``enqueue_contact`` propagate."""
        self._loop = asyncio.get_running_loop()
        scenario, opening, secrets, channel = self.choose(scenario_id=scenario_id)
        lang = self.config.lang or ("en" if self.openings is not None else "zh")
        customer = SimulatedCustomer(scenario, secrets, opening, random.Random(self.rng.random()), lang)
        queue = self._queue_for(channel, scenario)
        contact_id = await asyncio.to_thread(
            self.backend.enqueue_contact, channel=channel, queue=queue, customer_ref=secrets.customer_ref,
            first_words=customer.first_words, scenario=scenario.id,
        )
        sim = SimContact(contact_id=contact_id, customer=customer, channel=channel, queue=queue)
        self.contacts[contact_id] = sim
        self.history.append((contact_id, scenario.id))
        await asyncio.to_thread(self.backend.register_keypad, contact_id, self.keypad)
        if self.config.patience:
            sim.timers.append(asyncio.create_task(self._queue_patience(sim)))
        return sim

    async def _queue_patience(self, sim: SimContact) -> None:
        await asyncio.sleep(self._scaled(sim.customer.abandons_queue_after()))
        if not sim.accepted and not sim.ended:
            _log.debug("simulator: %s abandons the queue", sim.contact_id)
            await self._leave(sim)

    async def _hold_patience(self, sim: SimContact, hold: int) -> None:
        await asyncio.sleep(self._scaled(sim.scenario.hold_patience_seconds))
        if sim.on_hold and sim.holds == hold and not sim.ended:
            with sim.lock:
                sim.customer.gone = True
                text = sim.customer.line("hang_up")
            self._enqueue_reply(sim, Reply(text=text, hang_up=True))

    # -- inbound hooks (any thread) ----------------------------------------------

    def _submit(self, contact_id: str, react: Callable[[SimContact], Reply | None]) -> None:
        """Compute the reaction now (under the contact's lock) and deliver it later, in order."""
        sim = self.contacts.get(contact_id)
        if sim is None or sim.ended:
            return
        with sim.lock:
            reply = react(sim)
        if reply is None or (not reply.text and reply.consent is None and not reply.hang_up):
            return
        loop = self._loop
        if loop is None:
            raise RuntimeError("driver not started in an event loop")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._enqueue_reply(sim, reply)
        else:
            loop.call_soon_threadsafe(self._enqueue_reply, sim, reply)

    def accepted(self, contact_id: str) -> None:
        """An agent accepted the contact: the customer stops counting queue patience."""
        sim = self.contacts.get(contact_id)
        if sim is not None:
            sim.accepted = True

    def agent_said(self, contact_id: str, text: str) -> None:
        """The agent's chat message or spoken line in the contact (the customer answers)."""
        self.accepted(contact_id)
        self._submit(contact_id, lambda sim: sim.customer.on_agent_message(text))

    def hold_changed(self, contact_id: str, on_hold: bool) -> None:
        """The agent put the call on hold (True) or resumed it (False)."""
        def react(sim: SimContact) -> Reply:
            sim.on_hold = on_hold
            if on_hold:
                sim.holds += 1
                hold = sim.holds
                if self._loop is not None and self.config.patience:
                    self._loop.call_soon_threadsafe(
                        lambda: sim.timers.append(asyncio.ensure_future(self._hold_patience(sim, hold))))
                return sim.customer.on_hold()
            return sim.customer.on_resume()
        self._submit(contact_id, react)

    def disclosure_sent(self, contact_id: str, disclosure_id: str, text: str = "") -> None:
        """A risk disclosure was sent: the customer consents or refuses (recorded)."""
        def react(sim: SimContact) -> Reply:
            sim.disclosure_id = disclosure_id
            return sim.customer.on_disclosure(text)
        self._submit(contact_id, react)

    def verification_result(self, contact_id: str, passed: bool, locked: bool = False) -> None:
        """The agent told the customer whether the verification passed."""
        self._submit(contact_id, lambda sim: sim.customer.on_verification_result(passed, locked))

    def operation_done(self, contact_id: str, code: str, reference: str) -> None:
        """An operation was carried out in the contact with ``reference``."""
        self._submit(contact_id, lambda sim: sim.customer.on_operation_done(reference))

    def contact_ended(self, contact_id: str) -> None:
        """The contact ended on the agent's side: forget it (no more replies)."""
        sim = self.contacts.get(contact_id)
        if sim is not None:
            self._close(sim)

    def keypad(self, contact_id: str) -> str | None:
        """The digits the customer keys for the transaction password (synchronous, any
        thread: this is the backend's keypad hook). None when the customer is gone."""
        sim = self.contacts.get(contact_id)
        if sim is None or sim.ended or sim.customer.gone:
            return None
        with sim.lock:
            return sim.customer.keypad()

    # -- delivery ------------------------------------------------------------------

    def _enqueue_reply(self, sim: SimContact, reply: Reply) -> None:
        previous = sim.last
        delay = self._scaled(reply_delay(reply.text, sim.channel, self.rng)) if reply.text else 0.0
        sim.last = asyncio.ensure_future(self._deliver(sim, reply, previous, delay))

    async def _deliver(self, sim: SimContact, reply: Reply, previous: asyncio.Task[None] | None,
                       delay: float) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        await asyncio.sleep(delay)
        if sim.ended:
            return
        kind = "caption" if sim.channel is Channel.PHONE else "message"
        try:
            if reply.text:
                await asyncio.to_thread(self.backend.customer_says, sim.contact_id, reply.text, kind)
            if reply.consent is not None and sim.disclosure_id is not None:
                await asyncio.to_thread(self.backend.record_consent, sim.contact_id, sim.disclosure_id,
                                        reply.consent)
            if reply.hang_up:
                await self._leave(sim)
        except Exception:
            _log.exception("simulator: contact %s: backend call failed; customer leaves", sim.contact_id)
            self._close(sim)

    async def _leave(self, sim: SimContact) -> None:
        if sim.ended:
            return
        self._close(sim)
        try:
            await asyncio.to_thread(self.backend.customer_leaves, sim.contact_id)
        except Exception:
            _log.exception("simulator: contact %s: customer_leaves failed", sim.contact_id)

    def _close(self, sim: SimContact) -> None:
        sim.ended = True
        self.contacts.pop(sim.contact_id, None)
        try:
            self.backend.register_keypad(sim.contact_id, None)
        except Exception:  # pragma: no cover - best effort
            _log.exception("simulator: unregister keypad failed")


class ServerBackend:
    """:class:`SimulatorBackend` over the real backend functions of ``ctx``.

    Outbound (looked up by name when called, each as ``fn(ctx, ...)``):
    ``enqueue_contact``, ``customer_says``, ``customer_leaves`` of
    ``csdesk.server.contacts`` (or ``csdesk.server.routing``);
    ``csdesk.server.disclosures.record_consent``; and
    ``csdesk.server.verification.register_keypad`` (``fn(contact_id, keypad)``).
    Raises RuntimeError naming a function the backend does not have.

    Inbound: :meth:`attach` subscribes a driver to the backend's hooks
    (``contacts.on_agent_line`` → :meth:`SimulatorDriver.agent_said`,
    ``disclosures.add_disclosure_listener`` →
    :meth:`SimulatorDriver.disclosure_sent`) and starts :meth:`watch`, which
    polls the simulated contacts' rows for what has no hook (accepted, hold,
    operations done, contact ended).

    Run: :meth:`attach` also records a simulator run
    (:func:`csdesk.server.orphans.begin_run`; ``run_id``) that stamps every
    contact it creates and is renewed every few seconds;
    :meth:`detach` ends it, which closes out the run's contacts still
    waiting (their customers leave with the simulator). A run whose process
    died is closed out by the next backend start or by another replica
    (:mod:`csdesk.server.orphans`).
    """

    MODULES = ("csdesk.server.contacts", "csdesk.server.routing")

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._driver: SimulatorDriver | None = None
        self._disclosure_listener: Callable[..., None] | None = None
        self._agent_line_listener: Callable[..., None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._beat_task: asyncio.Task[None] | None = None
        #: The :class:`~csdesk.server.models.SimulatorRun` id while attached (None otherwise).
        self.run_id: str | None = None

    def _fn(self, name: str, modules: Sequence[str] = MODULES) -> Callable[..., Any]:
        for module_name in modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            fn = getattr(module, name, None)
            if fn is not None:
                return fn
        raise RuntimeError(f"the backend has no {name}() in {', '.join(modules)}")

    def enqueue_contact(self, *, channel: Channel, queue: str, customer_ref: str, first_words: str,
                        scenario: str) -> str:
        """Create the simulated contact (stamped with :attr:`run_id` while attached);
        returns its id (the result's ``id`` if an object)."""
        extra = {"simulator_run": self.run_id} if self.run_id is not None else {}
        result = self._fn("enqueue_contact")(self.ctx, channel, queue, customer_ref, first_words,
                                             simulated=True, scenario=scenario, **extra)
        return result if isinstance(result, str) else str(getattr(result, "id"))

    def customer_says(self, contact_id: str, text: str, kind: str) -> None:
        """Add the customer's words to the contact's transcript."""
        self._fn("customer_says")(self.ctx, contact_id, text, kind)

    def customer_leaves(self, contact_id: str) -> None:
        """The customer hangs up / abandons."""
        self._fn("customer_leaves")(self.ctx, contact_id)

    def record_consent(self, contact_id: str, disclosure_id: str, consent: bool) -> None:
        """Record the answer to a risk disclosure."""
        self._fn("record_consent", ("csdesk.server.disclosures",))(self.ctx, contact_id, disclosure_id, consent)

    def register_keypad(self, contact_id: str, keypad: Keypad | None) -> None:
        """Route the contact's transaction-password requests to ``keypad``."""
        self._fn("register_keypad", ("csdesk.server.verification",))(contact_id, keypad)

    # -- inbound -----------------------------------------------------------------

    def attach(self, driver: SimulatorDriver, *, poll_seconds: float = 0.2) -> None:
        """Feed the backend's events of ``driver``'s contacts to ``driver``.

        Call in the driver's running event loop (it starts the :meth:`watch`
        task and the run's heartbeat). Records the simulator run
        (:attr:`run_id`). The hook listeners are process-wide (filtered on
        ``ctx``); :meth:`detach` removes them.
        """
        from csdesk.server.orphans import begin_run

        self._driver = driver
        driver._loop = asyncio.get_running_loop()
        self.run_id = begin_run(self.ctx)
        self._beat_task = asyncio.create_task(self._beat(self.run_id), name="csdesk-simulator-heartbeat")

        def agent_line(ctx: Any, contact_id: str, line: Any) -> None:
            d = self._driver
            if d is not None and ctx is self.ctx and contact_id in d.contacts and line.kind == "message":
                d.agent_said(contact_id, line.text)

        def disclosure(ctx: Any, contact_id: str, result: Any, text: str) -> None:
            d = self._driver
            if d is not None and ctx is self.ctx and contact_id in d.contacts:
                d.disclosure_sent(contact_id, result.id, text)

        self._fn("on_agent_line", ("csdesk.server.contacts",))(agent_line)
        self._agent_line_listener = agent_line
        self._disclosure_listener = disclosure
        self._fn("add_disclosure_listener", ("csdesk.server.disclosures",))(disclosure)
        self._watch_task = asyncio.create_task(self.watch(driver, poll_seconds), name="csdesk-simulator-watch")

    async def _beat(self, run_id: str) -> None:
        from csdesk.server.orphans import HEARTBEAT_SECONDS, heartbeat

        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await asyncio.to_thread(heartbeat, self.ctx, run_id)
            except Exception:
                _log.exception("simulator: heartbeat failed")

    async def detach(self) -> None:
        """Undo :meth:`attach` (stop watching, silence the listeners) and end the run: its
        contacts still queued, offered or active are closed out (the customers leave)."""
        from csdesk.server.orphans import end_run

        self._driver = None
        if self._agent_line_listener is not None:
            self._fn("off_agent_line", ("csdesk.server.contacts",))(self._agent_line_listener)
            self._agent_line_listener = None
        if self._disclosure_listener is not None:
            self._fn("remove_disclosure_listener", ("csdesk.server.disclosures",))(self._disclosure_listener)
            self._disclosure_listener = None
        if self._watch_task is not None:
            self._watch_task.cancel()
            await asyncio.gather(self._watch_task, return_exceptions=True)
            self._watch_task = None
        if self._beat_task is not None:
            self._beat_task.cancel()
            await asyncio.gather(self._beat_task, return_exceptions=True)
            self._beat_task = None
        if self.run_id is not None:
            run_id, self.run_id = self.run_id, None
            try:
                await asyncio.to_thread(end_run, self.ctx, run_id)
            except Exception:
                _log.exception("simulator: could not close out the run's contacts")

    def _snapshot(self, ids: list[str]) -> dict[str, tuple[str, bool, list[tuple[str, str]]]]:
        """``{contact_id: (status, on_hold, [(code, reference), ...])}`` from the database."""
        from sqlalchemy import select

        from csdesk.server.models import Contact, OperationRecord

        out: dict[str, tuple[str, bool, list[tuple[str, str]]]] = {}
        with self.ctx.db.read() as session:
            for row in session.scalars(select(Contact).where(Contact.id.in_(ids))):
                ops = session.execute(
                    select(OperationRecord.code, OperationRecord.reference)
                    .where(OperationRecord.contact_id == row.id).order_by(OperationRecord.id)
                ).all()
                out[row.id] = (row.status, bool(row.on_hold), [(c, r) for c, r in ops])
        return out

    async def watch(self, driver: SimulatorDriver, poll_seconds: float = 0.2) -> None:
        """Poll the rows of ``driver.contacts`` every ``poll_seconds`` and report changes:
        ``active`` → accepted; ``on_hold`` flips → hold_changed; new operation
        records → operation_done; any status after ``active`` → contact_ended."""
        seen_ops: dict[str, int] = {}
        while True:
            ids = list(driver.contacts)
            if ids:
                try:
                    rows = await asyncio.to_thread(self._snapshot, ids)
                except Exception:
                    _log.exception("simulator: watching contacts failed")
                    rows = {}
                for cid, (status, on_hold, ops) in rows.items():
                    sim = driver.contacts.get(cid)
                    if sim is None:
                        continue
                    if status == "active" and not sim.accepted:
                        driver.accepted(cid)
                    if status == "active" and on_hold != sim.on_hold:
                        driver.hold_changed(cid, on_hold)
                    for code, reference in ops[seen_ops.get(cid, 0):]:
                        driver.operation_done(cid, code, reference)
                    seen_ops[cid] = len(ops)
                    if status in ("wrap_up", "closed", "abandoned"):
                        driver.contact_ended(cid)
                        seen_ops.pop(cid, None)
            await asyncio.sleep(poll_seconds)


class Simulation:
    """The training simulator of one backend, ready to start: scenarios, demo
    customers, optional customer openings, a :class:`ServerBackend` and a driver.

    ``ctx`` the backend's :class:`~csdesk.server.context.ServerContext`;
    ``customers_csv`` a ``text,category`` file (``csdesk demo --customers``),
    None for the scenarios' own first words; ``config`` (default: 2 customers
    a minute, real time; ``queues`` taken from ``ctx.settings``). Raises
    :class:`~csdesk.server.simulator.scenarios.ScenarioError`, OSError or
    ValueError (bad CSV) at construction, so ``csdesk demo`` can report them
    before it starts. Use ``await sim.start()`` / ``await sim.stop()`` in the
    backend's event loop.
    """

    def __init__(self, ctx: Any, *, customers_csv: str | Any | None = None,
                 config: DriverConfig | None = None) -> None:
        from csdesk.server.customers import DEMO_CUSTOMERS
        from csdesk.server.simulator.openings import load_openings
        from csdesk.server.simulator.scenarios import load_scenarios

        config = config or DriverConfig(queues=tuple(ctx.settings.queues))
        openings = load_openings(customers_csv) if customers_csv is not None else None
        self.server = ServerBackend(ctx)
        self.driver = SimulatorDriver(self.server, load_scenarios(), [secrets_of(c) for c in DEMO_CUSTOMERS],
                                      openings=openings, config=config)

    @classmethod
    def from_settings(cls, ctx: Any) -> Simulation:
        """The simulation ``ctx.settings`` asks for (``ServerSettings.simulate`` and
        the ``simulator_*`` fields): ``simulator_customers`` CSV, mean gap
        ``simulator_arrival_seconds`` (→ ``60 / gap`` customers a minute),
        ``simulator_channels``, ``simulator_speed``, ``simulator_seed``, the
        backend's queues. Errors as the constructor (bad CSV: OSError or ValueError).
        """
        settings = ctx.settings
        config = DriverConfig(
            rate_per_minute=60.0 / settings.simulator_arrival_seconds,
            speed=settings.simulator_speed,
            queues=tuple(settings.queues),
            seed=settings.simulator_seed,
            channels=tuple(settings.simulator_channels),
        )
        return cls(ctx, customers_csv=settings.simulator_customers, config=config)

    async def start(self) -> None:
        """Attach to the backend's hooks and start arrivals."""
        self.server.attach(self.driver)
        self.driver.start()

    async def stop(self) -> None:
        """Stop arrivals and replies, detach from the backend."""
        await self.driver.stop()
        await self.server.detach()
