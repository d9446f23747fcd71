"""Shared fixtures: a real csdesk backend on loopback, TOTP codes, signed-in clients.

Fixtures
--------
``backend``
    A :class:`csdesk.server.runner.BackgroundServer` (real uvicorn in a daemon
    thread, real HTTP on ``127.0.0.1``, free port) over a fresh SQLite file in
    ``tmp_path``, seeded with the demo data (``csdesk.server.seed.DEMO_AGENTS``,
    the first-sign-in agent ``DEMO_FIRST_SIGN_IN``, three announcements).
    Function scope: every test gets a new database, so TOTP replay state,
    lockouts and agent states never leak between tests (start + stop costs
    ~0.1 s). Use ``backend.url`` (``http://127.0.0.1:PORT``; the API is
    under ``/api/v1``) and ``backend.context`` for in-process admin calls, e.g.
    ``csdesk.server.announcements.publish_announcement(backend.context, ...)``.

    Settings: cheap Argon2 (``ServerSettings.fast_hashing()``) and a 1 s SSE
    heartbeat. Override per test with a marker::

        @pytest.mark.backend_settings(heartbeat=0.3, access_ttl=2)
        def test_x(backend): ...

``api``
    An ``httpx.Client`` with ``base_url = backend.url + "/api/v1"``.

``sign_in``
    ``sign_in(client, agent=DEMO_AGENTS[0]) -> dict``: password + TOTP sign-in
    through the real endpoints; returns the ``TokenPair`` JSON. It picks a
    TOTP step not used yet for that agent on this backend (oldest accepted
    first), so a test can sign the same agent in up to ``2 * totp_window + 1``
    times (3) per 30 s without waiting.

``totp``
    The :func:`totp_now` function.

``sms``
    A :class:`csdesk.server.sms.MemorySmsSender` installed as the backend's
    SMS sender: ``sms.messages`` lists what was sent, ``sms.last_code(id)``
    the newest code. SMS codes are only offered when the test turns them on:
    ``@pytest.mark.backend_settings(sms_enabled=True)``.

``db``
    A seeded backend database file, closed again (``tmp_path/backend/server.db``),
    for the ``csdesk admin`` / ``csdesk kb`` tests; run a group on it with
    :func:`run_cli`.

Helpers
-------
:func:`totp_now` ``(secret, offset_steps=0) -> str`` and :func:`bearer`
``(token) -> dict`` are plain functions here as well, with
:func:`make_settings`, :func:`run_cli` and :func:`restartable_server` (a
backend on a fixed port that a test stops and starts again).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pyotp
import pytest
from click.testing import CliRunner, Result

from csdesk.server.config import ServerSettings
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.sms import MemorySmsSender

#: RFC 6238 step, seconds.
TOTP_STEP = 30

#: Seconds that must remain in the current step when a code is made, so the
#: server still sees the same step when the request arrives.
TOTP_MARGIN = 2.0


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``backend_settings`` marker; pin the terminal environment.

    The suite's expectations (✓/✗ marks, colours) are those of a colour
    xterm; a test of another terminal sets ``TERM``/``NO_COLOR`` itself. So
    the result does not depend on where pytest is started (a Linux console,
    a ``NO_COLOR`` shell, a CI runner with no ``TERM``).
    """
    os.environ["TERM"] = "xterm-256color"
    os.environ.pop("NO_COLOR", None)
    config.addinivalue_line(
        "markers",
        "backend_settings(**kwargs): ServerSettings fields for the `backend` fixture of this test",
    )


def totp_now(secret: str, offset_steps: int = 0) -> str:
    """The 6-digit TOTP code (a string; leading zeros kept) for now + ``offset_steps`` steps.

    If fewer than :data:`TOTP_MARGIN` seconds remain in the current 30 s step
    it first sleeps into the next step, so the code is not made stale by the
    step changing while the request travels. ``offset_steps=-1`` gives the
    previous step's code, ``-2`` one from two steps ago, ``+1`` the next one.
    """
    now = time.time()
    left = TOTP_STEP - (now % TOTP_STEP)
    if left < TOTP_MARGIN:
        time.sleep(left + 0.05)
        now = time.time()
    step = int(now // TOTP_STEP) + offset_steps
    return pyotp.TOTP(secret).generate_otp(step)


def bearer(token: str) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}``."""
    return {"Authorization": f"Bearer {token}"}


def make_settings(db_path: Path, **overrides: Any) -> ServerSettings:
    """Test settings: cheap Argon2, 1 s heartbeat, then ``overrides``."""
    values: dict[str, Any] = {"heartbeat": 1.0, **ServerSettings.fast_hashing(), **overrides}
    return ServerSettings(db_path=db_path, **values)


def restartable_server(tmp_path: Path, **overrides: Any) -> tuple[BackgroundServer, ServerSettings, int]:
    """A started backend on a fixed free port over ``tmp_path/db/csdesk.db``
    (0.3 s heartbeat, then ``overrides``): ``(server, settings, port)``.

    The test stops it (``server.stop()``) and brings it back on the same port
    and data with ``BackgroundServer(settings, port=port).start()``."""
    from csdesk.demo import free_port

    port = free_port()
    settings = make_settings(tmp_path / "db" / "csdesk.db", **{"heartbeat": 0.3, **overrides})
    return BackgroundServer(settings, port=port).start(), settings, port


def run_cli(group: click.Command, db: Path | None, *args: str) -> Result:
    """``group --db DB ARGS…`` run with click's ``CliRunner`` (no ``--db`` when ``db`` is None)."""
    prefix = ["--db", str(db)] if db is not None else []
    return CliRunner().invoke(group, [*prefix, *args])


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    """Every test starts, and leaves, the UI language as English: the language is
    process-wide, and a test that switched it would change the words the next
    test in the same worker sees."""
    from csdesk.i18n import set_language

    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A seeded backend database file (demo data: agents, announcements, articles,
    phrases), closed again: ``tmp_path/backend/server.db`` (for ``csdesk admin``
    and ``csdesk kb``, which open the file themselves)."""
    from csdesk.server.context import ServerContext
    from csdesk.server.seed import seed_if_new

    path = tmp_path / "backend" / "server.db"
    ctx = ServerContext.open(make_settings(path))
    seed_if_new(ctx)
    ctx.close()
    return path


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackgroundServer]:
    """A running backend on a fresh database (see module docstring)."""
    marker = request.node.get_closest_marker("backend_settings")
    overrides = dict(marker.kwargs) if marker else {}
    settings = make_settings(tmp_path / "backend" / "csdesk.db", **overrides)
    with BackgroundServer(settings) as server:
        yield server


@pytest.fixture
def api(backend: BackgroundServer) -> Iterator[httpx.Client]:
    """An httpx client for ``backend.url + "/api/v1"`` (10 s timeout)."""
    with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10.0) as client:
        yield client


@pytest.fixture
def sms(backend: BackgroundServer) -> MemorySmsSender:
    """An in-memory SMS sender installed on ``backend`` (see module docstring)."""
    sender = MemorySmsSender()
    backend.context.sms_sender = sender
    return sender


@pytest.fixture
def totp() -> Callable[..., str]:
    """The :func:`totp_now` helper."""
    return totp_now


@pytest.fixture
def sign_in(backend: BackgroundServer) -> Callable[..., dict[str, Any]]:
    """A function signing an agent in via ``/auth/login`` + ``/auth/mfa`` (see module docstring)."""
    used: dict[str, int] = {}

    def _sign_in(client: httpx.Client, agent: dict[str, Any] | None = None) -> dict[str, Any]:
        agent = agent or dict(DEMO_AGENTS[0])
        login = client.post(
            "/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]}
        )
        assert login.status_code == 200, login.text
        while True:
            totp_now(agent["totp_secret"])  # respects the step margin
            current = int(time.time() // TOTP_STEP)
            last = used.get(agent["employee_id"], -1)
            window = backend.settings.totp_window
            candidates = [s for s in range(current - window, current + window + 1) if s > last]
            if candidates:
                break
            time.sleep(TOTP_STEP - (time.time() % TOTP_STEP) + 0.05)
        step = candidates[0]
        code = pyotp.TOTP(agent["totp_secret"]).generate_otp(step)
        mfa = client.post(
            "/auth/mfa", json={"mfa_ticket": login.json()["mfa_ticket"], "code": code}
        )
        assert mfa.status_code == 200, mfa.text
        used[agent["employee_id"]] = step
        pair: dict[str, Any] = mfa.json()
        return pair

    return _sign_in
