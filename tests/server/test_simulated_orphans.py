"""Simulated customers left behind by a simulator that is gone, and disclosures nobody answers.

The tester's input: kill the backend while a simulated customer is being
served (a risk disclosure waiting for consent), start it again — the
customer never answered and the disclosure waited forever. Now the backend
closes such contacts out at start (``csdesk.server.orphans``), and an
unanswered disclosure lapses after ``disclosure_timeout``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.contacts import CUSTOMER_LEFT_LINE, customer_leaves, enqueue_contact
from csdesk.server.context import ServerContext
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.db import utcnow
from csdesk.server.models import AuditEvent, Contact, SimulatorRun
from csdesk.server.orphans import (
    LEASE_SECONDS,
    ORPHAN_LINE,
    begin_run,
    close_orphans,
    close_orphans_at_start,
    end_run,
    heartbeat,
)
from csdesk.server.routing import RoutingEngine
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.conftest import bearer, make_settings, totp_now
from tests.server.idv_helpers import ANSWER, Live, make_contact, start_live
from tests.server.live_helpers import Desk, wait_for

ROOT = Path(__file__).resolve().parents[2]
A, B = DEMO_AGENTS[0], DEMO_AGENTS[1]
NO_ANSWER = "no answer, not consented"

#: A backend with the simulator in a process of its own; prints its URL, then serves until killed.
CHILD = """
import sys, time
from pathlib import Path
from tests.conftest import make_settings
from csdesk.server.runner import BackgroundServer
settings = make_settings(Path(sys.argv[1]), simulate=True, simulator_arrival_seconds=0.05,
                         simulator_speed=1.0, simulator_seed=5, simulator_channels=("chat",))
server = BackgroundServer(settings).start()
server.app.state.simulation.driver.config.max_waiting_or_active = 4
print(server.url, flush=True)
time.sleep(600)
"""


def _sign_in(api: httpx.Client, ctx: ServerContext | None, agent: dict[str, Any]) -> Desk:
    login = api.post("/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]})
    assert login.status_code == 200, login.text
    mfa = api.post("/auth/mfa", json={"mfa_ticket": login.json()["mfa_ticket"],
                                      "code": totp_now(agent["totp_secret"])})
    assert mfa.status_code == 200, mfa.text
    return Desk(api, ctx, agent["employee_id"], bearer(mfa.json()["access_token"]), [])  # type: ignore[arg-type]


@pytest.fixture
def child(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    db = tmp_path / "db" / "csdesk.db"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://"), "the backend did not start"
        yield proc, url, db
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _lines(ctx: ServerContext, contact_id: str) -> list[str]:
    with ctx.db.read() as session:
        from csdesk.server.contacts import transcript

        return [line.text for line in transcript(session, contact_id)]


def test_a_killed_backend_s_simulated_customers_leave_at_restart_and_real_ones_stay(
    child: tuple[subprocess.Popen[str], str, Path],
) -> None:
    proc, url, db = child
    with httpx.Client(base_url=f"{url}/api/v1", timeout=10) as api:
        d = _sign_in(api, None, A)
        assert d.set_state("ready").status_code == 200
        offer = d.wait_offer(timeout=10)
        cid = offer["id"]
        assert d.post(f"/contacts/{cid}/accept").status_code == 200
        sent = d.post(f"/contacts/{cid}/disclosures", {"operation": "transfer_own"})
        assert sent.status_code == 200 and sent.json()["consent"] is None
        did = sent.json()["id"]
        proc.kill()  # kill -9: no lifespan end, the simulated customer dies with the process
        proc.wait(10)  # reaped, so its pid is no longer running

    settings = make_settings(db)
    prep = ServerContext.open(settings)  # meanwhile, real customers call in (untouched by the sweep)
    real_queued = enqueue_contact(prep, "chat", "chat.general", DEMO_CUSTOMERS[1]["customer_ref"], "hi")
    real_active = make_contact(prep, B["employee_id"], DEMO_CUSTOMERS[2]["customer_ref"])
    with prep.db.read() as session:
        sim_waiting = [c.id for c in session.scalars(select(Contact).where(
            Contact.simulated.is_(True), Contact.status.in_(["queued", "offered"])))]
    prep.close()
    assert sim_waiting, "the simulator queued more customers before the kill"

    with BackgroundServer(settings) as server, httpx.Client(base_url=f"{server.url}/api/v1", timeout=10) as api:
        ctx = server.context
        d = Desk(api, ctx, d.agent_id, d.headers, [])  # the desk keeps its sign-in across the restart
        view = d.call("GET", "/me/contact").json()
        assert view["id"] == cid and view["status"] == "wrap_up" and view["customer_left"] is True
        assert view["agent_id"] == A["employee_id"]
        assert d.state()["state"] == "acw"
        assert view["transcript"][-2]["text"] == ORPHAN_LINE
        assert view["transcript"][-1]["text"].endswith(NO_ANSWER)  # the pending disclosure lapsed
        assert d.call("GET", f"/contacts/{cid}/disclosures/{did}").json()["consent"] is False
        with ctx.db.read() as session:
            waiting = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(sim_waiting)))}
            assert all(c.status == "abandoned" and c.customer_left for c in waiting.values())
            assert session.get(Contact, real_queued).status == "queued"
            assert session.get(Contact, real_active).status == "active"
            closed = session.scalars(select(AuditEvent).where(AuditEvent.type == "simulated-contact-closed")).all()
        assert len(closed) == 1 + len(sim_waiting)
        record = d.post(f"/contacts/{cid}/wrap-up", {"disposition": "inquiry.balance", "callback_needed": True})
        assert record.status_code == 200, record.text
        assert record.json()["customer_left"] is True and record.json()["callback_needed"] is True


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServerContext]:
    from csdesk.server.customers import start_seeding
    from csdesk.server.seed import seed_if_new

    context = ServerContext.open(make_settings(tmp_path / "db" / "csdesk.db"))
    seed_if_new(context)
    start_seeding(context)  # the demo customers (enqueue_contact waits for them)
    yield context
    context.close()


def _sim(ctx: ServerContext, run: str | None, customer: int = 0) -> str:
    return enqueue_contact(ctx, "chat", "chat.general", DEMO_CUSTOMERS[customer]["customer_ref"], "hi",
                           simulated=True, simulator_run=run)


def _status(ctx: ServerContext, contact_id: str) -> str:
    with ctx.db.read() as session:
        row = session.get(Contact, contact_id)
        assert row is not None
        return row.status


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait(10)
    return done.pid


def test_only_contacts_of_runs_that_are_gone_are_closed_out(ctx: ServerContext) -> None:
    live_run, dead_run, stale_run, stopped_run = (begin_run(ctx) for _ in range(4))
    with ctx.db.write() as session:
        session.get(SimulatorRun, dead_run).pid = _dead_pid()  # this machine, process gone
        session.get(SimulatorRun, stale_run).pid = 1  # a running process, but no heartbeat
        session.get(SimulatorRun, stale_run).seen_at = utcnow() - timedelta(seconds=LEASE_SECONDS + 1)
        session.get(SimulatorRun, stale_run).host = "another-host"
        session.get(SimulatorRun, stopped_run).stopped_at = utcnow()
    ids = {name: _sim(ctx, run, i) for i, (name, run) in enumerate(
        [("live", live_run), ("dead", dead_run), ("stale", stale_run), ("stopped", stopped_run),
         ("runless", None)])}
    real = enqueue_contact(ctx, "chat", "chat.general", DEMO_CUSTOMERS[9]["customer_ref"], "hi")

    with ctx.db.write() as session:  # while running: runless contacts are someone's hand-made ones
        closed = close_orphans(session, ctx.settings, utcnow())
    assert set(closed) == {ids["dead"], ids["stale"], ids["stopped"]}
    assert close_orphans_at_start(ctx) == [ids["runless"]]  # at start nothing of ours made them
    assert _status(ctx, ids["live"]) == "queued" and _status(ctx, real) == "queued"
    heartbeat(ctx, live_run)
    assert end_run(ctx, live_run) == [ids["live"]]  # a clean stop takes its customers along
    assert _status(ctx, ids["live"]) == "abandoned" and _status(ctx, real) == "queued"


def test_the_routing_engine_closes_out_a_run_that_died_while_the_backend_runs(
    backend: BackgroundServer, api: httpx.Client, sign_in: Any,
) -> None:
    """Another replica's simulator crashed: this backend's engine notices (every few seconds)."""
    ctx = backend.context
    run = begin_run(ctx)
    with ctx.db.write() as session:
        session.get(SimulatorRun, run).pid = _dead_pid()
    live = start_live(api, sign_in, ctx, A)
    with ctx.db.write() as session:  # the agent's active contact is that run's customer
        contact = session.get(Contact, live.contact_id)
        contact.simulated, contact.simulator_run = True, run
    RoutingEngine(ctx).run_once()
    view = live.call("GET", f"/contacts/{live.contact_id}").json()
    assert view["status"] == "wrap_up" and view["customer_left"] is True
    assert view["transcript"][-1]["text"] == ORPHAN_LINE


def _send(live: Live, operation: str = "transfer_own") -> str:
    sent = live.call("POST", f"/contacts/{live.contact_id}/disclosures", json={"operation": operation})
    assert sent.status_code == 200, sent.text
    return str(sent.json()["id"])


@pytest.mark.backend_settings(disclosure_timeout=0.5)
def test_a_disclosure_nobody_answers_lapses_as_no_consent(
    backend: BackgroundServer, api: httpx.Client, sign_in: Any,
) -> None:
    live = start_live(api, sign_in, backend.context, A)
    for method, said in (("id_last6", "07123X"), ("card_last4", "0123"), ("security_question", ANSWER)):
        assert live.verify(method, said).json()["passed"]  # L3: only the consent is missing
    did = _send(live)
    started = time.monotonic()
    answer = wait_for(lambda: (r := live.call("GET", f"/contacts/{live.contact_id}/disclosures/{did}").json())
                      ["consent"] is not None and r, timeout=5)
    assert answer["consent"] is False and time.monotonic() - started >= 0.4
    lines = _lines(backend.context, live.contact_id)
    assert lines[-1] == ("风险提示（本人账户间转账）：客户未应答，视为不同意 · "
                         f"Risk disclosure (Transfer between own accounts): {NO_ANSWER}")
    refused = live.operate("transfer_own", {"from_account": "0123", "to_account": "4567", "amount": 1}, did)
    assert refused.status_code == 409 and refused.json()["code"] == "disclosure-required"
    events = [e for e in live_events(backend.context, A["employee_id"]) if e["id"] == did]
    assert events == [{"contact_id": live.contact_id, "id": did, "operation": "transfer_own", "consent": False}]


def live_events(ctx: ServerContext, agent_id: str) -> list[dict[str, Any]]:
    from csdesk.server.models import EventRow

    with ctx.db.read() as session:
        return [dict(r.data) for r in session.scalars(
            select(EventRow).where(EventRow.agent_id == agent_id, EventRow.type == "disclosure"))]


def test_a_customer_who_leaves_never_answers_a_pending_disclosure(
    backend: BackgroundServer, api: httpx.Client, sign_in: Any,
) -> None:
    live = start_live(api, sign_in, backend.context, A)
    did = _send(live)
    assert customer_leaves(backend.context, live.contact_id) == "wrap_up"
    assert live.call("GET", f"/contacts/{live.contact_id}/disclosures/{did}").json()["consent"] is False
    lines = _lines(backend.context, live.contact_id)
    assert lines[-2:] == [CUSTOMER_LEFT_LINE, lines[-1]] and lines[-1].endswith(NO_ANSWER)


def test_disclosure_timeout_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="disclosure_timeout"):
        make_settings(tmp_path / "x.db", disclosure_timeout=0)


def test_a_database_from_before_runs_gets_the_column_and_its_simulated_customers_leave(tmp_path: Path) -> None:
    """A demo database of the previous version: no ``contacts.simulator_run``, simulated
    customers left waiting by the old backend. The upgrade adds the column; start closes them out."""
    import sqlite3

    from sqlalchemy import inspect

    from csdesk.server.customers import start_seeding
    from csdesk.server.schema_upgrade import upgrade_schema

    settings = make_settings(tmp_path / "db" / "old.db")
    old = ServerContext.open(settings)
    start_seeding(old)
    waiting = _sim(old, None)
    real = enqueue_contact(old, "chat", "chat.general", DEMO_CUSTOMERS[3]["customer_ref"], "hi")
    old.close()
    with sqlite3.connect(settings.db_path) as db:
        db.execute("ALTER TABLE contacts DROP COLUMN simulator_run")
    with BackgroundServer(settings) as server:
        columns = {c["name"] for c in inspect(server.context.db.engine).get_columns("contacts")}
        assert "simulator_run" in columns and upgrade_schema(server.context.db.engine) == []
        assert _status(server.context, waiting) == "abandoned"
        assert _status(server.context, real) == "queued"
