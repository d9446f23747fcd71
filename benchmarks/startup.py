"""Cold start of ``csdesk --server URL`` to the interactive login screen.

Baseline: a bare Textual app with one Input, started the same way in the same
run. Both run in a real pseudo-terminal of 80×24; the clock stops when the
screen text shows up in the terminal output. Runs alternate so that machine
noise hits both alike. Prints each run, the medians, and the median ratio
(target from issue #2: at most 1.3×).

    uv run python benchmarks/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_APP = """
from textual.app import App
from textual.widgets import Input, Static

class Bare(App):
    def compose(self):
        yield Static("bare app sign-in")
        yield Input(placeholder="A1001")

Bare().run()
"""


def time_to_marker(cmd: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from spawn until ``marker`` appears on the pty; the process is then killed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while True:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no {marker!r} within {timeout}s: {seen[-300:]!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    raise RuntimeError(f"exited early: {seen[-500:]!r}")
                seen += chunk
                if marker in seen:
                    return time.perf_counter() - start
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    from csdesk.server.config import ServerSettings
    from csdesk.server.runner import BackgroundServer

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TERM": "xterm-256color", "LANG": "en_US.UTF-8", "COLUMNS": "80", "LINES": "24",
               "CSDESK_DATA_DIR": f"{tmp}/data", "CSDESK_CONFIG_DIR": f"{tmp}/cfg"}
        with BackgroundServer(ServerSettings(db_path=Path(tmp) / "bench.db")) as backend:
            desk_cmd = [sys.executable, "-m", "csdesk", "--server", backend.url]
            bare_cmd = [sys.executable, "-c", BARE_APP]
            # One unmeasured run of each warms the file cache and bytecode.
            time_to_marker(desk_cmd, b"sign-in", env)
            time_to_marker(bare_cmd, b"sign-in", env)
            desk, bare = [], []
            for i in range(args.runs):
                bare.append(time_to_marker(bare_cmd, b"sign-in", env))
                desk.append(time_to_marker(desk_cmd, b"sign-in", env))
                print(f"run {i + 1}: bare {bare[-1] * 1000:7.1f} ms   csdesk {desk[-1] * 1000:7.1f} ms")
    mb, md = statistics.median(bare), statistics.median(desk)
    ratios = [d / b for d, b in zip(desk, bare)]
    print(f"median bare   {mb * 1000:.1f} ms")
    print(f"median csdesk {md * 1000:.1f} ms")
    ratio = md / mb
    print(f"ratio of medians {ratio:.2f}x; median of per-run ratios {statistics.median(ratios):.2f}x (target <= 1.30x)")
    if ratio > 1.30:
        print("OVER TARGET")
        sys.exit(1)


if __name__ == "__main__":
    main()
