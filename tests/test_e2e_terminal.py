"""End to end in a real pseudo-terminal of 80×24: ``csdesk demo`` from sign-in to sign-out.

The process runs exactly as an agent starts it; pyte (a VT100 emulator) turns
its output into the screen the agent would see. Keys are written to the pty.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyotp
import pyte

from csdesk.server.seed import DEMO_AGENTS

AGENT = DEMO_AGENTS[0]
KEYS = {"enter": b"\r", "f2": b"\x1bOQ", "f10": b"\x1b[21~", "esc": b"\x1b"}


class Terminal:
    """A child process on a pty with a pyte screen of ``cols``×``rows`` cells."""

    def __init__(self, cmd: list[str], env: dict[str, str], cols: int = 80, rows: int = 24) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, seconds: float = 0.05) -> None:
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not on screen:\n{self.text()}")
            if self.proc.poll() is not None:
                self.pump(0.2)
                raise AssertionError(f"exited {self.proc.returncode} before {needle!r}:\n{self.text()}")
            self.pump()

    def send(self, data: bytes | str, settle: float = 0.3) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)
        end = time.monotonic() + settle
        while time.monotonic() < end:
            self.pump()

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


def demo_terminal(tmp_path: Path) -> Terminal:
    """``csdesk demo`` in an 80×24 pty, isolated in ``tmp_path``, English UI,
    never the machine's own keyring."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "LANG": "en_US.UTF-8",
        "CSDESK_DATA_DIR": str(tmp_path / "data"),
        "CSDESK_CONFIG_DIR": str(tmp_path / "cfg"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env.pop("NO_COLOR", None)
    # No simulated customers: an offer arriving mid-test would change the states asserted.
    return Terminal([sys.executable, "-m", "csdesk", "demo", "--no-simulate"], env)


def test_demo_sign_in_to_sign_out_in_a_real_terminal(tmp_path: Path) -> None:
    term = demo_terminal(tmp_path)
    try:
        term.wait_for("agent sign-in")
        term.wait_for("backend reachable")
        # All at once, as a fast typist or a password manager's auto-type:
        # the password must not land in the employee ID field.
        term.send(f"{AGENT['employee_id']}\r{AGENT['password']}\r", settle=1.0)
        term.wait_for("Second factor")
        term.send(pyotp.TOTP(AGENT["totp_secret"]).now())
        term.send(KEYS["enter"])
        term.wait_for("Announcements (3)")
        term.wait_for("mandatory announcement(s) to acknowledge")
        term.send("a")
        term.wait_for("All mandatory announcements acknowledged")
        term.send("c")
        term.wait_for("What is new in csdesk")  # release notes, once per version
        term.send(KEYS["esc"], settle=0.6)
        term.wait_for(f"{AGENT['employee_id']} {AGENT['name']}")
        assert "Not Ready (signed in)" in term.text()
        assert "online" in term.text()
        term.send(KEYS["f2"])
        term.wait_for("State: Ready")
        term.send(KEYS["f2"])
        term.wait_for("Not Ready: why?")
        term.send("3")
        term.wait_for("Not Ready (training)")
        term.send(KEYS["f10"])
        term.wait_for("Sign out?")
        term.send("y", settle=0.5)
        deadline = time.monotonic() + 20
        while term.proc.poll() is None and time.monotonic() < deadline:
            term.pump()
        assert term.proc.returncode == 0
    finally:
        term.close()
    # The demo backend stopped with the desk.
    log = (tmp_path / "data" / "demo" / "server.log").read_text("utf-8")
    assert "POST /api/v1/auth/logout" in log
    assert "Finished server process" in log
    assert AGENT["password"] not in log


def test_closing_the_terminal_signs_out(tmp_path: Path) -> None:
    """SIGHUP (terminal closed, SSH dropped) while Ready: Offline on the server, no orphan backend."""
    import sqlite3

    term = demo_terminal(tmp_path)
    try:
        term.wait_for("backend reachable")
        term.send(f"{AGENT['employee_id']}\r{AGENT['password']}\r", settle=1.0)
        term.wait_for("Second factor")
        term.send(pyotp.TOTP(AGENT["totp_secret"]).now() + "\r")
        term.wait_for("Announcements (3)")
        term.send("a")
        term.wait_for("All mandatory announcements acknowledged")  # c before the ack lands is refused
        term.send("c")
        term.wait_for("What is new in csdesk")
        term.send(KEYS["esc"], settle=0.6)
        term.wait_for("Not Ready (signed in)")
        term.send(KEYS["f2"])
        term.wait_for("State: Ready")
        # The terminal goes away (its master side closes), then the hang-up.
        os.close(term.master)
        term.master = os.open(os.devnull, os.O_RDONLY)  # for close() below
        os.killpg(term.proc.pid, signal.SIGHUP)
        term.proc.wait(timeout=20)
    finally:
        term.close()
    db = tmp_path / "data" / "demo" / "demo.db"
    with sqlite3.connect(db) as conn:
        state = conn.execute("select state from agents where employee_id=?", (AGENT["employee_id"],)).fetchone()
    assert state == ("offline",)
    # The backend child notices its parent is gone (checked once a second).
    log_path = tmp_path / "data" / "demo" / "server.log"
    deadline = time.monotonic() + 10
    while "Finished server process" not in log_path.read_text("utf-8") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Finished server process" in log_path.read_text("utf-8")


def test_first_sign_in_typed_at_full_speed(tmp_path: Path) -> None:
    """New password typed or pasted as "new⏎again⏎" in one burst fills both fields."""
    from csdesk.server.seed import DEMO_FIRST_SIGN_IN as first

    term = demo_terminal(tmp_path)
    try:
        term.wait_for("backend reachable")
        term.send(f"{first['employee_id']}\r{first['password']}\r", settle=1.0)
        term.wait_for("Set a new password")
        new = "Fresh#Start2026"
        term.send(f"{new}\r{new}\r", settle=1.0)
        term.wait_for("Set up your authenticator")
    finally:
        term.close()
