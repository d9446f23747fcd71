"""Run the reference backend as a child process for ``csdesk demo``.

The backend runs in its own process (not a thread of the TUI) so that its
work never slows the desk's event loop, and so that quitting the desk stops it
cleanly: SIGTERM, then SIGKILL after 5 s.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csdesk.server.runner import SimulatorOptions

#: Seconds to wait for the backend to answer ``/health``.
START_TIMEOUT = 30.0
#: Seconds between SIGTERM and SIGKILL when stopping.
STOP_TIMEOUT = 5.0


class DemoError(Exception):
    """The demo backend could not start; the message says why and names the log."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``port`` can be bound on ``host`` now.

    SO_REUSEADDR as uvicorn sets it: a port whose old connections are in
    TIME_WAIT after the last demo quit counts as free.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def choose_port(port_file: Path) -> int:
    """The demo's port: the one used last time if still free, else a new free one.

    Local stores are kept per backend URL, so a stable port keeps the agent's
    local data (and any unsent outbox items) across demo runs.
    """
    try:
        last = int(port_file.read_text().strip())
    except (OSError, ValueError):
        last = 0
    if 1024 <= last <= 65535 and port_is_free(last):
        return last
    return free_port()


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    """Poll ``url``/api/v1/health until it answers ok, the process dies, or ``timeout`` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1.0) as resp:
                if json.loads(resp.read()).get("status") == "ok":
                    return True
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.1)
    return False


def simulator_args(options: SimulatorOptions | None) -> list[str]:
    """The ``csdesk server`` options for ``options`` (``--no-simulate`` for None)."""
    if options is None:
        return ["--no-simulate"]
    args = ["--simulate", "--arrival-seconds", repr(options.arrival_seconds)]
    if options.customers is not None:
        args += ["--customers", str(options.customers)]
    return args + ["--channels", options.mix]


class DemoBackend:
    """Context manager: a reference backend on 127.0.0.1 with demo data.

    ``data_dir/demo`` holds ``demo.db`` (SQLite), ``server.log`` and the port
    used last; local stores live in ``data_dir/stores``. ``reset=True``
    deletes the database and this backend's local stores first.
    ``simulator`` runs the training simulator in the backend with those
    options (``csdesk demo`` passes them; None, the default here: no
    simulated customers). ``.url`` is ``http://127.0.0.1:PORT``.
    Raises ``DemoError`` when the backend does not come up.
    """

    def __init__(self, data_dir: Path, *, reset: bool = False, simulator: SimulatorOptions | None = None) -> None:
        self.data_dir = data_dir
        self.folder = data_dir / "demo"
        self.reset = reset
        self.simulator = simulator
        self.db_path = self.folder / "demo.db"
        self.log_path = self.folder / "server.log"
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "DemoBackend":
        from filelock import FileLock, Timeout

        # The data folder and the demo folder are the agent's alone (0700;
        # ``mkdir(parents=True)`` would give the parents the umask's mode).
        for folder in (self.folder.parent, self.folder):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One demo per data folder: two would share demo.db and the port file.
        self._lock = FileLock(self.folder / ".lock", timeout=0, thread_local=False, mode=0o600)
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise DemoError(
                f"another csdesk demo is already running with this data folder ({self.folder}); "
                "use that one, or quit it first"
            ) from exc
        try:
            return self._start()
        except BaseException:
            self._lock.release()
            raise

    def _start(self) -> "DemoBackend":
        port_file = self.folder / "port"
        for attempt in range(3):
            port = choose_port(port_file) if attempt == 0 else free_port()
            self.url = f"http://127.0.0.1:{port}"
            cmd = [
                sys.executable, "-m", "csdesk", "server",
                "--host", "127.0.0.1", "--port", str(port), "--db", str(self.db_path),
                "--sms",  # codes go to sms.log in the demo folder, for trainers
            ]
            if self.reset and attempt == 0:
                cmd.append("--reset")
            cmd += simulator_args(self.simulator)
            log = os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
            try:
                self.proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", "CSDESK_PARENT_PID": str(os.getpid())},
                )
            finally:
                log.close()
            if wait_healthy(self.url, self.proc, START_TIMEOUT):
                from csdesk.store.atomic import atomic_write_bytes

                atomic_write_bytes(port_file, str(port).encode())
                if self.reset:
                    self._forget_local_stores()
                return self
            self._stop()
        raise DemoError(
            f"the demo backend did not start; see its log: {self.log_path}"
        )

    def _forget_local_stores(self) -> None:
        """With ``--reset``: the new database knows nothing of the old local
        stores and their outbox, so remove this backend's store folders too
        (a folder in use by another csdesk is left alone)."""
        import shutil

        from csdesk.store.local import backend_slug, is_locked

        stores = self.data_dir / "stores" / backend_slug(self.url)
        if not stores.is_dir():
            return
        for agent_folder in stores.iterdir():
            if agent_folder.is_dir() and not is_locked(self.data_dir, self.url, agent_folder.name):
                shutil.rmtree(agent_folder, ignore_errors=True)

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
        self._lock.release()
