"""Run the backend: in a background thread (demo, tests) or in the foreground (CLI).

Logging: uvicorn's access log is off in the background server and only shows
method, path and status in the foreground one; request bodies and headers
(passwords, codes, tokens) are never logged.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from csdesk.server.config import CHANNEL_MIXES, ServerSettings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from csdesk.server.context import ServerContext

logger = logging.getLogger("csdesk.server")

#: Seconds uvicorn waits for open requests (event streams) before cancelling them at shutdown.
GRACEFUL_SHUTDOWN = 3


def _server_class() -> type[uvicorn.Server]:
    import asyncio

    import uvicorn

    class ThreadedServer(uvicorn.Server):
        """``uvicorn.Server`` whose main loop wakes at once when asked to exit.

        uvicorn polls ``should_exit`` every 0.1 s; :meth:`request_exit` (any
        thread) also sets an event the loop waits on, so stopping does not
        wait for the next poll. Signal handling is unchanged (none in a thread).
        """

        _exit_event: asyncio.Event | None = None
        _loop: asyncio.AbstractEventLoop | None = None

        async def main_loop(self) -> None:
            self._loop = asyncio.get_running_loop()
            self._exit_event = asyncio.Event()
            counter = 0
            should_exit = await self.on_tick(counter)
            while not should_exit:
                counter = (counter + 1) % 864000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._exit_event.wait(), 0.1)
                should_exit = await self.on_tick(counter)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            """uvicorn's shutdown, without its fixed 0.1 s pause when nothing is open.

            uvicorn always sleeps 0.1 s after asking connections to close; with
            no connection and no task left there is nothing to wait for, so
            close the listeners and run the lifespan shutdown at once (tests
            start and stop a backend per test). Otherwise uvicorn's own
            graceful shutdown runs unchanged.
            """
            if self.server_state.connections or self.server_state.tasks:
                await super().shutdown(sockets)
                return
            for server in self.servers:
                server.close()
            for sock in sockets or []:
                sock.close()
            for server in self.servers:
                await server.wait_closed()
            if not self.force_exit:
                await self.lifespan.shutdown()

        def request_exit(self) -> None:
            self.should_exit = True
            if self._loop is not None and self._exit_event is not None:
                with contextlib.suppress(RuntimeError):  # loop already closed
                    self._loop.call_soon_threadsafe(self._exit_event.set)

    return ThreadedServer


class BackgroundServer:
    """uvicorn serving the backend in a daemon thread on a loopback port.

    ``BackgroundServer(settings, host="127.0.0.1", port=0)``; ``port=0``
    picks a free port. Use as a context manager, or call :meth:`start` and
    :meth:`stop`. After start:

    - ``url`` — base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``
      (the API is under ``url + "/api/v1"``);
    - ``port`` — the bound port;
    - ``context`` — the :class:`ServerContext` (settings, database, event
      hub), for in-process admin calls such as
      ``csdesk.server.announcements.publish_announcement(server.context, …)``;
    - ``app`` — the FastAPI app.

    :meth:`start` raises ``RuntimeError`` when ``/api/v1/health`` does not
    answer within ``startup_timeout`` seconds (10). ``app`` may be passed to
    serve a prebuilt app (its ``state.ctx`` is used). ``log_level`` is
    uvicorn's; no logging handlers are installed, so a Textual screen is not
    written over.
    """

    def __init__(
        self,
        settings: ServerSettings,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app: FastAPI | None = None,
        startup_timeout: float = 10.0,
        log_level: str = "warning",
    ) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.log_level = log_level
        self._app = app
        self._server: Any = None  # the ThreadedServer of _server_class()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def app(self) -> FastAPI:
        """The served FastAPI app (built at :meth:`start` unless given)."""
        if self._app is None:
            raise RuntimeError("the server is not started")
        return self._app

    @property
    def context(self) -> ServerContext:
        """The served app's :class:`ServerContext`."""
        ctx: ServerContext = self.app.state.ctx
        return ctx

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> BackgroundServer:
        """Build the app, bind the port, start uvicorn, wait until it answers; return ``self``."""
        import uvicorn

        from csdesk.server.app import create_app

        if self._thread is not None:
            raise RuntimeError("the server is already started")
        if self._app is None:
            self._app = create_app(self.settings)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted
        # sockets whose proto says TCP; without it every keep-alive request
        # waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            host=self.host,
            port=self.port,
            log_config=None,
            log_level=self.log_level,
            access_log=False,
            ws="none",
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
        self._server = _server_class()(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"csdesk-server-{self.port}", daemon=True
        )
        self._thread.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        except BaseException as exc:  # reported by _wait_ready / stop
            self._error = exc
        finally:
            sock.close()

    def _wait_ready(self) -> None:
        import httpx

        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + self.startup_timeout
        health = f"{self.url}/api/v1/health"
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the backend stopped during startup") from self._error
            if self._server.started:
                try:
                    if httpx.get(health, timeout=1.0).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.02)
        raise RuntimeError(f"the backend did not answer {health} within {self.startup_timeout} s")

    def stop(self) -> None:
        """Close event streams, ask uvicorn to exit, join the thread, release the database."""
        if self._server is None or self._thread is None:
            return
        if self._app is not None:
            self.context.hub.close()
        self._server.request_exit()
        self._thread.join(timeout=GRACEFUL_SHUTDOWN + 5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        if self._app is not None:
            self.context.db.dispose()
        self._server = None
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class SimulatorOptions:
    """The training simulator as ``csdesk server --simulate`` / ``csdesk demo`` ask for it.

    ``customers`` a ``text,category`` CSV of first words (None: the scenarios'
    own); ``arrival_seconds`` the mean gap between customers, s;
    ``channels`` the channels customers use. See ``ServerSettings.simulate``.
    """

    customers: Path | None = None
    arrival_seconds: float = 30.0
    channels: tuple[str, ...] = ("chat", "phone")

    def settings(self) -> dict[str, Any]:
        """The ``ServerSettings`` fields for these options."""
        return {
            "simulate": True,
            "simulator_customers": self.customers,
            "simulator_arrival_seconds": self.arrival_seconds,
            "simulator_channels": self.channels,
        }

    @property
    def mix(self) -> str:
        """The ``--channels`` name of ``channels`` (``both``, ``chat``, ``phone``)."""
        return next((name for name, mix in CHANNEL_MIXES.items() if mix == tuple(self.channels)), "both")

    def describe(self) -> str:
        """One line for the server log (the CSV's name only)."""
        source = self.customers.name if self.customers is not None else "built-in openings"
        return f"{source}, a customer every {self.arrival_seconds:g} s on average, {'+'.join(self.channels)}"


def reset_database(db_path: Path) -> None:
    """Delete the SQLite file and its ``-wal``, ``-shm`` and ``-journal`` companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str,
    port: int,
    db_path: Path,
    reset: bool = False,
    *,
    seed_demo: bool = True,
    log_level: str = "info",
    sms_enabled: bool = False,
    simulator: SimulatorOptions | None = None,
) -> None:
    """Run the backend in the foreground until Ctrl+C (``csdesk server``).

    ``reset`` deletes the database files first. ``sms_enabled`` offers SMS
    codes as a second factor, sent by the demo sender to ``sms.log`` beside
    the database (``ServerSettings.sms_log_file``). ``simulator`` runs the
    training simulator with those options (None: no simulated customers).
    Blocks; returns after a graceful shutdown. There is no TLS here: bind to
    loopback, or put a TLS proxy in front (a warning is logged for other
    addresses).
    """
    import uvicorn

    from csdesk.server.app import create_app

    if reset:
        reset_database(db_path)
    settings = ServerSettings(
        db_path=Path(db_path), seed_demo=seed_demo, sms_enabled=sms_enabled,
        **(simulator.settings() if simulator is not None else {}),
    )
    if sms_enabled:
        logger.warning("SMS codes are written to %s (demo sender)", settings.sms_log_file)
    if simulator is not None:
        logger.warning("training simulator on: %s", simulator.describe())
    app = create_app(settings)
    if not _is_loopback(host):
        logger.warning("serving on %s without TLS; put a TLS proxy in front", host)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        ws="none",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )
