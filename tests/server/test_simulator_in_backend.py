"""The training simulator run by the backend itself (``ServerSettings.simulate``, issue #4).

The app builds the :class:`Simulation` from its settings, starts it with its
lifespan and stops it cleanly; the ``backend`` fixture never simulates.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from csdesk.server import contacts
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.simulator.openings import load_openings
from tests.conftest import bearer, make_settings, totp_now
from tests.server.live_helpers import Desk, wait_for
from tests.shared_data import BANKING77


def test_the_backend_fixture_does_not_simulate(backend: BackgroundServer) -> None:
    assert backend.settings.simulate is False
    assert backend.app.state.simulation is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("simulator_arrival_seconds", 0), ("simulator_speed", -1), ("simulator_channels", ("fax",)),
     ("simulator_channels", ())],
)
def test_bad_simulator_settings_are_refused(tmp_path: Path, field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        make_settings(tmp_path / "x.db", simulate=True, **{field: value})


def test_a_bad_csv_fails_at_build_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00")
    server = BackgroundServer(make_settings(tmp_path / "db" / "s.db", simulate=True, simulator_customers=bad))
    with pytest.raises(ValueError, match="not UTF-8"):
        server.start()


def test_banking77_customers_arrive_on_the_chosen_channel_and_leave_when_the_agent_signs_out(
    tmp_path: Path,
) -> None:
    csv = BANKING77 / "train.csv"
    texts = {opening.text for opening in load_openings(csv)}  # read from ../shared, never copied
    settings = make_settings(
        tmp_path / "db" / "s.db", simulate=True, simulator_customers=csv, simulator_arrival_seconds=0.2,
        simulator_channels=("phone",), simulator_speed=50.0, simulator_seed=3,
    )
    with BackgroundServer(settings) as server, httpx.Client(base_url=f"{server.url}/api/v1", timeout=10) as api:
        simulation = server.app.state.simulation
        assert simulation is not None and simulation.driver.openings.rows == 10_003
        agent = DEMO_AGENTS[0]
        login = api.post("/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]})
        mfa = api.post("/auth/mfa", json={"mfa_ticket": login.json()["mfa_ticket"],
                                          "code": totp_now(agent["totp_secret"])})
        d = Desk(api, server.context, agent["employee_id"], bearer(mfa.json()["access_token"]), [])
        assert d.set_state("ready").status_code == 200
        offer = d.wait_offer(timeout=10)
        assert offer["channel"] == "phone" and offer["first_words"] in texts  # a real Banking77 message
        cid = offer["id"]
        assert d.post(f"/contacts/{cid}/accept").status_code == 200
        wait_for(lambda: simulation.driver.contacts.get(cid) and simulation.driver.contacts[cid].accepted)
        # The agent signs out mid-call: the backend ends the contact, the customer is gone.
        assert d.post("/auth/logout").status_code == 204
        wait_for(lambda: cid not in simulation.driver.contacts)
        view = contacts_view(server, cid)
        assert view["status"] == "wrap_up" and view["agent_id"] == agent["employee_id"]
        assert view["transcript"][-1]["text"] == "坐席已签出，会话结束 · Agent signed out; the contact ended"
    # Stopped with the app: no arrivals, no listener left behind.
    assert simulation.driver._task is None
    assert simulation.server._agent_line_listener is None
    assert not [fn for fn in contacts._agent_line_listeners if "ServerBackend.attach" in fn.__qualname__]


def contacts_view(server: BackgroundServer, contact_id: str) -> dict:
    """The contact as its agent would see it, read in-process (the agent is signed out)."""
    with server.context.db.read() as session:
        row = session.get(contacts.Contact, contact_id)
        return contacts.contact_view(session, row).model_dump(mode="json")


def test_customers_keep_arriving_until_the_cap(tmp_path: Path) -> None:
    """Built-in openings (no CSV): Chinese first words, both channels, queued in the real queues."""
    settings = make_settings(tmp_path / "db" / "s.db", simulate=True, simulator_arrival_seconds=0.1,
                             simulator_speed=100.0, simulator_seed=8)
    with BackgroundServer(settings) as server:
        simulation = server.app.state.simulation
        simulation.driver.config.max_waiting_or_active = 3
        wait_for(lambda: len(simulation.driver.contacts) >= 3, timeout=10)
        with server.context.db.read() as session:
            rows = session.query(contacts.Contact).all()
        assert rows and all(r.simulated and r.queue in {q for q, _ in settings.queues} for r in rows)
        assert any(not r.first_words.isascii() for r in rows)  # the scenarios' own (Chinese) words

